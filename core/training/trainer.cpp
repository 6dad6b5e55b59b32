#include "core/training/trainer.h"

#include "core/common/error.h"
#include "core/common/json_fields.h"
#include "core/data/scene.h"
#include "core/data/shape_renderer.h"
#include "core/io/atomic_file.h"
#include "core/io/tensor_io.h"
#include "core/model/builtin/builtin_model.h"
#include "core/model/builtin/word_encoder.h"
#include "core/model/required_weight.h"
#include "core/model/wan_dit.h"
#include "core/model/weight_init.h"
#include "core/pipeline/device.h"
#include "core/pipeline/stopwatch.h"
#include "core/training/adamw.h"
#include "core/training/autoencoder_training.h"
#include "core/training/noise_levels.h"
#include "core/training/rollout.h"
#include "core/training/shape_swap.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace fs = std::filesystem;

namespace svgen {

namespace {

// Shipped weights are cut into shards of at most this size so they move easily between machines.
constexpr uint64_t kShardBytes = 16ull << 20;
uint64_t mix(uint64_t seed, uint64_t step) {
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + step + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A scaled-down architecture at 32 x 32 for tests and CPU experiments: every width is `dim`, two
// heads, 2 x 4 x 4 patches, one text layer.
void scaleDown(BuiltinSpec& s, int dim, int ffnDim, int layers, int textFfnDim, int frames) {
  s.dit.dim = s.dit.textDim = s.dit.freqDim = s.text.dim = dim;
  s.dit.ffnDim = ffnDim;
  s.dit.numHeads = 2;
  s.dit.numLayers = layers;
  s.dit.patch = {2, 4, 4};
  s.dit.textLen = 32;
  s.text.numLayers = 1;
  s.text.numHeads = 2;
  s.text.ffnDim = textFfnDim;
  s.frames = frames;
  s.width = s.height = 32;
  s.minSize = 16;
}

BuiltinSpec specFor(const std::string& config, const std::string& positionEmbedding) {
  BuiltinSpec s = defaultBuiltinSpec();
  s.dit.positionEmbedding = positionEmbedding;
  if (config == "tiny") {
    scaleDown(s, 32, 64, 2, 64, 4);
    s.steps = 4;
  } else if (config == "small") {
    scaleDown(s, 64, 256, 4, 128, 8);
  } else if (config != "builtin") {
    throw InputError("unknown training config \"" + config + "\": use builtin, small or tiny");
  }
  return s;
}

// The architecture a run trains. A resumed run keeps its checkpoint's whole spec: the position
// embedding has no weights, so a different setting would load without complaint and silently
// change the model, and a fine-tune keeps its base model's spec and label. A run that starts from
// a model folder takes that model's.
BuiltinSpec specForRun(const TrainOptions& o) {
  if (!o.initFrom.empty() && o.resume)
    throw InputError("--init-from starts a new run; --resume continues one: use one of them");
  const fs::path checkpointConfig = fs::path(o.outDir) / "checkpoint" / "config.json";
  if (o.resume && fs::is_regular_file(checkpointConfig))
    return builtinSpecFromJson(readJsonFile(checkpointConfig.string()));
  if (!o.initFrom.empty() && o.latentChannels > 0)
    throw InputError(
        "--init-from keeps its model's pixel or latent space; --latent-channels "
        "starts a new latent model");
  if (o.initFrom.empty()) {
    const BuiltinSpec s = specFor(o.config, o.positionEmbedding);
    return o.latentChannels > 0 ? withAutoencoder(s, o.latentChannels) : s;
  }
  if (!isBuiltinFormatDir(o.initFrom))
    throw InputError(
        "--init-from needs a built-in model folder (config.json with \"format\": \"svgen\"); " +
        o.initFrom + " is not one");
  BuiltinSpec s =
      builtinSpecFromJson(readJsonFile((fs::path(o.initFrom) / "config.json").string()));
  if (!s.trained)
    throw InputError("--init-from " + o.initFrom + " holds an untrained model; train from scratch");
  if (s.dit.prediction != "x0")
    throw InputError("--init-from " + o.initFrom + " predicts \"" + s.dit.prediction +
                     "\"; training here teaches x0 prediction");
  return s;
}

// The training settings a resumed run's checkpoint recorded (null for a new run, or a checkpoint
// from before they were recorded).
nlohmann::json checkpointSettingsOf(const TrainOptions& o) {
  const fs::path path = fs::path(o.outDir) / "checkpoint" / "trainer.json";
  if (!o.resume || !fs::is_regular_file(path)) return nullptr;
  return readJsonFile(path.string());
}

// The model a fine-tune started from, also when it is resumed ("" for a run from scratch).
std::string baseModelOf(const TrainOptions& o, const nlohmann::json& checkpointSettings) {
  if (!o.initFrom.empty()) return o.initFrom;
  if (checkpointSettings.is_object() && checkpointSettings.contains("init_from"))
    return checkpointSettings.at("init_from").get<std::string>();
  return "";
}

void writeJson(const fs::path& path, const nlohmann::json& j) {
  writeFileAtomically(path.string(), j.dump(2) + "\n");
}

TensorMap cpuCopy(const TensorMap& tensors, at::ScalarType dtype) {
  TensorMap out;
  for (const auto& [name, t] : tensors) out[name] = t.detach().to(at::kCPU, dtype).contiguous();
  return out;
}

// Where a training step's time goes (data, forward, backward, optimizer), synced on the device,
// over a window of steps after warm-up; reported once in the log so a run says what limits it.
class StepPhases {
 public:
  StepPhases(const at::Device& device, int64_t first, int64_t count)
      : device_(device), first_(first), count_(count) {}
  void begin(int64_t step) {
    active_ = step >= first_ && step < first_ + count_;
    if (!active_) return;
    synchronizeDevice(device_);
    clock_.restart();
  }
  void mark(const std::string& phase) {
    if (!active_) return;
    synchronizeDevice(device_);
    for (auto& [name, total] : totals_) {
      if (name == phase) {
        total += clock_.seconds();
        clock_.restart();
        return;
      }
    }
    totals_.emplace_back(phase, clock_.seconds());
    clock_.restart();
  }
  bool completedAt(int64_t step) const { return step == first_ + count_ - 1; }
  std::string summary() const {
    std::string s = "step time over " + std::to_string(count_) + " steps:";
    for (const auto& [name, total] : totals_) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " %s %.1f ms", name.c_str(), 1e3 * total / count_);
      s += buf;
    }
    return s;
  }

