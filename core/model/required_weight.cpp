#include "core/model/required_weight.h"

#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"

namespace svgen {

const at::Tensor& requireWeight(const TensorMap& weights, const std::string& name,
                                const std::vector<int64_t>& shape) {
  const auto it = weights.find(name);
  if (it == weights.end()) throw InputError("checkpoint is missing the key \"" + name + "\"");
  if (it->second.sizes().vec() != shape) {
    throw InputError("checkpoint key \"" + name + "\": expected shape " + shapeText(shape) +
                     ", found " + shapeText(it->second.sizes().vec()));
  }
  return it->second;
}

void addLinearShapes(WeightShapes& shapes, const std::string& name, int64_t in, int64_t out) {
  shapes.push_back({name + ".weight", {out, in}});
  shapes.push_back({name + ".bias", {out}});
}

}  // namespace svgen
