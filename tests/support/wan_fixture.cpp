#include "wan_fixture.h"

#include "test_support.h"

#include "core/io/tensor_io.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_keys.h"

#include <ATen/ATen.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

namespace fs = std::filesystem;

namespace svgen::test {

TensorMap wanReference() {
  return loadTensors(sourcePath("tests/fixtures/wan_tiny_reference.safetensors"));
}

TensorMap wanVaeWeights() {
  return loadTensors(sourcePath("tests/fixtures/wan_tiny/vae/diffusion_pytorch_model.safetensors"));
}

WanVaeConfig wanVaeConfig() {
  std::ifstream in(sourcePath("tests/fixtures/wan_tiny/vae/config.json"));
  return wanVaeConfigFromJson(nlohmann::json::parse(in));
}

TensorMap wanVaeInOriginalNames(const TensorMap& diffusers, int numResBlocks, bool nested) {
  const std::map<std::string, std::string> leaf = {
      {"norm1.gamma", "residual.0.gamma"},         {"conv1.weight", "residual.2.weight"},
      {"conv1.bias", "residual.2.bias"},           {"norm2.gamma", "residual.3.gamma"},
      {"conv2.weight", "residual.6.weight"},       {"conv2.bias", "residual.6.bias"},
      {"conv_shortcut.weight", "shortcut.weight"}, {"conv_shortcut.bias", "shortcut.bias"}};
  const std::regex up(R"(^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$)");
  const std::regex upsampler(R"(^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*)$)");
  const std::regex mid(R"(^(decoder|encoder)\.mid_block\.resnets\.(\d+)\.(.*)$)");
  // The encoder's down_blocks are flat, as the original's downsamples: same indices.
  const std::regex down(R"(^encoder\.down_blocks\.(\d+)\.(.*)$)");
  const int stride = numResBlocks + 2;
  // Wan 2.2's stages: down_blocks.S.resnets.J / .downsampler, up_blocks.S.resnets.J / .upsampler.
  const std::regex stageResnet(
      R"(^(encoder|decoder)\.(down|up)_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$)");
  const std::regex stageResample(
      R"(^(encoder|decoder)\.(down|up)_blocks\.(\d+)\.(?:down|up)sampler\.(.*)$)");
  TensorMap out;
  for (const auto& [key, t] : diffusers) {
    std::smatch m;
    std::string name = key;
    if (nested && std::regex_match(key, m, stageResnet)) {
      const std::string list = m[2].str() + "samples";
      name = m[1].str() + "." + list + "." + m[3].str() + "." + list + "." + m[4].str() + "." +
             leaf.at(m[5]);
    } else if (nested && std::regex_match(key, m, stageResample)) {
      // After the stage's residual blocks: num_res_blocks in the encoder, one more in the decoder.
      const std::string list = m[2].str() + "samples";
      const int index = m[2] == "down" ? numResBlocks : numResBlocks + 1;
      name = m[1].str() + "." + list + "." + m[3].str() + "." + list + "." + std::to_string(index) +
             "." + m[4].str();
    } else if (key.rfind("post_quant_conv.", 0) == 0) {
      name = "conv2." + key.substr(16);
    } else if (key.rfind("quant_conv.", 0) == 0) {
      name = "conv1." + key.substr(11);
    } else if (key.rfind("decoder.conv_in.", 0) == 0 || key.rfind("encoder.conv_in.", 0) == 0) {
      name = key.substr(0, 8) + "conv1." + key.substr(16);
    } else if (key == "decoder.norm_out.gamma" || key == "encoder.norm_out.gamma") {
      name = key.substr(0, 8) + "head.0.gamma";
    } else if (key.rfind("decoder.conv_out.", 0) == 0 || key.rfind("encoder.conv_out.", 0) == 0) {
      name = key.substr(0, 8) + "head.2." + key.substr(17);
    } else if (key.rfind("decoder.mid_block.attentions.0.", 0) == 0 ||
               key.rfind("encoder.mid_block.attentions.0.", 0) == 0) {
      name = key.substr(0, 8) + "middle.1." + key.substr(31);
    } else if (std::regex_match(key, m, mid)) {
      name = m[1].str() + ".middle." + std::to_string(2 * std::stoi(m[2])) + "." + leaf.at(m[3]);
    } else if (std::regex_match(key, m, down)) {
      const auto it = leaf.find(m[2]);
      name =
          "encoder.downsamples." + m[1].str() + "." + (it == leaf.end() ? m[2].str() : it->second);
    } else if (std::regex_match(key, m, up)) {
      name = "decoder.upsamples." + std::to_string(std::stoi(m[1]) * stride + std::stoi(m[2])) +
             "." + leaf.at(m[3]);
    } else if (std::regex_match(key, m, upsampler)) {
      name = "decoder.upsamples." + std::to_string(std::stoi(m[1]) * stride + stride - 1) + "." +
             m[2].str();
    }
    out[name] = t;
  }
  return out;
}

void writeComfyUiFolder(const std::string& dir, bool imageToVideo) {
  const std::string src = sourcePath("tests/fixtures/wan_tiny");
  const std::string i2v = sourcePath("tests/fixtures/wan_i2v_tiny");
  const std::string transformer = (imageToVideo ? i2v : src) + "/transformer";
  TensorMap dit;
  for (const auto& [k, t] : loadTensors(transformer + "/diffusion_pytorch_model.safetensors"))
    dit["model.diffusion_model." + wanKeyToOriginal(k)] = t;
  fs::create_directories(dir + "/diffusion_models");
  fs::create_directories(dir + "/text_encoders");
  fs::create_directories(dir + "/vae");
  fs::create_directories(dir + "/tokenizer");
  saveTensors(dir + "/diffusion_models/wan2.1_" + std::string(imageToVideo ? "i2v" : "t2v") +
                  "_tiny_fp32.safetensors",
              dit);
  saveTensors(dir + "/text_encoders/umt5_xxl_tiny_fp32.safetensors",
              loadTensors(src + "/text_encoder/model.safetensors"));
  saveTensors(dir + "/vae/wan_2.1_vae.safetensors",
              wanVaeInOriginalNames(loadTensors(src + "/vae/diffusion_pytorch_model.safetensors"),
                                    /*numResBlocks=*/2));
  fs::copy_file(src + "/tokenizer/spiece.model", dir + "/tokenizer/spiece.model");
  // The tiny VAE's latent statistics are its own (released files have Wan's, known from z = 16).
  fs::copy_file(src + "/vae/config.json", dir + "/vae/config.json");
  // The fixture's 2 heads of 16 cannot be told from shapes (released models have heads of 128).
  fs::copy_file(transformer + "/config.json", dir + "/diffusion_models/config.json");
  if (!imageToVideo) return;
  // ComfyUI's clip_vision_h.safetensors: transformers' names under "vision_model.", with the
  // tiny encoder's config beside it (two heads of 12 cannot be told from shapes either).
  TensorMap clip;
  for (const auto& [k, t] : loadTensors(i2v + "/image_encoder/model.safetensors"))
    clip["vision_model." + k] = t;
  fs::create_directories(dir + "/clip_vision");
  saveTensors(dir + "/clip_vision/clip_vision_h.safetensors", clip);
  fs::copy_file(i2v + "/image_encoder/config.json", dir + "/clip_vision/config.json");
}

void writeRandomI2vFolder(const std::string& dir, bool withImageEncoder) {
  const std::string t2v = sourcePath("tests/fixtures/wan_tiny");
  fs::create_directories(dir + "/transformer");
  const auto recursive = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
  for (const char* part : {"text_encoder", "tokenizer", "vae", "scheduler"})
    fs::copy(t2v + "/" + part, dir + "/" + part, recursive);
  at::manual_seed(11);
  // The fixture's DiT sizes with 12 input channels (latent 4, mask 4, image 4) and the image
  // path: MLP embedding and per-layer image keys and values.
  WanConfig c;
  c.dim = 32;
  c.numHeads = 2;
  c.ffnDim = 64;
  c.numLayers = 2;
  c.inChannels = 12;
  c.outChannels = 4;
  c.textDim = 32;
  c.freqDim = 32;
  c.imageDim = 24;
  TensorMap dit;
  for (const auto& [name, shape] : wanParameterShapes(c))
    dit[name] = at::randn(shape) * (shape.size() > 1 ? 0.3 : 0.1);
  saveTensors(dir + "/transformer/diffusion_pytorch_model.safetensors", dit);
  spit(dir + "/transformer/config.json",
       R"({"_class_name": "WanTransformer3DModel", "num_attention_heads": 2,
  "attention_head_dim": 16, "in_channels": 12, "out_channels": 4, "text_dim": 32, "freq_dim": 32,
  "ffn_dim": 64, "num_layers": 2, "patch_size": [1, 2, 2], "eps": 1e-06, "image_dim": 24,
  "added_kv_proj_dim": 32})");
  if (withImageEncoder) {
    // transformers' CLIPVisionModel names, written out here rather than by the loader's list.
    const int64_t d = 24, f = 48, layers = 3;
    TensorMap clip = {
        {"vision_model.embeddings.class_embedding", at::randn({d}) * 0.1},
        {"vision_model.embeddings.patch_embedding.weight", at::randn({d, 3, 14, 14}) * 0.1},
        {"vision_model.embeddings.position_embedding.weight", at::randn({10, d}) * 0.1},
        {"vision_model.pre_layrnorm.weight", 1 + 0.2 * at::randn({d})},
        {"vision_model.pre_layrnorm.bias", at::randn({d}) * 0.1},
        {"vision_model.post_layernorm.weight", at::ones({d})},
        {"vision_model.post_layernorm.bias", at::zeros({d})}};
    for (int64_t i = 0; i < layers; ++i) {
      const std::string l = "vision_model.encoder.layers." + std::to_string(i) + ".";
      for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
        clip[l + "self_attn." + p + ".weight"] = at::randn({d, d}) * 0.2;
        clip[l + "self_attn." + p + ".bias"] = at::randn({d}) * 0.1;
      }
      for (const char* n : {"layer_norm1", "layer_norm2"}) {
        clip[l + n + ".weight"] = 1 + 0.2 * at::randn({d});
        clip[l + n + ".bias"] = at::randn({d}) * 0.1;
      }
      clip[l + "mlp.fc1.weight"] = at::randn({f, d}) * 0.2;
      clip[l + "mlp.fc1.bias"] = at::randn({f}) * 0.1;
      clip[l + "mlp.fc2.weight"] = at::randn({d, f}) * 0.2;
      clip[l + "mlp.fc2.bias"] = at::randn({d}) * 0.1;
    }
    fs::create_directories(dir + "/image_encoder");
    saveTensors(dir + "/image_encoder/model.safetensors", clip);
    spit(dir + "/image_encoder/config.json",
         R"({"model_type": "clip_vision_model", "hidden_size": 24, "intermediate_size": 48,
  "num_attention_heads": 2, "num_hidden_layers": 3, "patch_size": 14, "image_size": 42,
  "hidden_act": "gelu", "layer_norm_eps": 1e-05})");
  }
  spit(dir + "/model_index.json",
       R"({"_class_name": "WanImageToVideoPipeline", "transformer": ["diffusers",
  "WanTransformer3DModel"], "image_encoder": ["transformers", "CLIPVisionModel"]})");
}

