#include "core/training/autoencoder_training.h"

#include "core/common/error.h"
#include "core/pipeline/stopwatch.h"
#include "core/training/adamw.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace svgen {

namespace {

constexpr int kStatisticsBatches = 8;

}  // namespace

AutoencoderResult trainAutoencoder(const AutoencoderConfig& config, const AutoencoderTraining& o,
                                   const std::function<at::Tensor(int64_t step)>& clips,
                                   const std::function<void(const std::string&)>& log) {
  if (o.steps < 1) throw InputError("the autoencoder needs at least one training step");
  const at::Tensor first = clips(0);
  TensorMap params;
  for (auto& [name, t] : initAutoencoderWeights(config, o.seed)) {
    const bool statistic = name.find("latent_") != std::string::npos;
    params[name] = t.to(first.device()).requires_grad_(!statistic);
  }
  TensorMap trained;  // the optimizer sees only what trains
  for (auto& [name, t] : params)
    if (t.requires_grad()) trained[name] = t;
  AdamW optimizer(trained, AdamWOptions{o.lr, 0.9, 0.99, 1e-8, 0.0});
  const ClipAutoencoder ae(config, params, first.device());

  {
    // Seeded, so the latent noise does not depend on what ran before in this process.
    at::Generator gen = at::globalContext().defaultGenerator(first.device());
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(o.seed);
  }
  AutoencoderResult result;
  Stopwatch clock;
  at::Tensor lossSum = at::zeros({}, first.options());
  int64_t count = 0;
  for (int64_t step = 0; step < o.steps; ++step) {
    if (o.minutes > 0 && clock.seconds() > o.minutes * 60) break;
    if (o.isCancelled && o.isCancelled()) break;
    const at::Tensor x = step == 0 ? first : clips(step);
    const at::Tensor z = ae.encodeRaw(x);
    const at::Tensor noisy = z + at::randn_like(z) * (o.latentNoise * z.detach().std());
    const at::Tensor loss = (ae.decodeRaw(noisy) - x).pow(2).mean();
    for (auto& [name, p] : trained)
      if (p.grad().defined()) p.mutable_grad().zero_();
    loss.backward();
    // A short run (tests) warms up over its first fifth.
    const int64_t warmup = std::max<int64_t>(1, std::min<int64_t>(o.warmupSteps, o.steps / 5));
    const double lr = o.lr * std::min(1.0, (step + 1.0) / static_cast<double>(warmup));
    optimizer.step(lr);
    lossSum += loss.detach();
    ++count;
    result.steps = step + 1;
    if (result.steps % o.logEvery == 0 || result.steps == o.steps) {
      const double mean = lossSum.item<double>() / count;
      if (result.firstLoss == 0) result.firstLoss = mean;
      result.finalLoss = mean;
      char line[160];
      std::snprintf(line, sizeof line, "autoencoder step %lld  reconstruction loss %.5f  %.0f s",
                    static_cast<long long>(result.steps), mean, clock.seconds());
      log(line);
      lossSum.zero_();
      count = 0;
    }
  }
  if (count > 0) {
    result.finalLoss = lossSum.item<double>() / count;
    if (result.firstLoss == 0) result.firstLoss = result.finalLoss;
  }

  // Per-channel statistics of the raw latents over fresh clips.
  c10::NoGradGuard noGrad;
  std::vector<at::Tensor> latents;
  for (int i = 0; i < kStatisticsBatches; ++i)
    latents.push_back(ae.encodeRaw(clips(o.steps + i)).transpose(0, 1).flatten(1));
  const at::Tensor all = at::cat(latents, 1);
  for (auto& [name, t] : params) result.weights[name] = t.detach().clone();
  result.weights["autoencoder.latent_mean"] = all.mean(1);
  result.weights["autoencoder.latent_std"] = all.std(1).clamp_min(1e-3);
  return result;
}

}  // namespace svgen
