// SVOO: queries and keys co-clustered both ways; each layer keeps the share of keys its offline
// sparsity profile (`svgen profile`) measured.
#pragma once
#include "core/attention/parameter.h"

namespace svgen {
struct MethodDescriptor;
}

namespace svgen::svoo {

constexpr PathParameter profile{"svoo_profile"};  // empty: svoo_profile.json next to the model
constexpr CountParameter coclusterIterations{"cocluster_iterations"};

const MethodDescriptor& method();

}  // namespace svgen::svoo
