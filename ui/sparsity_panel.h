// The "Sparsity" dock: which attention method a run uses and its budgets. It edits the
// AttentionConfig of the request (GenerationRequest::attention), shows only the settings the chosen
// method reads, offers measured presets (docs/benchmarks.md), and estimates before the run how much
// of dense attention will be computed.
#pragma once
#include "core/attention/attention_config.h"
#include "core/pipeline/generation.h"

#include <QStringList>
#include <QWidget>

#include <array>
#include <cstdint>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QSettings;
class QSpinBox;
class QToolButton;

namespace svgen::ui {

class SparsityPanel : public QWidget {
  Q_OBJECT
 public:
  // Budgets measured on the built-in model: Quality ≈ 30+ dB PSNR against dense, Fast the least
  // attention. The order is the order of the preset box; Custom is whatever matches none.
  enum class Preset { Quality, Balanced, Fast, Custom };

  explicit SparsityPanel(QWidget* parent = nullptr);

  // The settings as a request carries them. Fields the panel does not show (co-clustering
  // iterations) keep the value of the last setConfig().
  AttentionConfig config() const;
  // Shows `config` (values outside a box's range are clamped to it) and the preset it matches.
  void setConfig(const AttentionConfig& config);

  // Sets the budgets of every method to the preset's; Custom changes nothing.
  void applyPreset(Preset preset);
  // The preset the shown values match for the chosen method, or Custom.
  Preset preset() const;
  static QString presetName(Preset preset);
  // The preset's budgets on top of `base` (method and SVOO profile kept).
  static AttentionConfig presetConfig(Preset preset, const AttentionConfig& base = {});

  // The clip the estimate is for; the model's directory is also where the profile browser starts.
  void setClip(const ModelInfo& info, int frames, int width, int height, int steps);
  // The transformer's token grid (latent frames × rows × columns) for a clip: an estimate from the
  // model's facts (built-in: 2 × 8 × 8 pixels a token; Wan: VAE 4 × 8 × 8 then 1 × 2 × 2).
  static std::array<int64_t, 3> tokenGrid(const ModelInfo& info, int frames, int width, int height);
  std::array<int64_t, 3> tokenGrid() const { return grid_; }

  // Share of attention computed in the calls that run sparse: SVG's mask density, exactly as SVG
  // will build it for tokenGrid(); 1 for dense; < 0 when it depends on the data (SVG2, SVOO).
  double sparseDensityEstimate() const;
  // Share of the steps that run dense (warm-up), as the engine rounds it.
  double warmupStepShare() const;
  // Over the whole run: warm-up + (1 − warm-up) · sparse; < 0 when it depends on the data.
  double overallDensityEstimate() const;
  QString estimateText() const;
  // attentionConfigProblems() of config(), plus a missing SVOO profile file; shown in red.
  QStringList problems() const;

  // Every value under keys::kSparsity* in `settings`; restore keeps the current value of a key
  // that is missing.
  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

 signals:
  void edited();

 private:
  void buildLayout();
  void onValueEdited();
  void refresh();
  void browseProfile();
  bool matches(Preset preset) const;

  AttentionConfig base_;
  ModelInfo info_;
  std::array<int64_t, 3> grid_{0, 0, 0};
  int steps_ = 0;
  bool loading_ = false;

  QComboBox* method_;
  QComboBox* preset_;
  QFormLayout* top_;
  QGroupBox* svgGroup_;
  QDoubleSpinBox* svgDensity_;
  QSpinBox* svgBlock_;
  QGroupBox* clusterGroup_;
  QFormLayout* clusterForm_;
  QDoubleSpinBox* topP_;
  QSpinBox* queryClusters_;
  QSpinBox* keyClusters_;
  QDoubleSpinBox* minKeyClusterRatio_;
  QSpinBox* kmeansIterations_;
  QSpinBox* kmeansWarmIterations_;
  QGroupBox* svooGroup_;
  QLineEdit* svooProfile_;
  QToolButton* browse_;
  QGroupBox* warmupGroup_;
  QDoubleSpinBox* warmupFraction_;
  QSpinBox* warmupLayers_;
  QLabel* estimate_;
  QLabel* problems_;
};

}  // namespace svgen::ui
