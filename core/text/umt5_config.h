// umT5 encoder dimensions: from a transformers config.json, or worked out from tensor shapes for
// single files that come without one (ComfyUI's umt5_xxl_*.safetensors).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace svgen {

struct Umt5Config {
  int vocabSize = 256384;
  int dModel = 4096;
  int dKv = 64;
  int dFf = 10240;
  int numLayers = 24;
  int numHeads = 64;
  int numBuckets = 32;
  int maxDistance = 128;
  double eps = 1e-6;
};

// Throws InputError for a missing or mistyped field, or a feed-forward other than gated GELU.
Umt5Config umt5ConfigFromJson(const nlohmann::json& j);

// Keys with or without a prefix before "encoder."/"shared.". Bucket count and max distance are not
// in any shape: umT5-XXL's 32 and 128 are assumed for the distance. Throws InputError when the
// embedding or block 0 is absent.
Umt5Config inferUmt5ConfigFromShapes(const std::map<std::string, std::vector<int64_t>>& shapes);

}  // namespace svgen
