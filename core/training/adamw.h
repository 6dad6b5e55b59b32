// AdamW over a named set of float32 parameters, with its state as named tensors so a checkpoint
// can save and resume it exactly.
#pragma once
#include "core/io/tensor_map.h"

#include <cstdint>

namespace svgen {

struct AdamWOptions {
  double lr = 3e-4;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double eps = 1e-8;
  double weightDecay = 0.0;
};

class AdamW {
 public:
  AdamW(TensorMap& params, AdamWOptions options);
  // One update from the parameters' .grad(); parameters without a gradient are left alone.
  void step(double lr);
  int64_t stepCount() const { return step_; }
  // "adam.m.<name>", "adam.v.<name>" and "adam.step".
  TensorMap state() const;
  void loadState(const TensorMap& state);

 private:
  TensorMap& params_;
  AdamWOptions options_;
  TensorMap m_, v_;
  int64_t step_ = 0;
};

}  // namespace svgen
