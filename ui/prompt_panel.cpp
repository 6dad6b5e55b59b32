#include "ui/prompt_panel.h"

#include "core/pipeline/engine.h"
#include "ui/model_picker.h"
#include "ui/start_image_field.h"
#include "ui/stepped_spin_box.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QSet>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace svgen::ui {

namespace {

// Used until a model has been described, so the panel is never without limits.
constexpr int kFallbackMaxSize = 4096;
constexpr int kFallbackMaxFrames = 1024;
constexpr int kMaxSteps = 200;

QString fromStd(const std::string& s) {
  return QString::fromStdString(s);
}

}  // namespace

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
  buildLayout();
  setModelInfo(ModelInfo{});
  setDevices({});
}

void PromptPanel::buildLayout() {
  picker_ = new ModelPicker(this);
  picker_->setObjectName("modelPicker");

  prompt_ = new QPlainTextEdit(this);
  prompt_->setObjectName("prompt");
  prompt_->setPlaceholderText(tr("a red circle moving right on a blue background"));
  prompt_->setTabChangesFocus(true);
  prompt_->setMaximumHeight(prompt_->fontMetrics().lineSpacing() * 5);
  defaultsNotice_ = new QLabel(this);
  defaultsNotice_->setObjectName("defaultsNotice");
  defaultsNotice_->setWordWrap(true);
  defaultsNotice_->hide();
  promptNotice_ = new QLabel(this);
  promptNotice_->setObjectName("promptNotice");
  promptNotice_->setWordWrap(true);
  promptNotice_->hide();
  wordHint_ = new QLabel(this);
  wordHint_->setWordWrap(true);
  wordHint_->setTextFormat(Qt::RichText);

  startImage_ = new StartImageField(this);
  startImageLabel_ = new QLabel(tr("Start image"), this);

  negative_ = new QLineEdit(this);
  negative_->setObjectName("negativePrompt");
  negative_->setPlaceholderText(tr("what to avoid (optional)"));

  frames_ = new SteppedSpinBox(this);
  frames_->setObjectName("frames");
  duration_ = new QLabel(this);
  width_ = new SteppedSpinBox(this);
  width_->setObjectName("width");
  height_ = new SteppedSpinBox(this);
  height_->setObjectName("height");

  steps_ = new QSpinBox(this);
  steps_->setObjectName("steps");
  steps_->setRange(1, kMaxSteps);
  steps_->setToolTip(tr("Denoising steps: more steps, finer detail, longer runs"));

  guidance_ = new QDoubleSpinBox(this);
  guidance_->setObjectName("guidance");
  guidance_->setRange(0, 30);
  guidance_->setSingleStep(0.5);
  guidance_->setDecimals(2);  // its tooltip follows the model (updateExpertRow)

  lowNoiseGuidance_ = new QDoubleSpinBox(this);
  lowNoiseGuidance_->setObjectName("lowNoiseGuidance");
  lowNoiseGuidance_->setRange(0, 30);
  lowNoiseGuidance_->setSingleStep(0.5);
  lowNoiseGuidance_->setDecimals(2);
  lowNoiseGuidance_->setToolTip(
      tr("Guidance of the low-noise expert, which finishes the clip's detail (the first field "
         "guides the high-noise expert, which lays out the scene)"));
  lowNoiseLabel_ = new QLabel(tr("low noise"), this);

  shift_ = new QDoubleSpinBox(this);
  shift_->setObjectName("shift");
  shift_->setRange(0, 30);
  shift_->setSingleStep(0.5);
  shift_->setDecimals(2);
  shift_->setToolTip(tr("Flow-matching schedule shift: higher spends more steps on coarse shape"));

  seed_ = new QLineEdit(this);
  seed_->setObjectName("seed");
  seed_->setValidator(
      new QRegularExpressionValidator(QRegularExpression(QStringLiteral("\\d{1,19}")), seed_));
  auto* dice = new QToolButton(this);
  dice->setText(tr("Random"));
  dice->setToolTip(tr("Draw a new seed"));
  seedLock_ = new QCheckBox(tr("Lock"), this);
  seedLock_->setObjectName("seedLock");
  seedLock_->setToolTip(
      tr("Locked: every run uses this seed. Unlocked: each run draws a new one."));
  seedLock_->setChecked(true);

  sampler_ = new QComboBox(this);
  sampler_->setObjectName("sampler");
  sampler_->addItem(tr("UniPC (fewer steps)"), "unipc");
  sampler_->addItem(tr("Euler"), "euler");
  sampler_->addItem(tr("DPM++ 2M (Wan's solver)"), "dpm++");
  sampler_->addItem(tr("Ancestral (fresh noise each step)"), "ancestral");

  device_ = new QComboBox(this);
  device_->setObjectName("device");

  vram_ = new QDoubleSpinBox(this);
  vram_->setObjectName("vram");
  vram_->setRange(0, 4096);
  vram_->setDecimals(1);
  vram_->setSingleStep(1);
  vram_->setSuffix(tr(" GiB"));
  vram_->setSpecialValueText(tr("whole card"));
  vram_->setToolTip(
      tr("GPU memory the run may use. It is enforced, so a large card fails as a card of this "
         "size would. The run saves what it must to fit, cheapest first: the feed-forward in "
         "chunks, the two guidance passes in turn, the decode in tiles, the text encoder on "
         "the CPU, the denoiser's blocks streamed from system memory."));
  tiledDecode_ = new QCheckBox(tr("Tiled decode"), this);
  tiledDecode_->setObjectName("tiledDecode");
  tiledDecode_->setToolTip(
      tr("Decode in overlapping 256-pixel tiles: a few GiB instead of the "
         "whole frame's, at a small cost in time"));
  memoryHint_ = new QLabel(this);
  memoryHint_->setObjectName("memoryHint");
  memoryHint_->setWordWrap(true);

  auto* defaults = new QPushButton(tr("Reset to model defaults"), this);

  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->addRow(tr("Model"), picker_);
  form->addRow(startImageLabel_, startImage_);
  form->addRow(tr("Prompt"), prompt_);
  form->addRow(QString(), promptNotice_);
  form->addRow(QString(), defaultsNotice_);
  form->addRow(QString(), wordHint_);
  form->addRow(tr("Negative"), negative_);
  auto* framesRow = new QHBoxLayout;
  framesRow->addWidget(frames_, 1);
  framesRow->addWidget(duration_);
  form->addRow(tr("Frames"), framesRow);
  auto* sizeRow = new QHBoxLayout;
  sizeRow->addWidget(width_, 1);
  sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
  sizeRow->addWidget(height_, 1);
  form->addRow(tr("Size"), sizeRow);
  form->addRow(tr("Steps"), steps_);
  auto* guidanceRow = new QHBoxLayout;
  guidanceRow->addWidget(guidance_, 1);
  guidanceRow->addWidget(lowNoiseLabel_);
  guidanceRow->addWidget(lowNoiseGuidance_, 1);
  form->addRow(tr("Guidance"), guidanceRow);
  form->addRow(tr("Shift"), shift_);
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(seed_, 1);
  seedRow->addWidget(dice);
  seedRow->addWidget(seedLock_);
  form->addRow(tr("Seed"), seedRow);
  form->addRow(tr("Sampler"), sampler_);
  form->addRow(tr("Device"), device_);
  auto* memoryRow = new QHBoxLayout;
  memoryRow->addWidget(vram_, 1);
  memoryRow->addWidget(tiledDecode_);
  form->addRow(tr("GPU memory"), memoryRow);
  form->addRow(QString(), memoryHint_);

  auto* column = new QVBoxLayout(this);
  column->addLayout(form);
  column->addWidget(defaults, 0, Qt::AlignRight);
  column->addStretch(1);

  connect(dice, &QToolButton::clicked, this, &PromptPanel::randomiseSeed);
  connect(defaults, &QPushButton::clicked, this, &PromptPanel::resetToDefaults);
  connect(prompt_, &QPlainTextEdit::textChanged, this, [this] {
    updateHints();
    emit edited();
  });
  connect(frames_, &QSpinBox::valueChanged, this, [this] {
    updateHints();
    emit edited();
  });
  connect(device_, &QComboBox::currentIndexChanged, this, [this] {
    updateMemoryHint();
    emit deviceChanged();
    emit edited();
  });
  for (QSpinBox* box : {static_cast<QSpinBox*>(width_), static_cast<QSpinBox*>(height_), steps_})
    connect(box, &QSpinBox::valueChanged, this, &PromptPanel::edited);
  for (QDoubleSpinBox* box : {guidance_, lowNoiseGuidance_, shift_})
    connect(box, &QDoubleSpinBox::valueChanged, this, &PromptPanel::edited);
  connect(negative_, &QLineEdit::textEdited, this, &PromptPanel::edited);
  connect(startImage_, &StartImageField::changed, this, [this] {
    updateStartImageRow();
    emit edited();
  });
  for (QSpinBox* box : {static_cast<QSpinBox*>(width_), static_cast<QSpinBox*>(height_)})
    connect(box, &QSpinBox::valueChanged, this,
            [this] { startImage_->setClipSize(width_->value(), height_->value()); });
  connect(seed_, &QLineEdit::textChanged, this, &PromptPanel::edited);
  connect(sampler_, &QComboBox::currentIndexChanged, this, &PromptPanel::edited);
  connect(vram_, &QDoubleSpinBox::valueChanged, this, [this] {
    updateMemoryHint();
    emit edited();
  });
  connect(tiledDecode_, &QCheckBox::toggled, this, [this] {
    updateMemoryHint();
    emit edited();
  });
  // The memory estimate follows the token count and the guidance batch.
  for (QSpinBox* box : {static_cast<QSpinBox*>(width_), static_cast<QSpinBox*>(height_),
                        static_cast<QSpinBox*>(frames_)})
    connect(box, &QSpinBox::valueChanged, this, &PromptPanel::updateMemoryHint);
  connect(guidance_, &QDoubleSpinBox::valueChanged, this, &PromptPanel::updateMemoryHint);
  connect(lowNoiseGuidance_, &QDoubleSpinBox::valueChanged, this, &PromptPanel::updateMemoryHint);
}

