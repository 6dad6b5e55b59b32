// svgen train: trains the built-in model on rendered shape videos (a GPU run takes minutes).
#include "app/svgen/commands.h"
#include "app/svgen/noise_level_option.h"
#include "app/svgen/interrupt.h"
#include "app/svgen/progress_reporter.h"
#include "core/common/error.h"
#include "core/training/trainer.h"

#include <cstdio>
#include <memory>

namespace svgen::cli {

namespace {

class TrainReporter : public TrainObserver {
 public:
  void onLog(const TrainProgress& p) override {
    std::fprintf(stderr, "step %lld  loss %.5f  lr %.2e  %s  %.0f clips/s\n",
                 static_cast<long long>(p.step), p.loss, p.lr, formatDuration(p.seconds).c_str(),
                 p.clipsPerSecond);
  }
  void onNote(const std::string& line) override { std::fprintf(stderr, "%s\n", line.c_str()); }
  bool isCancelled() override { return interruptRequested(); }
};

}  // namespace

Command addTrainCommand(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Train the built-in model on rendered shape videos");
  cmd->add_option("-o,--out", o->outDir, "Folder for checkpoint/, model/ and train_log.csv")
      ->required();
  cmd->add_option("--config", o->config,
                  "builtin (the shipped architecture), small (8 frames at 32x32, for CPU "
                  "experiments) or tiny (a test size)")
      ->check(CLI::IsMember({"builtin", "small", "tiny"}))
      ->capture_default_str();
  cmd->add_option("--position-embedding", o->positionEmbedding,
                  "none (Wan 2.1: RoPE only) or sincos (a fixed absolute 3D embedding as well); "
                  "--resume keeps the checkpoint's own")
      ->check(CLI::IsMember({"none", "sincos"}))
      ->capture_default_str();
  cmd->add_flag("--resume", o->resume, "Continue from OUT/checkpoint");
  cmd->add_option("-d,--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps", o->steps, "Stop after this many optimizer steps")
      ->capture_default_str();
  cmd->add_option("--minutes", o->minutes, "Stop after this much wall time (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Clips per step")->check(positive())->capture_default_str();
  cmd->add_option("--lr", o->lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--warmup", o->warmupSteps, "Learning-rate warm-up steps")->capture_default_str();
  cmd->add_option("--decay-start", o->decayStart,
                  "Share of the run after which the rate decays (1: none)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--noise-levels", o->noiseLevels,
                  "How training draws sigma: shift (the sampler's schedule) or logit-normal "
                  "(centred on the noisy half)")
      ->check(CLI::IsMember({"logit-normal", "shift"}))
      ->capture_default_str();
  cmd->add_option(
         "--pure-noise-share", o->pureNoiseShare,
         "Probability that a clip is trained at sigma = 1 (pure noise), where sampling starts")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--rollout-share", o->rolloutShare,
                  "Share of each batch trained on the model's own sampler step (its guided "
                  "prediction one step earlier), so it learns to correct its early predictions")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--shape-swap-share", o->shapeSwapShare,
                  "Share of prompted clips whose noisy input (at sigma >= --shape-swap-min-sigma) "
                  "shows other shapes than the prompt, so that the shape comes from the prompt")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--shape-swap-min-sigma", o->shapeSwapMinSigma,
                  "Noise level in (0, 1] from which shape swaps apply; below it the input's "
                  "outline is the sample's own")
      ->check(noiseLevelCheck(true))
      ->capture_default_str();
  cmd->add_option("--latent-channels", o->latentChannels,
                  "Train an autoencoder with this many latent channels first, then the DiT on its "
                  "latents (0: pixel space); --resume keeps the checkpoint's")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--autoencoder-steps", o->autoencoderSteps,
                  "Training steps of the autoencoder (latent runs)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--autoencoder-minutes", o->autoencoderMinutes,
                  "Stop the autoencoder's training after this much wall time (0: no limit); "
                  "--minutes counts only the DiT's")
      ->check(nonNegative())
      ->capture_default_str();
  cmd->add_option("--init-from", o->initFrom,
                  "Start from this trained built-in model folder (its architecture and weights) "
                  "with a fresh optimizer, instead of random weights")
      ->check(CLI::ExistingDirectory)
      ->excludes("--resume")
      ->excludes("--latent-channels")
      ->excludes("--config")
      ->excludes("--position-embedding");
  cmd->add_option("--loss-sigma-floor", o->lossSigmaFloor,
                  "Loss weight 1/max(sigma, floor)^2: lower favours nearly clean samples")
      ->capture_default_str();
  cmd->add_option("--ema", o->emaDecay, "EMA decay of the shipped weights")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Data and initialisation seed")->capture_default_str();
  cmd->add_option("--log-every", o->logEvery, "Steps between loss reports")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->checkpointEvery, "Steps between checkpoints")
      ->capture_default_str();
  cmd->add_flag("!--no-bf16", o->bf16, "Train in float32 on CUDA too");
  return {cmd, [o] {
            TrainReporter reporter;
            const TrainResult r = trainBuiltinModel(*o, reporter);
            std::fprintf(stderr, "trained %lld steps in %s: loss %.5f -> %.5f\nmodel: %s\n",
                         static_cast<long long>(r.steps), formatDuration(r.seconds).c_str(),
                         r.firstLoss, r.finalLoss, r.modelDir.c_str());
            return interruptRequested() ? interruptExitCode() : kExitOk;
          }};
}

}  // namespace svgen::cli
