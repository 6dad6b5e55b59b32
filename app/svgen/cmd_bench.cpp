// svgen bench: performance measurements, each against the dense baseline measured in the same run.
// `svgen bench attention` times one self-attention call through every method and budget; the
// numbers in docs/benchmarks.md come from it.
#include "app/svgen/commands.h"
#include "app/svgen/interrupt.h"
#include "core/bench/attention_bench.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"

#include <array>
#include <cstdint>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace svgen::cli {

namespace {

struct BenchAttentionOptions {
  AttentionBenchOptions bench;
  std::string grid = "8,16,16";
  std::string csv;
  bool json = false;
  bool quiet = false;
};

std::array<int64_t, 3> parseGrid(const std::string& text) {
  const InputError bad("--grid \"" + text + "\": expected three whole numbers F,H,W");
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  if (parts.size() != 3) throw bad;
  std::array<int64_t, 3> g{};
  for (int i = 0; i < 3; ++i) {
    size_t used = 0;
    try {
      g[i] = std::stoll(parts[i], &used);
    } catch (const std::exception&) {
      throw bad;
    }
    if (used != parts[i].size()) throw bad;
  }
  return g;
}

int runBenchAttention(BenchAttentionOptions& o) {
  if (o.bench.synthetic) o.bench.grid = parseGrid(o.grid);
  auto say = [&](const std::string& line) {
    if (!o.quiet) std::cerr << "bench: " << line << "\n";
  };
  const AttentionBenchReport report =
      runAttentionBench(o.bench, say, [] { return interruptRequested(); });
  if (!o.csv.empty()) writeFileAtomically(o.csv, attentionBenchCsv(report));
  if (o.json)
    std::cout << attentionBenchJson(report) << "\n";
  else
    std::cout << attentionBenchTable(report);
  return kExitOk;
}

}  // namespace

Command addBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand(
      "bench", "Performance measurements, as ratios against dense measured in the same run");
  bench->require_subcommand(1);

  auto o = std::make_shared<BenchAttentionOptions>();
  AttentionBenchOptions& b = o->bench;
  CLI::App* cmd = bench->add_subcommand(
      "attention",
      "Time one self-attention call (the model's own q, k, v) through dense and every sparse "
      "method and budget: density, time, speedup and error against the tiled dense kernel");
  const char* inputs = "Inputs";
  cmd->add_option("-m,--model", b.model, "\"builtin\" or a model folder")
      ->capture_default_str()
      ->group(inputs);
  cmd->add_option("-p,--prompt", b.prompt, "Prompt of the forward pass")
      ->capture_default_str()
      ->group(inputs);
  cmd->add_option("-f,--frames", b.frames, "Frames (0: the model's default)")->group(inputs);
  cmd->add_option("-W,--width", b.width, "Width in pixels (0: default)")->group(inputs);
  cmd->add_option("-H,--height", b.height, "Height in pixels (0: default)")->group(inputs);
  cmd->add_option("--layer", b.layer, "Layer whose q, k, v are used (-1: the middle one)")
      ->capture_default_str()
      ->group(inputs);
  cmd->add_option("--sigma", b.sigma,
                  "Noise level of the latent: (1-sigma)*x0_hat + sigma*noise, timestep 1000*sigma")
      ->capture_default_str()
      ->group(inputs);
  cmd->add_option("--seed", b.seed, "Random seed")->capture_default_str()->group(inputs);
  cmd->add_flag("--synthetic", b.synthetic, "Random q, k, v instead of the model's")->group(inputs);
  cmd->add_option("--grid", o->grid, "Synthetic: tokens along frames, height, width (F,H,W)")
      ->capture_default_str()
      ->group(inputs);
  cmd->add_option("--heads", b.heads, "Synthetic: heads")->capture_default_str()->group(inputs);
  cmd->add_option("--head-dim", b.headDim, "Synthetic: head dimension")
      ->capture_default_str()
      ->group(inputs);

  const char* what = "Measurements";
  cmd->add_option("-d,--device", b.device, "cpu, cuda, cuda:N or auto")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("-t,--threads", b.threads, "CPU threads (0: all cores)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("-r,--repeats", b.repeats, "Timed calls per row, after one warm-up call")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--gemm-size", b.gemmSize, "n of the n*n*n fp32 GEMM reference (0: skip)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--methods", b.methods,
                  "Comma-separated: aten (matmul+softmax+matmul), dense (always measured), svg, "
                  "svg2, svoo")
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--densities", b.svgDensities, "SVG: target densities (comma-separated)")
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--top-p", b.svg2TopP, "SVG2: top-p values (comma-separated)")
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--key-fractions", b.svooKeyFractions,
                  "SVOO: per-layer key fractions of the in-memory profile (comma-separated)")
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--svoo-top-p", b.config.topP, "SVOO: centroid mass to keep as well")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--svg-block", b.config.svgBlock, "SVG: block size in tokens")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--query-clusters", b.config.queryClusters, "SVG2/SVOO: query clusters (0: auto)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--key-clusters", b.config.keyClusters, "SVG2/SVOO: key clusters (0: auto)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--min-key-ratio", b.config.minKeyClusterRatio,
                  "SVG2: least fraction of key clusters each query cluster keeps")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--kmeans-iters", b.config.kmeansIterations,
                  "SVG2: k-means iterations from scratch (the first call)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--kmeans-warm-iters", b.config.kmeansWarmIterations,
                  "SVG2: iterations when warm-started (later calls)")
      ->capture_default_str()
      ->group(what);
  cmd->add_option("--cocluster-iters", b.config.coclusterIterations,
                  "SVOO: co-clustering iterations")
      ->capture_default_str()
      ->group(what);

  cmd->add_flag("--json", o->json, "Print JSON instead of the table");
  cmd->add_option("--csv", o->csv, "Also write the rows as CSV to FILE");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress lines on stderr");

  return {bench, [o, cmd] { return cmd->parsed() ? runBenchAttention(*o) : kExitInputError; }};
}

}  // namespace svgen::cli
