#include "core/model/builtin/clip_autoencoder.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/common/tensor_shape_text.h"
#include "core/model/required_weight.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <array>
#include <cmath>

namespace svgen {

namespace {

struct Layer {
  const char* name;
  bool transposed;
  int in, out;  // multiples: 0 = 3 RGB channels, -1 = latent channels, k = k·width/2
  std::array<int64_t, 3> kernel, stride, padding;
};

// Widths in halves of config.width, so the full-resolution layers can be half as wide.
constexpr std::array<Layer, 13> kLayers{{
    {"encoder.0", false, 0, 2, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}},
    {"encoder.1", false, 2, 4, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}},
    {"encoder.2", false, 4, 4, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}},
    {"encoder.3", false, 4, 4, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
    {"encoder.4", false, 4, -1, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}},
    {"decoder.0", false, -1, 4, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
    {"decoder.1", true, 4, 4, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}},
    {"decoder.2", false, 4, 4, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
    {"decoder.3", true, 4, 2, {1, 2, 2}, {1, 2, 2}, {0, 0, 0}},
    {"decoder.4", false, 2, 2, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
    {"decoder.5", true, 2, 1, {2, 2, 2}, {2, 2, 2}, {0, 0, 0}},
    {"decoder.6", false, 1, 1, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
    {"decoder.7", false, 1, 0, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}},
}};
constexpr int kEncoderLayers = 5;

int64_t channels(int code, const AutoencoderConfig& c) {
  return code == 0 ? 3 : code < 0 ? c.latentChannels : int64_t(code) * c.width / 2;
}

std::vector<int64_t> weightShape(const Layer& l, const AutoencoderConfig& c) {
  const int64_t in = channels(l.in, c), out = channels(l.out, c);
  // Conv3d weights are (out, in, k…); ConvTranspose3d's are (in, out, k…).
  return {l.transposed ? in : out, l.transposed ? out : in, l.kernel[0], l.kernel[1], l.kernel[2]};
}

std::string key(const Layer& l, const char* what) {
  return std::string("autoencoder.") + l.name + "." + what;
}

}  // namespace

nlohmann::json toJson(const AutoencoderConfig& c) {
  return {{"latent_channels", c.latentChannels},
          {"width", c.width},
          {"time_factor", kAutoencoderTimeFactor},
          {"space_factor", kAutoencoderSpaceFactor}};
}

AutoencoderConfig autoencoderConfigFromJson(const nlohmann::json& j) {
  AutoencoderConfig c;
  c.latentChannels = jsonRequired<int>(j, "latent_channels", "autoencoder");
  c.width = jsonRequired<int>(j, "width", "autoencoder");
  if (jsonValue(j, "time_factor", kAutoencoderTimeFactor, "autoencoder") !=
          kAutoencoderTimeFactor ||
      jsonValue(j, "space_factor", kAutoencoderSpaceFactor, "autoencoder") !=
          kAutoencoderSpaceFactor)
    throw InputError("autoencoder: only time factor 2 and space factor 8 are supported");
  if (c.latentChannels < 1 || c.width < 2 || c.width % 2 != 0)
    throw InputError("autoencoder: latent_channels must be positive and width even and positive");
  return c;
}

std::vector<std::pair<std::string, std::vector<int64_t>>> autoencoderParameterShapes(
    const AutoencoderConfig& c) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  for (const Layer& l : kLayers) {
    s.push_back({key(l, "weight"), weightShape(l, c)});
    s.push_back({key(l, "bias"), {channels(l.out, c)}});
  }
  s.push_back({"autoencoder.latent_mean", {c.latentChannels}});
  s.push_back({"autoencoder.latent_std", {c.latentChannels}});
  return s;
}

