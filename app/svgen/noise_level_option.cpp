#include "app/svgen/noise_level_option.h"

#include <cstdlib>
#include <string>

namespace svgen::cli {

CLI::Validator noiseLevelCheck(bool allowOne) {
  return CLI::Validator(
      [allowOne](std::string& text) {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return std::string("must be a number");
        const bool ok = v > 0 && (allowOne ? v <= 1 : v < 1);
        return ok ? std::string()
                  : std::string(allowOne ? "must be above 0 and at most 1"
                                         : "must lie strictly between 0 and 1");
      },
      allowOne ? "(0, 1]" : "(0, 1)");
}

}  // namespace svgen::cli
