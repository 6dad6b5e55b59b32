// The transformer layers every CLIP encoder has, image and text alike (transformers'
// CLIPEncoderLayer): pre-norm attention with biased q/k/v/out projections, then a GELU or
// QuickGELU MLP. The text model is causal; the vision model is not.
#pragma once
#include "core/io/tensor_map.h"

#include <ATen/core/Tensor.h>

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace svgen {

struct ClipLayerShape {
  int hiddenSize = 768;
  int intermediateSize = 3072;
  int numHeads = 12;
  double eps = 1e-5;
  std::string activation = "quick_gelu";  // or "gelu"
};

// Every tensor layer `index` needs, relative to the encoder's root ("encoder.layers.N. ..."), with
// its shape.
std::vector<std::pair<std::string, std::vector<int64_t>>> clipLayerShapes(const ClipLayerShape& s,
                                                                          int index);

// x (B, L, hidden) float32 through layers [0, count): matrices in `dtype`, norms, softmax and the
// residual stream in float32. `causal`: each token sees only those before it (the text model).
at::Tensor clipLayers(const at::Tensor& x, const TensorMap& params, const ClipLayerShape& s,
                      int count, at::ScalarType dtype, bool causal);

// The tensors of a CLIP model's part relative to its root ("text_model.", "vision_model."),
// whatever a file put before it; tensors saved without it (transformers 5 does) whose names start
// with one of `own` kept as they are; the rest (the other part, projections) dropped.
TensorMap clipPartKeys(const TensorMap& weights, const std::string& root,
                       std::initializer_list<const char*> own);
// How many "encoder.layers.N." the shapes hold (1 + the largest N).
int clipLayerCount(const std::map<std::string, std::vector<int64_t>>& shapes);

}  // namespace svgen
