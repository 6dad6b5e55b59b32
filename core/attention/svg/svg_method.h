// SVG (Sparse VideoGen): each head keeps a spatial or a temporal band of key blocks, chosen per
// step and layer by profiling sampled query rows.
#pragma once
#include "core/attention/parameter.h"

namespace svgen {
struct MethodDescriptor;
}

namespace svgen::svg {

constexpr RealParameter density{"svg_density"};  // target share of key blocks kept
constexpr CountParameter block{"svg_block"};     // tokens per mask block
// Profile a layer's heads on every k-th sparse step; the steps between keep the last classes.
constexpr CountParameter profileEvery{"svg_profile_every"};

const MethodDescriptor& method();

}  // namespace svgen::svg
