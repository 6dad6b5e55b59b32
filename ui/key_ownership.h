// Which keys belong to the focused widget rather than to the window's shortcuts. Qt lets a
// window shortcut (Left/Right step the player, Space plays) win over a focused slider, spin box or
// list, so Right on the Attention step slider moved the video frame. Text fields already claim
// their keys; this gives sliders, spin boxes, combo boxes and lists their arrows, and buttons and
// check boxes their Space, and leaves every other focus (the player, a label, a dock) to the
// shortcuts.
#pragma once
#include <QObject>

namespace svgen::ui {

class KeyOwnership : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  // Installs one on the application (parented to `owner`).
  static void install(QObject* owner);

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;
};

}  // namespace svgen::ui
