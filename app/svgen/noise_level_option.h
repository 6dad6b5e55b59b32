// The CLI check for options that take a noise level σ, so a bad value fails at parsing, before
// a model loads.
#pragma once
#include <CLI/CLI.hpp>

namespace svgen::cli {

// σ in (0, 1) or, with `allowOne`, in (0, 1].
CLI::Validator noiseLevelCheck(bool allowOne);

}  // namespace svgen::cli
