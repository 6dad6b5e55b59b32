#include "core/common/error.h"
#include "core/sampling/ancestral_sampler.h"
#include "core/sampling/dpm_sampler.h"
#include "core/sampling/euler_sampler.h"
#include "core/sampling/unipc_sampler.h"

namespace svgen {

const std::vector<std::string>& samplerNames() {
  static const std::vector<std::string> names = {"unipc", "euler", "dpm++", "ancestral"};
  return names;
}

std::string samplerList() {
  std::string list;
  for (const std::string& name : samplerNames()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

std::unique_ptr<Sampler> makeSampler(const std::string& name, int steps, double shift,
                                     uint64_t seed, const std::string& schedule) {
  if (!schedule.empty() && schedule != "hunyuan-video")
    throw InputError("unknown σ schedule \"" + schedule + "\"");
  if (name == "unipc") return std::make_unique<UniPCSampler>(steps, shift);
  if (name == "euler")
    return schedule.empty() ? std::make_unique<EulerSampler>(steps, shift)
                            : std::make_unique<EulerSampler>(hunyuanVideoSigmas(steps, shift));
  if (name == "dpm++") return std::make_unique<DpmSolverSampler>(steps, shift);
  if (name == "ancestral") return std::make_unique<AncestralSampler>(steps, shift, seed);
  throw InputError("unknown sampler \"" + name + "\": use one of " + samplerList());
}

}  // namespace svgen
