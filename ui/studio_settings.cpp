#include "ui/studio_settings.h"

namespace svgen::ui {

std::unique_ptr<QSettings> openStudioSettings() {
  return std::make_unique<QSettings>(QSettings::IniFormat, QSettings::UserScope, kOrganisation,
                                     kApplication);
}

}  // namespace svgen::ui
