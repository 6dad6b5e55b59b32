// The Engine: one GenerationRequest in; progress, previews and a GenerationResult out.
// The CLI and the studio both run everything through this class. No LibTorch in this header.
#pragma once
#include "core/attention/svoo/svoo_profile.h"
#include "core/model/checkpoint_inspection.h"
#include "core/pipeline/generation.h"
#include "core/pipeline/memory_plan.h"

#include <memory>
#include <string>
#include <vector>

namespace svgen {

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one generation. Throws InputError for bad requests, Cancelled when the observer asks to
  // stop, RuntimeFailure when the device or the disk fails. Same request, build and device: the
  // same frames, bit for bit.
  GenerationResult generate(const GenerationRequest& request, GenerationObserver& observer);

  // SVOO's offline step: runs each request with dense attention and measures, per step, layer
  // and head, the smallest fraction of keys holding `mass` of the attention; returns the table
  // (per layer: mean over heads and the steps after the default warm-up, of the largest value
  // over prompts). Write it with svooProfileToJson next to the model.
  SvooProfile profileSparsity(const std::vector<GenerationRequest>& requests, double mass,
                              GenerationObserver& observer);

  // Fills in the model's defaults and checks every value; throws InputError naming the setting
  // and the nearest valid value.
  GenerationRequest resolve(const GenerationRequest& request);

  // Describes a model ("builtin" or a path) without loading its weights.
  ModelInfo describeModel(const std::string& model);

  // The memory plan a run of `request` (frames and size filled in) would follow on a GPU with
  // `budgetGiB` to spend (0: none), from the model's sizes alone: the studio's estimate before a
  // run, the same arithmetic generate() then follows.
  static MemoryPlan planMemory(const ModelInfo& info, const GenerationRequest& request,
                               double budgetGiB);

  // What a checkpoint file or folder holds and which model family reads it, from config files and
  // headers only (as `svgen inspect` says it). Throws InputError for a path with nothing
  // recognisable.
  static CheckpointInspection inspect(const std::string& path);

  // Devices this build and machine can run on, e.g. {"cpu", "cuda:0 NVIDIA H200"}.
  static std::vector<std::string> devices();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace svgen