void PromptPanel::setModelInfo(const ModelInfo& info) {
  const bool hadModel = !info_.label.empty();
  const QString previousLabel = fromStd(info_.label);
  const QStringList before = {QString::number(frames_->value()),
                              QStringLiteral("%1×%2").arg(width_->value()).arg(height_->value()),
                              QString::number(steps_->value())};
  info_ = info;
  base_.model = info.id.empty() ? base_.model : info.id;

  const int maxFrames = info.maxFrames > 0 ? info.maxFrames : kFallbackMaxFrames;
  const int firstFrames = info.frameOffset > 0 ? info.frameOffset : info.frameMultiple;
  frames_->setGrid(info.frameMultiple, info.frameOffset, std::max(1, firstFrames), maxFrames);
  const int minSize = std::max(info.minSize, info.sizeMultiple);
  const int maxSize = info.maxSize > 0 ? info.maxSize : kFallbackMaxSize;
  width_->setGrid(info.sizeMultiple, 0, minSize, maxSize);
  height_->setGrid(info.sizeMultiple, 0, minSize, maxSize);
  for (SteppedSpinBox* box : {width_, height_})
    box->setToolTip(tr("Pixels, a multiple of %1 from %2 to %3")
                        .arg(box->multiple())
                        .arg(box->minimum())
                        .arg(box->maximum()));
  frames_->setToolTip(info.frameMultiple > 1 ? tr("Frames: %1k + %2, up to %3")
                                                   .arg(info.frameMultiple)
                                                   .arg(info.frameOffset)
                                                   .arg(frames_->maximum())
                                             : tr("Frames, up to %1").arg(frames_->maximum()));

  // Guidance inside the network (HunyuanVideo) has no negative pass to steer.
  negative_->setEnabled(!info.embeddedGuidance);
  negative_->setToolTip(info.embeddedGuidance
                            ? tr("Not used by this model: its guidance is an input of the network, "
                                 "one pass a step")
                            : QString());

  QStringList words;
  for (const auto& w : info.vocabulary) words << fromStd(w);
  prompt_->setToolTip(words.isEmpty() ? QString()
                                      : tr("Words this model knows:\n%1").arg(words.join(", ")));
  resetToDefaults();

  const QStringList after = {QString::number(frames_->value()),
                             QStringLiteral("%1×%2").arg(width_->value()).arg(height_->value()),
                             QString::number(steps_->value())};
  if (hadModel && before != after) {
    defaultsNotice_->setText(
        tr("<small>%1's defaults: %2 frames, %3, %4 steps (were %5 frames, %6, %7 steps with "
           "%8)</small>")
            .arg(fromStd(info.label).toHtmlEscaped(), after[0], after[1], after[2], before[0],
                 before[1], before[2], previousLabel.toHtmlEscaped()));
    defaultsNotice_->show();
  } else {
    defaultsNotice_->hide();
  }
}

