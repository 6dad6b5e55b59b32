// `bench generate --config hunyuan-13b`: HunyuanVideo T2V's transformer with random weights at a
// real size, its 256 text tokens joined to the video's (dense for every method), guidance
// embedded (one pass a sampling step).
#include "core/bench/generate_bench_rows.h"

#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/model/hunyuan/hunyuan_dit.h"
#include "core/pipeline/device.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <memory>

namespace svgen {

namespace {

// HunyuanVideo's prompt template leaves up to 256 text tokens; the bench joins all of them.
constexpr int64_t kTextTokens = 256;

}  // namespace

bool isHunyuanBenchConfig(const std::string& name) {
  return name == "hunyuan-13b" || name == "hunyuan-test";
}

GenerateBenchReport runHunyuanGenerateBench(const GenerateBenchOptions& o,
                                            const std::function<void(const std::string&)>& say,
                                            const std::function<bool()>& cancelled) {
  const HunyuanConfig config =
      o.config == "hunyuan-13b" ? HunyuanConfig::hunyuan13B() : HunyuanConfig::small();
  // The VAE's 8x, then the transformer's 2x2 patches.
  checkGenerateBenchShape(o, "HunyuanVideo", 8 * config.patch);
  if (o.weights != "native")
    throw InputError("--weights " + o.weights + ": HunyuanVideo runs native weights only");
  if (o.cfg) throw InputError("--cfg: HunyuanVideo embeds the guidance scale, one pass a step");
  if (o.structured)
    throw InputError("--structured: the structured heads are calibrated for Wan only");
  if (o.streamBlocks)
    throw InputError("--stream-blocks: HunyuanVideo does not stream its blocks yet");
  const c10::Device device = pickDevice(o.device);
  c10::NoGradGuard noGrad;

  GenerateBenchReport r;
  r.device = deviceLabel(device);
  r.config = o.config;
  r.latentFrames = (o.frames - 1) / 4 + 1;
  r.latentHeight = o.height / 8;
  r.latentWidth = o.width / 8;
  r.tokens = static_cast<int64_t>(r.latentFrames / config.patchT) *
             (r.latentHeight / config.patch) * (r.latentWidth / config.patch);
  r.textTokens = kTextTokens;
  r.warmupFraction = o.attention.get(warmup::fraction);
  r.clipSteps = o.clipSteps;

  say("random " + o.config + " weights");
  const at::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
  std::unique_ptr<HunyuanDiT> dit;
  try {
    dit = std::make_unique<HunyuanDiT>(config, randomHunyuanWeights(config, o.seed, device, dtype),
                                       device, dtype);
    for (const auto& [name, t] : dit->parameters()) r.weightGiB += gib(t.nbytes());
  } catch (const c10::Error& e) {
    throw RuntimeFailure(describeTorchFailure(e.what(), device));
  }
  at::manual_seed(o.seed);
  const auto opts = at::TensorOptions().device(device).dtype(at::kFloat);
  const at::Tensor x =
      at::randn({1, config.inChannels, r.latentFrames, r.latentHeight, r.latentWidth}, opts);
  const at::Tensor text = at::randn({1, kTextTokens, config.textDim}, opts);
  const at::Tensor pooled = at::randn({1, config.pooledDim}, opts);
  const at::Tensor t = at::full({1}, 700.0, opts);
  const at::Tensor guidance = at::full({1}, 6000.0, opts);  // the pipeline's default 6 × 1000

  timeGenerateBenchRows(
      o, device, {}, 1.0,
      [&](AttentionBackend* backend, int step) {
        HunyuanForwardOptions f;
        f.attention = backend;
        f.step = step;
        f.numSteps = o.clipSteps;
        dit->forward(x, t, text, pooled, guidance, f);
      },
      {}, say, cancelled, r);
  return r;
}

}  // namespace svgen
