// The "Prompt & settings" dock: what to generate and how. It edits the fields of a
// GenerationRequest it owns and leaves the other fields (attention, paths) as they were set, so
// panels added later can each edit their own part of the same request.
#pragma once
#include "core/pipeline/generation.h"

#include <QWidget>

#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace svgen::ui {

class ModelPicker;
class StartImageField;
class SteppedSpinBox;

class PromptPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PromptPanel(QWidget* parent = nullptr);

  // Limits the fields to what the model accepts and fills in its defaults. When another model's
  // defaults replace values already set, a line under the fields says which, from what.
  void setModelInfo(const ModelInfo& info);
  QString defaultsNotice() const;
  const ModelInfo& modelInfo() const { return info_; }
  // The Model row: built-in or a checkpoint folder. request().model is its choice.
  ModelPicker* modelPicker() const { return picker_; }
  // Entries as Engine::devices() gives them, e.g. "cuda:0 NVIDIA H200"; "auto" is always offered.
  void setDevices(const std::vector<std::string>& devices);

  GenerationRequest request() const;
  // Values of 0 (or < 0 for guidance and shift) mean "the model's default", as in the request.
  void setRequest(const GenerationRequest& request);
  void resetToDefaults();

  // Locked: the seed stays as typed. Unlocked: every Generate draws a new one.
  bool seedLocked() const;
  void setSeedLocked(bool locked);
  void randomiseSeed();
  // False, with the reason under the prompt and the keyboard in it, when there is no prompt: the
  // grey example text is only a hint, never what runs.
  bool checkPromptGiven();
  QString promptNotice() const;
  // What the device box shows, e.g. "auto (cuda:0 NVIDIA H200)", for the status bar.
  QString deviceDescription() const;
  // The GPU memory row's per-stage estimate and the savings a budget will use ("" for a model
  // too light to plan for).
  QString memoryHint() const;

 signals:
  void edited();
  void deviceChanged();

 private:
  void buildLayout();
  void updateHints();
  void updateMemoryHint();
  void updateStartImageRow();
  void updateExpertRow();
  QLabel* promptNotice_;
  QLabel* defaultsNotice_;

  ModelInfo info_;
  GenerationRequest base_;

  ModelPicker* picker_;
  QPlainTextEdit* prompt_;
  StartImageField* startImage_;  // shown for image-to-video models (and a request with an image)
  QLabel* startImageLabel_;
  QLabel* wordHint_;
  QLineEdit* negative_;
  SteppedSpinBox* frames_;
  QLabel* duration_;
  SteppedSpinBox* width_;
  SteppedSpinBox* height_;
  QSpinBox* steps_;
  QDoubleSpinBox* guidance_;
  // Two-expert models (Wan 2.2 A14B): the low-noise expert's guidance, beside the other.
  QDoubleSpinBox* lowNoiseGuidance_;
  QLabel* lowNoiseLabel_;
  QDoubleSpinBox* shift_;
  QLineEdit* seed_;
  QCheckBox* seedLock_;
  QComboBox* sampler_;
  QComboBox* device_;
  QDoubleSpinBox* vram_;
  QCheckBox* tiledDecode_;
  QLabel* memoryHint_;
};

}  // namespace svgen::ui
