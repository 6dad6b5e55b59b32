#include "ui/sparsity_panel.h"

#include "core/attention/svg_masks.h"
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

namespace svgen::ui {

namespace {

constexpr int kMaxWarmupLayers = 64;

QString fromStd(const std::string& s) {
  return QString::fromStdString(s);
}

bool near(double a, double b) {
  return std::abs(a - b) < 1e-6;
}

QString percent(double fraction) {
  return QStringLiteral("%1%").arg(100 * fraction, 0, 'f', 1);
}

QDoubleSpinBox* fractionBox(QWidget* parent, const char* name, double minimum, double step,
                            const QString& tip) {
  auto* box = new QDoubleSpinBox(parent);
  box->setObjectName(name);
  box->setRange(minimum, 1);
  box->setSingleStep(step);
  box->setDecimals(2);
  box->setToolTip(tip);
  return box;
}

QSpinBox* countBox(QWidget* parent, const char* name, int minimum, int maximum,
                   const QString& tip) {
  auto* box = new QSpinBox(parent);
  box->setObjectName(name);
  box->setRange(minimum, maximum);
  box->setToolTip(tip);
  return box;
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

void SparsityPanel::buildLayout() {
  method_ = new QComboBox(this);
  method_->setObjectName("method");
  method_->addItem(tr("Dense"), "dense");
  method_->addItem(tr("SVG"), "svg");
  method_->addItem(tr("SVG2"), "svg2");
  method_->addItem(tr("SVOO"), "svoo");
  method_->setItemData(0, tr("Every query attends to every key"), Qt::ToolTipRole);
  method_->setItemData(
      1, tr("Sparse VideoGen: each head keeps a spatial or a temporal band of blocks"),
      Qt::ToolTipRole);
  method_->setItemData(
      2, tr("SVG2: k-means clusters of queries and keys, the clusters holding top-p of the mass"),
      Qt::ToolTipRole);
  method_->setItemData(
      3, tr("SVOO: co-clustered queries and keys with a per-layer budget profiled offline"),
      Qt::ToolTipRole);

  preset_ = new QComboBox(this);
  preset_->setObjectName("preset");
  for (Preset p : {Preset::Quality, Preset::Balanced, Preset::Fast, Preset::Custom})
    preset_->addItem(presetName(p), static_cast<int>(p));
  preset_->setToolTip(
      tr("Budgets measured on the built-in model (docs/benchmarks.md): Quality keeps about 30 dB "
         "PSNR against dense, Fast computes the least attention"));

  // SVG
  svgDensity_ = fractionBox(this, "svgDensity", 0.01, 0.05,
                            tr("Target share of key blocks each query block keeps"));
  svgBlock_ = countBox(this, "svgBlock", 16, 4096,
                       tr("Tokens per mask block: smaller blocks fit the band more finely"));
  svgBlock_->setSingleStep(16);
  svgGroup_ = new QGroupBox(tr("SVG budget"), this);
  svgGroup_->setObjectName("svgGroup");
  auto* svgForm = new QFormLayout(svgGroup_);
  svgForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  svgForm->addRow(tr("Density"), svgDensity_);
  svgForm->addRow(tr("Block size"), svgBlock_);

  // SVG2 and SVOO
  topP_ = fractionBox(this, "topP", 0.05, 0.05,
                      tr("Each query cluster keeps the key clusters holding this share of its "
                         "attention mass"));
  queryClusters_ =
      countBox(this, "queryClusters", 0, 4096, tr("Query clusters; auto: about 256 tokens each"));
  queryClusters_->setSpecialValueText(tr("auto"));
  keyClusters_ =
      countBox(this, "keyClusters", 0, 8192, tr("Key clusters; auto: about 64 tokens each"));
  keyClusters_->setSpecialValueText(tr("auto"));
  minKeyClusterRatio_ =
      fractionBox(this, "minKeyClusterRatio", 0, 0.05,
                  tr("Every query cluster keeps at least this share of the key clusters"));
  kmeansIterations_ = countBox(this, "kmeansIterations", 1, 1000,
                               tr("k-means iterations on the first sparse step (from scratch)"));
  kmeansWarmIterations_ =
      countBox(this, "kmeansWarmIterations", 0, 1000,
               tr("k-means iterations on later steps, starting from the previous centroids"));
  clusterGroup_ = new QGroupBox(tr("Cluster budget"), this);
  clusterGroup_->setObjectName("clusterGroup");
  clusterForm_ = new QFormLayout(clusterGroup_);
  clusterForm_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  clusterForm_->addRow(tr("Top-p"), topP_);
  clusterForm_->addRow(tr("Query clusters"), queryClusters_);
  clusterForm_->addRow(tr("Key clusters"), keyClusters_);
  clusterForm_->addRow(tr("Min key clusters"), minKeyClusterRatio_);
  clusterForm_->addRow(tr("k-means iterations"), kmeansIterations_);
  clusterForm_->addRow(tr("Warm iterations"), kmeansWarmIterations_);

  // SVOO
  svooProfile_ = new QLineEdit(this);
  svooProfile_->setObjectName("svooProfile");
  svooProfile_->setPlaceholderText(tr("next to the model"));
  svooProfile_->setToolTip(
      tr("The per-layer budget table `svgen profile` writes; empty: the one next to the model"));
  browse_ = new QToolButton(this);
  browse_->setObjectName("browseProfile");
  browse_->setText(tr("Browse…"));
  svooGroup_ = new QGroupBox(tr("SVOO profile"), this);
  svooGroup_->setObjectName("svooGroup");
  auto* profileRow = new QHBoxLayout(svooGroup_);
  profileRow->addWidget(svooProfile_, 1);
  profileRow->addWidget(browse_);

  // Every sparse method
  warmupFraction_ = fractionBox(this, "warmupFraction", 0, 0.05,
                                tr("The first steps, as a share of all steps, run dense"));
  warmupLayers_ = countBox(this, "warmupLayers", 0, kMaxWarmupLayers,
                           tr("The first transformer layers run dense on every step"));
  warmupGroup_ = new QGroupBox(tr("Dense warm-up"), this);
  warmupGroup_->setObjectName("warmupGroup");
  auto* warmupForm = new QFormLayout(warmupGroup_);
  warmupForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  warmupForm->addRow(tr("Share of steps"), warmupFraction_);
  warmupForm->addRow(tr("Layers"), warmupLayers_);

  estimate_ = new QLabel(this);
  estimate_->setObjectName("estimate");
  estimate_->setWordWrap(true);
  estimate_->setTextFormat(Qt::RichText);
  problems_ = new QLabel(this);
  problems_->setObjectName("problems");
  problems_->setWordWrap(true);
  problems_->setStyleSheet(QStringLiteral("color: #e05050;"));

  top_ = new QFormLayout;
  top_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  top_->addRow(tr("Method"), method_);
  top_->addRow(tr("Preset"), preset_);

  auto* column = new QVBoxLayout(this);
  column->addLayout(top_);
  column->addWidget(svgGroup_);
  column->addWidget(clusterGroup_);
  column->addWidget(svooGroup_);
  column->addWidget(warmupGroup_);
  column->addWidget(estimate_);
  column->addWidget(problems_);
  column->addStretch(1);

  connect(method_, &QComboBox::currentIndexChanged, this, &SparsityPanel::onValueEdited);
  connect(preset_, &QComboBox::activated, this, [this](int index) {
    applyPreset(static_cast<Preset>(preset_->itemData(index).toInt()));
  });
  for (QDoubleSpinBox* box : {svgDensity_, topP_, minKeyClusterRatio_, warmupFraction_})
    connect(box, &QDoubleSpinBox::valueChanged, this, &SparsityPanel::onValueEdited);
  for (QSpinBox* box : {svgBlock_, queryClusters_, keyClusters_, kmeansIterations_,
                        kmeansWarmIterations_, warmupLayers_})
    connect(box, &QSpinBox::valueChanged, this, &SparsityPanel::onValueEdited);
  connect(svooProfile_, &QLineEdit::textChanged, this, &SparsityPanel::onValueEdited);
  connect(browse_, &QToolButton::clicked, this, &SparsityPanel::browseProfile);
}

AttentionConfig SparsityPanel::config() const {
  AttentionConfig c = base_;
  c.method = method_->currentData().toString().toStdString();
  c.svgDensity = svgDensity_->value();
  c.svgBlock = svgBlock_->value();
  c.topP = topP_->value();
  c.queryClusters = queryClusters_->value();
  c.keyClusters = keyClusters_->value();
  c.minKeyClusterRatio = minKeyClusterRatio_->value();
  c.kmeansIterations = kmeansIterations_->value();
  c.kmeansWarmIterations = kmeansWarmIterations_->value();
  c.svooProfile = svooProfile_->text().trimmed().toStdString();
  c.warmupFraction = warmupFraction_->value();
  c.warmupLayers = warmupLayers_->value();
  return c;
}

void SparsityPanel::setConfig(const AttentionConfig& c) {
  const bool wasLoading = loading_;
  loading_ = true;
  base_ = c;
  const int method = method_->findData(fromStd(c.method));
  method_->setCurrentIndex(std::max(0, method));
  svgDensity_->setValue(c.svgDensity);
  svgBlock_->setValue(c.svgBlock);
  topP_->setValue(c.topP);
  queryClusters_->setValue(c.queryClusters);
  keyClusters_->setValue(c.keyClusters);
  minKeyClusterRatio_->setValue(c.minKeyClusterRatio);
  kmeansIterations_->setValue(c.kmeansIterations);
  kmeansWarmIterations_->setValue(c.kmeansWarmIterations);
  svooProfile_->setText(fromStd(c.svooProfile));
  warmupFraction_->setValue(c.warmupFraction);
  warmupLayers_->setValue(c.warmupLayers);
  loading_ = wasLoading;
  if (!loading_) {
    refresh();
    emit edited();
  }
}

QString SparsityPanel::presetName(Preset preset) {
  switch (preset) {
    case Preset::Quality:
      return tr("Quality");
    case Preset::Balanced:
      return tr("Balanced");
    case Preset::Fast:
      return tr("Fast");
    case Preset::Custom:
      break;
  }
  return tr("Custom");
}

AttentionConfig SparsityPanel::presetConfig(Preset preset, const AttentionConfig& base) {
  // From docs/benchmarks.md (six-prompt sweep, mean PSNR against dense): SVG at density 0.4 /
  // 0.3 / 0.2 → 32 / 27 / 23 dB; SVG2 and SVOO at top-p 0.8 with 32 × 256 clusters → 27 / 32 dB,
  // at top-p 0.7 with 16 × 128 → 23 / 29 dB. All with the first 20% of steps dense.
  AttentionConfig c = base;
  const AttentionConfig defaults;
  c.warmupFraction = defaults.warmupFraction;
  c.warmupLayers = 0;
  c.svgBlock = defaults.svgBlock;
  c.minKeyClusterRatio = defaults.minKeyClusterRatio;
  c.kmeansIterations = defaults.kmeansIterations;
  c.kmeansWarmIterations = defaults.kmeansWarmIterations;
  switch (preset) {
    case Preset::Quality:
      c.svgDensity = 0.4;
      c.topP = 0.9;
      c.queryClusters = 32;
      c.keyClusters = 256;
      break;
    case Preset::Balanced:
      c.svgDensity = 0.3;
      c.topP = 0.8;
      c.queryClusters = 32;
      c.keyClusters = 256;
      break;
    case Preset::Fast:
      c.svgDensity = 0.2;
      c.topP = 0.7;
      c.queryClusters = 16;
      c.keyClusters = 128;
      break;
    case Preset::Custom:
      return base;
  }
  return c;
}

void SparsityPanel::applyPreset(Preset preset) {
  if (preset == Preset::Custom) {
    refresh();  // a preset box set to Custom by hand goes back to what the values match
    return;
  }
  setConfig(presetConfig(preset, config()));
}

bool SparsityPanel::matches(Preset preset) const {
  const AttentionConfig c = config();
  const AttentionConfig p = presetConfig(preset, c);
  if (!near(c.warmupFraction, p.warmupFraction) || c.warmupLayers != p.warmupLayers) return false;
  if (c.method == "svg") return near(c.svgDensity, p.svgDensity) && c.svgBlock == p.svgBlock;
  if (c.method == "svg2" || c.method == "svoo") {
    const bool common = near(c.topP, p.topP) && c.queryClusters == p.queryClusters &&
                        c.keyClusters == p.keyClusters &&
                        c.kmeansIterations == p.kmeansIterations &&
                        c.kmeansWarmIterations == p.kmeansWarmIterations;
    if (c.method == "svoo") return common;
    return common && near(c.minKeyClusterRatio, p.minKeyClusterRatio);
  }
  return false;  // dense has no budgets
}

SparsityPanel::Preset SparsityPanel::preset() const {
  for (Preset p : {Preset::Quality, Preset::Balanced, Preset::Fast})
    if (matches(p)) return p;
  return Preset::Custom;
}

void SparsityPanel::setClip(const ModelInfo& info, int frames, int width, int height, int steps) {
  info_ = info;
  grid_ = tokenGrid(info, frames, width, height);
  steps_ = steps;
  refresh();
}

std::array<int64_t, 3> SparsityPanel::tokenGrid(const ModelInfo& info, int frames, int width,
                                                int height) {
  frames = std::max(frames, 0);
  if (info.frameMultiple == 4 && info.frameOffset == 1) {
    // Wan 2.1: the VAE keeps 1 + (frames − 1)/4 latent frames at 1/8 size; patches of 1 × 2 × 2.
    return {frames > 0 ? 1 + (frames - 1) / 4 : 0, height / 16, width / 16};
  }
  // A built-in model's token spans 2 frames × 8 × 8 pixels (sizeMultiple), by its patch in pixel
  // space or by its autoencoder and a 1 × 1 × 1 patch in latent space; frames are padded to
  // whole tokens.
  constexpr int kTemporalPatch = 2;
  const int patch = std::max(1, info.sizeMultiple);
  return {(frames + kTemporalPatch - 1) / kTemporalPatch, height / patch, width / patch};
}

double SparsityPanel::sparseDensityEstimate() const {
  const AttentionConfig c = config();
  if (c.method == "svg") return svgMaskDensity(grid_, c.svgBlock, c.svgDensity);
  if (c.method == "svg2" || c.method == "svoo") return -1;
  return 1.0;
}

double SparsityPanel::warmupStepShare() const {
  const double f = warmupFraction_->value();
  if (steps_ <= 0) return f;
  // As the engine decides it: the first lround(fraction · steps) steps run dense.
  return static_cast<double>(std::lround(f * steps_)) / steps_;
}

double SparsityPanel::overallDensityEstimate() const {
  const double sparse = sparseDensityEstimate();
  if (sparse < 0) return -1;
  if (method_->currentData().toString() == "dense") return 1.0;
  const double w = warmupStepShare();
  return w + (1 - w) * sparse;
}

QString SparsityPanel::estimateText() const {
  const AttentionConfig c = config();
  if (c.method == "dense") return tr("Attention: 100% of dense (every score computed).");
  const int64_t tokens = grid_[0] * grid_[1] * grid_[2];
  QString warmup = steps_ > 0 ? tr("dense warm-up %1 of %2 steps")
                                    .arg(std::lround(c.warmupFraction * steps_))
                                    .arg(steps_)
                              : tr("dense warm-up %1 of the steps").arg(percent(c.warmupFraction));
  if (c.warmupLayers > 0)
    warmup +=
        tr(", and the first %n layer(s) on every step (not counted)", nullptr, c.warmupLayers);
  const QString grid = tr("grid %1×%2×%3 = %4 tokens")
                           .arg(grid_[0])
                           .arg(grid_[1])
                           .arg(grid_[2])
                           .arg(QLocale(QLocale::English).toString(static_cast<qlonglong>(tokens)));
  if (c.method == "svg") {
    return tr("<b>Attention ≈ %1 of dense</b><br><small>estimate: sparse steps %2 (SVG's masks "
              "at this size), %3; %4</small>")
        .arg(percent(overallDensityEstimate()), percent(sparseDensityEstimate()), warmup, grid);
  }
  const double w = warmupStepShare();
  return tr("<b>Attention ≈ data-dependent (top-p %1)</b><br><small>whole run ≈ %2 + %3 × the "
            "sparse steps' density; %4; %5</small>")
      .arg(c.topP, 0, 'f', 2)
      .arg(percent(w), percent(1 - w), warmup, grid);
}

QStringList SparsityPanel::problems() const {
  const AttentionConfig c = config();
  QStringList list;
  for (const std::string& p : attentionConfigProblems(c)) list << fromStd(p);
  if (c.method == "svoo" && !c.svooProfile.empty() && !QFileInfo::exists(fromStd(c.svooProfile)))
    list << tr("SVOO profile %1 does not exist").arg(fromStd(c.svooProfile));
  return list;
}

void SparsityPanel::saveSettings(QSettings& s) const {
  const AttentionConfig c = config();
  s.setValue(keys::kSparsityMethod, fromStd(c.method));
  s.setValue(keys::kSparsityWarmupFraction, c.warmupFraction);
  s.setValue(keys::kSparsityWarmupLayers, c.warmupLayers);
  s.setValue(keys::kSparsitySvgDensity, c.svgDensity);
  s.setValue(keys::kSparsitySvgBlock, c.svgBlock);
  s.setValue(keys::kSparsityTopP, c.topP);
  s.setValue(keys::kSparsityQueryClusters, c.queryClusters);
  s.setValue(keys::kSparsityKeyClusters, c.keyClusters);
  s.setValue(keys::kSparsityMinKeyClusterRatio, c.minKeyClusterRatio);
  s.setValue(keys::kSparsityKmeansIterations, c.kmeansIterations);
  s.setValue(keys::kSparsityKmeansWarmIterations, c.kmeansWarmIterations);
  s.setValue(keys::kSparsitySvooProfile, fromStd(c.svooProfile));
}

void SparsityPanel::restoreSettings(const QSettings& s) {
  AttentionConfig c = config();
  auto real = [&](const char* key, double& value) { value = s.value(key, value).toDouble(); };
  auto count = [&](const char* key, int& value) { value = s.value(key, value).toInt(); };
  c.method = s.value(keys::kSparsityMethod, fromStd(c.method)).toString().toStdString();
  real(keys::kSparsityWarmupFraction, c.warmupFraction);
  count(keys::kSparsityWarmupLayers, c.warmupLayers);
  real(keys::kSparsitySvgDensity, c.svgDensity);
  count(keys::kSparsitySvgBlock, c.svgBlock);
  real(keys::kSparsityTopP, c.topP);
  count(keys::kSparsityQueryClusters, c.queryClusters);
  count(keys::kSparsityKeyClusters, c.keyClusters);
  real(keys::kSparsityMinKeyClusterRatio, c.minKeyClusterRatio);
  count(keys::kSparsityKmeansIterations, c.kmeansIterations);
  count(keys::kSparsityKmeansWarmIterations, c.kmeansWarmIterations);
  c.svooProfile =
      s.value(keys::kSparsitySvooProfile, fromStd(c.svooProfile)).toString().toStdString();
  setConfig(c);
}

void SparsityPanel::onValueEdited() {
  if (loading_) return;
  refresh();
  emit edited();
}

void SparsityPanel::refresh() {
  const QString method = method_->currentData().toString();
  const bool svg = method == "svg", svg2 = method == "svg2", svoo = method == "svoo";
  const bool sparse = svg || svg2 || svoo;
  top_->setRowVisible(preset_, sparse);
  preset_->setEnabled(sparse);
  for (QGroupBox* group : {svgGroup_, clusterGroup_, svooGroup_, warmupGroup_}) {
    const bool on = group == svgGroup_       ? svg
                    : group == clusterGroup_ ? svg2 || svoo
                    : group == svooGroup_    ? svoo
                                             : sparse;
    group->setVisible(on);
    group->setEnabled(on);
  }
  clusterForm_->setRowVisible(minKeyClusterRatio_, svg2);
  minKeyClusterRatio_->setEnabled(svg2);

  {
    const QSignalBlocker block(preset_);
    preset_->setCurrentIndex(preset_->findData(static_cast<int>(preset())));
  }
  estimate_->setText(estimateText());
  const QStringList list = problems();
  problems_->setText(list.join('\n'));
  problems_->setVisible(!list.isEmpty());
}

void SparsityPanel::browseProfile() {
  QString start = svooProfile_->text().trimmed();
  if (start.isEmpty() && !info_.directory.empty())
    start = QDir(fromStd(info_.directory)).filePath("svoo_profile.json");
  const QString path = QFileDialog::getOpenFileName(this, tr("SVOO profile"), start,
                                                    tr("SVOO profiles (*.json);;All files (*)"));
  if (!path.isEmpty()) svooProfile_->setText(path);
}

}  // namespace svgen::ui
