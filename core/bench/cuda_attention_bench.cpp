#include "core/bench/cuda_attention_bench.h"

#include "core/attention/block_sparse.h"
#include "core/attention/random_plans.h"
#include "core/common/error.h"
#include "core/pipeline/device.h"
#include "core/selftest/kernel_selftest.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/cuda_timer.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cstdio>
#include <limits>
#include <sstream>

namespace svgen {

namespace {

struct Workload {
  std::string layout;
  RandomPlanSpec spec;
};

std::vector<Workload> workloads(const CudaAttentionBenchOptions& o, int64_t L, double density) {
  const int blocks = static_cast<int>((L + o.svgBlock - 1) / o.svgBlock);
  const std::string fixed = "fixed " + std::to_string(o.svgBlock);
  RandomPlanSpec s;
  s.heads = o.heads;
  s.queryLen = s.keyLen = L;
  s.density = density;
  s.seed = o.seed;
  std::vector<Workload> w;
  s.queryBlocks = s.keyBlocks = blocks;
  s.uniform = true;
  w.push_back({fixed, s});
  if (density < 1) {
    s.permute = true;
    w.push_back({fixed + " + orders", s});
    s.uniform = false;
    s.queryBlocks = o.queryClusters;
    s.keyBlocks = o.keyClusters;
    w.push_back({"clusters " + std::to_string(o.queryClusters) + "x" +
                     std::to_string(o.keyClusters) + " + orders",
                 s});
  }
  return w;
}

}  // namespace

CudaAttentionBenchReport runCudaAttentionBench(
    const CudaAttentionBenchOptions& o, const std::function<void(const std::string&)>& progress) {
  const c10::Device device = pickDevice(o.device);
  if (!device.is_cuda()) throw InputError("bench attention on CUDA needs --device cuda");
  if (o.headDim != 64 && o.headDim != 128) throw InputError("--head-dim must be 64 or 128");
  if (o.heads <= 0 || o.repeats <= 0) throw InputError("--heads and --repeats must be positive");
  c10::NoGradGuard noGrad;
  CudaAttentionBenchReport r;
  r.torchVersion = TORCH_VERSION;
  r.heads = o.heads;
  r.headDim = o.headDim;
  r.repeats = o.repeats;
  {
    std::vector<kernels::CudaDeviceInfo> devices;
    std::string why;
    if (kernels::queryCudaDevices(devices, why) &&
        device.index() < static_cast<int>(devices.size()))
      r.gpu = devices[device.has_index() ? device.index() : 0].name;
  }
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  const auto opts = at::TensorOptions().device(device).dtype(at::kBFloat16);
  struct Variant {
    int tile;
    kernels::BlockSparseVariant variant;
    const char* name;
  };
  std::vector<Variant> variants = {{64, kernels::BlockSparseVariant::MmaSync, "mma"},
                                   {128, kernels::BlockSparseVariant::MmaSync, "mma"}};
  if (kernels::blockSparseHasWgmma() && o.headDim == 128) {
    variants.push_back({64, kernels::BlockSparseVariant::Wgmma, "wgmma"});
    variants.push_back({128, kernels::BlockSparseVariant::Wgmma, "wgmma"});
  }
  for (int64_t L : o.tokens) {
    at::manual_seed(o.seed);
    const at::Tensor q = at::randn({1, o.heads, L, o.headDim}, opts);
    const at::Tensor k = at::randn({1, o.heads, L, o.headDim}, opts);
    const at::Tensor v = at::randn({1, o.heads, L, o.headDim}, opts);
    const at::Tensor qh = q[0], kh = k[0], vh = v[0];  // (heads, L, d) views, contiguous
    const double allScores = static_cast<double>(o.heads) * L * L;

    CudaAttentionBenchRow sdpa;
    sdpa.tokens = L;
    sdpa.kernel = "sdpa";
    sdpa.layout = "dense";
    at::Tensor reference;
#if TORCH_VERSION_MAJOR >= 2
    reference = at::scaled_dot_product_attention(q, k, v);
    sdpa.ms = kernels::timeCuda([&] { at::scaled_dot_product_attention(q, k, v); }, 2, o.repeats)
                  .medianMs;
#else
    throw InputError("bench attention on CUDA needs LibTorch 2 (scaled_dot_product_attention)");
#endif
    sdpa.tflops = 4.0 * allScores * o.headDim / (sdpa.ms * 1e9);
    sdpa.ofSdpaRate = sdpa.speedup = 1;
    r.rows.push_back(sdpa);
    say("L=" + std::to_string(L) + " sdpa " + std::to_string(sdpa.ms) + " ms");

    std::vector<double> densities = {1.0};
    densities.insert(densities.end(), o.densities.begin(), o.densities.end());
    for (double density : densities) {
      for (const Workload& w : workloads(o, L, density)) {
        const BlockSparsePlan plan = randomPlan(w.spec);
        const DeviceBlockSparsePlan dplan = uploadBlockSparsePlan(plan, device);
        for (const Variant& variant : variants) {
          const int tile = variant.tile;
          CudaAttentionBenchRow row;
          row.tokens = L;
          row.kernel = variant.name;
          row.layout = w.layout;
          row.queryTile = tile;
          at::Tensor out = at::empty_like(qh);
          int64_t counted = 0;
          BlockSparseCudaOptions run;
          run.queryTile = tile;
          run.variant = variant.variant;
          run.out = out;
          run.scoresCounted = &counted;
          blockSparseAttentionCuda(qh, kh, vh, dplan, run);
          run.scoresCounted = nullptr;
          row.density = counted / allScores;
          row.relError = density >= 1 ? compareTensors(out, reference[0]).rel
                                      : std::numeric_limits<double>::quiet_NaN();
          row.ms = kernels::timeCuda([&] { blockSparseAttentionCuda(qh, kh, vh, dplan, run); }, 1,
                                     o.repeats)
                       .medianMs;
          row.tflops = 4.0 * static_cast<double>(counted) * o.headDim / (row.ms * 1e9);
          row.ofSdpaRate = row.tflops / sdpa.tflops;
          row.speedup = sdpa.ms / row.ms;
          r.rows.push_back(row);
          say("L=" + std::to_string(L) + " " + w.layout + " tile " + std::to_string(tile) +
              " density " + std::to_string(row.density) + ": " + std::to_string(row.ms) + " ms");
        }
      }
    }
  }
  return r;
}

std::string cudaAttentionBenchTable(const CudaAttentionBenchReport& r) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "GPU %s, LibTorch %s, %d heads x %d, median of %d\n",
                r.gpu.c_str(), r.torchVersion.c_str(), r.heads, r.headDim, r.repeats);
  out << line;
  std::snprintf(line, sizeof line, "%7s %-5s %-30s %4s %8s %9s %8s %7s %8s %9s\n", "tokens",
                "kernel", "layout", "tile", "density", "ms", "TFLOP/s", "of SDPA", "speedup",
                "rel err");
  out << line;
  for (const auto& row : r.rows) {
    char err[32] = "-";
    if (row.relError == row.relError) std::snprintf(err, sizeof err, "%.2e", row.relError);
    std::snprintf(line, sizeof line, "%7lld %-5s %-30s %4d %8.3f %9.3f %8.1f %6.0f%% %7.2fx %9s\n",
                  static_cast<long long>(row.tokens), row.kernel.c_str(), row.layout.c_str(),
                  row.queryTile, row.density, row.ms, row.tflops, 100 * row.ofSdpaRate, row.speedup,
                  err);
    out << line;
  }
  return out.str();
}

std::string cudaAttentionBenchJson(const CudaAttentionBenchReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    rows.push_back({{"tokens", row.tokens},
                    {"kernel", row.kernel},
                    {"layout", row.layout},
                    {"query_tile", row.queryTile},
                    {"density", row.density},
                    {"ms", row.ms},
                    {"tflops", row.tflops},
                    {"of_sdpa_rate", row.ofSdpaRate},
                    {"speedup_vs_sdpa", row.speedup},
                    {"rel_error", row.relError == row.relError ? nlohmann::json(row.relError)
                                                               : nlohmann::json(nullptr)}});
  }
  return nlohmann::json{{"gpu", r.gpu},          {"libtorch", r.torchVersion}, {"heads", r.heads},
                        {"head_dim", r.headDim}, {"repeats", r.repeats},       {"rows", rows}}
      .dump(2);
}

}  // namespace svgen