QString PromptPanel::defaultsNotice() const {
  return defaultsNotice_->isVisible() ? defaultsNotice_->text() : QString();
}

void PromptPanel::setDevices(const std::vector<std::string>& devices) {
  QSignalBlocker block(device_);
  const QString current = device_->currentData().toString();
  device_->clear();
  QString best = tr("cpu");
  for (const auto& d : devices)
    if (QString::fromStdString(d).startsWith("cuda")) {
      best = fromStd(d);
      break;
    }
  device_->addItem(tr("auto (%1)").arg(best), "auto");
  for (const auto& d : devices) {
    const QString text = fromStd(d);
    // Engine::devices() says "cuda:0 NVIDIA H200"; the request wants the id before the name.
    device_->addItem(text, text.section(' ', 0, 0));
  }
  const int keep = device_->findData(current);
  device_->setCurrentIndex(keep >= 0 ? keep : 0);
  updateMemoryHint();
}

GenerationRequest PromptPanel::request() const {
  GenerationRequest r = base_;
  r.model = picker_->model().toStdString();
  r.prompt = prompt_->toPlainText().simplified().toStdString();
  r.negativePrompt = info_.embeddedGuidance ? "" : negative_->text().simplified().toStdString();
  r.frames = frames_->value();
  r.width = width_->value();
  r.height = height_->value();
  r.steps = steps_->value();
  r.guidance = guidance_->value();
  r.lowNoiseGuidance = info_.expertBoundary > 0 ? lowNoiseGuidance_->value() : -1;
  r.shift = shift_->value();
  bool ok = false;
  const qulonglong seed = seed_->text().toULongLong(&ok);
  r.seed = ok ? seed : base_.seed;
  r.sampler = sampler_->currentData().toString().toStdString();
  r.device = device_->currentData().toString().toStdString();
  r.vramGiB = vram_->value();
  r.tiledDecode = tiledDecode_->isChecked();
  r.imagePath = startImage_->path().toStdString();
  return r;
}

