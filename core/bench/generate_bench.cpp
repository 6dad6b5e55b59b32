#include "core/bench/generate_bench.h"
#include "core/bench/generate_bench_rows.h"

#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_method.h"
#include "core/attention/warmup.h"
#include "core/common/error.h"
#include "core/bench/structure_probe.h"
#include "core/common/device_memory.h"
#include "core/io/weight_quantization.h"
#include "core/model/structured_attention.h"
#include "core/model/wan_config_inference.h"
#include "core/model/wan_dit.h"
#include "core/model/weight_init.h"
#include "core/pipeline/device.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>

namespace svgen {

namespace {

WanConfig configNamed(const std::string& name) {
  if (name == "wan-1.3b") return WanConfig::wan13B();
  if (name == "wan-14b") return WanConfig::wan14B();
  if (name == "wan2.1-i2v-14b") {
    // The 14B with the image path: CLIP ViT-H's 1280-wide tokens, and the mask and the encoded
    // start image (4 + 16 channels) beside the latent.
    WanConfig c = WanConfig::wan14B();
    c.imageDim = 1280;
    c.inChannels = 36;
    return c;
  }
  // Wan 2.2 A14B: each step runs one of two experts of the 14B's shape, so a pass is a 14B pass;
  // image-to-video reads the first-frame condition without CLIP's tokens.
  if (name == "wan2.2-t2v-a14b") return WanConfig::wan14B();
  if (name == "wan2.2-ti2v-5b") {
    // In the Wan 2.2 VAE's latents: 48 channels, 16x in space (so 720p has a quarter of the
    // 14B's tokens).
    WanConfig c;
    c.dim = 3072;
    c.ffnDim = 14336;
    c.numHeads = 24;
    c.numLayers = 30;
    c.inChannels = c.outChannels = 48;
    return c;
  }
  if (name == "wan2.2-i2v-a14b") {
    WanConfig c = WanConfig::wan14B();
    c.inChannels = 36;
    return c;
  }
  throw InputError("--config \"" + name +
                   "\": use wan-1.3b, wan-14b, wan2.1-i2v-14b, wan2.2-t2v-a14b, "
                   "wan2.2-i2v-a14b, wan2.2-ti2v-5b or hunyuan-13b");
}

// `layerFractions`: keys holding 95% of the attention per layer, as the bench measured them on
// structured heads; a method budgeted by an offline profile runs on them with useTopP.
std::unique_ptr<AttentionBackend> backendFor(const std::string& method,
                                             const GenerateBenchOptions& o,
                                             const std::vector<double>& layerFractions) {
  const MethodDescriptor& m = *findAttentionMethod(method);
  AttentionConfig c = o.attention;
  c.method = method;
  c.set(warmup::fraction, 0);  // every timed pass runs the method; warm-up enters the estimate only
  if (!m.sparse) return m.make(c, "");
  // With useTopP a method whose budget is a share of the mass runs at it; a method that needs a
  // profile still gets a uniform one at the fixed density.
  if (o.useTopP && m.budget == &clustering::topPSpec() && !m.supports.needsProfile)
    return makeAttentionBackend(c);
  if (o.useTopP && m.supports.needsProfile && m.makeWithLayerFractions && !layerFractions.empty())
    return m.makeWithLayerFractions(c, layerFractions);
  if (!o.useTopP) c.set(clustering::topP, 1e-6);  // the fixed share alone decides
  return m.makeAtFraction(c, o.density);
}

}  // namespace

void checkGenerateBenchShape(const GenerateBenchOptions& o, const std::string& model,
                             int multiple) {
  if (o.frames < 1 || (o.frames - 1) % 4 != 0)
    throw InputError("--frames " + std::to_string(o.frames) + ": " + model +
                     " takes 4k+1 frames (e.g. " + std::to_string(((o.frames - 1) / 4) * 4 + 1) +
                     " or " + std::to_string(((o.frames - 1) / 4 + 1) * 4 + 1) + ")");
  if (o.width % multiple || o.height % multiple || o.width <= 0 || o.height <= 0)
    throw InputError(
        "--size: width and height must be positive multiples of " + std::to_string(multiple) +
        " (nearest: " + std::to_string(std::max(multiple, o.width / multiple * multiple)) + "x" +
        std::to_string(std::max(multiple, o.height / multiple * multiple)) + ")");
  if (o.steps < 1) throw InputError("--steps must be at least 1");
  for (const std::string& m : o.methods)
    if (!findAttentionMethod(m))
      throw InputError("method \"" + m + "\" is unknown: use " + attentionMethodList());
}

void timeGenerateBenchRows(const GenerateBenchOptions& o, const c10::Device& device,
                           const std::vector<double>& layerFractions, double passesPerStep,
                           const std::function<void(AttentionBackend*, int step)>& pass,
                           const std::function<void()>& streamBlocks,
                           const std::function<void(const std::string&)>& say,
                           const std::function<bool()>& cancelled, GenerateBenchReport& r) {
  r.passesPerStep = passesPerStep;
  double denseMedian = 0;
  bool streamed = false;
  // With streamed blocks, dense runs resident first: the streaming's own cost is the ratio of the
  // two dense rows, measured in the same process.
  std::vector<std::string> order = o.methods;
  if (o.streamBlocks) order.insert(order.begin(), "dense, resident");
  for (const std::string& label : order) {
    const bool resident = label == "dense, resident";
    if (o.streamBlocks && !resident && !streamed) {
      streamBlocks();
      streamed = true;
    }
    const std::string method = resident ? "dense" : label;
    std::unique_ptr<AttentionBackend> backend = backendFor(method, o, layerFractions);
    backend->setPhaseTiming(o.phases);
    GenerateBenchRow row;
    row.method = label;
    std::vector<double> seconds;
    try {
      for (int s = 0; s < o.steps; ++s) {
        if (cancelled && cancelled()) throw Cancelled();
        synchronizeDevice(device);
        const auto start = std::chrono::steady_clock::now();
        pass(backend.get(), s + 1);  // past any warm-up, as a mid-run step
        synchronizeDevice(device);
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        say(method + " pass " + std::to_string(s + 1) + ": " + std::to_string(seconds.back()) +
            " s");
      }
    } catch (const c10::Error& e) {
      throw RuntimeFailure(describeTorchFailure(e.what(), device));
    }
    row.firstSeconds = seconds.front();
    std::vector<double> later(seconds.size() > 1 ? seconds.begin() + 1 : seconds.begin(),
                              seconds.end());
    std::sort(later.begin(), later.end());
    row.medianSeconds = later[later.size() / 2];
    row.attentionDensity = backend->stats().sparseDensity();
    for (const auto& [phase, s] : backend->stats().phaseSeconds)
      row.phaseMs[phase] = 1000.0 * s / static_cast<double>(seconds.size());
    uint64_t used = 0, total = 0;
    if (device.is_cuda() && kernels::cudaMemoryInUse(used, total)) row.peakMemoryGiB = gib(used);
    if (label == "dense") denseMedian = row.medianSeconds;
    r.rows.push_back(row);
  }
  // The clip: CFG makes two passes a step (one batched pass with cfg, which the rows timed); the
  // warm-up steps run dense.
  const int warm = static_cast<int>(o.attention.get(warmup::fraction) * o.clipSteps + 0.5);
  for (GenerateBenchRow& row : r.rows) {
    const double dense = denseMedian > 0 ? denseMedian : row.medianSeconds;
    row.speedup = denseMedian > 0 ? denseMedian / row.medianSeconds : 0;
    row.clipSeconds =
        passesPerStep * (row.method == "dense"
                             ? o.clipSteps * row.medianSeconds
                             : warm * dense + (o.clipSteps - warm) * row.medianSeconds);
    row.clipSpeedup = 0;
  }
  for (GenerateBenchRow& row : r.rows)
    for (const GenerateBenchRow& d : r.rows)
      if (d.method == "dense") row.clipSpeedup = d.clipSeconds / row.clipSeconds;
  {
    std::vector<kernels::CudaDeviceInfo> devices;
    std::string why;
    if (device.is_cuda() && kernels::queryCudaDevices(devices, why) && !devices.empty())
      r.gpu = devices[device.has_index() ? device.index() : 0].name;
  }
}

GenerateBenchReport runGenerateBench(const GenerateBenchOptions& o,
                                     const std::function<void(const std::string&)>& progress,
                                     const std::function<bool()>& cancelled) {
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  if (isHunyuanBenchConfig(o.config)) return runHunyuanGenerateBench(o, say, cancelled);
  const c10::Device device = pickDevice(o.device);
  const WanConfig config = configNamed(o.config);
  // The VAE's pixels per latent pixel, then the DiT's patches.
  const int vaeScale = wanVaeScaleOfLatents(config);
  checkGenerateBenchShape(o, "Wan", vaeScale * config.patch[1]);
  if (o.weights != "native" && o.weights != "fp8" && o.weights != "q8_0")
    throw InputError("--weights \"" + o.weights + "\": use native, fp8 or q8_0");
  c10::NoGradGuard noGrad;

  GenerateBenchReport r;
  r.device = deviceLabel(device);
  r.config = o.config;
  r.latentFrames = (o.frames - 1) / 4 + 1;
  r.latentHeight = o.height / vaeScale;
  r.latentWidth = o.width / vaeScale;
  r.tokens = static_cast<int64_t>(r.latentFrames / config.patch[0]) *
             (r.latentHeight / config.patch[1]) * (r.latentWidth / config.patch[2]);
  r.warmupFraction = o.attention.get(warmup::fraction);
  r.clipSteps = o.clipSteps;
  r.cfg = o.cfg;
  r.streamBlocks = o.streamBlocks;

  say("random " + o.config + " weights" +
      (o.weights == "native" ? "" : ", packed as " + o.weights));
  const at::ScalarType dtype = device.is_cuda() ? at::kBFloat16 : at::kFloat;
  std::unique_ptr<WanDiT> dit;
  StructuredAttention designed;
  r.weights = o.weights;
  try {
    TensorMap dense = initWanWeights(config, o.seed, false);
    if (o.structured) {
      say("structuring the attention heads");
      // Calibrated on this run's own grid, so the fractions land where designed at every size.
      designed =
          structureAttention(dense, config, o.seed,
                             {r.latentFrames / config.patch[0], r.latentHeight / config.patch[1],
                              r.latentWidth / config.patch[2]});
    }
    PackedMap packed;
    if (o.weights != "native") {
      for (auto it = dense.begin(); it != dense.end();) {
        if (it->second.dim() != 2 || wanParameterIsFp32(it->first)) {
          ++it;
          continue;
        }
        packed.emplace(it->first,
                       o.weights == "fp8" ? packScaledFp8(it->second) : packQ8_0(it->second));
        it = dense.erase(it);
      }
    }
    dit = std::make_unique<WanDiT>(config, dense, packed, device, dtype);
    for (const auto& [name, t] : dit->parameters()) r.weightGiB += gib(t.nbytes());
    for (const auto& [name, p] : dit->packedParameters()) r.weightGiB += gib(p.bytes.nbytes());
  } catch (const c10::Error& e) {
    throw RuntimeFailure(describeTorchFailure(e.what(), device));
  }
  at::manual_seed(o.seed);
  const auto opts = at::TensorOptions().device(device).dtype(at::kFloat);
  // With cfg, as ditVelocity batches it: the same latent twice, two different text states.
  const int64_t batch = o.cfg ? 2 : 1;
  const at::Tensor x1 =
      at::randn({1, config.inChannels, r.latentFrames, r.latentHeight, r.latentWidth}, opts);
  const at::Tensor x = o.cfg ? at::cat({x1, x1}, 0) : x1;
  const at::Tensor context = at::randn({batch, config.textLen, config.textDim}, opts);
  // Image-to-video: CLIP ViT-H/14's 257 tokens of the start image, the same for both prompts.
  const at::Tensor image =
      config.imageDim > 0 ? at::randn({1, 257, config.imageDim}, opts) : at::Tensor();
  const at::Tensor t = at::full({batch}, 700.0, opts);

  if (o.structured) {
    // What the heads do on this input, measured as SVOO's and SVG's profilers see it.
    say("measuring the heads");
    StructureProbe probe(o.attention.get(svg::block), o.density);
    DiTForwardOptions f;
    f.attention = &probe;
    try {
      dit->forward(x1, t.narrow(0, 0, 1), context.narrow(0, 0, 1), image, f);
    } catch (const c10::Error& e) {
      throw RuntimeFailure(describeTorchFailure(e.what(), device));
    }
    for (size_t l = 0; l < probe.layers().size() && l < designed.layers.size(); ++l) {
      StructureRow row;
      row.layer = static_cast<int>(l);
      row.minKeyFraction = 1;
      const auto& measured = probe.layers()[l];
      for (size_t h = 0; h < measured.size(); ++h) {
        const StructuredHead& d = designed.layers[l][h];
        (d.kind == HeadKind::Spatial    ? row.spatial
         : d.kind == HeadKind::Temporal ? row.temporal
                                        : row.content) += 1;
        row.targetFraction += d.targetFraction / measured.size();
        row.keyFraction += measured[h].keyFraction / measured.size();
        row.minKeyFraction = std::min(row.minKeyFraction, measured[h].keyFraction);
        row.maxKeyFraction = std::max(row.maxKeyFraction, measured[h].keyFraction);
        row.svgTemporal += measured[h].temporal ? 1 : 0;
      }
      r.structure.push_back(row);
    }
  }

  // SVOO's offline profile, measured here on the structured heads: the mean key fraction per layer.
  std::vector<double> layerFractions;
  for (const StructureRow& s : r.structure) layerFractions.push_back(s.keyFraction);

  auto streamNow = [&] {
    dit->place(device, true);
    releaseCachedDeviceMemory(device);
  };
  timeGenerateBenchRows(
      o, device, layerFractions, o.cfg ? 1.0 : 2.0,
      [&](AttentionBackend* backend, int step) {
        DiTForwardOptions f;
        f.attention = backend;
        f.step = step;
        f.numSteps = o.clipSteps;
        dit->forward(x, t, context, image, f);
      },
      streamNow, say, cancelled, r);
  return r;
}

std::string generateBenchTable(const GenerateBenchReport& r) {
  std::ostringstream out;
  char line[256];
  std::snprintf(
      line, sizeof line,
      "%s %s, weights %s (%.2f GiB)%s, latent %dx%dx%d = %lld tokens%s; clip = %d steps "
      "x %s, first %.0f%% dense\n",
      r.config.c_str(), (r.gpu.empty() ? r.device : r.gpu).c_str(), r.weights.c_str(), r.weightGiB,
      r.streamBlocks ? ", blocks streamed from host memory (\"dense, resident\": not)" : "",
      r.latentFrames, r.latentHeight, r.latentWidth, static_cast<long long>(r.tokens),
      r.textTokens > 0 ? (" + " + std::to_string(r.textTokens) + " of text, dense").c_str() : "",
      r.clipSteps,
      r.cfg                    ? "1 pass of batch 2 (CFG as generate runs it)"
      : r.passesPerStep == 1.0 ? "1 pass (guidance embedded)"
                               : "2 passes (CFG)",
      100 * r.warmupFraction);
  out << line;
  std::snprintf(line, sizeof line, "%-6s %10s %11s %8s %8s %10s %9s %9s\n", "method", "first s",
                r.cfg ? "s/step" : "s/pass", "density", "speedup", "clip s", "clip x", "GPU GiB");
  out << line;
  for (const auto& row : r.rows) {
    std::snprintf(line, sizeof line, "%-6s %10.3f %11.3f %8.3f %7.2fx %10.1f %8.2fx %9.1f\n",
                  row.method.c_str(), row.firstSeconds, row.medianSeconds, row.attentionDensity,
                  row.speedup, row.clipSeconds, row.clipSpeedup, row.peakMemoryGiB);
    out << line;
  }
  for (const auto& row : r.rows) {
    if (row.phaseMs.empty()) continue;
    double attention = 0;
    out << "  " << row.method << " attention phases, ms per " << (r.cfg ? "step:" : "pass:");
    for (const auto& [phase, ms] : row.phaseMs) {
      std::snprintf(line, sizeof line, " %s %.1f", phase.c_str(), ms);
      out << line;
      attention += ms;
    }
    std::snprintf(line, sizeof line, "; attention %.1f of %.1f\n", attention,
                  1000 * row.medianSeconds);
    out << line;
  }
  return out.str();
}

std::string structureTable(const GenerateBenchReport& r) {
  if (r.structure.empty()) return {};
  std::ostringstream out;
  out << "structured heads (designed kinds; keys holding 95% of the attention, designed for the "
         "grid's centre query and measured over sampled rows; SVG's classification):\n";
  char line[200];
  std::snprintf(line, sizeof line, "%-5s %16s %9s %9s %15s %13s\n", "layer", "spatial/temp/cont",
                "designed", "measured", "measured range", "SVG temporal");
  out << line;
  double designed = 0, measured = 0;
  int heads = 0, temporalDesigned = 0, temporalSvg = 0;
  for (const StructureRow& s : r.structure) {
    const int n = s.spatial + s.temporal + s.content;
    std::snprintf(line, sizeof line, "%-5d %8d/%d/%-5d %8.1f%% %8.1f%% %6.1f–%5.1f%% %9d of %d\n",
                  s.layer, s.spatial, s.temporal, s.content, 100 * s.targetFraction,
                  100 * s.keyFraction, 100 * s.minKeyFraction, 100 * s.maxKeyFraction,
                  s.svgTemporal, n);
    out << line;
    designed += s.targetFraction * n;
    measured += s.keyFraction * n;
    heads += n;
    temporalDesigned += s.temporal;
    temporalSvg += s.svgTemporal;
  }
  std::snprintf(line, sizeof line,
                "all   %d heads: designed %.1f%%, measured %.1f%% of the keys; %d designed "
                "temporal, %d classified temporal by SVG\n",
                heads, 100 * designed / heads, 100 * measured / heads, temporalDesigned,
                temporalSvg);
  out << line;
  return out.str();
}

}  // namespace svgen
