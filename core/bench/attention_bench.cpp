#include "core/bench/attention_bench.h"

#include "core/attention/attention_backend.h"
#include "core/attention/method_registry.h"
#include "core/common/error.h"
#include "core/model/model_family.h"
#include "core/pipeline/device.h"
#include "core/pipeline/request_validation.h"
#include "core/pipeline/stopwatch.h"

#include "core/attention/warmup.h"
#include "kernels/cpu/attention_cpu.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace svgen {

namespace {

using json = nlohmann::ordered_json;

// Thrown from the forward pass once the wanted layer is captured: the rest is not needed.
struct StopForward {};

// Dense attention everywhere; keeps q, k, v and the call of one layer.
class CapturingAttention : public AttentionBackend {
 public:
  explicit CapturingAttention(int layer) : layer_(layer) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override {
    if (call.layer == layer_) {
      q_ = q.clone();
      k_ = k.clone();
      v_ = v.clone();
      call_ = call;
    }
    return denseAttention(q, k, v);
  }
  bool captured() const { return q_.defined(); }
  at::Tensor q_, k_, v_;
  AttentionCall call_;

 private:
  int layer_;
};

struct Inputs {
  at::Tensor q, k, v;  // (B, L, heads, d)
  AttentionCall call;
};

at::Generator seeded(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

Inputs syntheticInputs(const AttentionBenchOptions& o, AttentionBenchReport& r,
                       const at::Device& device) {
  const int64_t L = o.grid[0] * o.grid[1] * o.grid[2];
  at::Generator gen = seeded(o.seed);
  auto draw = [&] {
    return at::empty({1, L, o.heads, o.headDim}, at::kFloat).normal_(0.0, 1.0, gen).to(device);
  };
  Inputs in;
  in.q = draw();
  in.k = draw();
  in.v = draw();
  in.call.grid = o.grid;
  r.source = "synthetic";
  return in;
}

Inputs modelInputs(const AttentionBenchOptions& o, AttentionBenchReport& r,
                   const at::Device& device, const std::function<void(const std::string&)>& say) {
  GenerationRequest request;
  request.model = o.model;
  request.prompt = o.prompt;
  request.frames = o.frames;
  request.width = o.width;
  request.height = o.height;
  const ModelInfo info = describeVideoModel(o.model);
  request = resolveRequest(request, info);

  if (say) say("loading " + o.model);
  std::unique_ptr<VideoModel> model = loadVideoModel(o.model, device);
  model->checkPrompt(o.prompt);
  const int numLayers = model->info().layers;
  const int layer = o.layer < 0 ? numLayers / 2 : o.layer;
  if (layer >= numLayers) {
    throw InputError("--layer " + std::to_string(o.layer) + " is past the model's last layer (" +
                     std::to_string(numLayers - 1) + ")");
  }
  r.source = "model";
  r.model = o.model;
  r.modelLabel = model->info().label;
  r.prompt = o.prompt;
  r.layer = layer;
  r.numLayers = numLayers;
  r.sigma = o.sigma;

  c10::NoGradGuard noGrad;
  const Conditioning conditioning = model->encode(o.prompt, nullptr);
  std::vector<int64_t> shape = {1};
  const std::vector<int64_t> latent =
      model->latentShape(request.frames, request.height, request.width);
  shape.insert(shape.end(), latent.begin(), latent.end());
  at::Generator gen = seeded(o.seed);
  const at::Tensor noise = at::empty(shape, at::kFloat).normal_(0.0, 1.0, gen).to(device);
  auto stepAt = [&](double sigma) {
    DenoiseStep step;
    step.sigma = sigma;
    step.timestep = 1000.0 * sigma;
    return step;
  };
  at::Tensor x = noise;
  if (o.sigma < 1) {
    // The model's guess of the clean clip from pure noise: the latent then has the structure of a
    // mid-run step rather than of noise alone (x0 = x − σ·v at σ = 1).
    if (say) say("predicting a clean sample from noise");
    const at::Tensor x0 = noise - model->velocity(noise, conditioning, stepAt(1.0));
    x = x0 * (1 - o.sigma) + noise * o.sigma;
  }
  if (say) say("capturing q, k, v of layer " + std::to_string(layer));
  CapturingAttention capture(layer);
  DenoiseStep step = stepAt(o.sigma);
  step.attention = &capture;
  step.beforeLayer = [&](int i) {
    if (capture.captured()) throw StopForward();
  };
  try {
    model->velocity(x, conditioning, step);
  } catch (const StopForward&) {
  }
  if (!capture.captured())
    throw RuntimeFailure("the forward pass never reached layer " + std::to_string(layer));
  Inputs in;
  in.q = capture.q_;
  in.k = capture.k_;
  in.v = capture.v_;
  in.call = capture.call_;
  if (device.is_cpu()) {  // the CPU kernels are float32
    in.q = in.q.to(at::kFloat);
    in.k = in.k.to(at::kFloat);
    in.v = in.v.to(at::kFloat);
  }
  return in;
}

// matmul + softmax + matmul, one head at a time, in query chunks of at most 2^24 scores.
at::Tensor atenAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t B = q.size(0), L = q.size(1), H = q.size(2), D = q.size(3), Lk = k.size(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const at::Tensor qh = q.transpose(1, 2), kt = k.transpose(1, 2).transpose(2, 3),
                   vh = v.transpose(1, 2);
  at::Tensor out = at::empty({B, H, L, D}, q.options());
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(L, (int64_t{1} << 24) / Lk));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < H; ++h) {
      const at::Tensor kh = kt[b][h], vhh = vh[b][h];
      for (int64_t s = 0; s < L; s += chunk) {
        const int64_t n = std::min(chunk, L - s);
        const at::Tensor p = at::softmax(at::matmul(qh[b][h].narrow(0, s, n), kh).mul_(scale), -1);
        out[b][h].narrow(0, s, n).copy_(at::matmul(p, vhh));
      }
    }
  }
  return out.transpose(1, 2).contiguous();
}