void PromptPanel::setRequest(const GenerationRequest& r) {
  base_ = r;
  prompt_->setPlainText(fromStd(r.prompt));
  negative_->setText(fromStd(r.negativePrompt));
  frames_->setSnappedValue(r.frames > 0 ? r.frames : info_.defaultFrames);
  width_->setSnappedValue(r.width > 0 ? r.width : info_.defaultWidth);
  height_->setSnappedValue(r.height > 0 ? r.height : info_.defaultHeight);
  steps_->setValue(r.steps > 0 ? r.steps : info_.defaultSteps);
  guidance_->setValue(r.guidance >= 0 ? r.guidance : info_.defaultGuidance);
  lowNoiseGuidance_->setValue(resolvedLowNoiseGuidance(r, info_));
  updateExpertRow();
  shift_->setValue(r.shift >= 0 ? r.shift : info_.defaultShift);
  seed_->setText(QString::number(r.seed));
  const int sampler =
      sampler_->findData(fromStd(r.sampler.empty() ? info_.defaultSampler : r.sampler));
  sampler_->setCurrentIndex(std::max(0, sampler));
  int device = device_->findData(fromStd(r.device));
  if (device < 0 && r.device == "cuda") device = device_->findData("cuda:0");
  device_->setCurrentIndex(std::max(0, device));
  vram_->setValue(r.vramGiB);
  tiledDecode_->setChecked(r.tiledDecode);
  if (startImage_->path() != fromStd(r.imagePath)) startImage_->setPath(fromStd(r.imagePath));
  startImage_->setClipSize(width_->value(), height_->value());
  updateStartImageRow();
  updateHints();
  updateMemoryHint();
}

void PromptPanel::updateStartImageRow() {
  // A text-to-video model hides the row, unless an image is set: the run's check then says the
  // model takes none, and Clear is at hand.
  const bool show = info_.imageToVideo || !startImage_->path().isEmpty();
  startImage_->setOptional(info_.imageOptional);
  startImage_->setVisible(show);
  startImageLabel_->setVisible(show);
}

void PromptPanel::updateExpertRow() {
  const bool experts = info_.expertBoundary > 0;
  lowNoiseGuidance_->setVisible(experts);
  lowNoiseLabel_->setVisible(experts);
  guidance_->setToolTip(
      experts ? tr("Guidance of the high-noise expert (timesteps from %1 up), which lays out the "
                   "scene; how strongly the clip follows the prompt")
                    .arg(static_cast<int>(info_.expertBoundary))
              : tr("Classifier-free guidance: how strongly the clip follows the prompt"));
}

void PromptPanel::resetToDefaults() {
  GenerationRequest r = request();
  r.frames = r.width = r.height = r.steps = 0;
  r.guidance = r.lowNoiseGuidance = r.shift = -1;
  setRequest(r);
}

bool PromptPanel::seedLocked() const {
  return seedLock_->isChecked();
}

void PromptPanel::setSeedLocked(bool locked) {
  seedLock_->setChecked(locked);
}

