// Says at the field when a typed number was not kept as typed. A spin box refuses keystrokes that
// would leave its range, clamps when editing ends, and a SteppedSpinBox snaps to its grid; without
// a word a density of 1.5 became 1.00 and a width of 100 became 112 (the CLI names the nearest
// valid value; the studio must too). The notice shows as a tooltip at the field, and stays as its
// "adjustmentNotice" property until the next edit ends.
#pragma once
#include <QObject>

class QAbstractSpinBox;

namespace svgen::ui {

class FieldNotice : public QObject {
  Q_OBJECT
 public:
  // Watches `box` (owned by it) from now on.
  static void attach(QAbstractSpinBox* box);
  // Every spin box under `root`.
  static void attachAll(QObject* root);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  using QObject::QObject;
  void check(QAbstractSpinBox* box, const QString& typed);
  void show(QAbstractSpinBox* box, const QString& notice);

  QString refused_;  // a keystroke the box refused in this edit, as the user meant it
};

}  // namespace svgen::ui