struct Timing {
  double first = 0, median = 0, min = 0;
  at::Tensor out;
};

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One warm-up call (timed on its own), then `repeats` timed calls. Outputs are made contiguous
// inside the timing, as the model's reshape does after every call.
template <class F>
Timing timeCalls(F&& f, int repeats, const at::Device& device,
                 const std::function<bool()>& cancelled) {
  auto once = [&](at::Tensor* keep) {
    if (cancelled && cancelled()) throw Cancelled();
    Stopwatch watch;
    at::Tensor out = f().contiguous();
    if (device.is_cuda()) synchronizeDevice(device);
    const double s = watch.seconds();
    if (keep) *keep = out;
    return s;
  };
  Timing t;
  t.first = once(&t.out);
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) samples.push_back(once(i + 1 == repeats ? &t.out : nullptr));
  t.median = medianOf(samples);
  t.min = *std::min_element(samples.begin(), samples.end());
  return t;
}

double relativeError(const at::Tensor& out, const at::Tensor& ref) {
  const at::Tensor r = ref.to(at::kDouble);
  const double norm = r.norm().item<double>();
  const double diff = (out.to(at::kDouble) - r).norm().item<double>();
  return norm > 0 ? diff / norm : diff;
}

bool wants(const AttentionBenchOptions& o, const std::string& method) {
  return std::find(o.methods.begin(), o.methods.end(), method) != o.methods.end();
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

const std::vector<double>& sweepValues(const AttentionBenchOptions& o, const MethodDescriptor& m) {
  const auto it = o.sweeps.find(m.id);
  return it != o.sweeps.end() ? it->second : m.sweep;
}

}  // namespace

