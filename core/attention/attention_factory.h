// Makes the backend a config names. The one place that knows every method.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/attention/attention_config.h"

#include <memory>
#include <string>

namespace svgen {

// `modelDir`: where SVOO looks for its profile table when the config names none (empty for
// models without a folder). Throws InputError for an unknown method, bad settings or a missing or
// malformed SVOO table.
std::unique_ptr<AttentionBackend> makeAttentionBackend(const AttentionConfig& config,
                                                       const std::string& modelDir = "");

}  // namespace svgen
