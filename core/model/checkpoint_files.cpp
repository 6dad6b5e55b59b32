#include "core/model/checkpoint_files.h"

#include "core/common/string_affixes.h"
#include "core/io/packed_weights.h"
#include "core/model/wan_keys.h"
#include "core/text/umt5_llama_cpp_names.h"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace svgen {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Prefixes that put a whole component into one file: svgen's own models, ComfyUI's and
// Stable-Diffusion-style all-in-one checkpoints.
WeightRole componentOfPrefix(const std::string& key, std::string& prefix) {
  static const std::vector<std::pair<std::string, WeightRole>> prefixes = {
      {"text_encoder.", WeightRole::TextEncoder},     {"text_encoders.", WeightRole::TextEncoder},
      {"cond_stage_model.", WeightRole::TextEncoder}, {"vae.", WeightRole::Vae},
      {"first_stage_model.", WeightRole::Vae},        {"image_encoder.", WeightRole::ImageEncoder},
  };
  for (const auto& [p, role] : prefixes) {
    if (startsWith(key, p)) {
      prefix = p;
      return role;
    }
  }
  return WeightRole::Unknown;
}

std::string ditPrefix(const std::string& key) {
  for (const char* p : {"model.diffusion_model.", "diffusion_model."}) {
    if (startsWith(key, p)) return p;
  }
  return {};
}

// umT5 in Hugging Face naming (diffusers, ComfyUI) or in the Wan repository's own.
bool looksLikeT5(const std::vector<const TensorInfo*>& tensors) {
  for (const auto* t : tensors) {
    if (contains(t->name, "encoder.block.") || t->name == "shared.weight" ||
        isLlamaCppT5Name(t->name) || endsWith(t->name, "token_embedding.weight") ||
        contains(t->name, "relative_attention_bias"))
      return true;
  }
  return false;
}

// Wan-VAE in the original naming (encoder/decoder with conv1/conv2) or diffusers'.
bool looksLikeVae(const std::vector<const TensorInfo*>& tensors) {
  for (const auto* t : tensors) {
    if (startsWith(t->name, "decoder.") || contains(t->name, "post_quant_conv")) return true;
  }
  return false;
}

bool holdsDit(const std::vector<const TensorInfo*>& tensors) {
  for (const auto* t : tensors) {
    if (wanKeyToOriginal(t->name) == "patch_embedding.weight") return true;
  }
  return false;
}

void addTensor(TensorSetSummary& s, const TensorFile& file, const TensorInfo& t,
               std::set<std::string>& dtypes) {
  if (s.files.empty() || s.files.back() != file.path()) {
    if (std::find(s.files.begin(), s.files.end(), file.path()) == s.files.end())
      s.files.push_back(file.path());
  }
  dtypes.insert(dtypeName(t.dtype));
  if (!isFp8SideTensor(t.name)) s.parameters += t.numel();
  ++s.tensors;
}

}  // namespace

WeightFileKind sniffWeightFile(const std::string& path) {
  const std::string ext = lower(fs::path(path).extension().string());
  const std::string name = lower(fs::path(path).filename().string());
  unsigned char magic[8] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(magic), sizeof magic);
  const auto got = in.gcount();
  if (got >= 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F')
    return WeightFileKind::Gguf;
  // torch.save writes a zip archive (PK\3\4) since 1.6, a bare pickle (protocol 2+ starts 0x80)
  // before.
  if (got >= 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)
    return WeightFileKind::Pickle;
  if (got >= 2 && magic[0] == 0x80 && magic[1] >= 2 && magic[1] <= 5) return WeightFileKind::Pickle;
  if (endsWith(name, ".safetensors.index.json")) return WeightFileKind::SafetensorsIndex;
  if (ext == ".safetensors" || ext == ".sft") return WeightFileKind::Safetensors;
  if (ext == ".gguf") return WeightFileKind::Gguf;
  if (ext == ".pth" || ext == ".pt" || ext == ".ckpt" || ext == ".bin")
    return WeightFileKind::Pickle;
  return WeightFileKind::Unknown;
}

bool looksLikeWeightFile(const std::string& path) {
  const std::string name = lower(fs::path(path).filename().string());
  for (const char* ext : {".safetensors", ".sft", ".pth", ".pt", ".ckpt", ".bin", ".gguf"}) {
    if (endsWith(name, ext)) return true;
  }
  return endsWith(name, ".safetensors.index.json");
}