void writeI2vFolder(const std::string& dir) {
  const std::string t2v = sourcePath("tests/fixtures/wan_tiny");
  const std::string i2v = sourcePath("tests/fixtures/wan_i2v_tiny");
  fs::create_directories(dir);
  const auto recursive = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
  for (const char* part : {"text_encoder", "tokenizer", "vae", "scheduler"})
    fs::copy(t2v + "/" + part, dir + "/" + part, recursive);
  for (const char* part : {"transformer", "image_encoder", "image_processor"})
    fs::copy(i2v + "/" + part, dir + "/" + part, recursive);
  fs::copy_file(i2v + "/model_index.json", dir + "/model_index.json",
                fs::copy_options::overwrite_existing);
}

void writeWan22Folder(const std::string& dir, bool imageToVideo, const std::string& layout) {
  const std::string t2v = sourcePath("tests/fixtures/wan_tiny");
  const std::string wan22 =
      sourcePath(imageToVideo ? "tests/fixtures/wan22_i2v_tiny" : "tests/fixtures/wan22_tiny");
  const std::string high = (imageToVideo ? wan22 : t2v) + "/transformer";
  const std::string low = wan22 + "/transformer_2";
  const auto recursive = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
  if (layout == "comfyui") {
    writeComfyUiFolder(dir);
    fs::remove_all(dir + "/diffusion_models");
    fs::create_directories(dir + "/diffusion_models");
    const std::string task = imageToVideo ? "i2v" : "t2v";
    for (const auto& [expert, from] : {std::pair{"high", high}, std::pair{"low", low}}) {
      TensorMap dit;
      for (const auto& [k, t] : loadTensors(from + "/diffusion_pytorch_model.safetensors"))
        dit["model.diffusion_model." + wanKeyToOriginal(k)] = t;
      saveTensors(
          dir + "/diffusion_models/wan2.2_" + task + "_" + expert + "_noise_tiny_fp32.safetensors",
          dit);
    }
    fs::copy_file(high + "/config.json", dir + "/diffusion_models/config.json");
    return;
  }
  fs::create_directories(dir);
  for (const char* part : {"text_encoder", "tokenizer", "vae", "scheduler"})
    fs::copy(t2v + "/" + part, dir + "/" + part, recursive);
  fs::copy(high, dir + "/transformer", recursive);
  fs::copy(low, dir + "/transformer_2", recursive);
  fs::copy_file(wan22 + "/model_index.json", dir + "/model_index.json",
                fs::copy_options::overwrite_existing);
}

GenerationRequest wanFixtureRequest(const std::string& model) {
  GenerationRequest r;
  r.model = model;
  r.prompt = "a red circle moving right on a blue background";
  r.negativePrompt = "";
  r.frames = 9;  // 3 latent frames
  r.width = 64;  // latent 8 x 8 under the 8x VAE
  r.height = 64;
  r.steps = 4;
  r.guidance = 5.0;
  r.shift = 3.0;
  r.sampler = "unipc";
  r.device = "cpu";
  return r;
}

}  // namespace svgen::test