std::vector<std::string> attentionBenchMethods() {
  std::vector<std::string> m = {"aten"};
  for (const std::string& id : attentionMethodIds()) m.push_back(id);
  return m;
}

std::vector<std::string> attentionBenchProblems(const AttentionBenchOptions& o) {
  std::vector<std::string> p;
  const std::vector<std::string> known = attentionBenchMethods();
  for (const std::string& m : o.methods)
    if (std::find(known.begin(), known.end(), m) == known.end())
      p.push_back("method \"" + m + "\" is unknown: use aten, " + attentionMethodList());
  for (const MethodDescriptor* m : attentionMethods()) {
    if (!m->sparse || !wants(o, m->id)) continue;
    const std::string what = "--" + m->sweepFlag;
    const std::vector<double>& values = sweepValues(o, *m);
    if (values.empty()) p.push_back(what + ": give at least one value");
    for (double v : values)
      if (!(v > 0 && v <= 1)) p.push_back(what + " must be in (0, 1], got " + fixed(v, 3));
  }
  if (o.repeats < 1 || o.repeats > 1000) p.push_back("--repeats must be 1 to 1000");
  if (o.threads < 0) p.push_back("--threads must be 0 (all cores) or more");
  if (o.gemmSize < 0 || o.gemmSize > 16384) p.push_back("--gemm-size must be 0 (skip) to 16384");
  if (!(o.sigma > 0 && o.sigma <= 1)) p.push_back("--sigma must be in (0, 1]");
  if (o.layer < -1) p.push_back("--layer must be -1 (the middle layer) or a layer index");
  if (o.synthetic) {
    for (int64_t g : o.grid)
      if (g < 1) p.push_back("--grid: every dimension must be at least 1");
    if (o.grid[0] * o.grid[1] * o.grid[2] > (int64_t{1} << 20))
      p.push_back("--grid: at most 1,048,576 tokens");
    if (o.heads < 1 || o.heads > 256) p.push_back("--heads must be 1 to 256");
    if (o.headDim < 2 || o.headDim > 256 || o.headDim % 2)
      p.push_back("--head-dim must be even, 2 to 256");
  }
  AttentionConfig c = o.config;
  c.method = "dense";
  for (const std::string& s : attentionConfigProblems(c)) p.push_back(s);
  return p;
}

