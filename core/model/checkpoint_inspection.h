// `svgen inspect`: which Wan 2.1 / 2.2 layout a path holds and what each component is, from config
// files and safetensors headers only, so a user learns what is missing or unreadable before minutes
// of loading. Layouts: diffusers folders, ComfyUI single files (or a folder of them), the original
// Wan2.1 repository folder, and svgen's own model folders.
#pragma once
#include "core/model/wan_config_inference.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace svgen {

struct InspectedComponent {
  bool found = false;
  bool readable = false;  // its headers parsed; false for pickles, GGUF and broken files
  std::string path;       // the file or folder it was found at
  std::vector<std::string> files;
  std::string format;               // "safetensors", "PyTorch pickle", "SentencePiece model", ...
  std::vector<std::string> dtypes;  // safetensors spellings: "F32", "BF16", ...
  int64_t parameters = -1;          // -1 when unknown
  std::string detail;               // e.g. "keys: original names, prefix model.diffusion_model."
  std::string problem;              // why it cannot be used as is, and what to do
};

struct CheckpointInspection {
  std::string path;
  // "diffusers", "comfyui", "wan-original", "svgen", "single-file" (a lone DiT file without
  // ComfyUI's prefix), "files" (a folder of loose weight files) or "hunyuan-diffusers" (a
  // HunyuanVideo pipeline folder).
  std::string layout;
  std::string layoutDescription;
  // The model family that reads this layout (ModelFamily::id and label; inspectModel fills them
  // from the registry), or empty when none does.
  std::string family, familyLabel;
  InspectedComponent transformer, textEncoder, tokenizer, vae;
  InspectedComponent imageEncoder;  // CLIP vision, for Wan 2.1 image-to-video
  // HunyuanVideo's second text encoder (CLIP-L's text model) and its tokenizer; textEncoder and
  // tokenizer are then LLaVA-Llama-3's.
  InspectedComponent textEncoder2, tokenizer2;
  // Wan 2.2's two-expert models (A14B): `transformer` is then the high-noise expert, which
  // denoises while the timestep is at or above boundaryRatio · 1000, and this the low-noise one.
  // Found in diffusers' transformer_2/, the original low_noise_model/, or a file whose name says
  // low noise (ComfyUI's wan2.2_t2v_low_noise_14B_*.safetensors, GGUF conversions' "LowNoise").
  InspectedComponent lowNoiseTransformer;
  double boundaryRatio = 0;         // 0: one network for every step
  bool imageToVideo = false;        // the transformer reads an image condition beside its latent
  bool imageEncoderNeeded = false;  // and CLIP's tokens of the image (Wan 2.1 I2V)
  // Pixels per latent pixel of the VAE: 8 for Wan 2.1's, 16 for Wan 2.2's (TI2V-5B); from the
  // VAE's decoder when found, else from the transformer's latent channels (48 are Wan 2.2's).
  int vaeSpatialScale = 8;
  bool vaeNeeded = true;  // svgen's built-in models: pixels, or their own autoencoder
  std::optional<DescribedWanConfig> config;
  std::string modelName;                     // wanModelName's, or an svgen model's label
  std::vector<std::string> configConflicts;  // config.json against the weights' shapes
  // Components the model needs that are absent or unreadable: "transformer", "text_encoder",
  // "tokenizer", "vae", for Wan 2.1 image-to-video "image_encoder", for a two-expert model
  // "transformer_2" (the low-noise expert), for HunyuanVideo "text_encoder_2" and "tokenizer_2".
  std::vector<std::string> missing;
  // One line per file that could not be read, naming it and what to convert it to.
  std::vector<std::string> problems;
  std::vector<std::string> notes;  // extra copies found, files ignored

  // The component a `missing` key names, or null for a key that is none of them.
  const InspectedComponent* component(const std::string& key) const;
};

// Throws InputError for a path that does not exist, a single file that cannot be read (the message
// names it and what to convert it to) and a folder holding nothing recognisable.
CheckpointInspection inspectCheckpoint(const std::string& path);

// The "_class_name" a diffusers JSON file (model_index.json, a component's config.json) states,
// or "" when the file is absent, unreadable or states none.
std::string diffusersClassName(const std::string& jsonPath);

// A parameter count as people say it: "1.42 B", "28.3 M", "4.1 K", "512".
std::string parameterCountText(int64_t parameters);

}  // namespace svgen
