// Checkpoint key layouts of the HunyuanVideo transformer: the original repository's (ComfyUI's
// single files use it, maybe behind "model.diffusion_model."), and diffusers', which splits the
// fused q/k/v (and the single blocks' q/k/v/MLP) projections apart and orders the final
// modulation (scale, shift). The model uses the original names, fused.
#pragma once
#include "core/io/tensor_map.h"

#include <string>
#include <vector>

namespace svgen {

// "original", "diffusers" or "unknown", from the keys present (prefixes ignored).
std::string detectHunyuanKeyLayout(const std::vector<std::string>& keys);

// What svgen says of a HunyuanVideo checkpoint it is asked to inspect or run (`what` names it:
// "a diffusers HunyuanVideo folder"): what is ported and what is missing.
std::string hunyuanNotRunnable(const std::string& path, const std::string& what);

// The key without a ComfyUI or pipeline prefix ("model.diffusion_model.", "diffusion_model.",
// "transformer.").
std::string withoutHunyuanPrefix(const std::string& key);

// Every key in the original layout: prefixes dropped, diffusers' split projections joined in the
// original order, the final modulation's halves swapped back. A projection with a part missing, or
// two keys landing on one name, is an InputError naming them.
TensorMap toOriginalHunyuanLayout(const TensorMap& weights);

}  // namespace svgen