AttentionBenchReport runAttentionBench(const AttentionBenchOptions& o,
                                       const std::function<void(const std::string&)>& say,
                                       const std::function<bool()>& cancelled) {
  const auto problems = attentionBenchProblems(o);
  if (!problems.empty()) throw InputError(problems.front());
  const at::Device device = pickDevice(o.device);
  useCpuThreads(o.threads);
  c10::NoGradGuard noGrad;

  AttentionBenchReport r;
  r.seed = o.seed;
  r.device = deviceLabel(device);
  r.isa = kernels::attentionCpuIsa();
  r.threads = at::get_num_threads();
  r.repeats = o.repeats;
  Inputs in = o.synthetic ? syntheticInputs(o, r, device) : modelInputs(o, r, device, say);
  in.call.step = 0;
  in.call.numSteps = 1;
  r.batch = in.q.size(0);
  r.tokens = in.q.size(1);
  r.heads = in.q.size(2);
  r.headDim = in.q.size(3);
  r.grid = in.call.grid;
  const double flops = 4.0 * r.batch * r.heads * static_cast<double>(r.tokens) *
                       static_cast<double>(in.k.size(1)) * r.headDim;

  if (o.gemmSize > 0) {
    if (say) say("GEMM " + std::to_string(o.gemmSize) + "^3");
    at::Generator gen = seeded(o.seed + 1);
    const int64_t n = o.gemmSize;
    const at::Tensor a = at::empty({n, n}, at::kFloat).normal_(0.0, 1.0, gen).to(device);
    const at::Tensor b = at::empty({n, n}, at::kFloat).normal_(0.0, 1.0, gen).to(device);
    const Timing t = timeCalls([&] { return at::matmul(a, b); }, o.repeats, device, cancelled);
    r.gemmSize = o.gemmSize;
    r.gemmGflops = 2.0 * n * n * n / t.median / 1e9;
  }

  // The baseline first: every speedup and error is against it.
  const Timing dense =
      timeCalls([&] { return denseAttention(in.q, in.k, in.v); }, o.repeats, device, cancelled);
  auto add = [&](const std::string& method, const std::string& budget, double value, double density,
                 const Timing& t, bool isDense) {
    AttentionBenchRow row;
    row.method = method;
    row.budget = budget;
    row.budgetValue = value;
    row.density = density;
    row.firstSeconds = t.first;
    row.medianSeconds = t.median;
    row.minSeconds = t.min;
    row.speedup = dense.median / t.median;
    row.gflops = isDense ? flops / t.median / 1e9 : 0;
    row.relativeError = relativeError(t.out, dense.out);
    r.rows.push_back(row);
    if (say) {
      say(method + (budget.empty() ? "" : " " + budget + " " + fixed(value, 2)) + ": " +
          fixed(t.median * 1e3, 2) + " ms, density " + fixed(density, 3));
    }
  };
  if (wants(o, "aten")) {
    add("aten", "", 0, 1,
        timeCalls([&] { return atenAttention(in.q, in.k, in.v); }, o.repeats, device, cancelled),
        true);
  }
  add("dense", "", 0, 1, dense, true);

  AttentionConfig base = o.config;
  base.set(warmup::fraction, 0);
  base.set(warmup::layers, 0);
  auto sparse = [&](AttentionBackend& backend, const std::string& method, const std::string& budget,
                    double value) {
    const Timing t = timeCalls([&] { return backend.selfAttention(in.q, in.k, in.v, in.call); },
                               o.repeats, device, cancelled);
    add(method, budget, value, backend.stats().sparseDensity(), t, false);
  };
  for (const MethodDescriptor* m : attentionMethods()) {
    if (!m->sparse || !wants(o, m->id)) continue;
    const std::string budget =
        m->sweepParameter ? m->sweepParameter->labelInText() : std::string("key fraction");
    for (double value : sweepValues(o, *m)) {
      AttentionConfig c = base;
      c.method = m->id;
      std::unique_ptr<AttentionBackend> backend;
      if (m->sweepParameter) {
        c.setNumber(*m->sweepParameter, value);
        backend = makeAttentionBackend(c);
      } else {
        backend = m->makeAtFraction(c, value);
      }
      sparse(*backend, m->id, budget, value);
    }
  }
  return r;
}

std::string attentionBenchTable(const AttentionBenchReport& r) {
  std::ostringstream s;
  char line[512];
  if (r.source == "model") {
    s << "inputs: " << r.modelLabel << ", layer " << r.layer << " of " << r.numLayers << ", sigma "
      << fixed(r.sigma, 2) << ", seed " << r.seed << ", prompt \"" << r.prompt << "\"\n";
  } else {
    s << "inputs: synthetic (standard normal q, k, v), seed " << r.seed << "\n";
  }
  s << "device " << r.device << ", CPU ISA " << r.isa << ", " << r.threads << " threads; "
    << r.tokens << " tokens (grid " << r.grid[0] << "x" << r.grid[1] << "x" << r.grid[2]
    << "), batch " << r.batch << ", " << r.heads << " heads x " << r.headDim << "; GEMM ";
  if (r.gemmSize > 0)
    s << r.gemmSize << "^3 fp32 " << fixed(r.gemmGflops, 1) << " GFLOP/s";
  else
    s << "skipped";
  s << "; median of " << r.repeats << " after 1 warm-up call\n";
  std::snprintf(line, sizeof line, "%-6s %-18s %8s %10s %10s %8s %8s %9s\n", "method", "budget",
                "density", "first ms", "median ms", "speedup", "GFLOP/s", "rel err");
  s << line;
  for (const AttentionBenchRow& row : r.rows) {
    const std::string budget =
        row.budget.empty() ? "-" : row.budget + " " + fixed(row.budgetValue, 2);
    const std::string gflops = row.gflops > 0 ? fixed(row.gflops, 1) : "-";
    char err[32];
    std::snprintf(err, sizeof err, "%.2e", row.relativeError);
    std::snprintf(line, sizeof line, "%-6s %-18s %8.3f %10.2f %10.2f %7.2fx %8s %9s\n",
                  row.method.c_str(), budget.c_str(), row.density, row.firstSeconds * 1e3,
                  row.medianSeconds * 1e3, row.speedup, gflops.c_str(), err);
    s << line;
  }
  return s.str();
}

