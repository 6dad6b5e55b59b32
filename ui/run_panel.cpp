#include "ui/run_panel.h"

#include "ui/frame_view.h"
#include "ui/time_format.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace svgen::ui {

namespace {

// Engine stage names as people read them.
QString stageTitle(const QString& stage) {
  if (stage == "load") return RunPanel::tr("Loading the model…");
  if (stage == "encode") return RunPanel::tr("Encoding the prompt…");
  if (stage == "denoise") return RunPanel::tr("Denoising…");
  if (stage == "decode") return RunPanel::tr("Decoding frames…");
  if (stage.isEmpty()) return {};
  return stage.at(0).toUpper() + stage.mid(1) + QStringLiteral("…");
}

}  // namespace

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  tick_.setInterval(500);
  connect(&tick_, &QTimer::timeout, this, &RunPanel::updateDetail);
  stage_ = new QLabel(tr("Ready"), this);
  stage_->setObjectName("stage");
  QFont bold = stage_->font();
  bold.setBold(true);
  stage_->setFont(bold);

  bar_ = new QProgressBar(this);
  bar_->setRange(0, 1);
  bar_->setValue(0);
  bar_->setTextVisible(false);

  detail_ = new QLabel(this);
  detail_->setObjectName("progressText");
  detail_->setWordWrap(true);

  preview_ = new FrameView(this);
  preview_->setObjectName("preview");
  // Room for a 128×128 built-in clip at twice its size, and no more: the dock keeps space for what
  // comes below the preview.
  preview_->setMinimumSize(128, 264);
  preview_->setMaximumHeight(264);
  preview_->setPlaceholder(tr("Step previews appear here"));

  generate_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Generate"), this);
  generate_->setObjectName("generateButton");
  generate_->setToolTip(tr("Generate (Ctrl+Return)"));
  generate_->setDefault(true);
  cancel_ = new QPushButton(style()->standardIcon(QStyle::SP_MediaStop), tr("Cancel"), this);
  cancel_->setObjectName("cancelButton");
  cancel_->setToolTip(tr("Stop the run within one step (Esc)"));

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(generate_, 1);
  buttons->addWidget(cancel_);
  blocked_ = new QLabel(this);
  blocked_->setObjectName("runBlockedReason");
  blocked_->setWordWrap(true);
  blocked_->setStyleSheet(QStringLiteral("color: #e06060"));
  blocked_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  blocked_->hide();

  timings_ = new QLabel(this);
  timings_->setObjectName("timings");
  timings_->setWordWrap(true);
  timings_->setTextFormat(Qt::RichText);

  attention_ = new QLabel(this);
  attention_->setObjectName("attentionSummary");
  attention_->setWordWrap(true);
  attention_->setTextFormat(Qt::RichText);

  auto* column = column_ = new QVBoxLayout(this);
  column->addLayout(buttons);
  column->addWidget(blocked_);
  column->addSpacing(6);
  column->addWidget(stage_);
  column->addWidget(bar_);
  column->addWidget(detail_);
  column->addWidget(preview_);
  column->addWidget(timings_);
  column->addWidget(attention_);
  column->addStretch(1);

  connect(generate_, &QPushButton::clicked, this, &RunPanel::generateClicked);
  connect(cancel_, &QPushButton::clicked, this, &RunPanel::cancelClicked);
  setRunning(false);
}

QString RunPanel::stageText() const {
  return stage_->text();
}

QString RunPanel::progressText() const {
  return detail_->text();
}

void RunPanel::setBlockedReason(const QString& reason) {
  blockedReason_ = reason;
  blocked_->setText(reason.isEmpty() ? QString() : tr("Cannot run: %1").arg(reason));
  blocked_->setVisible(!reason.isEmpty());
  generate_->setEnabled(!running_ && reason.isEmpty());
}

void RunPanel::setRunning(bool running) {
  running_ = running;
  generate_->setEnabled(!running && blockedReason_.isEmpty());
  cancel_->setEnabled(running);
  if (running) {
    stage_->setText(tr("Starting…"));
    // The last run's numbers go: under a new run (or over "Cancelled") they would read as its.
    timings_->clear();
    attention_->clear();
    preview_->setImage({});
    step_ = total_ = 0;
    layer_ = -1;
    layers_ = 0;
    phase_.clear();
    eta_ = -1;
    clock_.start();
    tick_.start();
    updateDetail();
    // Busy until the first step reports: loading and encoding have no step count.
    bar_->setRange(0, 0);
  } else {
    tick_.stop();
    if (total_ > 0 && step_ >= total_) updateDetail();  // "20 steps — 00:14", no stale ETA
    if (bar_->maximum() == 0) {
      bar_->setRange(0, 1);
      bar_->setValue(0);
    }
  }
}

