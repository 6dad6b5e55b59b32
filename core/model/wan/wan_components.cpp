#include "core/model/wan/wan_components.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/string_affixes.h"
#include "core/io/tensor_io.h"
#include "core/model/wan_keys.h"
#include "core/text/umt5_llama_cpp_names.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace svgen {

namespace {

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : separator) + s;
  return out;
}

bool isIndex(const std::string& file) {
  return endsWith(fs::path(file).filename().string(), ".index.json");
}

// config.json next to a component's weights, when it came as a folder; beside a single file, a
// config.json holding `key` (single files do not record what their shapes cannot say, and a
// ComfyUI folder may keep the DiT's config in the same place).
std::optional<nlohmann::json> componentConfig(const InspectedComponent& c, const char* key) {
  if (fs::is_directory(c.path)) {
    const fs::path config = fs::path(c.path) / "config.json";
    if (!fs::is_regular_file(config)) return std::nullopt;
    return readJsonFile(config.string());
  }
  const fs::path beside = fs::path(c.path).parent_path() / "config.json";
  if (c.path.empty() || !fs::is_regular_file(beside)) return std::nullopt;
  nlohmann::json j = readJsonFile(beside.string());
  if (!j.is_object() || !j.contains(key)) return std::nullopt;
  return j;
}

std::map<std::string, std::vector<int64_t>> shapesOf(const TensorMap& tensors) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& [k, t] : tensors) shapes[k] = t.sizes().vec();
  return shapes;
}

}  // namespace

CheckpointInspection inspectRunnable(const std::string& path) {
  CheckpointInspection inspection = inspectCheckpoint(path);
  if (!inspection.missing.empty() || !inspection.config) {
    std::ostringstream msg;
    msg << path << " cannot run " << (inspection.imageToVideo ? "image" : "text") << "-to-video";
    if (!inspection.missing.empty())
      msg << ": missing, unreadable or found more than once: " << joined(inspection.missing, ", ");
    for (const InspectedComponent* c :
         {&inspection.transformer, &inspection.lowNoiseTransformer, &inspection.textEncoder,
          &inspection.tokenizer, &inspection.vae, &inspection.imageEncoder}) {
      if (!c->problem.empty()) msg << "\n  " << c->problem;
    }
    for (const auto& p : inspection.problems) msg << "\n  " << p;
    msg << "\n(svgen inspect " << path << " shows what was found)";
    throw InputError(msg.str());
  }
  return inspection;
}

LoadedWeights loadComponent(const InspectedComponent& c) {
  const bool indexed = std::any_of(c.files.begin(), c.files.end(), isIndex);
  std::vector<std::string> files;
  for (const std::string& file : c.files) {
    const std::string ext = fs::path(file).extension().string();
    const bool wanted =
        indexed ? isIndex(file) : (ext == ".safetensors" || ext == ".sft" || ext == ".gguf");
    if (wanted) files.push_back(file);  // not configs, nor shards an index already covers
  }
  return loadWeights(files);
}

std::unique_ptr<WanDiT> loadWanDiT(const CheckpointInspection& inspection, const at::Device& device,
                                   at::ScalarType dtype, bool streamBlocks) {
  const LoadedWeights weights = loadComponent(inspection.transformer);
  try {
    auto dit = std::make_unique<WanDiT>(
        inspection.config->config, toOriginalWanLayout(weights.dense),
        toOriginalWanLayout(weights.packed), streamBlocks ? at::Device(at::kCPU) : device, dtype);
    if (streamBlocks) dit->place(device, true);
    return dit;
  } catch (const InputError& e) {
    // The model checks the original Wan names; the user has the file's. Name the file and its
    // spelling of the key (norm3 in the model is norm2 in a diffusers file).
    std::string message = e.what();
    for (const auto& [key, shape] : weights.shapes()) {
      const std::string original = "\"" + wanKeyToOriginal(key) + "\"";
      if (original == "\"" + key + "\"") continue;
      for (size_t at = message.find(original); at != std::string::npos;
           at = message.find(original, at + key.size() + 2))
        message.replace(at, original.size(), "\"" + key + "\"");
    }
    throw InputError(inspection.transformer.path + ": " + message);
  }
}