TensorMap initAutoencoderWeights(const AutoencoderConfig& c, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  TensorMap w;
  for (const Layer& l : kLayers) {
    const std::vector<int64_t> shape = weightShape(l, c);
    // A transposed convolution whose stride is its kernel feeds each output from one tap.
    const int64_t taps = l.transposed ? 1 : l.kernel[0] * l.kernel[1] * l.kernel[2];
    const int64_t fanIn = channels(l.in, c) * taps;
    const double bound = std::sqrt(6.0 / static_cast<double>(fanIn));  // Kaiming, for SiLU
    w[key(l, "weight")] = at::empty(shape).uniform_(-bound, bound, gen);
    w[key(l, "bias")] = at::zeros({channels(l.out, c)});
  }
  w["autoencoder.latent_mean"] = at::zeros({c.latentChannels});
  w["autoencoder.latent_std"] = at::ones({c.latentChannels});
  return w;
}

ClipAutoencoder::ClipAutoencoder(AutoencoderConfig config, const TensorMap& weights,
                                 const at::Device& device)
    : config_(config) {
  if (!config_.enabled()) throw InputError("autoencoder: latent_channels must be positive");
  for (const auto& [name, shape] : autoencoderParameterShapes(config_)) {
    const at::Tensor& t = requireWeight(weights, name, shape);
    // Training hands in its own parameters, which must stay the same tensors.
    params_[name] = (t.device() == device && t.scalar_type() == at::kFloat)
                        ? t
                        : t.to(device, at::kFloat).detach();
  }
}

at::Tensor ClipAutoencoder::encodeRaw(const at::Tensor& clips) const {
  if (clips.dim() != 5 || clips.size(1) != 3 || clips.size(2) % kAutoencoderTimeFactor != 0 ||
      clips.size(3) % kAutoencoderSpaceFactor != 0 || clips.size(4) % kAutoencoderSpaceFactor != 0)
    throw InputError(
        "autoencoder: clips must be (B, 3, T, H, W) with T even and H, W multiples "
        "of 8, got " +
        shapeText(clips.sizes().vec()));
  at::Tensor x = clips.to(p("autoencoder.encoder.0.weight").device(), at::kFloat);
  for (int i = 0; i < kEncoderLayers; ++i) {
    const Layer& l = kLayers[i];
    x = at::conv3d(x, p(key(l, "weight")), p(key(l, "bias")), l.stride, l.padding);
    if (i + 1 < kEncoderLayers) x = at::silu(x);
  }
  return x;
}

void ClipAutoencoder::requireLatents(const at::Tensor& latents) const {
  if (latents.dim() != 5 || latents.size(1) != config_.latentChannels)
    throw InputError("autoencoder: latents must be (B, " + std::to_string(config_.latentChannels) +
                     ", F, h, w), got " + shapeText(latents.sizes().vec()));
}

at::Tensor ClipAutoencoder::decodeRaw(const at::Tensor& raw) const {
  requireLatents(raw);
  at::Tensor x = raw.to(p("autoencoder.decoder.0.weight").device(), at::kFloat);
  for (size_t i = kEncoderLayers; i < kLayers.size(); ++i) {
    const Layer& l = kLayers[i];
    x = l.transposed
            ? at::conv_transpose3d(x, p(key(l, "weight")), p(key(l, "bias")), l.stride, l.padding)
            : at::conv3d(x, p(key(l, "weight")), p(key(l, "bias")), l.stride, l.padding);
    if (i + 1 < kLayers.size()) x = at::silu(x);
  }
  return x;
}

at::Tensor ClipAutoencoder::encode(const at::Tensor& clips) const {
  const auto view = std::vector<int64_t>{1, config_.latentChannels, 1, 1, 1};
  return (encodeRaw(clips) - p("autoencoder.latent_mean").view(view)) /
         p("autoencoder.latent_std").view(view);
}

at::Tensor ClipAutoencoder::decode(const at::Tensor& latents) const {
  requireLatents(latents);
  const auto view = std::vector<int64_t>{1, config_.latentChannels, 1, 1, 1};
  const at::Tensor z = latents.to(p("autoencoder.latent_std").device(), at::kFloat);
  return decodeRaw(z * p("autoencoder.latent_std").view(view) +
                   p("autoencoder.latent_mean").view(view));
}

}  // namespace svgen
