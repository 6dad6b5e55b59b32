// The studio's look: Fusion everywhere, so it is the same on every desktop, dark by default.
#pragma once

class QApplication;

namespace svgen::ui {

void applyStudioTheme(QApplication& app, bool light);

}  // namespace svgen::ui
