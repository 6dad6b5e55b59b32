#include "core/pipeline/engine.h"

#include "core/attention/attention_recorder.h"
#include "core/attention/method_registry.h"
#include "core/attention/svoo/svoo_profiler.h"
#include "core/attention/warmup.h"
#include "core/common/device_memory.h"
#include "core/common/error.h"
#include "core/common/tensor_shape_text.h"
#include "core/io/atomic_file.h"
#include "core/io/tensor_io.h"
#include "core/io/tensor_map.h"
#include "core/io/video_reader.h"
#include "core/model/model_family.h"
#include "core/pipeline/device.h"
#include "core/pipeline/memory_plan.h"
#include "core/pipeline/request_validation.h"
#include "core/pipeline/stopwatch.h"
#include "core/sampling/sampler.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <functional>

namespace svgen {

namespace {

// Times every self-attention call of the denoiser; wraps the method that does the work.
class TimedAttention : public AttentionBackend {
 public:
  explicit TimedAttention(AttentionBackend& inner) : inner_(inner) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override {
    Stopwatch watch;
    at::Tensor out = inner_.selfAttention(q, k, v, call);
    if (out.is_cuda()) synchronizeDevice(out.device());
    seconds += watch.seconds();
    return out;
  }
  double seconds = 0;

 private:
  AttentionBackend& inner_;
};

at::Tensor initialNoise(const GenerationRequest& r, const std::vector<int64_t>& shape) {
  std::vector<int64_t> full = {1};
  full.insert(full.end(), shape.begin(), shape.end());
  if (!r.initNoisePath.empty()) {
    TensorMap tensors = loadTensors(r.initNoisePath);
    at::Tensor t;
    if (tensors.count("latent")) {
      t = tensors.at("latent");
    } else if (tensors.size() == 1) {
      t = tensors.begin()->second;
    } else {
      throw InputError(r.initNoisePath + ": expected a tensor named \"latent\"");
    }
    if (t.dim() == static_cast<int64_t>(shape.size())) t = t.unsqueeze(0);
    if (t.sizes().vec() != full) {
      throw InputError(r.initNoisePath + ": the initial latent has shape " +
                       shapeText(t.sizes().vec()) + " but this request needs " + shapeText(full));
    }
    t = t.to(at::kFloat).contiguous();
    if (!at::isfinite(t).all().item<bool>())
      throw InputError(r.initNoisePath + ": the initial latent holds NaN or infinite values");
    return t;
  }
  // Drawn on the CPU whatever the device, so a seed means the same noise everywhere.
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(r.seed);
  return at::empty(full, at::kFloat).normal_(0.0, 1.0, gen);
}

// The first frame of the file: any image or clip readVideo reads.
Video startImage(const std::string& path) {
  VideoFile file = readVideo(path);
  if (file.video.frames < 1 || file.video.width < 1 || file.video.height < 1)
    throw InputError(path + ": holds no image");
  Video image = std::move(file.video);
  image.rgb.resize(image.frameBytes());  // the first frame only
  image.frames = 1;
  return image;
}

}  // namespace

struct Engine::Impl {
  std::unique_ptr<VideoModel> model;
  AttentionBackend* attentionOverride = nullptr;  // set while profiling
  std::string modelKey;  // model id + device: reload only when either changes

