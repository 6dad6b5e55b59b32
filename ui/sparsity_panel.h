// The "Sparsity" dock: which attention method a run uses and its budgets. Its form is made from the
// method registry (core/attention/method_registry.h): one field per registered parameter, grouped
// as the parameters say, showing only what the chosen method reads; the presets and the estimate
// of how much of dense attention will be computed come from there too.
#pragma once
#include "core/attention/attention_config.h"
#include "core/pipeline/generation.h"

#include <QStringList>
#include <QWidget>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QSettings;

namespace svgen {
struct ParameterSpec;
}

namespace svgen::ui {

class SparsityPanel : public QWidget {
  Q_OBJECT
 public:
  // The registry's presets in its order, and Custom for values that match none.
  enum class Preset { Quality, Balanced, Fast, Custom };

  explicit SparsityPanel(QWidget* parent = nullptr);

  // The settings as a request carries them. Parameters the form does not show keep the value of
  // the last setConfig().
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
  // The transformer's token grid (latent frames × rows × columns) for a clip, as the model
  // describes it (ModelInfo::tokenGrid).
  static std::array<int64_t, 3> tokenGrid(const ModelInfo& info, int frames, int width, int height);
  std::array<int64_t, 3> tokenGrid() const { return grid_; }

  // Share of attention computed in the calls that run sparse, where the settings decide it (SVG's
  // mask density, exactly as SVG will build it for tokenGrid(); 1 for dense); < 0 when it depends
  // on the data (SVG2, SVOO).
  double sparseDensityEstimate() const;
  // Share of the steps that run dense (warm-up), as the engine rounds it.
  double warmupStepShare() const;
  // Share of the layers that run dense on every step (warm-up layers, at most the model's).
  double warmupLayerShare() const;
  // Over the whole run: warm-up steps + (1 − warm-up steps) · (warm-up layers + the other layers
  // · sparse); < 0 when it depends on the data.
  double overallDensityEstimate() const;
  QString estimateText() const;
  // What a past run with these settings measured against its dense twin (speedup < 0: none);
  // below 1 the panel warns that the run is likely slower than dense on this device.
  void setMeasuredSpeedup(double speedup, const QString& when = {});
  QString speedText() const;
  // attentionConfigProblems() of config(), plus a named file that does not exist; shown in red.
  QStringList problems() const;

  // Every value under "sparsity/<parameter name>" in `settings`; restore keeps the current value
  // of a key that is missing.
  void saveSettings(QSettings& settings) const;
  void restoreSettings(const QSettings& settings);

 signals:
  void edited();

 private:
  // One registered parameter's field: a spin box, or a line edit with a browse button.
  struct Field {
    const ParameterSpec* spec;
    QWidget* editor;  // the row's widget in its group's form
    QWidget* input;   // QDoubleSpinBox, QSpinBox or QLineEdit
    QGroupBox* group;
    QFormLayout* form;
  };
  void buildLayout();
  QWidget* makeInput(const ParameterSpec& spec, QWidget** rowWidget);
  double fieldNumber(const Field& f) const;
  std::string fieldText(const Field& f) const;
  void setField(const Field& f, const AttentionConfig& c);
  void onValueEdited();
  void refresh();
  void browse(const ParameterSpec& spec, QWidget* input);

  AttentionConfig base_;
  ModelInfo info_;
  std::array<int64_t, 3> grid_{0, 0, 0};
  int steps_ = 0;
  bool loading_ = false;

  QComboBox* method_;
  QComboBox* preset_;
  QFormLayout* top_;
  std::vector<Field> fields_;
  std::vector<QGroupBox*> groups_;
  QLabel* estimate_;
  QLabel* speed_;
  double measuredSpeedup_ = -1;
  QString measuredWhen_;
  QLabel* problems_;
};

}  // namespace svgen::ui