std::string attentionBenchJson(const AttentionBenchReport& r) {
  json j;
  j["source"] = r.source;
  if (r.source == "model") {
    j["model"] = r.model;
    j["model_label"] = r.modelLabel;
    j["prompt"] = r.prompt;
    j["layer"] = r.layer;
    j["num_layers"] = r.numLayers;
    j["sigma"] = r.sigma;
  }
  j["seed"] = r.seed;
  j["device"] = r.device;
  j["cpu_isa"] = r.isa;
  j["threads"] = r.threads;
  j["batch"] = r.batch;
  j["tokens"] = r.tokens;
  j["grid"] = r.grid;
  j["heads"] = r.heads;
  j["head_dim"] = r.headDim;
  j["repeats"] = r.repeats;
  j["gemm_size"] = r.gemmSize;
  j["gemm_gflops"] = r.gemmSize > 0 ? json(r.gemmGflops) : json(nullptr);
  json rows = json::array();
  for (const AttentionBenchRow& row : r.rows) {
    json x;
    x["method"] = row.method;
    x["budget"] = row.budget.empty() ? json(nullptr) : json(row.budget);
    x["budget_value"] = row.budget.empty() ? json(nullptr) : json(row.budgetValue);
    x["density"] = row.density;
    x["first_ms"] = row.firstSeconds * 1e3;
    x["median_ms"] = row.medianSeconds * 1e3;
    x["min_ms"] = row.minSeconds * 1e3;
    x["speedup"] = row.speedup;
    x["gflops"] = row.gflops > 0 ? json(row.gflops) : json(nullptr);
    x["relative_error"] = row.relativeError;
    rows.push_back(x);
  }
  j["rows"] = rows;
  return j.dump(2);
}

std::string attentionBenchCsv(const AttentionBenchReport& r) {
  std::ostringstream s;
  s << "method,budget,budget_value,density,first_ms,median_ms,min_ms,speedup,gflops,"
       "relative_error,tokens,heads,head_dim,threads,cpu_isa,gemm_gflops\n";
  char line[512];
  for (const AttentionBenchRow& row : r.rows) {
    std::snprintf(line, sizeof line,
                  "%s,%s,%s,%.6f,%.4f,%.4f,%.4f,%.4f,%s,%.6e,%lld,%lld,%lld,%d,%s,%s\n",
                  row.method.c_str(), row.budget.c_str(),
                  row.budget.empty() ? "" : fixed(row.budgetValue, 4).c_str(), row.density,
                  row.firstSeconds * 1e3, row.medianSeconds * 1e3, row.minSeconds * 1e3,
                  row.speedup, row.gflops > 0 ? fixed(row.gflops, 2).c_str() : "",
                  row.relativeError, static_cast<long long>(r.tokens),
                  static_cast<long long>(r.heads), static_cast<long long>(r.headDim), r.threads,
                  r.isa.c_str(), r.gemmSize > 0 ? fixed(r.gemmGflops, 2).c_str() : "");
    s << line;
  }
  return s.str();
}

}  // namespace svgen