  // `memory` places a newly loaded model (streamed blocks never pass through the device); a
  // loaded one is re-placed by setMemoryChoices.
  // A run with structured attention gets a freshly loaded model structured for its grid, and the
  // next plain run reloads: those weights are the model's no longer.
  // `info`: r.model's description, which gives the token grid.
  VideoModel& ensureModel(const GenerationRequest& r, const ModelInfo& info,
                          const at::Device& device, const MemoryChoices& memory) {
    std::string key = r.model + "@" + device.str();
    const auto grid = info.tokenGrid(r.frames, r.width, r.height);
    if (r.structuredAttention)
      key += "#structured " + std::to_string(grid[0]) + "x" + std::to_string(grid[1]) + "x" +
             std::to_string(grid[2]) + " seed " + std::to_string(r.seed);
    if (!model || modelKey != key) {
      model.reset();  // free the old weights before loading new ones
      model = loadVideoModel(r.model, device, memory);
      modelKey = key;
      if (r.structuredAttention && !model->structureAttention(r.seed, grid)) {
        model.reset();
        modelKey.clear();
        throw InputError(
            "--structured-attention: this model's heads cannot be structured (Wan "
            "models only)");
      }
    }
    return *model;
  }
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

std::vector<std::string> Engine::devices() {
  return availableDevices();
}

ModelInfo Engine::describeModel(const std::string& model) {
  return describeVideoModel(model);
}

MemoryPlan Engine::planMemory(const ModelInfo& info, const GenerationRequest& request,
                              double budgetGiB) {
  return svgen::planMemory(info, request, budgetGiB);
}

CheckpointInspection Engine::inspect(const std::string& path) {
  return inspectModel(path);
}

GenerationRequest Engine::resolve(const GenerationRequest& request) {
  const ModelInfo info = describeModel(request.model);
  GenerationRequest r = resolveRequest(request, info);
  // Bad method settings or a missing or malformed profile table are a bad request: say so
  // before loading anything (making a backend reads what it needs and allocates nothing).
  makeAttentionBackend(r.attention, info.directory);
  // Side outputs are checked now, not after minutes of work.
  if (!r.recordAttentionPath.empty()) checkOutputFile(r.recordAttentionPath, "attention record");
  if (!r.saveLatentsPath.empty()) checkOutputFile(r.saveLatentsPath, "latents file");
  return r;
}

namespace {

// Each stage starts with the blocks earlier stages left cached given back: a budget then holds the
// weights and the stage's own working memory, not the largest stage's leftovers (the decode would
// otherwise keep the denoiser's 12 GiB at 720p). Its peak is measured from there.
void startStage(const at::Device& device) {
  releaseCachedDeviceMemory(device);
  resetPeakDeviceMemory(device);
}

// For an out-of-memory message: what the stage was doing, the budget, and what frees memory
// there, cheapest first.
std::string outOfMemoryContext(const std::string& stage, const GenerationRequest& r,
                               const MemoryPlan& plan) {
  std::string doing = "while decoding";
  std::string advice =
      r.tiledDecode ? "try a smaller size" : "try --tiled-decode, or a smaller size";
  if (stage == "load") {
    doing = "while loading the model";
    advice = "the weights do not fit: try fp8 or GGUF weights, or a larger --vram";
  } else if (stage == "encode") {
    doing = "while encoding the prompt";
    advice = plan.textEncoderOnCpu ? "the text encoder ran on the CPU; the weights alone do not fit"
                                   : "the text encoder does not fit: try a --vram budget below "
                                     "the card's size, which moves it to the CPU";
  } else if (stage == "denoise") {
    doing = "while denoising";
    // Sparse attention is no help here: its buffers add to the dense working memory.
    advice = "try fewer frames, a smaller size, or fp8 or GGUF weights";
  }
  char budget[64] = "the whole card";
  if (r.vramGiB > 0) std::snprintf(budget, sizeof budget, "--vram %.1f", r.vramGiB);
  std::string estimate;
  if (plan.peakGiB() > 0) {
    char text[160];
    std::snprintf(text, sizeof text, "; this run was estimated at %.1f GiB at its peak",
                  plan.peakGiB());
    estimate = text;
  }
  return doing + " (" + budget + "): " + advice + estimate;
}

}  // namespace

GenerationResult Engine::generate(const GenerationRequest& request, GenerationObserver& observer) {
  Stopwatch total;
  GenerationResult result;
  const GenerationRequest r = resolve(request);
  result.request = r;
  // Read before anything loads, so an unreadable image costs no minutes of loading.
  const Video image = r.imagePath.empty() ? Video{} : startImage(r.imagePath);
  const at::Device device = pickDevice(r.device);
  result.device = deviceLabel(device);
  useCpuThreads(r.threads);
  // Before anything loads: the weights count against the budget too.
  const DeviceMemoryLimit budget(device, r.vramGiB);
  if (r.vramGiB > 0 && !device.is_cuda())
    result.notes.push_back("--vram budgets GPU memory; this run is on " + deviceLabel(device));
  std::string stageName;
  MemoryPlan plan;
  auto enterStage = [&](const char* name) {
    observer.onStage(name);
    stageName = name;
  };
  auto checkCancel = [&] {
    if (observer.isCancelled()) throw Cancelled();
  };

  try {
    enterStage("load");
    Stopwatch stage;
    startStage(device);
    // Planned against --vram, or on a GPU without one against the card itself, before anything
    // loads: streamed blocks must not pass through the device.
    double budgetGiB = 0;
    if (device.is_cuda())
      budgetGiB = r.vramGiB > 0 ? r.vramGiB : std::max(0.0, deviceTotalGiB(device));
    const ModelInfo info = describeModel(r.model);
    plan = planMemory(info, r, budgetGiB);
    result.notes.insert(result.notes.end(), plan.notes.begin(), plan.notes.end());
    MemoryChoices choices;
    choices.tiledDecode = plan.tiledDecode;
    choices.textEncoderOnCpu = plan.textEncoderOnCpu;
    choices.streamBlocks = plan.streamBlocks;
    VideoModel& model = impl_->ensureModel(r, info, device, choices);
    if (r.structuredAttention)
      result.notes.push_back(
          "attention heads structured for a speed run: these weights are not the model's, and "
          "the clip means nothing");
    model.setMemoryChoices(choices);
    // The model outlives this run; its cancel check must not outlive `observer`.
    struct CancelScope {
      VideoModel& model;
      ~CancelScope() { model.setCancelCheck(nullptr); }
    } cancelScope{model};
    model.setCancelCheck(checkCancel);
    result.modelLabel = model.info().label;
    result.timings.push_back({"load", stage.seconds(), peakDeviceMemoryGiB(device)});
    checkCancel();

    enterStage("encode");
    stage.restart();
    startStage(device);
    const bool cfg = runsGuidancePass(r, info);
    if (info.embeddedGuidance && !r.negativePrompt.empty())
      result.notes.push_back(
          "the negative prompt is not used: this model's guidance is an input of the network "
          "(one pass a step), not a second pass with the negative prompt");
    Conditioning conditioning;
    {
      c10::NoGradGuard noGrad;
      conditioning = model.encode(r.prompt, cfg ? &r.negativePrompt : nullptr);
      if (!image.empty()) model.addImage(conditioning, image, r.frames, r.height, r.width);
    }
    result.timings.push_back({"encode", stage.seconds(), peakDeviceMemoryGiB(device)});
    checkCancel();

    enterStage("denoise");
    stage.restart();
    startStage(device);
    c10::NoGradGuard noGrad;
    const std::vector<int64_t> shape = model.latentShape(r.frames, r.height, r.width);
    at::Tensor x = model.constrainLatent(initialNoise(r, shape).to(device), conditioning);
    auto sampler = makeSampler(r.sampler, r.steps, r.shift, r.seed, info.sigmaSchedule);
    std::unique_ptr<AttentionBackend> owned;
    AttentionBackend* method = impl_->attentionOverride;
    if (!method) {
      owned = makeAttentionBackend(r.attention, model.info().directory);
      method = owned.get();
    }
    std::unique_ptr<AttentionRecorder> recorder;
    if (!r.recordAttentionPath.empty()) {
      recorder = std::make_unique<AttentionRecorder>();
      method->setRecorder(recorder.get());
    }
    method->setPhaseListener([&observer](const char* phase) { observer.onPhase(phase); });
    struct ListenerScope {  // an override outlives this run and its observer
      AttentionBackend& method;
      ~ListenerScope() { method.setPhaseListener(nullptr); }
    } listenerScope{*method};
    TimedAttention timed(*method);
    DenoiseStep step;
    step.count = r.steps;
    step.guidance = r.guidance;
    step.lowNoiseGuidance = r.lowNoiseGuidance;
    step.attention = &timed;
    step.guidanceInTurn = plan.guidanceInTurn;
    step.ffnChunkTokens = plan.ffnInChunks ? kFfnChunkTokens : 0;
    const int layers = model.info().layers;
    step.beforeLayer = [&](int layer) {
      checkCancel();
      observer.onLayer(layer, layers);
    };

    result.stepSeconds.reserve(r.steps);
    for (int i = 0; i < r.steps; ++i) {
      checkCancel();
      Stopwatch stepWatch;
      step.index = i;
      step.sigma = sampler->sigma(i);
      step.timestep = sampler->modelTimestep(i);
      const at::Tensor velocity = model.velocity(x, conditioning, step);
      const bool wantPreview =
          r.previewEvery > 0 && ((i + 1) % r.previewEvery == 0 || i + 1 == r.steps);
      at::Tensor x0 = wantPreview ? sampler->predictX0(velocity, i, x) : at::Tensor();
      x = model.constrainLatent(sampler->step(velocity, i, x), conditioning);
      // Checked once: a NaN or Inf in the weights reaches every value after one step, and would
      // otherwise become an all-black clip with a success exit.
      if (i == 0 && !at::isfinite(x).all().item<bool>()) {
        const std::string weight = model.firstNonFiniteWeight();
        if (!weight.empty())
          throw InputError("the model's weight '" + weight +
                           "' holds NaN or infinite values: the checkpoint is damaged");
        throw RuntimeFailure(
            "the first step produced NaN or infinite values (a numerical overflow); try "
            "another seed, fewer frames or a float32 run");
      }
      synchronizeDevice(device);
      result.stepSeconds.push_back(stepWatch.seconds());

      Progress progress;
      progress.step = i + 1;
      progress.totalSteps = r.steps;
      progress.elapsedSeconds = stage.seconds();
      progress.etaSeconds = progress.elapsedSeconds / (i + 1) * (r.steps - i - 1);
      observer.onProgress(progress);
      if (wantPreview) observer.onPreview(i + 1, model.preview(x0, r.frames, model.info().fps));
    }
    result.timings.push_back({"denoise", stage.seconds(), peakDeviceMemoryGiB(device)});
    result.attentionSeconds = timed.seconds;
    result.attentionDensity = method->stats().density();
    result.sparseAttentionDensity = method->stats().sparseDensity();
    // A side output that cannot be written must not cost the finished clip: it is reported with
    // the result instead.
    auto sideOutput = [&](const std::string& what, const std::function<void()>& write) {
      try {
        write();
      } catch (const std::exception& e) {
        result.outputProblems.push_back(what + ": " + e.what());
      }
    };
    if (recorder) sideOutput("attention record", [&] { recorder->write(r.recordAttentionPath); });

    enterStage("decode");
    stage.restart();
    startStage(device);
    bool tiled = choices.tiledDecode;
    if (!tiled && r.vramGiB > 0 && device.is_cuda()) {
      // What is resident now (weights, the latent) stays during the decode.
      const double resident = std::max(0.0, deviceMemoryInUseGiB(device));
      const double whole = model.info().decodeGiB(r.width, r.height, false);
      if (resident + whole > r.vramGiB) {
        tiled = true;
        char note[200];
        std::snprintf(note, sizeof note,
                      "decoded in tiles: the whole %dx%d decode needs about %.1f GiB beside the "
                      "%.1f GiB in use, more than --vram %.1f",
                      r.width, r.height, whole, resident, r.vramGiB);
        result.notes.push_back(note);
      }
    }
    choices.tiledDecode = tiled;
    model.setMemoryChoices(choices);
    result.video = model.decode(x, r.frames, model.info().fps);
    if (!r.saveLatentsPath.empty())
      sideOutput("latents file", [&] {
        saveTensors(r.saveLatentsPath, {{"latent", x.to(at::kCPU).contiguous()}});
      });
    result.timings.push_back({"decode", stage.seconds(), peakDeviceMemoryGiB(device)});
  } catch (const c10::Error& e) {
    throw RuntimeFailure(describeTorchFailure(
        e.what(), device,
        device.is_cuda() ? outOfMemoryContext(stageName, r, plan) : std::string()));
  } catch (const std::bad_alloc&) {
    throw RuntimeFailure("out of memory on " + deviceLabel(device) +
                         ": try fewer frames, a smaller size, or close other programs");
  }
  result.totalSeconds = total.seconds();
  return result;
}

SvooProfile Engine::profileSparsity(const std::vector<GenerationRequest>& requests, double mass,
                                    GenerationObserver& observer) {
  if (requests.empty()) throw InputError("profiling needs at least one prompt");
  if (!(mass > 0 && mass < 1)) throw InputError("attention mass must be between 0 and 1");
  SvooProfiler profiler(mass);
  struct Reset {
    Impl& impl;
    ~Reset() { impl.attentionOverride = nullptr; }
  } reset{*impl_};
  impl_->attentionOverride = &profiler;
  SvooProfile p;
  p.mass = mass;
  for (const GenerationRequest& request : requests) {
    GenerationRequest r = request;
    r.attention = AttentionConfig();  // measured on dense attention
    r.recordAttentionPath.clear();
    const GenerationResult result = generate(r, observer);
    p.prompts.push_back(result.request.prompt);
    p.steps = result.request.steps;
    p.model = result.request.model;
  }
  p.measured = profiler.measured();
  // The steps a sparse run would not spend in its default dense warm-up.
  const int firstStep =
      static_cast<int>(std::lround(AttentionConfig().get(warmup::fraction) * p.steps));
  p.keyFraction = layerFractions(p.measured, firstStep);
  return p;
}

}  // namespace svgen
