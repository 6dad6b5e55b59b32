// The prompt panel's Model row: the built-in model or a checkpoint folder (a folder dialog), with
// what the folder holds shown under the box before anything loads. A model that cannot run is
// shown with the reason and reported as refused; the window then refuses to run it.
#pragma once
#include "ui/model_check.h"

#include <QWidget>

class QComboBox;
class QLabel;

namespace svgen::ui {

class ModelPicker : public QWidget {
  Q_OBJECT
 public:
  explicit ModelPicker(QWidget* parent = nullptr);

  // Without one, each check describes the model with an Engine of its own.
  void setDescriber(ModelDescriber describe);

  // Checks `model` ("builtin" or a folder) and makes it the choice, runnable or not; false when
  // it is refused (check().refusal says why, and so does the row).
  bool choose(const QString& model);
  // "builtin" or the chosen folder.
  QString model() const { return model_; }
  // The last folder chosen, offered in the box while the built-in model is chosen.
  QString folder() const { return folder_; }
  void setFolder(const QString& folder);
  const ModelCheck& check() const { return check_; }
  bool isRunnable() const { return check_.runnable(); }
  QString statusText() const;

 public slots:
  void chooseFolderWithDialog();

 signals:
  // A model the engine can run was chosen.
  void accepted(const svgen::ModelInfo& info);
  // Emitted after every choice.
  void runnableChanged(bool runnable, const QString& refusal);

 private:
  void rebuildBox();
  void onActivated(int index);

  ModelDescriber describe_;
  QString model_ = QStringLiteral("builtin");
  QString folder_;
  ModelCheck check_;
  QComboBox* box_;
  QLabel* status_;
};

}  // namespace svgen::ui
