#include "ui/attention_colors.h"
#include "ui/token_overlay.h"

#include "ui/attention_explorer.h"

#include <QMouseEvent>
#include <QResizeEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <limits>

namespace svgen::ui {

namespace {

constexpr int kGap = 4;
constexpr int kMaxColumns = 4;

}  // namespace

TokenPosition tokenPosition(int token, const std::array<int64_t, 3>& grid) {
  const int h = int(grid[1]), w = int(grid[2]);
  if (h <= 0 || w <= 0) return {};
  return {token / (h * w), (token / w) % h, token % w};
}

int tokenIndex(const TokenPosition& p, const std::array<int64_t, 3>& grid) {
  return (p.frame * int(grid[1]) + p.y) * int(grid[2]) + p.x;
}

int nearestRecordedRow(const std::vector<int32_t>& rows, const std::array<int64_t, 3>& grid,
                       int token) {
  const TokenPosition t = tokenPosition(token, grid);
  int best = -1;
  std::pair<int, int> bestKey{std::numeric_limits<int>::max(), 0};
  for (size_t i = 0; i < rows.size(); ++i) {
    const TokenPosition r = tokenPosition(rows[i], grid);
    const int dy = r.y - t.y, dx = r.x - t.x;
    // The frame first: a row of the clicked frame says more about it than a closer spot in
    // another frame.
    const std::pair<int, int> key{std::abs(r.frame - t.frame), dy * dy + dx * dx};
    if (best < 0 || key < bestKey) {
      best = int(i);
      bestKey = key;
    }
  }
  return best;
}

TokenOverlay::TokenOverlay(QWidget* parent) : QWidget(parent) {
  setObjectName("tokenOverlay");
  QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
  policy.setHeightForWidth(true);
  setSizePolicy(policy);
  setMinimumSize(96, 48);
  setCursor(Qt::CrossCursor);
}

void TokenOverlay::setGrid(const std::array<int64_t, 3>& grid) {
  grid_ = grid;
  setMinimumHeight(std::min(900, heightForWidth(width())));
  updateGeometry();
  update();
}

void TokenOverlay::setFrames(const QVector<QImage>& frames) {
  frames_ = frames;
  setMinimumHeight(std::min(900, heightForWidth(width())));
  updateGeometry();
  update();
}

void TokenOverlay::setHeat(std::vector<uint8_t> cells, int pool) {
  heat_ = std::move(cells);
  pool_ = std::max(1, pool);
  update();
}

void TokenOverlay::setLabels(std::vector<int32_t> labels) {
  labels_ = std::move(labels);
  update();
}

void TokenOverlay::setMarkers(int clicked, int row) {
  clicked_ = clicked;
  row_ = row;
  update();
}

QColor TokenOverlay::labelColor(int label) {
  // Golden-ratio hues: neighbouring cluster numbers get far-apart colours.
  const double hue = std::fmod(0.13 + 0.6180339887 * label, 1.0);
  return QColor::fromHsvF(float(hue), 0.8f, 0.95f);
}

int TokenOverlay::columns() const {
  return std::max(1, std::min(int(grid_[0]), kMaxColumns));
}

QSize TokenOverlay::imageSize() const {
  if (!frames_.isEmpty() && !frames_.first().isNull()) return frames_.first().size();
  return {int(std::max<int64_t>(1, grid_[2])) * 8, int(std::max<int64_t>(1, grid_[1])) * 8};
}

QSize TokenOverlay::tileSize(int width) const {
  const int cols = columns();
  const QSize image = imageSize();
  const int w = std::max(8, (width - (cols - 1) * kGap) / cols);
  return {w, std::max(8, w * image.height() / std::max(1, image.width()))};
}

int TokenOverlay::tileRows() const {
  return int((std::max<int64_t>(1, grid_[0]) + columns() - 1) / columns());
}

int TokenOverlay::heightForWidth(int width) const {
  if (grid_[0] <= 0) return 48;
  return tileRows() * tileSize(width).height() + (tileRows() - 1) * kGap;
}

QSize TokenOverlay::fittedTile() const {
  // As wide as the width allows, unless the height the layout gave is less than that needs.
  const QSize byWidth = tileSize(width());
  const int roomHeight = std::max(8, (height() - (tileRows() - 1) * kGap) / tileRows());
  if (byWidth.height() <= roomHeight) return byWidth;
  return {std::max(8, byWidth.width() * roomHeight / byWidth.height()), roomHeight};
}

void TokenOverlay::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  // Layouts in a scroll area do not always honour height-for-width: ask for the height outright.
  const int want = std::min(900, heightForWidth(width()));
  if (minimumHeight() != want) setMinimumHeight(want);
}

