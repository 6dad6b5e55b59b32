#include "core/bench/structure_probe.h"

#include "core/attention/svg/svg_attention.h"
#include "core/attention/svg/svg_masks.h"
#include "core/attention/svoo/svoo_profiler.h"

#include <ATen/ATen.h>

namespace svgen {

at::Tensor StructureProbe::selfAttention(const at::Tensor& q, const at::Tensor& k,
                                         const at::Tensor& v, const AttentionCall& call) {
  countDense(q, k);
  const int64_t H = q.size(2);
  // The first batch entry: with guidance both entries see the same latent.
  const at::Tensor q0 = headMajor(q.narrow(0, 0, 1));
  const at::Tensor k0 = headMajor(k.narrow(0, 0, 1));
  const at::Tensor v0 = headMajor(v.narrow(0, 0, 1));
  const std::vector<double> fractions = keyFractionForMass(q0, k0, 0.95, rows_);
  const SvgMasks masks = svgMasks(call.grid, svgBlock_, svgDensity_);
  const SvgProfile profile =
      profileSvgHeads(q0, k0, v0, call.grid, masks, SvgAttention::kProfileRows);
  if (layers_.size() <= static_cast<size_t>(call.layer)) layers_.resize(call.layer + 1);
  std::vector<HeadStructure>& heads = layers_[call.layer];
  heads.assign(static_cast<size_t>(H), HeadStructure{});
  for (int64_t h = 0; h < H; ++h) {
    heads[h].keyFraction = fractions[h];
    heads[h].temporal = profile.temporal[h];
  }
  return denseAttention(q, k, v);
}

}  // namespace svgen
