// svgen bench: performance measurements, each against the dense baseline measured in the same run.
// `svgen bench attention` times one self-attention call through every method and budget; the
// numbers in docs/benchmarks.md come from it.
#include "app/svgen/attention_options.h"
#include "app/svgen/commands.h"
#include "app/svgen/interrupt.h"
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/method_registry.h"
#include "core/attention/svg/svg_method.h"
#include "core/bench/attention_bench.h"
#include "core/bench/cuda_attention_bench.h"
#include "core/bench/cuda_kernel_bench.h"
#include "core/bench/generate_bench.h"
#include "core/common/error.h"
#include "core/io/atomic_file.h"

#include "core/pipeline/device.h"

#include <array>
#include <cstdio>
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
  CudaAttentionBenchOptions cuda;
  CLI::App* cmd = nullptr;
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

bool given(CLI::App* cmd, const std::string& name) {
  return cmd->get_option(name)->count() > 0;
}

// On CUDA the inputs are random at Wan shapes; the options the user gave replace those defaults.
int runBenchAttentionCuda(BenchAttentionOptions& o) {
  CudaAttentionBenchOptions& c = o.cuda;
  const AttentionBenchOptions& b = o.bench;
  c.device = b.device;
  if (given(o.cmd, "--heads")) c.heads = b.heads;
  if (given(o.cmd, "--head-dim")) c.headDim = b.headDim;
  if (given(o.cmd, "--repeats")) c.repeats = b.repeats;
  if (given(o.cmd, "--seed")) c.seed = b.seed;
  const auto svgSweep = b.sweeps.find(svg::method().id);
  if (svgSweep != b.sweeps.end()) c.densities = svgSweep->second;
  if (given(o.cmd, "--svg-block")) c.svgBlock = b.config.get(svg::block);
  if (given(o.cmd, "--query-clusters")) c.queryClusters = b.config.get(clustering::queryClusters);
  if (given(o.cmd, "--key-clusters")) c.keyClusters = b.config.get(clustering::keyClusters);
  const CudaAttentionBenchReport report = runCudaAttentionBench(c, [&](const std::string& line) {
    if (!o.quiet) std::cerr << "bench: " << line << "\n";
  });
  std::cout << (o.json ? cudaAttentionBenchJson(report) + "\n" : cudaAttentionBenchTable(report));
  return kExitOk;
}

