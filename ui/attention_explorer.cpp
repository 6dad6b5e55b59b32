#include "ui/attention_explorer.h"

#include "core/attention/attention_record.h"
#include "ui/attention_colors.h"
#include "ui/head_grid.h"
#include "ui/matrix_view.h"
#include "ui/token_overlay.h"

#include <QComboBox>
#include <QDialog>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QSlider>
#include <QStandardItemModel>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <cmath>

namespace svgen::ui {

namespace {

QString errorText(double e) {
  return e < 0 ? QObject::tr("not profiled") : QString::number(e, 'g', 3);
}

QString sizesText(const std::vector<int32_t>& sizes) {
  if (sizes.empty()) return {};
  const auto [lo, hi] = std::minmax_element(sizes.begin(), sizes.end());
  return QObject::tr("%1 (sizes %2–%3)").arg(sizes.size()).arg(*lo).arg(*hi);
}

QString stepList(const std::vector<int>& steps) {
  QStringList parts;
  for (int s : steps) parts << QString::number(s + 1);  // counted from 1, as the progress is
  return parts.join(", ");
}

}  // namespace

// ------------------------------------------------------------------------------- AttentionExplorer

AttentionExplorer::AttentionExplorer(QWidget* parent)
    : QWidget(parent),
      summary_(new QLabel(this)),
      stepSlider_(new QSlider(Qt::Horizontal, this)),
      stepLabel_(new QLabel(this)),
      grid_(new HeadGrid(this)),
      headTitle_(new QLabel(this)),
      mapCaption_(new QLabel(tr("Frame × frame attention: how much each query frame's tokens "
                                "attend to each key frame (rows sum to 1)"),
                             this)),
      maskCaption_(new QLabel(tr("Kept blocks"), this)),
      mapBox_(new QWidget(this)),
      maskBox_(new QWidget(this)),
      frameMap_(new MatrixView(MatrixView::Style::Heat, mapBox_)),
      blockMask_(new MatrixView(MatrixView::Style::Mask, maskBox_)),
      detail_(new QLabel(this)),
      overlayBox_(new QWidget(this)),
      overlayMode_(new QComboBox(overlayBox_)),
      overlay_(new TokenOverlay(overlayBox_)),
      overlayCaption_(new QLabel(overlayBox_)) {
  summary_->setObjectName("attentionSummary");
  summary_->setWordWrap(true);
  stepSlider_->setObjectName("stepSlider");
  stepSlider_->setPageStep(1);
  stepSlider_->setTickPosition(QSlider::TicksBelow);
  stepLabel_->setObjectName("stepLabel");
  stepLabel_->setMinimumWidth(stepLabel_->fontMetrics().horizontalAdvance(tr("Step 000")));
  headTitle_->setObjectName("headTitle");
  QFont bold = headTitle_->font();
  bold.setBold(true);
  headTitle_->setFont(bold);
  frameMap_->setObjectName("frameMap");
  frameMap_->setAxes(tr("query frame"), tr("key frame"));
  blockMask_->setObjectName("blockMask");
  blockMask_->setAxes(tr("query block"), tr("key block"));
  frameMap_->setToolTip(tr("Rows: query frames; columns: key frames. Brighter: more attention."));
  blockMask_->setToolTip(tr("The blocks of the score matrix this head computed"));
  detail_->setObjectName("headDetail");
  detail_->setWordWrap(true);
  detail_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* stepRow = new QHBoxLayout;
  stepRow->addWidget(stepLabel_);
  stepRow->addWidget(stepSlider_, 1);

  auto* legend = new QHBoxLayout;
  legend->setSpacing(10);
  for (const char* d : {"spatial", "temporal", "dense", "cluster"}) {
    auto* swatch = new QLabel(this);
    swatch->setFixedSize(12, 12);
    swatch->setStyleSheet(
        QString("background:%1; border:1px solid palette(mid);").arg(decisionColor(d).name()));
    auto* text = new QLabel(tr(d), this);
    auto* item = new QHBoxLayout;
    item->setSpacing(4);
    item->addWidget(swatch);
    item->addWidget(text);
    legend->addLayout(item);
  }
  legend->addStretch();

  auto* axes =
      new QLabel(tr("Rows: layers · columns: heads · click a cell to select a head"), this);
  axes->setObjectName("gridAxes");
  axes->setWordWrap(true);
  QFont small = axes->font();
  small.setPointSizeF(small.pointSizeF() * 0.9);
  axes->setFont(small);
  axes->setForegroundRole(QPalette::PlaceholderText);
  mapCaption_->setFont(small);
  maskCaption_->setFont(small);
  mapCaption_->setWordWrap(true);
  maskCaption_->setWordWrap(true);
  maskCaption_->setObjectName("maskCaption");

  auto boxLayout = [](QWidget* box, QLabel* caption, QWidget* view) {
    auto* l = new QVBoxLayout(box);
    l->setContentsMargins(0, 0, 0, 0);
    l->setSpacing(2);
    l->addWidget(caption);
    l->addWidget(view, 1);
  };
  mapCaption_->setParent(mapBox_);
  maskCaption_->setParent(maskBox_);
  boxLayout(mapBox_, mapCaption_, frameMap_);
  boxLayout(maskBox_, maskCaption_, blockMask_);
  auto* maps = new QHBoxLayout;
  maps->addWidget(mapBox_, 1);
  maps->addWidget(maskBox_, 1);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(summary_);
  layout->addLayout(stepRow);
  layout->addWidget(grid_);
  layout->addLayout(legend);
  layout->addWidget(axes);
  layout->addSpacing(6);
  layout->addWidget(headTitle_);
  layout->addLayout(maps);
  layout->addWidget(detail_);
  layout->addWidget(overlayBox_);
  layout->addStretch();

  connect(stepSlider_, &QSlider::valueChanged, this, [this] { showStep(); });
  connect(grid_, &HeadGrid::cellClicked, this, &AttentionExplorer::selectHead);

  overlayMode_->setObjectName("overlayMode");
  overlayMode_->addItem(tr("Where a token attends (click a pixel)"));
  overlayMode_->addItem(tr("Query clusters"));
  overlayMode_->addItem(tr("Key clusters"));
  overlayCaption_->setObjectName("tokenCaption");
  overlayCaption_->setWordWrap(true);
  overlayCaption_->setFont(small);
  overlay_->setToolTip(
      tr("Click a pixel: the heat map shows where the recorded query row "
         "nearest to its token attends, across all frames"));
  auto* overlayTitle = new QLabel(tr("Token overlay"), overlayBox_);
  overlayTitle->setFont(bold);
  // The frames are ~70 px tiles in a docked explorer: a window of their own makes them readable.
  overlayEnlarge_ = new QPushButton(tr("Enlarge"), overlayBox_);
  overlayEnlarge_->setObjectName("overlayEnlarge");
  overlayEnlarge_->setToolTip(tr("Show the token overlay in a window of its own"));
  auto* overlayHeader = new QHBoxLayout;
  overlayHeader->addWidget(overlayTitle, 1);
  overlayHeader->addWidget(overlayEnlarge_);
  auto* overlayLayout = new QVBoxLayout(overlayBox_);
  overlayLayout->setContentsMargins(0, 6, 0, 0);
  overlayLayout->setSpacing(3);
  overlayLayout->addLayout(overlayHeader);
  overlayLayout->addWidget(overlayMode_);
  overlayLayout->addWidget(overlay_);
  overlayLayout->addWidget(overlayCaption_);
  connect(overlayMode_, &QComboBox::currentIndexChanged, this, [this] { showOverlay(); });
  connect(overlay_, &TokenOverlay::tokenClicked, this, &AttentionExplorer::selectToken);
  connect(overlayEnlarge_, &QPushButton::clicked, this,
          [this] { setOverlayEnlarged(!overlayWindow_); });
  frameMap_->setToolTip(frameMap_->toolTip() + tr(" Double-click to enlarge."));

  setRecord(nullptr);
}

AttentionExplorer::~AttentionExplorer() = default;

void AttentionExplorer::setOverlayEnlarged(bool enlarged) {
  if (enlarged == bool(overlayWindow_)) return;
  auto* layout = static_cast<QVBoxLayout*>(overlayBox_->layout());
  if (enlarged) {
    // The overlay itself moves (its clicks, heat and markers go with it) and comes back on close.
    overlayWindow_ = new QDialog(this);
    overlayWindow_->setObjectName("enlargedOverlay");
    overlayWindow_->setWindowTitle(tr("Token overlay"));
    auto* l = new QVBoxLayout(overlayWindow_);
    l->addWidget(overlay_);
    overlayWindow_->resize(1000, 700);
    connect(overlayWindow_, &QDialog::finished, this, [this] { setOverlayEnlarged(false); });
    overlayWindow_->show();
    overlayEnlarge_->setText(tr("Put back"));
  } else {
    QDialog* window = overlayWindow_;
    overlayWindow_ = nullptr;
    layout->insertWidget(layout->indexOf(overlayCaption_), overlay_);
    overlay_->show();
    window->hide();
    window->deleteLater();
    overlayEnlarge_->setText(tr("Enlarge"));
  }
}

void AttentionExplorer::setRecord(std::shared_ptr<const std::vector<CallRecord>> calls) {
  const int previousStep = currentStep();
  record_ = std::move(calls);
  steps_.clear();
  heads_ = 0;
  int layers = 0;
  if (record_) {
    for (const CallRecord& c : *record_) {
      heads_ = std::max(heads_, c.heads);
      layers = std::max(layers, c.layer + 1);
    }
    for (const CallRecord& c : *record_) {
      auto& byLayer = steps_[c.step];
      byLayer.resize(size_t(layers), nullptr);
      if (c.layer >= 0) byLayer[size_t(c.layer)] = &c;
    }
  }
  if (steps_.empty()) {
    summary_->setText(
        tr("No attention record yet: generate a clip to see what each layer and "
           "head of the transformer decided."));
    stepSlider_->setEnabled(false);
    stepSlider_->setRange(0, 0);
    stepLabel_->clear();
    grid_->setCalls({}, 0);
    headTitle_->clear();
    mapBox_->hide();
    maskBox_->hide();
    detail_->clear();
    overlayBox_->hide();
    return;
  }
  // The run's method is that of its sparse calls; warm-up calls are dense.
  const CallRecord& first = record_->front();
  std::string method = first.method;
  for (const CallRecord& c : *record_)
    if (c.method != "dense") {
      method = c.method;
      break;
    }
  summary_->setText(tr("%1 · %2 steps · %3 layers × %4 heads · %5×%6×%7 tokens")
                        .arg(QString::fromStdString(method).toUpper())
                        .arg(steps_.size())
                        .arg(layers)
                        .arg(heads_)
                        .arg(first.grid[0])
                        .arg(first.grid[1])
                        .arg(first.grid[2]));
  selectedLayer_ = std::clamp(selectedLayer_, 0, layers - 1);
  selectedHead_ = std::clamp(selectedHead_, 0, heads_ - 1);
  const QSignalBlocker block(stepSlider_);
  stepSlider_->setEnabled(steps_.size() > 1);
  stepSlider_->setRange(0, int(steps_.size()) - 1);
  // Open on the first detail step, or on the step shown before when it has detail in the new
  // record too: a step without detail shows only the grid.
  std::vector<int> all = steps();
  std::vector<int> detail = detailSteps();
  int step = detail.empty() ? all.front() : detail.front();
  if (std::find(detail.begin(), detail.end(), previousStep) != detail.end()) step = previousStep;
  stepSlider_->setValue(int(std::find(all.begin(), all.end(), step) - all.begin()));
  showStep();
}

std::vector<int> AttentionExplorer::steps() const {
  std::vector<int> out;
  for (const auto& [step, calls] : steps_) out.push_back(step);
  return out;
}

std::vector<int> AttentionExplorer::detailSteps() const {
  std::vector<int> out;
  for (const auto& [step, calls] : steps_)
    if (std::any_of(calls.begin(), calls.end(), [](const CallRecord* c) { return c && c->detail; }))
      out.push_back(step);
  return out;
}

int AttentionExplorer::currentStep() const {
  if (steps_.empty()) return -1;
  auto it = steps_.begin();
  std::advance(it, std::clamp(stepSlider_->value(), 0, int(steps_.size()) - 1));
  return it->first;
}

void AttentionExplorer::setStep(int step) {
  const std::vector<int> all = steps();
  const auto it = std::find(all.begin(), all.end(), step);
  if (it != all.end()) stepSlider_->setValue(int(it - all.begin()));
}

void AttentionExplorer::selectHead(int layer, int head) {
  selectedLayer_ = layer;
  selectedHead_ = head;
  grid_->setSelected(layer, head);
  showHead();
}

void AttentionExplorer::showStep() {
  const int step = currentStep();
  if (step < 0) return;
  // The record counts steps from 0; people (and the Run dock's progress) count from 1.
  stepLabel_->setText(tr("Step %1").arg(step + 1));
  grid_->setCalls(steps_.at(step), heads_);
  grid_->setSelected(selectedLayer_, selectedHead_);
  showHead();
}

void AttentionExplorer::showHead() {
  const int step = currentStep();
  const HeadRecord* h = grid_->headAt(selectedLayer_, selectedHead_);
  headTitle_->setText(tr("Layer %1, head %2").arg(selectedLayer_).arg(selectedHead_));
  if (!h) {
    mapBox_->hide();
    maskBox_->hide();
    frameMap_->clear();
    blockMask_->clear();
    detail_->setText(tr("Step %1 has no record of this head.").arg(step + 1));
    overlayBox_->hide();
    return;
  }
  const CallRecord* call = steps_.at(step)[size_t(selectedLayer_)];
  QStringList lines;
  QString line = tr("%1 · %2% of dense computed")
                     .arg(QString::fromStdString(h->decision))
                     .arg(100 * h->density, 0, 'f', 1);
  if (h->spatialError >= 0 || h->temporalError >= 0)
    line += tr(" · error spatial %1, temporal %2")
                .arg(errorText(h->spatialError), errorText(h->temporalError));
  if (!h->queryClusterSizes.empty() || !h->keyClusterSizes.empty())
    line += tr(" · clusters: %1 query, %2 key")
                .arg(sizesText(h->queryClusterSizes), sizesText(h->keyClusterSizes));
  lines << line;

  const int frames = int(call->grid[0]);
  const bool hasMap = !h->frameMap.empty() && h->frameMap.size() == size_t(frames) * frames;
  const bool hasMask = h->maskRows > 0 && h->maskCols > 0 &&
                       h->blockMask.size() == size_t(h->maskRows) * h->maskCols;
  if (hasMap)
    frameMap_->setMatrix(frames, frames, h->frameMap);
  else
    frameMap_->clear();
  if (hasMask) {
    blockMask_->setMatrix(h->maskRows, h->maskCols,
                          std::vector<float>(h->blockMask.begin(), h->blockMask.end()));
    const QString decision = QString::fromStdString(h->decision);
    blockMask_->setMaskColor(decisionColor(decision));
    // Spatial and temporal masks can look alike; what a block holds differs, so say it.
    QString order;
    if (decision == "spatial")
      order =
          tr("Spatial: tokens in frame order, so a block is a patch of one frame and the band "
             "keeps each frame's neighbourhood.");
    else if (decision == "temporal")
      order =
          tr("Temporal: tokens reordered position-major (one pixel through all frames is "
             "contiguous), so a block is a spot through time.");
    else if (decision == "cluster")
      order =
          tr("Cluster blocks: rows are query clusters and columns key clusters, each of its "
             "own size.");
    maskCaption_->setText(tr("Kept blocks (%1 × %2): the query × key blocks of the score "
                             "matrix this head computed; the rest were skipped. %3 "
                             "Double-click to enlarge.")
                              .arg(h->maskRows)
                              .arg(h->maskCols)
                              .arg(order));
  } else {
    blockMask_->clear();
  }
  mapBox_->setVisible(hasMap);
  maskBox_->setVisible(hasMask);
  if (!call->detail) {
    const std::vector<int> detail = detailSteps();
    lines << (detail.empty()
                  ? tr("Step %1 has no detail, and no step of this record has.").arg(step + 1)
                  : tr("Step %1 has no detail: maps and masks were kept for step(s) %2.")
                        .arg(step + 1)
                        .arg(stepList(detail)));
  }
  detail_->setText(lines.join('\n'));
  showOverlay();
}

void AttentionExplorer::setClip(const QVector<QImage>& frames) {
  clip_ = frames;
  if (hasRecord()) showOverlay();
}

void AttentionExplorer::setOverlay(Overlay overlay) {
  overlayMode_->setCurrentIndex(int(overlay));
}

AttentionExplorer::Overlay AttentionExplorer::overlay() const {
  return Overlay(overlayMode_->currentIndex());
}

bool AttentionExplorer::hasTokenOverlay() const {
  return !overlayBox_->isHidden();
}

QString AttentionExplorer::tokenText() const {
  return overlayCaption_->text();
}

void AttentionExplorer::selectToken(int token) {
  selectedToken_ = token;
  setOverlay(Overlay::Attention);
  showOverlay();
}

void AttentionExplorer::showOverlay() {
  const int step = currentStep();
  const HeadRecord* h = step < 0 ? nullptr : grid_->headAt(selectedLayer_, selectedHead_);
  const CallRecord* call = h ? steps_.at(step)[size_t(selectedLayer_)] : nullptr;
  selectedRow_ = -1;
  if (!h || !call) {
    overlayBox_->hide();
    return;
  }
  const std::array<int64_t, 3> grid = call->grid;
  const int64_t F = grid[0], H = grid[1], W = grid[2];
  const int p = std::max(1, h->rowMapPool);
  const size_t cells = size_t(F * ((H + p - 1) / p) * ((W + p - 1) / p));
  const bool hasRows =
      !h->sampledRows.empty() && h->rowMaps.size() == h->sampledRows.size() * cells;
  const bool hasQueryLabels = h->queryLabels.size() == size_t(F * H * W);
  const bool hasKeyLabels = h->keyLabels.size() == size_t(F * H * W);
  overlayBox_->setVisible(hasRows || hasQueryLabels || hasKeyLabels);
  if (overlayBox_->isHidden()) return;

  // One picture per token frame: the first clip frame it covers.
  QVector<QImage> tiles;
  const int T = clip_.size();
  for (int64_t f = 0; f < F && T > 0; ++f) tiles << clip_[int(std::min<int64_t>(T - 1, f * T / F))];
  overlay_->setGrid(grid);
  overlay_->setFrames(tiles);

  Overlay mode = overlay();
  if ((mode == Overlay::QueryClusters && !hasQueryLabels) ||
      (mode == Overlay::KeyClusters && !hasKeyLabels) || (mode == Overlay::Attention && !hasRows))
    mode = hasRows          ? Overlay::Attention
           : hasQueryLabels ? Overlay::QueryClusters
                            : Overlay::KeyClusters;
  {
    const QSignalBlocker block(overlayMode_);
    overlayMode_->setCurrentIndex(int(mode));
  }
  auto describe = [&](int token) {
    const TokenPosition t = tokenPosition(token, grid);
    return tr("token %1 (frame %2, row %3, column %4)").arg(token).arg(t.frame).arg(t.y).arg(t.x);
  };
  if (mode == Overlay::Attention) {
    if (selectedToken_ < 0 || selectedToken_ >= F * H * W)
      selectedToken_ = tokenIndex({int(F / 2), int(H / 2), int(W / 2)}, grid);
    selectedRow_ = nearestRecordedRow(h->sampledRows, grid, selectedToken_);
    const int rowToken = h->sampledRows[size_t(selectedRow_)];
    overlay_->setLabels({});
    overlay_->setHeat(
        std::vector<uint8_t>(h->rowMaps.begin() + ptrdiff_t(selectedRow_ * cells),
                             h->rowMaps.begin() + ptrdiff_t((selectedRow_ + 1) * cells)),
        p);
    overlay_->setMarkers(selectedToken_, rowToken);
    QString text = tr("Clicked %1. Shown: recorded row %2 of %3, %4 (pink ring), the sampled "
                      "query nearest to it")
                       .arg(describe(selectedToken_))
                       .arg(selectedRow_)
                       .arg(h->sampledRows.size())
                       .arg(describe(rowToken));
    if (p > 1) text += tr("; keys pooled %1×%1").arg(p);
    overlayCaption_->setText(text + '.');
  } else {
    const std::vector<int32_t>& labels =
        mode == Overlay::QueryClusters ? h->queryLabels : h->keyLabels;
    overlay_->setHeat({}, 1);
    overlay_->setLabels(labels);
    overlay_->setMarkers(-1, -1);
    const int clusters = labels.empty() ? 0 : 1 + *std::max_element(labels.begin(), labels.end());
    overlayCaption_->setText((mode == Overlay::QueryClusters
                                  ? tr("Each token coloured by its query cluster (%1)")
                                  : tr("Each token coloured by its key cluster (%1)"))
                                 .arg(clusters));
  }
  auto* model = qobject_cast<QStandardItemModel*>(overlayMode_->model());
  if (model) {
    model->item(0)->setEnabled(hasRows);
    model->item(1)->setEnabled(hasQueryLabels);
    model->item(2)->setEnabled(hasKeyLabels);
  }
}

QString AttentionExplorer::detailText() const {
  return detail_->text();
}

}  // namespace svgen::ui
