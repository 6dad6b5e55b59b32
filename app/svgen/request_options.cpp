#include "app/svgen/request_options.h"

namespace svgen::cli {

void addRequestOptions(CLI::App* cmd, GenerationRequest& r, bool withSaveLatents) {
  cmd->add_option("-p,--prompt", r.prompt, "What the clip shows")->required();
  cmd->add_option("-n,--negative-prompt", r.negativePrompt, "What to steer away from");
  cmd->add_option("-m,--model", r.model, "\"builtin\" or a model folder")->capture_default_str();
  cmd->add_option("-f,--frames", r.frames, "Frames (0: the model's default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-W,--width", r.width, "Width in pixels (0: default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-H,--height", r.height, "Height in pixels (0: default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-s,--steps", r.steps, "Denoising steps (0: default)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-g,--guidance", r.guidance,
                  "Classifier-free guidance scale (default: the model's)");
  cmd->add_option("--shift", r.shift, "Flow-matching sigma shift (default: the model's)");
  cmd->add_option("--seed", r.seed, "Random seed")->capture_default_str();
  cmd->add_option("--sampler", r.sampler,
                  "unipc, euler, or ancestral (stochastic: fresh noise each step)")
      ->check(CLI::IsMember({"unipc", "euler", "ancestral"}))
      ->capture_default_str();
  cmd->add_option("-d,--device", r.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("-t,--threads", r.threads, "CPU threads (0: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--init-noise", r.initNoisePath,
                  "Start from this latent (safetensors, key \"latent\")")
      ->check(CLI::ExistingFile);
  if (withSaveLatents) {
    cmd->add_option("--save-latents", r.saveLatentsPath,
                    "Write the final latent here (safetensors)");
  }
}

}  // namespace svgen::cli
