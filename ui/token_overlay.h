// The Attention dock's token overlay: the clip's frames, one tile per token frame, painted with
// where one token attends (a heat map from the record's sampled rows) or with the cluster each
// token belongs to (SVG2/SVOO labels). Clicking a pixel names its token; the explorer then picks
// the recorded row nearest to it.
#pragma once
#include <QColor>
#include <QImage>
#include <QVector>
#include <QWidget>

#include <array>
#include <cstdint>
#include <vector>

namespace svgen::ui {

// (frame, y, x) of a token in a frames × height × width grid, and back.
struct TokenPosition {
  int frame = 0, y = 0, x = 0;
};
TokenPosition tokenPosition(int token, const std::array<int64_t, 3>& grid);
int tokenIndex(const TokenPosition& p, const std::array<int64_t, 3>& grid);

// The index into `rows` (token indices of recorded rows) of the row nearest to `token`: in the
// token's own frame when that frame has one (else the nearest frame that has), then by distance
// within the frame; ties go to the first. -1 when there are no rows.
int nearestRecordedRow(const std::vector<int32_t>& rows, const std::array<int64_t, 3>& grid,
                       int token);

class TokenOverlay : public QWidget {
  Q_OBJECT
 public:
  explicit TokenOverlay(QWidget* parent = nullptr);

  void setGrid(const std::array<int64_t, 3>& grid);
  // One image per token frame (any size; an empty list paints dark tiles).
  void setFrames(const QVector<QImage>& frames);
  // frames × ceil(H/pool) × ceil(W/pool) cells, 0–255; empty: no heat map.
  void setHeat(std::vector<uint8_t> cells, int pool);
  // The cluster of each token, in token order; empty: no cluster colours. Heat wins when both.
  void setLabels(std::vector<int32_t> labels);
  // Tokens to ring: the one clicked and the recorded row shown (-1: none).
  void setMarkers(int clicked, int row);

  const std::vector<uint8_t>& heat() const { return heat_; }
  const std::vector<int32_t>& labels() const { return labels_; }
  QRect tileRect(int frame) const;
  // The widget point at the centre of an image pixel of a frame's tile.
  QPoint pointForPixel(int frame, QPoint pixel) const;
  int tokenAt(const QPoint& point) const;  // -1 outside the tiles
  QRect tokenRect(int token) const;
  static QColor labelColor(int label);

  QSize sizeHint() const override;
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override;

 signals:
  void tokenClicked(int token);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  int columns() const;
  int tileRows() const;
  QSize tileSize(int width) const;
  QSize fittedTile() const;
  QSize imageSize() const;

  std::array<int64_t, 3> grid_ = {0, 0, 0};
  QVector<QImage> frames_;
  std::vector<uint8_t> heat_;
  int pool_ = 1;
  std::vector<int32_t> labels_;
  int clicked_ = -1, row_ = -1;
};

}  // namespace svgen::ui
