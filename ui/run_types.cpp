#include "ui/run_types.h"

namespace svgen::ui {

void registerRunTypes() {
  qRegisterMetaType<svgen::GenerationRequest>("svgen::GenerationRequest");
  qRegisterMetaType<svgen::ui::RunOutcome>("svgen::ui::RunOutcome");
  qRegisterMetaType<svgen::ui::FailureKind>("svgen::ui::FailureKind");
}

}  // namespace svgen::ui
