// umT5's encoder (Wan 2.1's text encoder) in ATen ops: T5 RMS norms, attention without 1/√d and
// with a relative-position bias in every layer, gated-GELU feed-forward. Weights use transformers'
// key names, with or without a prefix before "encoder." (ComfyUI files).
#pragma once
#include "core/io/tensor_map.h"
#include "core/text/umt5_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace svgen {

// Bidirectional T5 buckets of key − query offsets: half the buckets per direction, exact up to a
// quarter of them, logarithmic up to `maxDistance`. (L, L) int64.
at::Tensor relativePositionBuckets(int64_t length, int numBuckets, int maxDistance);

class Umt5Encoder {
 public:
  // `dtype`: the matmuls' type (float32 on the CPU, bfloat16 on CUDA); norms and softmax run in
  // float32. `storage`: the type every matrix is held in (default: as it computes), widened one
  // matrix at a time when used: bfloat16 halves what umT5-XXL holds in host memory when it
  // encodes on the CPU for a GPU run (a bfloat16 file loses nothing). Throws InputError naming a
  // missing key or a shape that does not fit `config`.
  Umt5Encoder(Umt5Config config, const TensorMap& weights, const at::Device& device,
              at::ScalarType dtype, at::ScalarType storage = at::ScalarType::Undefined);

  // ids and mask (B, L) int64 → states (B, L, d_model) float32 with the padded rows zeroed, as
  // the Wan pipelines hand them to the DiT. Only the columns up to the last unmasked one run
  // through the layers: padded keys are masked and padded rows zeroed, so the rest is zeros.
  at::Tensor encode(const at::Tensor& ids, const at::Tensor& mask) const;
  const Umt5Config& config() const { return config_; }

 private:
  const at::Tensor& p(const std::string& name) const { return params_.at(name); }
  // A matrix in the type its matmul takes (a no-op unless it is stored narrower).
  at::Tensor matrix(const std::string& name, at::ScalarType type) const {
    return params_.at(name).to(type);
  }
  // The columns up to the last unmasked one, through every layer.
  at::Tensor encodeColumns(const at::Tensor& ids, const at::Tensor& mask) const;

  Umt5Config config_;
  at::Device device_;
  at::ScalarType dtype_;
  TensorMap params_;
};

}  // namespace svgen
