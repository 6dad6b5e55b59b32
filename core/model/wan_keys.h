// Checkpoint key layouts of the Wan 2.1 DiT: the original repository's, diffusers', and either
// behind ComfyUI's "model.diffusion_model." prefix. The model itself uses the original names.
#pragma once
#include "core/io/packed_weights.h"
#include "core/io/tensor_map.h"

#include <string>
#include <vector>

namespace svgen {

// The original name of `key` (any layout, prefix stripped). Keys that are not DiT keys come back
// unchanged.
std::string wanKeyToOriginal(const std::string& key);

// The diffusers name of an original key.
std::string wanKeyToDiffusers(const std::string& originalKey);

// "original", "diffusers" or "unknown", from the keys present (prefix ignored).
std::string detectWanKeyLayout(const std::vector<std::string>& keys);

// Renames every key to the original layout. Two keys landing on one name is an InputError.
TensorMap toOriginalWanLayout(const TensorMap& weights);
PackedMap toOriginalWanLayout(const PackedMap& weights);

}  // namespace svgen
