#include "core/model/wan_config_inference.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"

#include <cstdlib>
#include <algorithm>
#include <set>

namespace svgen {

namespace {

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const std::vector<int64_t>* findShape(const WanShapeMap& shapes, const std::string& name) {
  auto it = shapes.find(name);
  return it == shapes.end() ? nullptr : &it->second;
}

// The second dimension of a [dim, x] linear weight, or 0 (and a problem) when it is not one.
int linearInputs(const WanShapeMap& shapes, const std::string& name, int dim,
                 DescribedWanConfig& out, const char* field) {
  const auto* shape = findShape(shapes, name);
  if (!shape) {
    out.assumed[field] = std::string("no ") + name;
    return 0;
  }
  if (shape->size() != 2 || (*shape)[0] != dim) {
    out.problems.push_back(name + " has shape " + shapeText(*shape) + ", expected [" +
                           std::to_string(dim) + ", n]");
    out.assumed[field] = name + " has an unexpected shape";
    return 0;
  }
  return static_cast<int>((*shape)[1]);
}

int assumedHeads(int dim, std::map<std::string, std::string>& assumed) {
  for (int headDim : {128, 64}) {
    if (dim >= headDim && dim % headDim == 0) {
      assumed["num_heads"] =
          "no tensor records it; head dim " + std::to_string(headDim) +
          (headDim == 128 ? " as in Wan 2.1" : " since dim is not a multiple of 128");
      return dim / headDim;
    }
  }
  assumed["num_heads"] = "no tensor records it; one head since dim is not a multiple of 64";
  return 1;
}

template <typename T>
bool readField(const nlohmann::json& j, const char* key, T& out) {
  if (!j.contains(key) || j.at(key).is_null()) return false;
  readJsonField(j, key, out, "transformer config.json");
  return true;
}

}  // namespace

DescribedWanConfig inferWanConfigFromShapes(const WanShapeMap& shapes) {
  DescribedWanConfig out;
  out.source = "tensor shapes";
  WanConfig& c = out.config;

  const auto* patch = findShape(shapes, "patch_embedding.weight");
  if (!patch) throw InputError("no patch_embedding.weight: not a Wan 2.1 transformer");
  // Every size below divides or multiplies by these: a zero (or a size past int) would crash the
  // arithmetic instead of refusing the file.
  const bool sane = patch->size() == 5 && std::all_of(patch->begin(), patch->end(), [](int64_t d) {
                      return d >= 1 && d <= (1 << 20);
                    });
  if (!sane) {
    throw InputError("patch_embedding.weight has shape " + shapeText(*patch) +
                     ", expected [dim, in_channels, patch_t, patch_h, patch_w], each 1 to 1048576");
  }
  c.dim = static_cast<int>((*patch)[0]);
  c.inChannels = static_cast<int>((*patch)[1]);
  c.patch = {static_cast<int>((*patch)[2]), static_cast<int>((*patch)[3]),
             static_cast<int>((*patch)[4])};

  std::set<long> blocks;
  for (const auto& [name, shape] : shapes) {
    if (name.compare(0, 7, "blocks.") != 0) continue;
    char* end = nullptr;
    long n = std::strtol(name.c_str() + 7, &end, 10);
    if (end != name.c_str() + 7 && *end == '.') blocks.insert(n);
  }
  c.numLayers = static_cast<int>(blocks.size());
  if (!blocks.empty() && *blocks.rbegin() + 1 != static_cast<long>(blocks.size())) {
    out.problems.push_back("blocks are numbered up to " + std::to_string(*blocks.rbegin()) +
                           " but only " + std::to_string(blocks.size()) + " are present");
  }

  const auto* ffn = findShape(shapes, "blocks.0.ffn.0.weight");
  if (ffn && ffn->size() == 2 && (*ffn)[1] == c.dim) {
    c.ffnDim = static_cast<int>((*ffn)[0]);
  } else {
    out.assumed["ffn_dim"] =
        ffn ? "blocks.0.ffn.0.weight has an unexpected shape" : "no blocks.0.ffn.0.weight";
    if (ffn) out.problems.push_back("blocks.0.ffn.0.weight has shape " + shapeText(*ffn));
  }

  if (int text = linearInputs(shapes, "text_embedding.0.weight", c.dim, out, "text_dim"))
    c.textDim = text;
  if (int freq = linearInputs(shapes, "time_embedding.0.weight", c.dim, out, "freq_dim"))
    c.freqDim = freq;

  const auto* head = findShape(shapes, "head.head.weight");
  if (head && head->size() == 2 && (*head)[1] == c.dim && (*head)[0] % c.patchVolume() == 0) {
    c.outChannels = static_cast<int>((*head)[0] / c.patchVolume());
  } else {
    out.assumed["out_dim"] =
        head ? "head.head.weight does not divide by the patch volume" : "no head.head.weight";
    if (head) out.problems.push_back("head.head.weight has shape " + shapeText(*head));
  }

  // Image-to-video models carry the image embedding; text-to-video ones have none.
  const auto* image = findShape(shapes, "img_emb.proj.0.weight");
  if (image && image->size() == 1) c.imageDim = static_cast<int>((*image)[0]);

  c.numHeads = assumedHeads(c.dim, out.assumed);
  out.assumed["text_len"] = "not stored in weights; Wan 2.1 pads text to 512 tokens";
  out.assumed["eps"] = "not stored in weights; Wan 2.1 uses 1e-6";
  return out;
}

DescribedWanConfig wanConfigFromAnyJson(const nlohmann::json& j) {
  if (!j.is_object()) throw InputError("transformer config.json is not a JSON object");
  DescribedWanConfig out;
  out.source = "config.json";
  WanConfig& c = out.config;
  auto stated = [&](bool found, const char* field, const char* why) {
    if (!found) out.assumed[field] = why;
  };
  const char* absent = "absent from config.json; Wan 2.1's default";

  // Diffusers states heads and head dim; the original repository states dim and heads.
  int heads = 0, headDim = 0;
  const bool hasHeads = readField(j, "num_attention_heads", heads);
  const bool hasHeadDim = readField(j, "attention_head_dim", headDim);
  if (hasHeads && hasHeadDim) {
    c.numHeads = heads;
    c.dim = heads * headDim;
  } else {
    stated(readField(j, "dim", c.dim), "dim", absent);
    stated(readField(j, "num_heads", c.numHeads) || readField(j, "num_attention_heads", c.numHeads),
           "num_heads", absent);
  }
  stated(readField(j, "ffn_dim", c.ffnDim), "ffn_dim", absent);
  stated(readField(j, "num_layers", c.numLayers), "num_layers", absent);
  stated(readField(j, "patch_size", c.patch), "patch_size", absent);
  stated(readField(j, "in_dim", c.inChannels) || readField(j, "in_channels", c.inChannels),
         "in_dim", absent);
  stated(readField(j, "out_dim", c.outChannels) || readField(j, "out_channels", c.outChannels),
         "out_dim", absent);
  stated(readField(j, "text_dim", c.textDim), "text_dim", absent);
  stated(readField(j, "freq_dim", c.freqDim), "freq_dim", absent);
  stated(readField(j, "text_len", c.textLen), "text_len", absent);
  stated(readField(j, "eps", c.eps), "eps", absent);
  readField(j, "prediction", c.prediction);
  // diffusers states the image width (null for text-to-video); the original config only the task,
  // and every released image-to-video model reads CLIP ViT-H/14's 1280-wide tokens.
  if (!readField(j, "image_dim", c.imageDim)) {
    std::string task;
    if (readField(j, "model_type", task) && (task == "i2v" || task == "flf2v")) {
      c.imageDim = 1280;
      out.assumed["image_dim"] = "config.json says model_type " + task + "; CLIP ViT-H/14's 1280";
    } else if (!j.contains("image_dim") && !j.contains("model_type")) {
      out.assumed["image_dim"] = "absent from config.json; text-to-video (no image input)";
    }
  }
  return out;
}

std::vector<std::string> wanConfigConflicts(const DescribedWanConfig& stated,
                                            const DescribedWanConfig& fromShapes) {
  std::vector<std::string> out;
  auto compare = [&](const char* field, const std::string& a, const std::string& b) {
    if (stated.assumed.count(field) || fromShapes.assumed.count(field) || a == b) return;
    out.push_back(std::string(field) + ": config.json says " + a + ", the weights hold " + b);
  };
  auto patchText = [](const WanConfig& c) {
    return shapeText({c.patch[0], c.patch[1], c.patch[2]});
  };
  const WanConfig& a = stated.config;
  const WanConfig& b = fromShapes.config;
  compare("dim", std::to_string(a.dim), std::to_string(b.dim));
  compare("ffn_dim", std::to_string(a.ffnDim), std::to_string(b.ffnDim));
  compare("num_layers", std::to_string(a.numLayers), std::to_string(b.numLayers));
  compare("patch_size", patchText(a), patchText(b));
  compare("in_dim", std::to_string(a.inChannels), std::to_string(b.inChannels));
  compare("out_dim", std::to_string(a.outChannels), std::to_string(b.outChannels));
  compare("text_dim", std::to_string(a.textDim), std::to_string(b.textDim));
  compare("freq_dim", std::to_string(a.freqDim), std::to_string(b.freqDim));
  compare("image_dim", std::to_string(a.imageDim), std::to_string(b.imageDim));
  return out;
}

std::string wanModelName(const WanConfig& c) {
  const bool wanShape =
      c.patch == std::array<int, 3>{1, 2, 2} && c.textDim == 4096 && c.freqDim == 256;
  if (!wanShape) return "custom";
  if (c.dim == 3072 && c.numLayers == 30 && c.inChannels == 48 && c.outChannels == 48)
    return "Wan 2.2 TI2V 5B";
  if (c.outChannels != 16) return "custom";
  if (c.dim == 1536 && c.numLayers == 30 && c.inChannels == 16) return "Wan 2.1 T2V 1.3B";
  if (c.dim == 5120 && c.numLayers == 40 && c.inChannels == 16) return "Wan 2.1 T2V 14B";
  // Image-to-video adds the image latent and mask to the input channels.
  if (c.dim == 5120 && c.numLayers == 40 && c.inChannels == 36 && c.imageDim > 0)
    return "Wan 2.1 I2V 14B";
  return "custom";
}

}  // namespace svgen
