// The explorer's layer × head grid: one cell per (layer, head), coloured by what the method decided
// for it; a click selects the head, hovering tells its numbers.
#pragma once
#include <QColor>
#include <QWidget>

#include <vector>

namespace svgen {
struct CallRecord;
struct HeadRecord;
}  // namespace svgen

namespace svgen::ui {

// One cell per (layer, head), layers down, heads across. Clicking a cell selects it.
class HeadGrid : public QWidget {
  Q_OBJECT
 public:
  explicit HeadGrid(QWidget* parent = nullptr);
  // calls[layer] (null where the layer has no call at this step).
  void setCalls(std::vector<const CallRecord*> calls, int heads);
  void setSelected(int layer, int head);
  int layers() const { return static_cast<int>(calls_.size()); }
  int heads() const { return heads_; }
  QRect cellRect(int layer, int head) const;
  // The head record shown in a cell, or null.
  const HeadRecord* headAt(int layer, int head) const;
  QColor cellColor(int layer, int head) const;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 signals:
  void cellClicked(int layer, int head);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  bool event(QEvent* event) override;

 private:
  int cellSize() const;
  bool cellAt(const QPoint& p, int* layer, int* head) const;

  std::vector<const CallRecord*> calls_;
  int heads_ = 0;
  int selectedLayer_ = -1, selectedHead_ = -1;
};

}  // namespace svgen::ui
