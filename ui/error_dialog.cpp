#include "ui/error_dialog.h"

namespace svgen::ui {

QString adviceFor(FailureKind kind, const QString& message) {
  const QString m = message.toLower();
  if (m.contains("memory") || m.contains("oom") || m.contains("alloc"))
    return ErrorDialog::tr(
        "Out of memory: try fewer frames or a smaller size, or close other programs using the "
        "device.");
  if (kind == FailureKind::Input) {
    if (m.contains("word") || m.contains("vocabulary") || m.contains("prompt"))
      return ErrorDialog::tr(
          "Reword the prompt with words the model knows (hover the prompt field for the list).");
    return ErrorDialog::tr("Check the setting named in the message, change it and generate again.");
  }
  if (m.contains("disk") || m.contains("space") || m.contains("write"))
    return ErrorDialog::tr("Free some disk space or choose another folder, then try again.");
  if (m.contains("cuda") || m.contains("device") || m.contains("gpu"))
    return ErrorDialog::tr("The device failed: try again, or choose the CPU in Device.");
  return ErrorDialog::tr(
      "Try again; if it keeps failing, run the same settings with the svgen "
      "command line to see the full log.");
}

ErrorDialog::ErrorDialog(const QString& title, const QString& message, FailureKind kind,
                         QWidget* parent)
    : QMessageBox(parent), message_(message), kind_(kind) {
  setObjectName("errorDialog");
  setWindowTitle(title);
  setIcon(kind == FailureKind::Input ? QMessageBox::Warning : QMessageBox::Critical);
  setText(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
  // Some messages carry a long tail (the whole vocabulary of a model): keep the dialog readable
  // and the full text one click away.
  constexpr int kShortLength = 280;
  QString shown = message;
  if (message.size() > kShortLength) {
    shown = message.left(kShortLength) + QStringLiteral("…");
    setDetailedText(message);
  }
  setInformativeText(shown + QStringLiteral("\n\n") + adviceFor(kind, message));
  setStandardButtons(QMessageBox::Ok);
  setAttribute(Qt::WA_DeleteOnClose);
  setWindowModality(Qt::WindowModal);
}

}  // namespace svgen::ui
