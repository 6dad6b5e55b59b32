// Requests and results as JSON: what --json prints, what exported clips carry, what restores a run.
#pragma once
#include "core/pipeline/generation.h"

#include <string>

namespace svgen {

std::string requestToJson(const GenerationRequest& request);
// Accepts a bare request or a clip's full metadata (with a "request" member). Missing fields keep
// their defaults; wrong types are an InputError naming the field.
GenerationRequest requestFromJson(const std::string& json);
// Settings, model, device, timings and version: embedded in every exported clip.
std::string resultMetadataJson(const GenerationResult& result);

}  // namespace svgen
