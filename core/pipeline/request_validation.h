// Filling a request's defaults from its model and refusing impossible values before anything runs.
#pragma once
#include "core/pipeline/generation.h"

#include <string>
#include <vector>

namespace svgen {

// Every problem with the request, one sentence each, naming the setting and a valid value.
std::vector<std::string> requestProblems(const GenerationRequest& resolved, const ModelInfo& model);

// The request with the model's defaults filled in. Throws InputError listing requestProblems().
GenerationRequest resolveRequest(const GenerationRequest& request, const ModelInfo& model);

// The nearest valid frame count and size for a model (what error messages suggest).
int nearestValidFrames(int frames, const ModelInfo& model);
int nearestValidSize(int size, const ModelInfo& model);

}  // namespace svgen
