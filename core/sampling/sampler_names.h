// The samplers a request may name, without the sampler classes (for option checks and the UI).
#pragma once
#include <string>
#include <vector>

namespace svgen {

// The names makeSampler takes, the default first.
const std::vector<std::string>& samplerNames();
// The same as text for messages: "unipc, euler, dpm++, ancestral".
std::string samplerList();

}  // namespace svgen
