// Dense warm-up, which every sparse method shares: the first steps (a share of all steps) and the
// first layers of every step run dense.
#pragma once
#include "core/attention/parameter.h"

#include <vector>

namespace svgen::warmup {

constexpr RealParameter fraction{"warmup_fraction"};
constexpr CountParameter layers{"warmup_layers"};

const std::vector<const ParameterSpec*>& parameters();

}  // namespace svgen::warmup
