#include "wan_fixture.h"

#include "test_support.h"

#include "core/io/tensor_io.h"
#include "core/model/wan_keys.h"

#include <filesystem>
#include <map>
#include <regex>

namespace fs = std::filesystem;

namespace svgen::test {

TensorMap wanReference() {
  return loadTensors(sourcePath("tests/fixtures/wan_tiny_reference.safetensors"));
}

TensorMap wanVaeInOriginalNames(const TensorMap& diffusers, int numResBlocks) {
  const std::map<std::string, std::string> leaf = {
      {"norm1.gamma", "residual.0.gamma"},         {"conv1.weight", "residual.2.weight"},
      {"conv1.bias", "residual.2.bias"},           {"norm2.gamma", "residual.3.gamma"},
      {"conv2.weight", "residual.6.weight"},       {"conv2.bias", "residual.6.bias"},
      {"conv_shortcut.weight", "shortcut.weight"}, {"conv_shortcut.bias", "shortcut.bias"}};
  const std::regex up(R"(^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.*)$)");
  const std::regex upsampler(R"(^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*)$)");
  const std::regex mid(R"(^decoder\.mid_block\.resnets\.(\d+)\.(.*)$)");
  const int stride = numResBlocks + 2;
  TensorMap out;
  for (const auto& [key, t] : diffusers) {
    std::smatch m;
    std::string name = key;
    if (key.rfind("post_quant_conv.", 0) == 0) {
      name = "conv2." + key.substr(16);
    } else if (key.rfind("quant_conv.", 0) == 0) {
      name = "conv1." + key.substr(11);
    } else if (key.rfind("decoder.conv_in.", 0) == 0) {
      name = "decoder.conv1." + key.substr(16);
    } else if (key == "decoder.norm_out.gamma") {
      name = "decoder.head.0.gamma";
    } else if (key.rfind("decoder.conv_out.", 0) == 0) {
      name = "decoder.head.2." + key.substr(17);
    } else if (key.rfind("decoder.mid_block.attentions.0.", 0) == 0) {
      name = "decoder.middle.1." + key.substr(31);
    } else if (std::regex_match(key, m, mid)) {
      name = "decoder.middle." + std::to_string(2 * std::stoi(m[1])) + "." + leaf.at(m[2]);
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

void writeComfyUiFolder(const std::string& dir) {
  const std::string src = sourcePath("tests/fixtures/wan_tiny");
  TensorMap dit;
  for (const auto& [k, t] : loadTensors(src + "/transformer/diffusion_pytorch_model.safetensors"))
    dit["model.diffusion_model." + wanKeyToOriginal(k)] = t;
  fs::create_directories(dir + "/diffusion_models");
  fs::create_directories(dir + "/text_encoders");
  fs::create_directories(dir + "/vae");
  fs::create_directories(dir + "/tokenizer");
  saveTensors(dir + "/diffusion_models/wan2.1_t2v_tiny_fp32.safetensors", dit);
  saveTensors(dir + "/text_encoders/umt5_xxl_tiny_fp32.safetensors",
              loadTensors(src + "/text_encoder/model.safetensors"));
  saveTensors(dir + "/vae/wan_2.1_vae.safetensors",
              wanVaeInOriginalNames(loadTensors(src + "/vae/diffusion_pytorch_model.safetensors"),
                                    /*numResBlocks=*/2));
  fs::copy_file(src + "/tokenizer/spiece.model", dir + "/tokenizer/spiece.model");
  // The fixture's 2 heads of 16 cannot be told from shapes (released models have heads of 128).
  fs::copy_file(src + "/transformer/config.json", dir + "/diffusion_models/config.json");
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