int runBenchAttention(BenchAttentionOptions& o) {
  if (o.bench.device.rfind("cuda", 0) == 0) return runBenchAttentionCuda(o);
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

int runBenchKernels(KernelBenchShape shape, const std::string& device, const std::string& grid) {
  shape.grid = parseGrid(grid);
  if (!pickDevice(device).is_cuda()) throw InputError("bench kernels needs --device cuda");
  std::printf("%-24s %-40s %9s %9s %8s %8s %8s  %s\n", "kernel", "shape", "ms", "ref ms", "speedup",
              "GB/s", "TFLOP/s", "reference / note");
  using Family = std::vector<KernelBenchRow> (*)(const KernelBenchShape&);
  for (Family family : {benchKmeansCuda, benchPermutationCuda, benchQkNormRopeCuda}) {
    for (const KernelBenchRow& r : family(shape)) {
      std::printf("%-24s %-40s %9.3f %9.3f %7.2fx %8.0f %8.1f  %s%s%s\n", r.kernel.c_str(),
                  r.shape.c_str(), r.ms, r.referenceMs, r.ms > 0 ? r.referenceMs / r.ms : 0.0,
                  r.gbPerSecond, r.tflops, r.reference.c_str(), r.note.empty() ? "" : "; ",
                  r.note.c_str());
      std::fflush(stdout);
    }
  }
  return kExitOk;
}

struct GenerateBenchCli {
  GenerateBenchOptions options;
  std::string size = "1280x720";
  bool randomWeights = false;
};

int runBenchGenerate(GenerateBenchCli& g) {
  if (!g.randomWeights)
    throw InputError(
        "bench generate runs random weights at real sizes: pass --random-weights (loading Wan "
        "checkpoints is not implemented yet)");
  const size_t x = g.size.find('x');
  try {
    if (x == std::string::npos) throw std::invalid_argument("no x");
    g.options.width = std::stoi(g.size.substr(0, x));
    g.options.height = std::stoi(g.size.substr(x + 1));
  } catch (const std::exception&) {
    throw InputError("--size \"" + g.size + "\": expected WIDTHxHEIGHT, e.g. 1280x720");
  }
  const GenerateBenchReport report = runGenerateBench(
      g.options, [](const std::string& line) { std::cerr << "bench: " << line << "\n"; },
      [] { return interruptRequested(); });
  std::cout << structureTable(report) << generateBenchTable(report);
  return kExitOk;
}

// Each subcommand registers its options and returns its body, run when it was parsed.
Command addBenchAttention(CLI::App* bench) {
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
  std::string methodsHelp =
      "Comma-separated: aten (matmul+softmax+matmul), dense (always measured)";
  for (const MethodDescriptor* m : attentionMethods())
    if (m->sparse) methodsHelp += ", " + m->id;
  cmd->add_option("--methods", b.methods, methodsHelp)
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);
  // Each sparse method's sweep, and the settings it sweeps offered only in that form.
  AttentionOptionSet attentionSet{/*withMethod=*/false, {}};
  for (const MethodDescriptor* m : attentionMethods()) {
    if (!m->sparse) continue;
    std::string defaults;
    for (double v : m->sweep) defaults += (defaults.empty() ? "" : ",") + optionNumber(v);
    cmd->add_option_function<std::vector<double>>(
           "--" + m->sweepFlag,
           [&b, id = m->id](const std::vector<double>& v) { b.sweeps[id] = v; }, m->sweepHelp)
        ->delimiter(',')
        ->default_str(defaults)
        ->group(what);
    if (m->sweepParameter) attentionSet.skip.insert(m->sweepParameter->key);
  }
  addAttentionOptions(cmd, b.config, attentionSet);
  cmd->add_option_function<double>(
         "--svoo-top-p", [&b](const double& v) { b.config.set(clustering::topP, v); },
         "SVOO: centroid mass to keep as well")
      ->default_str(optionNumber(b.config.get(clustering::topP)))
      ->group(what);

  cmd->add_option("--tokens", o->cuda.tokens,
                  "CUDA: sequence lengths, random bf16 inputs (default: Wan 480p and 720p)")
      ->delimiter(',')
      ->capture_default_str()
      ->group(what);

  cmd->add_flag("--json", o->json, "Print JSON instead of the table");
  cmd->add_option("--csv", o->csv, "Also write the rows as CSV to FILE");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress lines on stderr");
  o->cmd = cmd;

  return {cmd, [o] { return runBenchAttention(*o); }};
}

Command addBenchKernels(CLI::App* bench) {
  auto k = std::make_shared<KernelBenchShape>();
  auto kDevice = std::make_shared<std::string>("cuda");
  auto kGrid = std::make_shared<std::string>("21,45,80");
  CLI::App* kernelsCmd = bench->add_subcommand(
      "kernels",
      "Time each CUDA kernel family (k-means, permutation, QK-norm + RoPE) against the LibTorch "
      "ops it replaces, at Wan 2.1 shapes");
  kernelsCmd->add_option("-d,--device", *kDevice, "cuda or cuda:N")->capture_default_str();
  kernelsCmd->add_option("--grid", *kGrid, "Latent tokens F,H,W (default: Wan 720p, 81 frames)")
      ->capture_default_str();
  kernelsCmd->add_option("--heads", k->heads, "Heads")->capture_default_str();
  kernelsCmd->add_option("--head-dim", k->headDim, "Head dimension")->capture_default_str();
  kernelsCmd->add_option("--query-clusters", k->queryClusters, "k-means query clusters")
      ->capture_default_str();
  kernelsCmd->add_option("--key-clusters", k->keyClusters, "k-means key clusters")
      ->capture_default_str();
  kernelsCmd->add_option("-r,--repeats", k->repeats, "Timed calls per row")->capture_default_str();

  return {kernelsCmd, [k, kDevice, kGrid] { return runBenchKernels(*k, *kDevice, *kGrid); }};
}