QSize TokenOverlay::sizeHint() const {
  return {320, heightForWidth(320)};
}

QRect TokenOverlay::tileRect(int frame) const {
  if (frame < 0 || frame >= grid_[0]) return {};
  const QSize tile = fittedTile();
  const int col = frame % columns(), row = frame / columns();
  return {col * (tile.width() + kGap), row * (tile.height() + kGap), tile.width(), tile.height()};
}

QPoint TokenOverlay::pointForPixel(int frame, QPoint pixel) const {
  const QRect tile = tileRect(frame);
  const QSize image = imageSize();
  return {tile.left() + int((pixel.x() + 0.5) * tile.width() / image.width()),
          tile.top() + int((pixel.y() + 0.5) * tile.height() / image.height())};
}

int TokenOverlay::tokenAt(const QPoint& point) const {
  for (int f = 0; f < grid_[0]; ++f) {
    const QRect tile = tileRect(f);
    if (!tile.contains(point)) continue;
    const int x = int(int64_t(point.x() - tile.left()) * grid_[2] / tile.width());
    const int y = int(int64_t(point.y() - tile.top()) * grid_[1] / tile.height());
    return tokenIndex({f, std::min(y, int(grid_[1]) - 1), std::min(x, int(grid_[2]) - 1)}, grid_);
  }
  return -1;
}

QRect TokenOverlay::tokenRect(int token) const {
  const TokenPosition p = tokenPosition(token, grid_);
  const QRect tile = tileRect(p.frame);
  if (tile.isEmpty()) return {};
  const auto x = [&](int i) { return tile.left() + int(int64_t(i) * tile.width() / grid_[2]); };
  const auto y = [&](int i) { return tile.top() + int(int64_t(i) * tile.height() / grid_[1]); };
  return QRect(QPoint(x(p.x), y(p.y)), QPoint(x(p.x + 1) - 1, y(p.y + 1) - 1));
}

void TokenOverlay::paintEvent(QPaintEvent*) {
  QPainter p(this);
  const int F = int(grid_[0]), H = int(grid_[1]), W = int(grid_[2]);
  if (F <= 0 || H <= 0 || W <= 0) return;
  const int ch = (H + pool_ - 1) / pool_, cw = (W + pool_ - 1) / pool_;
  const bool heat = heat_.size() == size_t(F) * ch * cw;
  const bool labels = !heat && labels_.size() == size_t(F) * H * W;
  for (int f = 0; f < F; ++f) {
    const QRect tile = tileRect(f);
    if (f < frames_.size() && !frames_[f].isNull())
      p.drawImage(tile, frames_[f]);
    else
      p.fillRect(tile, QColor(0x12, 0x13, 0x15));
    if (heat) {
      for (int cy = 0; cy < ch; ++cy)
        for (int cx = 0; cx < cw; ++cx) {
          const double v = heat_[(size_t(f) * ch + cy) * cw + cx] / 255.0;
          QColor c = heatColor(v);
          // Faint where the token looks little, so the picture shows through.
          c.setAlphaF(float(0.35 + 0.5 * v));
          const QRect a = tokenRect(tokenIndex({f, cy * pool_, cx * pool_}, grid_));
          const QRect b = tokenRect(tokenIndex(
              {f, std::min(H, (cy + 1) * pool_) - 1, std::min(W, (cx + 1) * pool_) - 1}, grid_));
          p.fillRect(a.united(b), c);
        }
    } else if (labels) {
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const int token = tokenIndex({f, y, x}, grid_);
          QColor c = labelColor(labels_[size_t(token)]);
          c.setAlphaF(0.6f);
          p.fillRect(tokenRect(token), c);
        }
    }
  }
  p.setRenderHint(QPainter::Antialiasing);
  auto ring = [&](int token, const QColor& colour) {
    const QRect r = tokenRect(token);
    if (r.isEmpty()) return;
    p.setPen(QPen(Qt::black, 3));
    p.drawEllipse(r.adjusted(-2, -2, 2, 2));
    p.setPen(QPen(colour, 1.5));
    p.drawEllipse(r.adjusted(-2, -2, 2, 2));
  };
  if (row_ >= 0) ring(row_, QColor(0xff, 0x40, 0xc0));
  if (clicked_ >= 0) ring(clicked_, Qt::white);
}

void TokenOverlay::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const int token = tokenAt(event->position().toPoint());
  if (token >= 0) emit tokenClicked(token);
}

}  // namespace svgen::ui