 private:
  at::Device device_;
  int64_t first_, count_;
  bool active_ = false;
  Stopwatch clock_;
  std::vector<std::pair<std::string, double>> totals_;
};

class Trainer {
 public:
  Trainer(const TrainOptions& o, TrainObserver& observer)
      : o_(o),
        observer_(observer),
        spec_(specForRun(o)),
        checkpointSettings_(checkpointSettingsOf(o)),
        baseModel_(baseModelOf(o, checkpointSettings_)),
        device_(pickDevice(o.device)),
        tokenizer_(spec_.vocabulary),
        phases_(device_, 20, 20) {
    if (!(o_.lossSigmaFloor > 0 && o_.lossSigmaFloor <= 1))
      throw InputError("the loss's sigma floor must be in (0, 1], got " +
                       std::to_string(o_.lossSigmaFloor));
    validateNoiseLevels(o_.noiseLevels, o_.pureNoiseShare);
    for (const auto& [what, share] :
         {std::pair<const char*, double>{"shape-swap", o_.shapeSwapShare},
          {"rollout", o_.rolloutShare}}) {
      if (!(share >= 0 && share <= 1))
        throw InputError(std::string("the ") + what + " share must be in [0, 1], got " +
                         std::to_string(share));
    }
    if (!(o_.shapeSwapMinSigma > 0 && o_.shapeSwapMinSigma <= 1))
      throw InputError("the shape-swap sigma floor must be in (0, 1], got " +
                       std::to_string(o_.shapeSwapMinSigma));
    if (o_.outDir.empty()) throw InputError("training needs an output folder");
    if (o_.batch < 1) throw InputError("batch must be at least 1");
    if (o_.latentChannels < 0) throw InputError("latent channels must be 0 (pixels) or more");
    fs::create_directories(checkpointDir());
    TensorMap init;
    if (o_.resume) {
      init = loadTensors((checkpointDir() / "model.safetensors").string());
      if (spec_.autoencoder.enabled())
        autoencoderWeights_ = loadTensors((checkpointDir() / "autoencoder.safetensors").string());
    } else if (!o_.initFrom.empty()) {
      init = initialWeightsFrom();
    } else {
      init = initWanWeights(spec_.dit, o_.seed, /*zeroHead=*/true);
      TensorMap text = initWordEncoderWeights(spec_.text, tokenizer_.size(), o_.seed + 1);
      init.insert(text.begin(), text.end());
    }
    for (auto& [name, t] : init)
      params_[name] = t.to(device_, at::kFloat).detach().requires_grad_(true);
    ema_ = o_.resume ? loadTensors((checkpointDir() / "ema.safetensors").string()) : init;
    for (auto& [name, t] : ema_) t = t.to(device_, at::kFloat).detach().clone();
    optimizer_ = std::make_unique<AdamW>(params_, AdamWOptions{o_.lr, 0.9, 0.99, 1e-8, 0.0});
    if (o_.resume)
      optimizer_->loadState(loadTensors((checkpointDir() / "optimizer.safetensors").string()));
    dtype_ = (device_.is_cuda() && o_.bf16) ? at::kBFloat16 : at::kFloat;
    if (spec_.autoencoder.enabled()) {
      if (autoencoderWeights_.empty()) trainAutoencoderFirst();
      autoencoder_ =
          std::make_unique<ClipAutoencoder>(spec_.autoencoder, autoencoderWeights_, device_);
    }
  }