std::string conversionAdvice(const std::string& path, WeightFileKind kind) {
  switch (kind) {
    case WeightFileKind::Pickle:
      return path +
             ": a PyTorch pickle, which svgen does not load (unpickling can run code): convert it "
             "to safetensors (torch.load, then safetensors.torch.save_file) or download the "
             ".safetensors release";
    default:
      return {};
  }
}

const char* roleKey(WeightRole role) {
  switch (role) {
    case WeightRole::Transformer:
      return "transformer";
    case WeightRole::TextEncoder:
      return "text_encoder";
    case WeightRole::Vae:
      return "vae";
    case WeightRole::ImageEncoder:
      return "image_encoder";
    default:
      return "unknown";
  }
}

WeightRole roleFromFileName(const std::string& path) {
  const std::string name = lower(fs::path(path).filename().string());
  if (contains(name, "clip_vision") || contains(name, "image_encoder"))
    return WeightRole::ImageEncoder;
  if (contains(name, "t5")) return WeightRole::TextEncoder;
  if (contains(name, "vae")) return WeightRole::Vae;
  for (const char* word : {"diffusion", "t2v", "i2v", "dit", "transformer", "wan"}) {
    if (contains(name, word)) return WeightRole::Transformer;
  }
  return WeightRole::Unknown;
}

TensorSetSummary& SplitTensors::of(WeightRole role) {
  switch (role) {
    case WeightRole::Transformer:
      return transformer;
    case WeightRole::TextEncoder:
      return textEncoder;
    case WeightRole::Vae:
      return vae;
    case WeightRole::ImageEncoder:
      return imageEncoder;
    default:
      return unknown;
  }
}

SplitTensors splitByRole(const std::vector<std::shared_ptr<TensorFile>>& files) {
  SplitTensors out;
  std::map<WeightRole, std::set<std::string>> dtypes;
  std::vector<std::pair<const TensorFile*, const TensorInfo*>> rest;
  for (const auto& file : files) {
    for (const auto& t : file->tensors()) {
      // The VAE decoder's output (diffusers' or the original name) says its pixel patch.
      const bool vaeOutput =
          endsWith(t.name, "decoder.conv_out.weight") || endsWith(t.name, "decoder.head.2.weight");
      if (vaeOutput && t.shape.size() == 5) {
        const int patch = static_cast<int>(std::lround(std::sqrt(t.shape[0] / 3.0)));
        if (3 * patch * patch == t.shape[0]) out.vae.vaePatch = patch;
      }
      std::string prefix;
      const WeightRole role = componentOfPrefix(t.name, prefix);
      if (role == WeightRole::Unknown) {
        rest.emplace_back(file.get(), &t);
        continue;
      }
      out.of(role).keyPrefix = prefix;
      addTensor(out.of(role), *file, t, dtypes[role]);
    }
  }

  std::vector<const TensorInfo*> restInfos;
  for (const auto& r : rest) restInfos.push_back(r.second);
  WeightRole restRole = WeightRole::Unknown;
  if (holdsDit(restInfos))
    restRole = WeightRole::Transformer;
  else if (looksLikeT5(restInfos))
    restRole = WeightRole::TextEncoder;
  else if (looksLikeVae(restInfos))
    restRole = WeightRole::Vae;
  else if (std::any_of(restInfos.begin(), restInfos.end(),
                       [](const TensorInfo* t) { return contains(t->name, "vision_model."); }))
    restRole = WeightRole::ImageEncoder;

  TensorSetSummary& target = out.of(restRole);
  std::vector<std::string> rawKeys;
  for (const auto& [file, t] : rest) {
    addTensor(target, *file, *t, dtypes[restRole]);
    if (restRole != WeightRole::Transformer) continue;
    rawKeys.push_back(t->name);
    target.keys.push_back(wanKeyToOriginal(t->name));
    target.shapes.push_back(t->shape);
  }
  if (restRole == WeightRole::Transformer) {
    target.keyLayout = detectWanKeyLayout(rawKeys);
    if (!rawKeys.empty()) target.keyPrefix = ditPrefix(rawKeys.front());
  }
  for (auto& [role, names] : dtypes) out.of(role).dtypes.assign(names.begin(), names.end());
  return out;
}

}  // namespace svgen