Command addBenchGenerate(CLI::App* bench) {
  auto g = std::make_shared<GenerateBenchCli>();
  g->options.attention.set(svg::block,
                           128);  // SVG's own block; the CUDA kernel's larger query tile
  CLI::App* genCmd = bench->add_subcommand(
      "generate",
      "Seconds per DiT forward pass at real Wan and HunyuanVideo sizes, dense and each sparse "
      "method in the same run, and the whole-clip estimate with the default dense warm-up");
  GenerateBenchOptions& go = g->options;
  genCmd
      ->add_option("--config", go.config,
                   "wan-1.3b, wan-14b, wan2.1-i2v-14b (image-to-video), wan2.2-t2v-a14b, "
                   "wan2.2-i2v-a14b (one expert's pass), wan2.2-ti2v-5b, hunyuan-13b "
                   "(HunyuanVideo T2V, 256 text tokens kept dense) or hunyuan-test (a small "
                   "HunyuanVideo for CPUs)")
      ->capture_default_str();
  genCmd->add_flag("--random-weights", g->randomWeights,
                   "Random weights at the config's real sizes (no checkpoint needed)");
  genCmd->add_option("-f,--frames", go.frames, "Video frames (4k+1)")->capture_default_str();
  genCmd->add_option("--size", g->size, "WIDTHxHEIGHT in pixels")->capture_default_str();
  genCmd->add_option("--steps", go.steps, "Timed forward passes per method")->capture_default_str();
  genCmd->add_option("--clip-steps", go.clipSteps, "Sampling steps of the estimated clip")
      ->capture_default_str();
  genCmd->add_option("--methods", go.methods, attentionMethodList())
      ->delimiter(',')
      ->capture_default_str();
  genCmd
      ->add_option("--density", go.density,
                   "Fixed fraction of key blocks for every method (SVG density, SVG2 share of "
                   "key clusters, SVOO share of keys)")
      ->capture_default_str();
  // --density above is the bench's own; --top-p switches SVG2/SVOO from it to the mass they keep.
  addAttentionOptions(genCmd, go.attention, {/*withMethod=*/false, {svg::density.key}});
  genCmd->add_option("-d,--device", go.device, "cuda, cuda:N or cpu")->capture_default_str();
  genCmd->add_option("--seed", go.seed, "Seed of the weights and inputs")->capture_default_str();
  genCmd->add_flag("--phases", go.phases,
                   "Also time each attention phase (waits for the GPU after each: slower passes)");
  genCmd
      ->add_option("--weights", go.weights,
                   "How the DiT holds its matrices: native (bf16 on CUDA, fp32 on the CPU), or "
                   "packed as downloaded files store them and unpacked at each use: fp8 (scaled "
                   "E4M3) or q8_0 (GGUF)")
      ->check(CLI::IsMember({"native", "fp8", "q8_0"}))
      ->capture_default_str();
  genCmd->add_flag("--structured", go.structured,
                   "Random weights whose heads attend like a trained video DiT's (spatial, "
                   "temporal and content heads, 10-25% of the keys for 95% of the attention), "
                   "so SVG2 and SVOO run at their own budgets (--top-p); prints what the heads "
                   "do. For speed only, never quality");
  genCmd->add_flag("--stream-blocks", go.streamBlocks,
                   "Keep the DiT's blocks in host memory and stream each in one block ahead "
                   "(block swap); a resident dense run comes first, so the table shows what "
                   "streaming costs");
  genCmd->add_flag("--cfg", go.cfg,
                   "Time whole CFG steps as generate runs them: prompt and negative prompt as one "
                   "batch of 2");

  return {genCmd, [g, genCmd] {
            // --top-p switches SVG2/SVOO from the fixed density to the mass they keep.
            g->options.useTopP = genCmd->count("--top-p") > 0;
            return runBenchGenerate(*g);
          }};
}

}  // namespace

Command addBenchCommand(CLI::App& app) {
  CLI::App* bench = app.add_subcommand(
      "bench", "Performance measurements, as ratios against dense measured in the same run");
  bench->require_subcommand(1);
  const std::vector<Command> subcommands = {addBenchAttention(bench), addBenchKernels(bench),
                                            addBenchGenerate(bench)};
  return {bench, [subcommands]() -> int {
            for (const Command& c : subcommands)
              if (c.app->parsed()) return c.action();
            return kExitInputError;
          }};
}

}  // namespace svgen::cli
