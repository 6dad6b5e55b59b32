// What one weight file is, judged from its first bytes and its safetensors or GGUF header only: the
// pieces `svgen inspect` builds its report from. Nothing here reads a tensor's data.
#pragma once
#include "core/io/safetensors.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace svgen {

enum class WeightFileKind { Safetensors, SafetensorsIndex, Pickle, Gguf, Unknown };

// From the magic bytes when they are decisive, else from the extension. Pickles are recognised by
// content too because PyTorch saves them under .pth, .pt, .ckpt and .bin alike.
WeightFileKind sniffWeightFile(const std::string& path);

// True for the extensions weight files come with (.safetensors, .pth, .gguf, ...).
bool looksLikeWeightFile(const std::string& path);

// One line naming `path`, saying what it is and what to convert it to, for files svgen cannot read
// (pickles). Empty for kinds it reads (safetensors, GGUF).
std::string conversionAdvice(const std::string& path, WeightFileKind kind);

enum class WeightRole { Transformer, TextEncoder, Vae, ImageEncoder, Unknown };

// "transformer", "text_encoder", "vae", "image_encoder", "unknown"
const char* roleKey(WeightRole role);

// Guess from a file name alone ("umt5_xxl_fp16" → text encoder), for files whose header cannot be
// read.
WeightRole roleFromFileName(const std::string& path);

// Tensors of one component, gathered from one or more safetensors or GGUF files.
struct TensorSetSummary {
  std::vector<std::string> files;
  std::vector<std::string> dtypes;  // spec spellings ("BF16", "F8_E4M3", "Q4_K"), sorted, unique
  int64_t parameters = 0;
  size_t tensors = 0;
  std::string keyPrefix;          // "model.diffusion_model." etc., or empty
  std::string keyLayout;          // transformer only: "original", "diffusers" or "unknown"
  std::vector<std::string> keys;  // transformer only: original names, prefix stripped
  std::vector<std::vector<int64_t>> shapes;  // parallel to keys
  // VAE only: the side of the pixel patches its decoder writes (3 · patch² output channels): 1
  // for Wan 2.1's, 2 for Wan 2.2's; 0 when no decoder output was found.
  int vaePatch = 0;
};

// The tensors of `files` split by role. Keys under a component prefix (svgen's "text_encoder.",
// "vae.", ...) go to that component; the rest goes to the transformer when it holds the DiT's
// patch embedding, else to the text encoder (umT5 names) or the VAE (a decoder) when they look
// like one, or to the image encoder (CLIP vision names), else to Unknown.
struct SplitTensors {
  TensorSetSummary transformer, textEncoder, vae, imageEncoder, unknown;
  TensorSetSummary& of(WeightRole role);
};
SplitTensors splitByRole(const std::vector<std::shared_ptr<TensorFile>>& files);

}  // namespace svgen
