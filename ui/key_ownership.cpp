#include "ui/key_ownership.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QApplication>
#include <QComboBox>
#include <QKeyEvent>

namespace svgen::ui {

namespace {

bool isArrow(int key) {
  return key == Qt::Key_Left || key == Qt::Key_Right || key == Qt::Key_Up || key == Qt::Key_Down ||
         key == Qt::Key_Home || key == Qt::Key_End || key == Qt::Key_PageUp ||
         key == Qt::Key_PageDown;
}

bool ownsKey(const QObject* widget, int key) {
  const bool arrows = qobject_cast<const QAbstractSlider*>(widget) ||
                      qobject_cast<const QAbstractSpinBox*>(widget) ||
                      qobject_cast<const QComboBox*>(widget) ||
                      qobject_cast<const QAbstractItemView*>(widget);
  if (arrows && isArrow(key)) return true;
  return key == Qt::Key_Space && qobject_cast<const QAbstractButton*>(widget);
}

}  // namespace

void KeyOwnership::install(QObject* owner) {
  qApp->installEventFilter(new KeyOwnership(owner));
}

bool KeyOwnership::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::ShortcutOverride) {
    const auto* key = static_cast<QKeyEvent*>(event);
    const bool plain = (key->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier;
    // Accepting the override delivers the key to the widget instead of the shortcut.
    if (plain && ownsKey(watched, key->key())) event->accept();
  }
  return QObject::eventFilter(watched, event);
}

}  // namespace svgen::ui
