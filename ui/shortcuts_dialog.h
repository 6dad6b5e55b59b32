// Help → Keyboard shortcuts: a table built from the window's own actions, so a panel that adds an
// action with a shortcut shows up here without anyone editing a list.
#pragma once
#include <QDialog>
#include <QList>

class QAction;

namespace svgen::ui {

class ShortcutsDialog : public QDialog {
  Q_OBJECT
 public:
  ShortcutsDialog(const QList<QAction*>& actions, QWidget* parent = nullptr);
};

}  // namespace svgen::ui
