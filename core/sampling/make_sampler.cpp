#include "core/common/error.h"
#include "core/sampling/ancestral_sampler.h"
#include "core/sampling/euler_sampler.h"
#include "core/sampling/unipc_sampler.h"

namespace svgen {

std::unique_ptr<Sampler> makeSampler(const std::string& name, int steps, double shift,
                                     uint64_t seed) {
  if (name == "euler") return std::make_unique<EulerSampler>(steps, shift);
  if (name == "unipc") return std::make_unique<UniPCSampler>(steps, shift);
  if (name == "ancestral") return std::make_unique<AncestralSampler>(steps, shift, seed);
  throw InputError("unknown sampler \"" + name + "\": use \"unipc\", \"euler\" or \"ancestral\"");
}

}  // namespace svgen
