// JSON forms of the model configs, as stored in a model folder's config.json.
#pragma once
#include "core/model/builtin/word_encoder.h"
#include "core/model/wan_config.h"

#include <nlohmann/json.hpp>

namespace svgen {

nlohmann::json toJson(const WanConfig& config);
WanConfig wanConfigFromJson(const nlohmann::json& j);
nlohmann::json toJson(const WordEncoderConfig& config);
WordEncoderConfig wordEncoderConfigFromJson(const nlohmann::json& j);

}  // namespace svgen
