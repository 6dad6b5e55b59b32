// Durations as people read them on a progress line.
#pragma once
#include <QString>

namespace svgen::ui {

// "00:12", "03:07", "1:02:03"; "--:--" for negative (unknown) values.
QString formatDuration(double seconds);

}  // namespace svgen::ui
