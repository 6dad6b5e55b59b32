#include "core/model/rope.h"

#include <ATen/ATen.h>

namespace svgen {

namespace {

// Angles (positions, pairs) for one axis of `axisDims` dims; computed in float64 as Wan does.
at::Tensor axisAngles(int64_t positions, int64_t axisDims, double theta) {
  auto opts = at::TensorOptions().dtype(at::kDouble);
  at::Tensor j = at::arange(0, axisDims, 2, opts);
  at::Tensor inv = at::pow(theta, -j / static_cast<double>(axisDims));
  return at::outer(at::arange(positions, opts), inv);
}

}  // namespace

RopeTables makeRopeTables(int64_t frames, int64_t height, int64_t width, int64_t headDim,
                          const at::Device& device, double theta) {
  const int64_t c = headDim / 2;
  const int64_t spatialPairs = c / 3;
  const int64_t framePairs = c - 2 * spatialPairs;
  at::Tensor af = axisAngles(frames, 2 * framePairs, theta);    // (F, framePairs)
  at::Tensor ah = axisAngles(height, 2 * spatialPairs, theta);  // (H, spatialPairs)
  at::Tensor aw = axisAngles(width, 2 * spatialPairs, theta);   // (W, spatialPairs)
  at::Tensor angles =
      at::cat({af.view({frames, 1, 1, framePairs}).expand({frames, height, width, framePairs}),
               ah.view({1, height, 1, spatialPairs}).expand({frames, height, width, spatialPairs}),
               aw.view({1, 1, width, spatialPairs}).expand({frames, height, width, spatialPairs})},
              -1)
          .reshape({frames * height * width, c});
  return {at::cos(angles).to(at::kFloat).to(device), at::sin(angles).to(at::kFloat).to(device)};
}

at::Tensor applyRope(const at::Tensor& x, const RopeTables& tables) {
  const auto sizes = x.sizes();  // B, L, N, D
  const int64_t c = sizes[3] / 2;
  at::Tensor pairs = x.to(at::kFloat).reshape({sizes[0], sizes[1], sizes[2], c, 2});
  at::Tensor x0 = pairs.select(-1, 0);
  at::Tensor x1 = pairs.select(-1, 1);
  at::Tensor cs = tables.cos.view({1, sizes[1], 1, c});
  at::Tensor sn = tables.sin.view({1, sizes[1], 1, c});
  at::Tensor out = at::stack({x0 * cs - x1 * sn, x0 * sn + x1 * cs}, -1);
  return out.reshape(sizes).to(x.scalar_type());
}

}  // namespace svgen