  TrainResult run() {
    noteChangedSettings();  // says nothing unless resumed
    Stopwatch clock;
    Stopwatch interval;
    TrainResult result;
    at::Tensor lossSum = at::zeros({}, at::TensorOptions().device(device_));
    int64_t lossCount = 0, clips = 0;
    std::ofstream log(fs::path(o_.outDir) / "train_log.csv",
                      o_.resume ? std::ios::app : std::ios::trunc);
    if (!o_.resume) log << "step,loss,lr,seconds,clips_per_second\n";
    bool first = true;
    const int64_t startStep = optimizer_->stepCount();
    while (optimizer_->stepCount() < o_.steps) {
      if (observer_.isCancelled()) break;
      if (o_.minutes > 0 && clock.seconds() > o_.minutes * 60) break;
      const int64_t step = optimizer_->stepCount();
      const double lr = learningRate(step, clock.seconds());
      phases_.begin(step);
      at::Tensor loss = trainStep(step);
      if (step == startStep) requireGradientsEverywhere();
      optimizer_->step(lr);
      updateEma(step);
      phases_.mark("optimizer");
      if (phases_.completedAt(step)) observer_.onNote(phases_.summary());
      lossSum += loss.detach();
      ++lossCount;
      clips += o_.batch;
      const int64_t done = optimizer_->stepCount();
      if (done % o_.logEvery == 0 || done == o_.steps) {
        TrainProgress p;
        p.step = done;
        p.loss = lossSum.item<double>() / lossCount;
        p.lr = lr;
        p.seconds = clock.seconds();
        p.clipsPerSecond = clips / std::max(1e-9, interval.seconds());
        if (!std::isfinite(p.loss))
          throw RuntimeFailure("training diverged: loss is " + std::to_string(p.loss));
        if (first) result.firstLoss = p.loss;
        first = false;
        result.finalLoss = p.loss;
        log << p.step << ',' << p.loss << ',' << p.lr << ',' << p.seconds << ',' << p.clipsPerSecond
            << std::endl;
        observer_.onLog(p);
        lossSum.zero_();
        lossCount = 0;
        clips = 0;
        interval.restart();
      }
      if (done % o_.checkpointEvery == 0) saveCheckpoint();
    }
    if (lossCount > 0) {
      result.finalLoss = lossSum.item<double>() / lossCount;
      if (first) result.firstLoss = result.finalLoss;
    }
    saveCheckpoint();
    result.steps = optimizer_->stepCount();
    result.seconds = clock.seconds();
    result.modelDir = saveModel(result);
    return result;
  }

