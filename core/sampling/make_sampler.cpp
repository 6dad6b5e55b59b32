#include "core/common/error.h"
#include "core/sampling/euler_sampler.h"
#include "core/sampling/unipc_sampler.h"

namespace svgen {

std::unique_ptr<Sampler> makeSampler(const std::string& name, int steps, double shift) {
  if (name == "euler") return std::make_unique<EulerSampler>(steps, shift);
  if (name == "unipc") return std::make_unique<UniPCSampler>(steps, shift);
  throw InputError("unknown sampler \"" + name + "\": use \"unipc\" or \"euler\"");
}

}  // namespace svgen