void RunPanel::updateDetail() {
  const QString elapsed = formatDuration(clock_.elapsed() / 1000.0);
  if (total_ <= 0) {
    detail_->setText(tr("%1 elapsed").arg(elapsed));
    return;
  }
  if (!tick_.isActive() && step_ >= total_) {  // the run is over: no ETA to give
    detail_->setText(tr("%1 steps — %2").arg(total_).arg(elapsed));
    return;
  }
  // Past the last report the ETA counts down with the clock, never below zero.
  const double sinceReport = (clock_.elapsed() - reportedAtMs_) / 1000.0;
  QString where = layer_ >= 0 && layers_ > 0 && step_ < total_
                      ? tr(", layer %1/%2").arg(layer_ + 1).arg(layers_)
                      : QString();
  if (!phase_.isEmpty() && step_ < total_) where += ", " + phase_;
  detail_->setText(tr("step %1/%2%3 — %4 elapsed — ETA %5")
                       .arg(std::min(step_ + 1, total_))
                       .arg(total_)
                       .arg(where, elapsed)
                       .arg(step_ >= total_ ? tr("decoding")
                                            : formatDuration(std::max(0.0, eta_ - sinceReport))));
}

void RunPanel::showLayer(int layer, int layers) {
  layer_ = layer;
  layers_ = layers;
  updateDetail();
}

void RunPanel::showPhase(const QString& phase) {
  phase_ = phase;
  updateDetail();
}

void RunPanel::showStage(const QString& stage) {
  stage_->setText(stageTitle(stage));
  if (stage != "denoise") bar_->setRange(0, 0);
}

void RunPanel::showProgress(int step, int total, double elapsedSeconds, double etaSeconds) {
  if (total <= 0) return;
  bar_->setRange(0, total);
  bar_->setValue(std::clamp(step, 0, total));
  // `step` steps are done: the one running now is the next.
  step_ = step;
  total_ = total;
  layer_ = -1;  // the next pass reports its own
  phase_.clear();
  eta_ = etaSeconds;
  reportedAtMs_ = clock_.isValid() ? clock_.elapsed() : 0;
  if (!clock_.isValid()) clock_.start();
  (void)elapsedSeconds;  // the panel's own clock counts from the start, loading included
  updateDetail();
}

void RunPanel::showPreview(int step, const QImage& frame) {
  preview_->setImage(frame);
  preview_->setToolTip(tr("Preview after step %1").arg(step));
}

void RunPanel::showTimings(const std::vector<StageTiming>& timings, double attentionSeconds) {
  QString rows;
  double total = 0;
  for (const StageTiming& t : timings) total += t.seconds;
  auto row = [&](const QString& name, double seconds) {
    const int percent = total > 0 ? static_cast<int>(std::lround(100 * seconds / total)) : 0;
    rows += QStringLiteral(
                "<tr><td>%1</td><td align='right'>&nbsp;%2 s</td>"
                "<td align='right'>&nbsp;%3%</td></tr>")
                .arg(name.toHtmlEscaped())
                .arg(seconds, 0, 'f', 2)
                .arg(percent);
  };
  for (const StageTiming& t : timings) row(QString::fromStdString(t.name), t.seconds);
  if (attentionSeconds > 0) row(tr("of which attention"), attentionSeconds);
  timings_->setText(tr("<b>Where the time went</b><table>%1</table>").arg(rows));
}

void RunPanel::showAttention(const QString& method, double density, double sparseDensity,
                             double attentionSeconds, bool recorded) {
  auto percent = [](double f) { return QStringLiteral("%1%").arg(100 * f, 0, 'f', 1); };
  const QString name = method.isEmpty() ? tr("dense") : method.toUpper();
  QString text =
      tr("<b>Attention</b> (%1): %2 of dense computed").arg(name.toHtmlEscaped(), percent(density));
  if (method != "dense" && !method.isEmpty())
    text += tr(", %1 in the sparse calls").arg(percent(sparseDensity));
  text += tr("; %1 s").arg(attentionSeconds, 0, 'f', 2);
  // The explorer is a tab away; the summary stays in front until the user goes there.
  if (recorded) text += tr(".<br>Each head's decision and maps: the <b>Attention</b> tab.");
  attention_->setText(text);
}

QString RunPanel::attentionText() const {
  return attention_->text();
}

QString RunPanel::timingsText() const {
  return timings_->text();
}

void RunPanel::setQueuePanel(QWidget* queue) {
  // Under the preview, above the last run's numbers: those grow after a run and would push the
  // queue's buttons out of view at 1280×800.
  const int at = column_->indexOf(preview_) + 1;
  column_->insertWidget(at, queue);
  column_->insertSpacing(at, 6);
}

QImage RunPanel::previewImage() const {
  return preview_->image();
}

void RunPanel::showOutcome(const QString& text, bool complete) {
  stage_->setText(text);
  if (bar_->maximum() == 0) bar_->setRange(0, 1);
  if (complete) bar_->setValue(bar_->maximum());
}

}  // namespace svgen::ui