 private:
  fs::path checkpointDir() const { return fs::path(o_.outDir) / "checkpoint"; }

  double learningRate(int64_t step, double seconds) const {
    double lr = o_.lr * std::min(1.0, (step + 1.0) / std::max(1, o_.warmupSteps));
    // Decay linearly to a tenth over the end of the run, by steps or by time.
    double progress = static_cast<double>(step) / std::max<int64_t>(1, o_.steps);
    if (o_.minutes > 0) progress = std::max(progress, seconds / (o_.minutes * 60));
    if (o_.decayStart < 1.0 && progress > o_.decayStart) {
      lr *= 1.0 - 0.9 * std::min(1.0, (progress - o_.decayStart) / (1.0 - o_.decayStart));
    }
    return lr;
  }

  at::Tensor trainStep(int64_t step) {
    const uint64_t stepSeed = mix(o_.seed, static_cast<uint64_t>(step));
    SceneSampler sampler(stepSeed, /*heldOut=*/false);
    std::vector<SceneSpec> scenes;
    const int64_t maxWords = spec_.text.maxWords;
    std::vector<int64_t> idRows(static_cast<size_t>(o_.batch * maxWords), 0);
    at::Generator cpuGen = at::make_generator<at::CPUGeneratorImpl>(stepSeed);
    at::Tensor dropout = at::empty({o_.batch}).uniform_(0, 1, cpuGen);
    const float* drop = dropout.data_ptr<float>();
    for (int b = 0; b < o_.batch; ++b) {
      scenes.push_back(sampler.next());
      if (drop[b] < o_.textDropout) continue;  // unconditional: no words
      const auto words = tokenizer_.encode(sceneToPrompt(scenes.back()), spec_.text.maxWords);
      for (size_t i = 0; i < words.size(); ++i) idRows[b * maxWords + i] = words[i];
    }
    at::Tensor ids = at::tensor(idRows, at::kLong).view({o_.batch, maxWords});
    // Prompted clips only: without the shape word the true shape cannot be known.
    std::vector<bool> swapped(static_cast<size_t>(o_.batch), false);
    bool anySwapped = false;
    if (o_.shapeSwapShare > 0) {
      const at::Tensor u = at::empty({o_.batch}).uniform_(0, 1, cpuGen);
      for (int b = 0; b < o_.batch; ++b) {
        swapped[b] = u[b].item<double>() < o_.shapeSwapShare && drop[b] >= o_.textDropout;
        anySwapped = anySwapped || swapped[b];
      }
    }
    at::Tensor x0 =
        toTrainingSpace(renderScenes(scenes, spec_.frames, spec_.height, spec_.width, device_));
    const at::Tensor x0Swapped =
        anySwapped ? toTrainingSpace(renderScenes(swapShapes(scenes, swapped, stepSeed),
                                                  spec_.frames, spec_.height, spec_.width, device_))
                   : at::Tensor();
    phases_.mark("data");

    {
      // Seeded per step, so a resumed run draws what an uninterrupted one would. The draws below
      // take the generator's lock themselves.
      at::Generator gen = at::globalContext().defaultGenerator(device_);
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(stepSeed);
    }
    const NoiseLevels levels =
        drawNoiseLevels(o_.noiseLevels, o_.pureNoiseShare, o_.batch, device_);
    at::Tensor noise = at::randn_like(x0);
    at::Tensor s = levels.sigma.view({-1, 1, 1, 1, 1});
    at::Tensor xt = (1 - s) * x0 + s * noise;
    if (anySwapped) {
      std::vector<int64_t> chosen(swapped.begin(), swapped.end());
      const at::Tensor mask =
          at::tensor(chosen).to(device_).gt(0).logical_and(levels.sigma.ge(o_.shapeSwapMinSigma));
      xt = at::where(mask.view({-1, 1, 1, 1, 1}), (1 - s) * x0Swapped + s * noise, xt);
    }
    at::Tensor timestep = levels.timestep;

    WordEncoder encoder(spec_.text, spec_.vocabulary, params_, device_);
    WanDiT dit(spec_.dit, params_, device_, dtype_);
    ids = ids.to(device_);
    // The first clips of the batch (its order is random) are rollout clips, see rollout.h,
    // whatever they were drawn as: pure-noise and swapped clips among them become rollouts.
    const int64_t rollouts = std::llround(o_.rolloutShare * o_.batch);
    if (rollouts > 0) {
      const RolloutLevels r = drawRolloutLevels(spec_.steps, spec_.shift, rollouts, device_);
      const int64_t rest = o_.batch - rollouts;
      const X0Predictor predict = [&](const at::Tensor& x, const at::Tensor& t,
                                      const at::Tensor& words) {
        return dit.forward(x, t, encoder.encodeIds(words));
      };
      xt = at::cat({rolloutInputs(predict, x0.narrow(0, 0, rollouts), noise.narrow(0, 0, rollouts),
                                  ids.narrow(0, 0, rollouts), r, spec_.guidance),
                    xt.narrow(0, rollouts, rest)});
      s = at::cat({r.to, levels.sigma.narrow(0, rollouts, rest)}).view({-1, 1, 1, 1, 1});
      timestep = at::cat({timestepOf(r.to), timestep.narrow(0, rollouts, rest)});
    }
    at::Tensor context = encoder.encodeIds(ids);
    at::Tensor pred = dit.forward(xt, timestep, context);
    // x0 prediction, loss on the implied velocity: (x̂0 − x0)/σ, with σ floored.
    at::Tensor weight = 1.0 / s.clamp_min(o_.lossSigmaFloor).pow(2);
    at::Tensor loss = ((pred - x0).pow(2) * weight).mean();
    for (auto& [name, p] : params_) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
    phases_.mark("forward");
    loss.backward();
    phases_.mark("backward");
    clipGradients(1.0);
    return loss;
  }

