// The generation request options shared by generate and compare: prompt, model, size, steps,
// sampler, seed, device.
#pragma once
#include "core/pipeline/generation.h"

#include <CLI/CLI.hpp>

namespace svgen::cli {

// Registers the request options on `cmd`, writing into `r`. `withSaveLatents` false leaves out
// --save-latents (for commands that run several generations and would overwrite one file).
void addRequestOptions(CLI::App* cmd, GenerationRequest& r, bool withSaveLatents = true);

}  // namespace svgen::cli
