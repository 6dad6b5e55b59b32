#include "core/model/builtin/config_json.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

namespace svgen {

namespace {

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out) {
  readJsonField(j, key, out, "model config");
}

}  // namespace

nlohmann::json toJson(const WanConfig& c) {
  nlohmann::json j = {{"dim", c.dim},
                      {"ffn_dim", c.ffnDim},
                      {"num_heads", c.numHeads},
                      {"num_layers", c.numLayers},
                      {"patch_size", c.patch},
                      {"in_dim", c.inChannels},
                      {"out_dim", c.outChannels},
                      {"text_dim", c.textDim},
                      {"freq_dim", c.freqDim},
                      {"text_len", c.textLen},
                      {"eps", c.eps},
                      {"prediction", c.prediction},
                      {"position_embedding", c.positionEmbedding}};
  if (c.imageDim > 0) j["image_dim"] = c.imageDim;  // image-to-video only
  return j;
}

WanConfig wanConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) throw InputError("model config must be a JSON object");
  WanConfig c;
  read(j, "dim", c.dim);
  read(j, "ffn_dim", c.ffnDim);
  read(j, "num_heads", c.numHeads);
  read(j, "num_layers", c.numLayers);
  read(j, "patch_size", c.patch);
  read(j, "in_dim", c.inChannels);
  read(j, "out_dim", c.outChannels);
  read(j, "text_dim", c.textDim);
  read(j, "freq_dim", c.freqDim);
  read(j, "text_len", c.textLen);
  read(j, "eps", c.eps);
  read(j, "prediction", c.prediction);
  read(j, "position_embedding", c.positionEmbedding);
  read(j, "image_dim", c.imageDim);
  validateConfig(c);
  return c;
}

nlohmann::json toJson(const WordEncoderConfig& c) {
  return {{"dim", c.dim},
          {"num_layers", c.numLayers},
          {"num_heads", c.numHeads},
          {"ffn_dim", c.ffnDim},
          {"max_words", c.maxWords}};
}

WordEncoderConfig wordEncoderConfigFromJson(const nlohmann::json& j) {
  WordEncoderConfig c;
  read(j, "dim", c.dim);
  read(j, "num_layers", c.numLayers);
  read(j, "num_heads", c.numHeads);
  read(j, "ffn_dim", c.ffnDim);
  read(j, "max_words", c.maxWords);
  return c;
}

}  // namespace svgen