  // Rendered clips as the DiT trains on them: pixels, or a latent model's latents.
  at::Tensor toTrainingSpace(const at::Tensor& clips) const {
    if (!autoencoder_) return clips;
    c10::NoGradGuard noGrad;
    return autoencoder_->encode(clips);
  }

  // The weights of --init-from's model, which must hold exactly the tensors the model trains, with
  // their shapes (checked as loading any model checks them). A latent model's autoencoder
  // weights go to autoencoderWeights_ (frozen); the rest train.
  TensorMap initialWeightsFrom() {
    TensorMap loaded = loadTensors(o_.initFrom);
    auto shapes = wanParameterShapes(spec_.dit);
    const auto text = wordEncoderParameterShapes(spec_.text, tokenizer_.size());
    shapes.insert(shapes.end(), text.begin(), text.end());
    if (spec_.autoencoder.enabled()) {
      const auto ae = autoencoderParameterShapes(spec_.autoencoder);
      shapes.insert(shapes.end(), ae.begin(), ae.end());
    }
    try {
      for (const auto& [name, shape] : shapes) requireWeight(loaded, name, shape);
    } catch (const InputError& e) {
      throw InputError("--init-from " + o_.initFrom + ": " + e.what());
    }
    if (loaded.size() != shapes.size())
      throw InputError("--init-from " + o_.initFrom + " holds " + std::to_string(loaded.size()) +
                       " weights; the model has " + std::to_string(shapes.size()));
    for (auto it = loaded.begin(); it != loaded.end();) {
      if (it->first.rfind("autoencoder.", 0) != 0) {
        ++it;
        continue;
      }
      autoencoderWeights_[it->first] = it->second.to(at::kFloat);
      it = loaded.erase(it);
    }
    return loaded;
  }