void PromptPanel::randomiseSeed() {
  // 32 bits: easy to read out, note down and type back in.
  seed_->setText(QString::number(QRandomGenerator::global()->generate()));
}

QString PromptPanel::deviceDescription() const {
  return device_->currentText();
}

bool PromptPanel::checkPromptGiven() {
  if (!prompt_->toPlainText().simplified().isEmpty()) return true;
  promptNotice_->setText(
      tr("<span style='color:#f0a040'>Type a prompt first: the grey text is only an example."
         "</span>"));
  promptNotice_->show();
  prompt_->setFocus();
  return false;
}

QString PromptPanel::promptNotice() const {
  return promptNotice_->isVisible() ? promptNotice_->text() : QString();
}

QString PromptPanel::memoryHint() const {
  return memoryHint_->isHidden() ? QString() : memoryHint_->text();
}

void PromptPanel::updateMemoryHint() {
  const int w = width_->value(), h = height_->value();
  const double whole = info_.decodeGiB(w, h, false);
  if (whole <= 0 && info_.memory.weightsGiB <= 0) {
    memoryHint_->hide();
    return;
  }
  const double budget = vram_->value();
  const MemoryPlan plan = Engine::planMemory(info_, request(), budget);
  auto gib = [](double v) { return QString::number(v, 'f', 1); };
  // "auto" runs on the GPU when the list's best device is one.
  const QString device = device_->currentData().toString();
  const bool onGpu =
      device.startsWith("cuda") || (device == "auto" && device_->currentText().contains("cuda"));
  QString text = onGpu ? tr("Estimated GPU memory at %1×%2: ")
                       : tr("This run is on the CPU, "
                            "where no GPU budget applies. "
                            "On a GPU at %1×%2 it would "
                            "hold: ");
  text =
      text.arg(w).arg(h) + tr("encode %1, denoise %2, decode %3 GiB (whole frame %4 GiB, in "
                              "tiles %5 GiB, beside the weights).")
                               .arg(gib(plan.encodeGiB), gib(plan.denoiseGiB), gib(plan.decodeGiB),
                                    gib(whole), gib(info_.decodeGiB(w, h, true)));
  QStringList levers;
  if (plan.ffnInChunks) levers << tr("feed-forward in chunks");
  if (plan.guidanceInTurn) levers << tr("the two guidance passes in turn");
  if (plan.tiledDecode && !tiledDecode_->isChecked()) levers << tr("decode in tiles");
  if (plan.textEncoderOnCpu) levers << tr("text encoder on the CPU");
  if (plan.streamBlocks) levers << tr("blocks streamed from system memory");
  if (budget > 0 && !levers.isEmpty())
    text += (onGpu ? tr(" To fit %1 GiB the run will use: %2.")
                   : tr(" To fit %1 GiB a GPU run would use: %2."))
                .arg(gib(budget), levers.join(", "));
  if (!plan.fits())
    text += tr(" Even so it needs about %1 GiB: fewer frames, a smaller size or fp8/GGUF weights "
               "would fit.")
                .arg(gib(plan.peakGiB()));
  memoryHint_->setText(QStringLiteral("<small>%1</small>").arg(text.toHtmlEscaped()));
  memoryHint_->show();
}

void PromptPanel::updateHints() {
  if (!prompt_->toPlainText().simplified().isEmpty()) promptNotice_->hide();
  const double fps = info_.fps > 0 ? info_.fps : 8.0;
  duration_->setText(tr("%1 s").arg(frames_->value() / fps, 0, 'f', 1));

  if (info_.vocabulary.empty()) {
    wordHint_->clear();
    wordHint_->hide();
    return;
  }
  QSet<QString> known;
  for (const auto& w : info_.vocabulary) known.insert(fromStd(w).toLower());
  QStringList unknown;
  static const QRegularExpression separators(QStringLiteral("[^\\p{L}\\p{N}']+"));
  for (const QString& w : prompt_->toPlainText().toLower().split(separators, Qt::SkipEmptyParts))
    if (!known.contains(w) && !unknown.contains(w)) unknown << w;
  wordHint_->show();
  if (unknown.isEmpty()) {
    wordHint_->setText(
        tr("<small>%1 words known to this model (hover the prompt)</small>").arg(known.size()));
  } else {
    wordHint_->setText(tr("<small><span style='color:#f0a040'>Not in the model's words: "
                          "%1</span></small>")
                           .arg(unknown.join(", ").toHtmlEscaped()));
  }
}

}  // namespace svgen::ui
