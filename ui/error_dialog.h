// How a failed run is told to the user: what went wrong, in the Engine's words, and what to do
// next. The dialog is window-modal but never blocks the event loop, so the studio keeps running.
#pragma once
#include "ui/run_types.h"

#include <QMessageBox>

namespace svgen::ui {

// The next step to suggest for an error, from its kind and message.
QString adviceFor(FailureKind kind, const QString& message);

class ErrorDialog : public QMessageBox {
  Q_OBJECT
 public:
  ErrorDialog(const QString& title, const QString& message, FailureKind kind,
              QWidget* parent = nullptr);

  QString message() const { return message_; }
  FailureKind kind() const { return kind_; }

 private:
  QString message_;
  FailureKind kind_;
};

}  // namespace svgen::ui