  // The first stage of a latent run, on clips of its own seed; checkpointed at once (with the DiT
  // at step 0), so a run resumed after it never trains it again.
  void trainAutoencoderFirst() {
    AutoencoderTraining t;
    t.steps = o_.autoencoderSteps;
    t.minutes = o_.autoencoderMinutes;
    t.seed = o_.seed;
    t.logEvery = o_.logEvery;
    const int batch = std::max(1, o_.batch / 4);
    auto clips = [&](int64_t step) {
      SceneSampler sampler(mix(o_.seed ^ 0xAE, static_cast<uint64_t>(step)), /*heldOut=*/false);
      std::vector<SceneSpec> scenes;
      for (int b = 0; b < batch; ++b) scenes.push_back(sampler.next());
      return renderScenes(scenes, spec_.frames, spec_.height, spec_.width, device_);
    };
    t.isCancelled = [&] { return observer_.isCancelled(); };
    const AutoencoderResult r = trainAutoencoder(
        spec_.autoencoder, t, clips, [&](const std::string& line) { observer_.onNote(line); });
    autoencoderWeights_ = r.weights;
    saveCheckpoint();
  }

  // A resumed run takes its training settings from the command line (only the architecture comes
  // from the checkpoint), so a changed default or a forgotten option would go unseen: say so.
  void noteChangedSettings() const {
    if (checkpointSettings_.is_null()) return;
    const nlohmann::json& was = checkpointSettings_;
    const nlohmann::json now = trainerSettings();
    for (const std::string key : {"batch", "noise_levels", "loss_sigma_floor", "pure_noise_share",
                                  "rollout_share", "shape_swap_share", "shape_swap_min_sigma"}) {
      // Checkpoints from before a share trained without it, and before the swap floor was an
      // option at its default.
      const bool share = key.size() > 6 && key.compare(key.size() - 6, 6, "_share") == 0;
      const nlohmann::json old = was.contains(key) ? was.at(key)
                                 : share           ? nlohmann::json(0.0)
                                 : key == "shape_swap_min_sigma"
                                     ? nlohmann::json(kDefaultShapeSwapMinSigma)
                                     : nlohmann::json();
      if (!old.is_null() && old != now.at(key))
        observer_.onNote("resuming with " + key + " " + now.at(key).dump() +
                         "; the checkpoint trained with " + old.dump());
    }
  }

  nlohmann::json trainerSettings() const {
    return {{"step", optimizer_->stepCount()},
            {"seed", o_.seed},
            {"config", o_.config},
            {"batch", o_.batch},
            {"noise_levels", o_.noiseLevels},
            {"loss_sigma_floor", o_.lossSigmaFloor},
            {"pure_noise_share", o_.pureNoiseShare},
            {"rollout_share", o_.rolloutShare},
            {"shape_swap_share", o_.shapeSwapShare},
            {"shape_swap_min_sigma", o_.shapeSwapMinSigma},
            {"init_from", baseModel_}};
  }

  // A parameter the backward pass never reached would silently stay at its initial value (a
  // raw-pointer kernel in the forward pass cuts the graph); refuse to train such a model.
  void requireGradientsEverywhere() const {
    std::vector<std::string> missing;
    for (const auto& [name, p] : params_) {
      if (!p.grad().defined()) missing.push_back(name);
    }
    if (missing.empty()) return;
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 8) list += ", ...";
    throw RuntimeFailure("training is broken: " + std::to_string(missing.size()) +
                         " parameters receive no gradient (" + list + ")");
  }

