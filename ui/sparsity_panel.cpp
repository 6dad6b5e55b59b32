#include "ui/sparsity_panel.h"

#include "core/attention/method_registry.h"
#include "core/attention/warmup.h"
#include "ui/studio_settings.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>

namespace svgen::ui {

namespace {

QString fromStd(const std::string& s) {
  return QString::fromStdString(s);
}

QString percent(double fraction) {
  return QStringLiteral("%1%").arg(100 * fraction, 0, 'f', 1);
}

svgen::Preset corePreset(SparsityPanel::Preset p) {
  return kPresets[static_cast<int>(p)];
}

QString settingsKey(const ParameterSpec& spec) {
  return QStringLiteral("sparsity/") + fromStd(spec.name);
}

bool isWarmup(const ParameterSpec& spec) {
  const auto& w = warmup::parameters();
  return std::find(w.begin(), w.end(), &spec) != w.end();
}

// Whether the chosen method reads `spec`: its own parameters, and the warm-up for sparse ones.
bool reads(const MethodDescriptor* m, const ParameterSpec& spec) {
  return m && (m->reads(spec) || (m->sparse && isWarmup(spec)));
}

}  // namespace

SparsityPanel::SparsityPanel(QWidget* parent) : QWidget(parent) {
  buildLayout();
  // The studio starts on the balanced budgets, not the library's: they were measured better.
  loading_ = true;
  setConfig(presetConfig(Preset::Balanced));
  loading_ = false;
  refresh();
}

QWidget* SparsityPanel::makeInput(const ParameterSpec& spec, QWidget** rowWidget) {
  QWidget* input = nullptr;
  const QString tip = fromStd(spec.help);
  switch (spec.kind) {
    case ParameterKind::Real: {
      auto* box = new QDoubleSpinBox(this);
      box->setRange(spec.formMin.value_or(spec.min), spec.formMax.value_or(spec.max));
      box->setSingleStep(spec.step);
      box->setDecimals(spec.decimals);
      connect(box, &QDoubleSpinBox::valueChanged, this, &SparsityPanel::onValueEdited);
      input = box;
      break;
    }
    case ParameterKind::Count: {
      auto* box = new QSpinBox(this);
      const double top =
          std::min<double>(spec.formMax.value_or(spec.max), std::numeric_limits<int>::max());
      box->setRange(static_cast<int>(spec.formMin.value_or(spec.min)), static_cast<int>(top));
      box->setSingleStep(static_cast<int>(spec.step));
      if (!spec.zeroText.empty() && spec.min == 0) box->setSpecialValueText(fromStd(spec.zeroText));
      connect(box, &QSpinBox::valueChanged, this, &SparsityPanel::onValueEdited);
      input = box;
      break;
    }
    case ParameterKind::Path: {
      auto* line = new QLineEdit(this);
      line->setPlaceholderText(spec.fileName.empty()
                                   ? fromStd(spec.label)
                                   : tr("%1: next to the model").arg(fromStd(spec.label)));
      connect(line, &QLineEdit::textChanged, this, &SparsityPanel::onValueEdited);
      auto* browseButton = new QToolButton(this);
      browseButton->setObjectName(fromStd(spec.name) + "Browse");
      browseButton->setText(tr("Browse…"));
      connect(browseButton, &QToolButton::clicked, this,
              [this, &spec, line] { browse(spec, line); });
      auto* row = new QWidget(this);
      auto* h = new QHBoxLayout(row);
      h->setContentsMargins(0, 0, 0, 0);
      h->addWidget(line, 1);
      h->addWidget(browseButton);
      line->setObjectName(fromStd(spec.name));
      line->setToolTip(tip);
      *rowWidget = row;
      return line;
    }
  }
  input->setObjectName(fromStd(spec.name));
  input->setToolTip(tip);
  *rowWidget = input;
  return input;
}

void SparsityPanel::buildLayout() {
  method_ = new QComboBox(this);
  method_->setObjectName("method");
  for (const MethodDescriptor* m : attentionMethods()) {
    method_->addItem(fromStd(m->label), fromStd(m->id));
    method_->setItemData(method_->count() - 1, fromStd(m->description), Qt::ToolTipRole);
  }

  preset_ = new QComboBox(this);
  preset_->setObjectName("preset");
  for (Preset p : {Preset::Quality, Preset::Balanced, Preset::Fast, Preset::Custom})
    preset_->addItem(presetName(p), static_cast<int>(p));
  preset_->setToolTip(
      tr("Budgets measured on the built-in model (docs/benchmarks.md): Quality keeps about 30 dB "
         "PSNR against dense, Fast computes the least attention"));

  // One group box per parameter group, in the registry's order; the warm-up, which every sparse
  // method shares, last.
  std::map<std::string, std::pair<QGroupBox*, QFormLayout*>> byGroup;
  std::vector<const ParameterSpec*> specs = attentionParameters();
  std::stable_partition(specs.begin(), specs.end(),
                        [](const ParameterSpec* s) { return !isWarmup(*s); });
  for (const ParameterSpec* spec : specs) {
    if (!spec->inForm) continue;
    auto [it, added] = byGroup.try_emplace(spec->group);
    if (added) {
      auto* box = new QGroupBox(fromStd(spec->groupTitle), this);
      box->setObjectName(fromStd(spec->group) + "Group");
      auto* form = new QFormLayout(box);
      form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
      it->second = {box, form};
      groups_.push_back(box);
    }
    QWidget* row = nullptr;
    QWidget* input = makeInput(*spec, &row);
    // A file takes the whole width of its group: paths are long, its label is its placeholder.
    if (spec->kind == ParameterKind::Path)
      it->second.second->addRow(row);
    else
      it->second.second->addRow(fromStd(spec->label), row);
    fields_.push_back({spec, row, input, it->second.first, it->second.second});
  }

  estimate_ = new QLabel(this);
  estimate_->setObjectName("estimate");
  estimate_->setWordWrap(true);
  estimate_->setTextFormat(Qt::RichText);
  speed_ = new QLabel(this);
  speed_->setObjectName("measuredSpeed");
  speed_->setWordWrap(true);
  speed_->setTextFormat(Qt::RichText);
  speed_->setVisible(false);
  problems_ = new QLabel(this);
  problems_->setObjectName("problems");
  problems_->setWordWrap(true);
  problems_->setStyleSheet(QStringLiteral("color: #e05050;"));

  top_ = new QFormLayout;
  top_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  top_->addRow(tr("Method"), method_);
  top_->addRow(tr("Preset"), preset_);

  // What the run will cost comes right under the method, where it stays in view at 1280×800;
  // the budgets' groups follow.
  auto* column = new QVBoxLayout(this);
  column->addLayout(top_);
  column->addWidget(estimate_);
  column->addWidget(speed_);
  column->addWidget(problems_);
  for (QGroupBox* group : groups_) column->addWidget(group);
  column->addStretch(1);

  connect(method_, &QComboBox::currentIndexChanged, this, &SparsityPanel::onValueEdited);
  connect(preset_, &QComboBox::activated, this, [this](int index) {
    applyPreset(static_cast<Preset>(preset_->itemData(index).toInt()));
  });
}

double SparsityPanel::fieldNumber(const Field& f) const {
  if (auto* box = qobject_cast<QDoubleSpinBox*>(f.input)) return box->value();
  return static_cast<QSpinBox*>(f.input)->value();
}

std::string SparsityPanel::fieldText(const Field& f) const {
  return static_cast<QLineEdit*>(f.input)->text().trimmed().toStdString();
}

void SparsityPanel::setField(const Field& f, const AttentionConfig& c) {
  if (auto* box = qobject_cast<QDoubleSpinBox*>(f.input))
    box->setValue(c.number(*f.spec));
  else if (auto* box = qobject_cast<QSpinBox*>(f.input))
    box->setValue(
        static_cast<int>(std::clamp<double>(c.number(*f.spec), box->minimum(), box->maximum())));
  else
    static_cast<QLineEdit*>(f.input)->setText(fromStd(c.text(*f.spec)));
}

AttentionConfig SparsityPanel::config() const {
  AttentionConfig c = base_;
  c.method = method_->currentData().toString().toStdString();
  for (const Field& f : fields_) {
    if (f.spec->kind == ParameterKind::Path)
      c.setText(*f.spec, fieldText(f));
    else
      c.setNumber(*f.spec, fieldNumber(f));
  }
  return c;
}

void SparsityPanel::setConfig(const AttentionConfig& c) {
  const bool wasLoading = loading_;
  loading_ = true;
  base_ = c;
  const int method = method_->findData(fromStd(c.method));
  method_->setCurrentIndex(std::max(0, method));
  for (const Field& f : fields_) setField(f, c);
  loading_ = wasLoading;
  if (!loading_) {
    refresh();
    emit edited();
  }
}

QString SparsityPanel::presetName(Preset preset) {
  if (preset == Preset::Custom) return tr("Custom");
  return tr(presetLabel(corePreset(preset)));
}

AttentionConfig SparsityPanel::presetConfig(Preset preset, const AttentionConfig& base) {
  if (preset == Preset::Custom) return base;
  return withPreset(base, corePreset(preset));
}

void SparsityPanel::applyPreset(Preset preset) {
  if (preset == Preset::Custom) {
    refresh();  // a preset box set to Custom by hand goes back to what the values match
    return;
  }
  setConfig(presetConfig(preset, config()));
}

SparsityPanel::Preset SparsityPanel::preset() const {
  const std::optional<svgen::Preset> p = matchingPreset(config());
  return p ? static_cast<Preset>(static_cast<int>(*p)) : Preset::Custom;
}

void SparsityPanel::setClip(const ModelInfo& info, int frames, int width, int height, int steps) {
  info_ = info;
  grid_ = tokenGrid(info, frames, width, height);
  steps_ = steps;
  refresh();
}

std::array<int64_t, 3> SparsityPanel::tokenGrid(const ModelInfo& info, int frames, int width,
                                                int height) {
  return info.tokenGrid(frames, width, height);
}

double SparsityPanel::sparseDensityEstimate() const {
  const AttentionConfig c = config();
  const MethodDescriptor* m = findAttentionMethod(c.method);
  if (!m || !m->estimateDensity) return -1;
  return m->estimateDensity(c, grid_);
}

double SparsityPanel::warmupStepShare() const {
  const double f = config().get(warmup::fraction);
  if (steps_ <= 0) return f;
  // As the engine decides it: the first lround(fraction · steps) steps run dense.
  return static_cast<double>(std::lround(f * steps_)) / steps_;
}

double SparsityPanel::warmupLayerShare() const {
  const int layers = config().get(warmup::layers);
  if (info_.layers <= 0) return 0;
  return static_cast<double>(std::min(layers, info_.layers)) / info_.layers;
}

double SparsityPanel::overallDensityEstimate() const {
  const double sparse = sparseDensityEstimate();
  if (sparse < 0) return -1;
  const MethodDescriptor* m = findAttentionMethod(config().method);
  if (!m || !m->sparse) return 1.0;
  const double w = warmupStepShare();
  const double l = warmupLayerShare();
  return w + (1 - w) * (l + (1 - l) * sparse);
}

QString SparsityPanel::estimateText() const {
  const AttentionConfig c = config();
  const MethodDescriptor* m = findAttentionMethod(c.method);
  if (!m || !m->sparse) return tr("Attention: 100% of dense (every score computed).");
  const int64_t tokens = grid_[0] * grid_[1] * grid_[2];
  const double fraction = c.get(warmup::fraction);
  const int layers = c.get(warmup::layers);
  QString warmupText =
      steps_ > 0
          ? tr("dense warm-up %1 of %2 steps").arg(std::lround(fraction * steps_)).arg(steps_)
          : tr("dense warm-up %1 of the steps").arg(percent(fraction));
  if (layers >= info_.layers && info_.layers > 0)
    warmupText += tr(", and all %1 layers on every step: this run is dense").arg(info_.layers);
  else if (layers > 0)
    warmupText += tr(", and the first %1 of %2 layers on every step").arg(layers).arg(info_.layers);
  const QString grid = tr("grid %1×%2×%3 = %4 tokens")
                           .arg(grid_[0])
                           .arg(grid_[1])
                           .arg(grid_[2])
                           .arg(QLocale(QLocale::English).toString(static_cast<qlonglong>(tokens)));
  if (m->estimateDensity) {
    return tr("<b>Attention ≈ %1 of dense</b><br><small>estimate: sparse steps %2 (%3's masks "
              "at this size), %4; %5</small>")
        .arg(percent(overallDensityEstimate()), percent(sparseDensityEstimate()), fromStd(m->label),
             warmupText, grid);
  }
  const double w = warmupStepShare();
  const double l = warmupLayerShare();
  const QString budget = m->budget ? QStringLiteral(" (%1 %2)")
                                         .arg(fromStd(m->budget->noun))
                                         .arg(c.number(*m->budget), 0, 'f', m->budget->decimals)
                                   : QString();
  // The dense share of each sparse step (its warm-up layers) is known; the rest is the data's.
  const double known = w + (1 - w) * l;
  return tr("<b>Attention ≈ data-dependent%1</b><br><small>whole run ≈ %2 + %3 × the "
            "sparse layers' density; %4; %5</small>")
      .arg(budget, percent(known), percent(1 - known), warmupText, grid);
}

void SparsityPanel::setMeasuredSpeedup(double speedup, const QString& when) {
  measuredSpeedup_ = speedup;
  measuredWhen_ = when;
  refresh();
}

QString SparsityPanel::speedText() const {
  const MethodDescriptor* m = findAttentionMethod(config().method);
  if (!m || !m->sparse || measuredSpeedup_ <= 0) return {};
  const QString x = QString::number(measuredSpeedup_, 'f', 2);
  const QString when = measuredWhen_.isEmpty() ? QString() : tr(" (%1)").arg(measuredWhen_);
  if (measuredSpeedup_ < 1)
    return tr("<span style=\"color:#d08020\"><b>Likely slower than dense here:</b> these "
              "settings ran at %1× of their dense twin on this device%2.</span>")
        .arg(x, when);
  return tr("These settings ran %1× faster than their dense twin on this device%2.").arg(x, when);
}

QStringList SparsityPanel::problems() const {
  const AttentionConfig c = config();
  const MethodDescriptor* m = findAttentionMethod(c.method);
  QStringList list;
  for (const std::string& p : attentionConfigProblems(c)) list << fromStd(p);
  for (const Field& f : fields_) {
    if (f.spec->kind != ParameterKind::Path || !reads(m, *f.spec)) continue;
    const std::string path = c.text(*f.spec);
    if (!path.empty() && !QFileInfo::exists(fromStd(path)))
      list << tr("%1 %2 does not exist").arg(fromStd(f.spec->noun), fromStd(path));
  }
  return list;
}

void SparsityPanel::saveSettings(QSettings& s) const {
  const AttentionConfig c = config();
  s.setValue(keys::kSparsityMethod, fromStd(c.method));
  for (const Field& f : fields_) {
    if (f.spec->kind == ParameterKind::Path)
      s.setValue(settingsKey(*f.spec), fromStd(c.text(*f.spec)));
    else
      s.setValue(settingsKey(*f.spec), c.number(*f.spec));
  }
}

void SparsityPanel::restoreSettings(const QSettings& s) {
  AttentionConfig c = config();
  c.method = s.value(keys::kSparsityMethod, fromStd(c.method)).toString().toStdString();
  for (const Field& f : fields_) {
    const QString key = settingsKey(*f.spec);
    if (!s.contains(key)) continue;
    if (f.spec->kind == ParameterKind::Path)
      c.setText(*f.spec, s.value(key).toString().toStdString());
    else
      c.setNumber(*f.spec, s.value(key).toDouble());
  }
  setConfig(c);
}

void SparsityPanel::onValueEdited() {
  if (loading_) return;
  refresh();
  emit edited();
}

void SparsityPanel::refresh() {
  const MethodDescriptor* m = findAttentionMethod(method_->currentData().toString().toStdString());
  const bool sparse = m && m->sparse;
  top_->setRowVisible(preset_, sparse);
  preset_->setEnabled(sparse);
  for (QGroupBox* group : groups_) {
    bool any = false;
    for (const Field& f : fields_) {
      if (f.group != group) continue;
      const bool on = reads(m, *f.spec);
      f.form->setRowVisible(f.editor, on);
      f.editor->setEnabled(on);
      any = any || on;
    }
    group->setVisible(any);
    group->setEnabled(any);
  }

  {
    const QSignalBlocker block(preset_);
    preset_->setCurrentIndex(preset_->findData(static_cast<int>(preset())));
  }
  estimate_->setText(estimateText());
  const QString speed = speedText();
  speed_->setText(speed);
  speed_->setVisible(!speed.isEmpty());
  const QStringList list = problems();
  problems_->setText(list.join('\n'));
  problems_->setVisible(!list.isEmpty());
}

void SparsityPanel::browse(const ParameterSpec& spec, QWidget* input) {
  auto* line = static_cast<QLineEdit*>(input);
  QString start = line->text().trimmed();
  if (start.isEmpty() && !info_.directory.empty())
    start = QDir(fromStd(info_.directory)).filePath(fromStd(spec.fileName));
  const QString suffix = QFileInfo(fromStd(spec.fileName)).suffix();
  const QString filter = suffix.isEmpty()
                             ? tr("All files (*)")
                             : tr("%1 (*.%2);;All files (*)").arg(fromStd(spec.noun)).arg(suffix);
  const QString path = QFileDialog::getOpenFileName(this, fromStd(spec.noun), start, filter);
  if (!path.isEmpty()) line->setText(path);
}

}  // namespace svgen::ui