std::unique_ptr<Umt5Encoder> loadUmt5Encoder(const CheckpointInspection& inspection,
                                             const at::Device& device, at::ScalarType dtype,
                                             at::ScalarType storage) {
  const InspectedComponent& text = inspection.textEncoder;
  // umT5 unpacks once: its weights are used once per prompt, not at every step.
  const at::ScalarType held = storage == at::ScalarType::Undefined ? dtype : storage;
  TensorMap weights = umt5FromLlamaCppNames(loadComponent(text).unpackAll(held));
  const auto json = componentConfig(text, "d_model");
  const Umt5Config config =
      json ? umt5ConfigFromJson(*json) : inferUmt5ConfigFromShapes(shapesOf(weights));
  const int textDim = inspection.config->config.textDim;
  if (config.dModel != textDim) {
    throw InputError(text.path + ": the text encoder's width is " + std::to_string(config.dModel) +
                     " but the transformer takes " + std::to_string(textDim));
  }
  try {
    return std::make_unique<Umt5Encoder>(config, weights, device, dtype, held);
  } catch (const InputError& e) {
    throw InputError(text.path + ": " + e.what());  // which file, as for the transformer
  }
}

namespace {

// The VAE's weights in diffusers' names and its config; InputError when its latent is not the one
// the transformer denoises.
std::pair<WanVaeConfig, TensorMap> wanVaeParts(const CheckpointInspection& inspection) {
  const InspectedComponent& vae = inspection.vae;
  TensorMap weights = wanVaeKeysToDiffusers(loadComponent(vae).unpackAll(at::kFloat));
  const auto json = componentConfig(vae, "z_dim");
  WanVaeConfig config =
      json ? wanVaeConfigFromJson(*json) : inferWanVaeConfigFromShapes(shapesOf(weights));
  const int channels = inspection.config->config.outChannels;
  if (config.zDim != channels) {
    throw InputError(vae.path + ": the VAE's latent has " + std::to_string(config.zDim) +
                     " channels but the transformer makes " + std::to_string(channels));
  }
  return {std::move(config), std::move(weights)};
}

}  // namespace

std::unique_ptr<WanVaeDecoder> loadWanVae(const CheckpointInspection& inspection,
                                          const at::Device& device, at::ScalarType dtype) {
  auto [config, weights] = wanVaeParts(inspection);
  try {
    return std::make_unique<WanVaeDecoder>(config, weights, device, dtype);
  } catch (const InputError& e) {
    throw InputError(inspection.vae.path + ": " + e.what());
  }
}

std::unique_ptr<WanVaeEncoder> loadWanVaeEncoder(const CheckpointInspection& inspection,
                                                 const at::Device& device, at::ScalarType dtype) {
  auto [config, weights] = wanVaeParts(inspection);
  try {
    return std::make_unique<WanVaeEncoder>(config, weights, device, dtype);
  } catch (const InputError& e) {
    throw InputError(inspection.vae.path + ": " + e.what() +
                     " (image-to-video needs the VAE's encoder too; some VAE files hold only the "
                     "decoder)");
  }
}

std::unique_ptr<ClipVisionEncoder> loadClipVision(const CheckpointInspection& inspection,
                                                  const at::Device& device, at::ScalarType dtype) {
  const InspectedComponent& image = inspection.imageEncoder;
  if (!image.found) throw InputError("no image encoder: " + image.problem);
  const TensorMap weights = loadComponent(image).unpackAll(at::kFloat);
  // No shape holds the head count of a size other than ViT-H's.
  const auto json = componentConfig(image, "image_size");
  ClipVisionConfig config =
      json ? clipVisionConfigFromJson(*json)
           : inferClipVisionConfigFromShapes(shapesOf(clipVisionKeys(weights)));
  // diffusers keeps the pixel statistics beside the encoder, in image_processor/.
  const fs::path processor =
      fs::path(image.path).parent_path() / "image_processor" / "preprocessor_config.json";
  if (fs::is_regular_file(processor)) {
    const nlohmann::json j = readJsonFile(processor.string());
    std::vector<double> mean, std;
    readJsonField(j, "image_mean", mean, processor.string());
    readJsonField(j, "image_std", std, processor.string());
    if (mean.size() == 3) std::copy(mean.begin(), mean.end(), config.mean.begin());
    if (std.size() == 3) std::copy(std.begin(), std.end(), config.std.begin());
  }
  const int width = inspection.config->config.imageDim;
  if (config.hiddenSize != width) {
    throw InputError(image.path + ": the image encoder's width is " +
                     std::to_string(config.hiddenSize) + " but the transformer takes " +
                     std::to_string(width));
  }
  try {
    return std::make_unique<ClipVisionEncoder>(config, weights, device, dtype);
  } catch (const InputError& e) {
    throw InputError(image.path + ": " + e.what());
  }
}

}  // namespace svgen