  void clipGradients(double maxNorm) {
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> grads;
    for (auto& [name, p] : params_) {
      if (p.grad().defined()) grads.push_back(p.grad());
    }
    if (grads.empty()) return;
    at::Tensor total = at::stack(at::_foreach_norm(grads)).norm();
    at::Tensor scale = (maxNorm / (total + 1e-6)).clamp_max(1.0);
#if TORCH_VERSION_MAJOR >= 2
    at::_foreach_mul_(grads, scale);  // stays on the device: no sync per step
#else
    for (auto& g : grads) g.mul_(scale);
#endif
  }

  void updateEma(int64_t step) {
    c10::NoGradGuard noGrad;
    const double decay = std::min(o_.emaDecay, (1.0 + step) / (10.0 + step));
    std::vector<at::Tensor> es, ps;
    for (auto& [name, e] : ema_) {
      es.push_back(e);
      ps.push_back(params_.at(name).detach());
    }
    at::_foreach_mul_(es, decay);
    at::_foreach_add_(es, ps, 1.0 - decay);
  }

  void saveCheckpoint() {
    saveTensors((checkpointDir() / "model.safetensors").string(), cpuCopy(params_, at::kFloat));
    if (spec_.autoencoder.enabled())
      saveTensors((checkpointDir() / "autoencoder.safetensors").string(),
                  cpuCopy(autoencoderWeights_, at::kFloat));
    saveTensors((checkpointDir() / "ema.safetensors").string(), cpuCopy(ema_, at::kFloat));
    saveTensors((checkpointDir() / "optimizer.safetensors").string(),
                cpuCopy(optimizer_->state(), at::kFloat));
    writeJson(checkpointDir() / "config.json", toJson(spec_));
    writeJson(checkpointDir() / "trainer.json", trainerSettings());
  }

  std::string saveModel(const TrainResult& r) {
    const fs::path dir = fs::path(o_.outDir) / "model";
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".safetensors" || entry.path().extension() == ".json")
        fs::remove(entry.path());
    }
    BuiltinSpec spec = spec_;
    spec.trained = true;
    spec.label = "built-in shapes (trained " + std::to_string(r.steps) + " steps)";
    // A fine-tune's steps count from its own start; its base model's label says the rest.
    if (!baseModel_.empty()) spec.label = spec_.label + " + " + std::to_string(r.steps) + " steps";
    const std::string space = spec_.autoencoder.enabled()
                                  ? "the latent space of its own autoencoder (" +
                                        std::to_string(spec_.autoencoder.latentChannels) +
                                        " channels)"
                                  : std::string("pixel space");
    spec.description = "Shape-video DiT in " + space + ", " + std::to_string(spec.width) + "x" +
                       std::to_string(spec.height) + ", trained by svgen train on rendered clips.";
    // The EMA weights generate better clips than the raw ones; bf16 halves the download. The
    // autoencoder stays float32: its latent statistics scale every prediction.
    TensorMap weights = cpuCopy(ema_, at::kBFloat16);
    const TensorMap ae = cpuCopy(autoencoderWeights_, at::kFloat);
    weights.insert(ae.begin(), ae.end());
    saveTensorsSharded(dir.string(), "model", weights, kShardBytes, {{"format", "pt"}});
    writeJson(dir / "config.json", toJson(spec));
    return dir.string();
  }

  TrainOptions o_;
  TrainObserver& observer_;
  BuiltinSpec spec_;
  nlohmann::json checkpointSettings_;
  std::string baseModel_;
  at::Device device_;
  WordTokenizer tokenizer_;
  at::ScalarType dtype_ = at::kFloat;
  TensorMap params_, ema_;
  TensorMap autoencoderWeights_;                  // latent models: frozen after the first stage
  std::unique_ptr<ClipAutoencoder> autoencoder_;  // null in pixel space
  std::unique_ptr<AdamW> optimizer_;
  StepPhases phases_;
};

}  // namespace

TrainResult trainBuiltinModel(const TrainOptions& options, TrainObserver& observer) {
  Trainer trainer(options, observer);
  return trainer.run();
}

}  // namespace svgen
