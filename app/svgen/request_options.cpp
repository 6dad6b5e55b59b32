#include "app/svgen/request_options.h"

#include "app/svgen/commands.h"
#include "core/sampling/sampler_names.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <thread>

namespace svgen::cli {

namespace {

// A finite number within [low, high] (and above `low` when `openLow`): CLI11's own range check
// lets NaN through, and a negative guidance or shift would silently mean "the model's default".
CLI::Validator finiteIn(double low, double high, bool openLow) {
  char range[64];
  std::snprintf(range, sizeof range, "%s%g, %g]", openLow ? "(" : "[", low, high);
  const std::string text = range;
  return CLI::Validator(
      [low, high, openLow, text](std::string& value) -> std::string {
        double v = 0;
        size_t used = 0;
        try {
          v = std::stod(value, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        const bool inRange =
            used == value.size() && std::isfinite(v) && (openLow ? v > low : v >= low) && v <= high;
        return inRange ? std::string() : "must be a number in " + text + ", got " + value;
      },
      "FLOAT in " + text);
}

// A whole number from 0 to 2^64 - 1 as typed: CLI11 turns "-1" into 2^64 - 1 and "1e30" into
// the largest seed without a word.
CLI::Validator seedValue() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const bool digits = !value.empty() && value.size() <= 20 &&
                            value.find_first_not_of("0123456789") == std::string::npos;
        if (digits && (value.size() < 20 || value <= "18446744073709551615")) return {};
        return "must be a whole number from 0 to 18446744073709551615, got " + value;
      },
      "UINT");
}

// More threads than cores only slows a run down; 100,000 of them took 4 GB and a quarter hour
// before anything was printed. Capped at the cores here, with a word on stderr.
CLI::Validator threadsCappedAtCores() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const long cores = std::max(1u, std::thread::hardware_concurrency());
        char* end = nullptr;
        const long long n = std::strtoll(value.c_str(), &end, 10);
        if (end == value.c_str() || *end != '\0' || n < 0)
          return "must be 0 (all cores) or a number of threads, got " + value;
        if (n > cores) {
          std::fprintf(stderr, "svgen: --threads %s is more than the %ld cores here; using %ld\n",
                       value.c_str(), cores, cores);
          value = std::to_string(cores);
        }
        return {};
      },
      "INT");
}

}  // namespace

void addRequestOptions(CLI::App* cmd, GenerationRequest& r, bool withSaveLatents) {
  cmd->add_option("-p,--prompt", r.prompt, "What the clip shows")->required();
  cmd->add_option("-n,--negative-prompt", r.negativePrompt, "What to steer away from");
  cmd->add_option("-m,--model", r.model, "\"builtin\" or a model folder")->capture_default_str();
  cmd->add_option("-f,--frames", r.frames, "Frames (0: the model's default)")->check(nonNegative());
  cmd->add_option("-W,--width", r.width, "Width in pixels (0: default)")->check(nonNegative());
  cmd->add_option("-H,--height", r.height, "Height in pixels (0: default)")->check(nonNegative());
  cmd->add_option("-s,--steps", r.steps, "Denoising steps (0: default)")->check(nonNegative());
  cmd->add_option("-g,--guidance", r.guidance,
                  "Classifier-free guidance scale (default: the model's)")
      ->check(finiteIn(0, 50, false));
  cmd->add_option("--guidance-low", r.lowNoiseGuidance,
                  "Wan 2.2 A14B: the low-noise expert's guidance (default: the model's when -g is "
                  "left to it, else -g's)")
      ->check(finiteIn(0, 50, false));
  cmd->add_option("--shift", r.shift, "Flow-matching sigma shift (default: the model's)")
      ->check(finiteIn(0, 100, true));
  cmd->add_option("--seed", r.seed, "Random seed")->check(seedValue())->capture_default_str();
  cmd->add_option("--sampler", r.sampler,
                  "unipc, euler, dpm++ (Wan's DPM-Solver++ 2M) or ancestral (stochastic: "
                  "fresh noise each step); default: the model's (euler on HunyuanVideo's "
                  "schedule, else unipc)")
      ->check(CLI::IsMember(samplerNames()));
  cmd->add_option("-d,--device", r.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("-t,--threads", r.threads, "CPU threads (0: all cores; at most the cores)")
      ->transform(threadsCappedAtCores());
  cmd->add_flag("--tiled-decode", r.tiledDecode,
                "Decode in overlapping 256-pixel tiles (Wan's VAE): the decode then needs a few "
                "GiB instead of up to 23 at 720p, at a small cost in time");
  cmd->add_flag("--structured-attention", r.structuredAttention,
                "Speed runs on random weights: rewrite the attention heads to attend like a "
                "trained model's (spatial, temporal and content heads, 10-25% of the keys for "
                "95% of the attention), so sparse methods run at their own budgets. The clip "
                "means nothing");
  cmd->add_option("--vram", r.vramGiB,
                  "GiB of GPU memory the run may use (0: the whole card), enforced; the run "
                  "saves what it must to fit, cheapest first: feed-forward in chunks, the "
                  "guidance passes in turn, tiled decode, the text encoder on the CPU, the "
                  "denoiser's blocks streamed from system memory")
      ->check(CLI::Range(0.0, 4096.0));
  cmd->add_option("--image", r.imagePath,
                  "Image-to-video models: the clip's start image (PNG, JPEG, WebP, BMP, or a "
                  "clip's first frame), scaled to cover the clip's size and cropped in the middle")
      ->check(CLI::ExistingFile);
  cmd->add_option("--init-noise", r.initNoisePath,
                  "Start from this latent (safetensors, key \"latent\")")
      ->check(CLI::ExistingFile);
  if (withSaveLatents) {
    cmd->add_option("--save-latents", r.saveLatentsPath,
                    "Write the final latent here (safetensors)");
  }
}

}  // namespace svgen::cli
