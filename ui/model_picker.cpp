#include "ui/model_picker.h"

#include "core/pipeline/engine.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QVBoxLayout>

namespace svgen::ui {

namespace {

const char kBuiltin[] = "builtin";
const char kBrowse[] = "browse";  // the "Checkpoint folder…" entry

}  // namespace

ModelPicker::ModelPicker(QWidget* parent) : QWidget(parent) {
  box_ = new QComboBox(this);
  box_->setObjectName("modelBox");
  box_->setToolTip(tr("The built-in model, or a Wan 2.1 checkpoint folder"));
  status_ = new QLabel(this);
  status_->setObjectName("modelStatusLabel");
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::RichText);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(0, 0, 0, 0);
  column->addWidget(box_);
  column->addWidget(status_);
  describe_ = [](const std::string& model) { return Engine().describeModel(model); };
  rebuildBox();
  connect(box_, &QComboBox::activated, this, &ModelPicker::onActivated);
}

void ModelPicker::setDescriber(ModelDescriber describe) {
  describe_ = std::move(describe);
}

void ModelPicker::setFolder(const QString& folder) {
  folder_ = folder;
  rebuildBox();
}

bool ModelPicker::choose(const QString& model) {
  if (model.isEmpty() || model == kBuiltin)
    model_ = kBuiltin;
  else
    model_ = QDir::cleanPath(model);
  check_ = checkModel(model_, describe_);
  // A folder that holds a model is remembered and stays in the list (a missing part can be added
  // later); one that holds none is listed only while it is the choice, with its reason.
  if (model_ != kBuiltin && check_.recognised) folder_ = model_;
  rebuildBox();
  QString text = check_.summary.toHtmlEscaped();
  if (!check_.runnable())
    text += QStringLiteral("<br><span style='color:#e06060'>%1</span>")
                .arg(tr("Cannot run: %1").arg(check_.refusal).toHtmlEscaped());
  status_->setText(text);
  status_->setToolTip(check_.details);
  if (check_.runnable()) emit accepted(check_.info);
  emit runnableChanged(check_.runnable(), check_.refusal);
  return check_.runnable();
}

QString ModelPicker::statusText() const {
  return status_->text();
}

void ModelPicker::chooseFolderWithDialog() {
  const QString start = folder_.isEmpty() ? QDir::homePath() : folder_;
  const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a checkpoint folder"),
                                                           start, QFileDialog::ShowDirsOnly);
  if (folder.isEmpty()) {
    rebuildBox();  // back to the current choice
    return;
  }
  choose(folder);
}

void ModelPicker::rebuildBox() {
  const QSignalBlocker block(box_);
  box_->clear();
  box_->addItem(tr("Built-in model"), QString(kBuiltin));
  if (!folder_.isEmpty()) {
    box_->addItem(QFileInfo(folder_).fileName(), folder_);
    box_->setItemData(box_->count() - 1, folder_, Qt::ToolTipRole);
  }
  if (model_ != kBuiltin && model_ != folder_) {
    box_->addItem(tr("%1 (cannot run)").arg(QFileInfo(model_).fileName()), model_);
    box_->setItemData(box_->count() - 1, check_.refusal, Qt::ToolTipRole);
  }
  box_->addItem(tr("Checkpoint folder…"), QString(kBrowse));
  box_->setCurrentIndex(std::max(0, box_->findData(model_)));
}

void ModelPicker::onActivated(int index) {
  const QString data = box_->itemData(index).toString();
  if (data == kBrowse)
    chooseFolderWithDialog();
  else if (data != model_)
    choose(data);
}

}  // namespace svgen::ui
