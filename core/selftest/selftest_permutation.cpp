#include "core/attention/attention_backend.h"
#include "core/attention/clustering/clustering.h"
#include "core/selftest/kernel_selftest.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/token_permutation.h"

#include <ATen/ATen.h>

#include <exception>
#include <limits>
#include <sstream>

namespace svgen {

namespace {

// A permutation copies rows: anything but a bit-exact result is a bug.
constexpr double kTolerance = 0;

enum class PermKind { Random, Identity, Reverse, Clustered };

struct Case {
  std::string name;
  int64_t batch, tokens, heads, rowElements;
  at::ScalarType dtype;
  at::ScalarType permType;
  PermKind kind = PermKind::Random;
  bool modelLayout = false;  // the gather reads (B, L, H, d), the scatter writes it
};

const char* dtypeName(at::ScalarType t) {
  return t == at::kBFloat16 ? "bf16" : t == at::kFloat ? "fp32" : t == at::kInt ? "int32" : "int64";
}

std::string describe(const Case& c) {
  std::ostringstream s;
  s << c.name << ": " << (c.modelLayout ? "(B, L, H, d)" : "head-major") << " B=" << c.batch
    << " L=" << c.tokens << " H=" << c.heads << " d=" << c.rowElements << " " << dtypeName(c.dtype)
    << ", " << dtypeName(c.permType) << " perm";
  return s.str();
}

KernelCheck check(const std::string& kernel, const std::string& input, const at::Tensor& actual,
                  const at::Tensor& reference, const std::string& note = {}) {
  const ErrorPair e = compareTensors(actual, reference);
  KernelCheck k;
  k.kernel = kernel;
  k.input = input;
  k.maxAbsError = e.maxAbs;
  k.relError = e.rel;
  k.tolerance = kTolerance;
  // compareTensors works in float64, which holds bf16 and fp32 exactly; at::equal on top checks
  // the dtype too.
  const bool bitExact = actual.sizes() == reference.sizes() &&
                        actual.scalar_type() == reference.scalar_type() &&
                        at::equal(actual.to(at::kCPU), reference.to(at::kCPU));
  k.passed = e.maxAbs <= kTolerance && bitExact;
  k.note = note;
  if (!bitExact && note.empty()) k.note = "not identical";
  return k;
}

KernelCheck failed(const std::string& kernel, const std::string& input, const std::string& why) {
  return failedCheck(kernel, input, why);
}

at::Tensor makePerm(const Case& c, const at::Device& device) {
  const int64_t heads = c.batch * c.heads, L = c.tokens;
  const auto longs = at::TensorOptions().dtype(at::kLong).device(device);
  at::Tensor perm;
  switch (c.kind) {
    case PermKind::Identity:
      perm = at::arange(L, longs).expand({heads, L}).contiguous();
      break;
    case PermKind::Reverse:
      perm = at::arange(L - 1, -1, -1, longs).expand({heads, L}).contiguous();
      break;
    case PermKind::Clustered: {
      const int clusters = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(L / 3, 50)));
      perm = clusterLayout(at::randint(clusters, {heads, L}, longs), clusters).perm;
      break;
    }
    case PermKind::Random:
      perm = std::get<1>(at::rand({heads, L}, longs.dtype(at::kFloat)).sort(1));
      break;
  }
  return perm.to(c.permType).contiguous();
}

kernels::TokenLayout headMajorLayout(int64_t heads, int64_t L, int64_t d) {
  return {heads, 0, L * d, d};
}
kernels::TokenLayout modelLayout(int64_t H, int64_t L, int64_t d) {
  return {H, L * H * d, d, H * d};
}

void runCase(const Case& c, const at::Device& device, std::vector<KernelCheck>& out) {
  const std::string input = describe(c);
  const int64_t B = c.batch, H = c.heads, L = c.tokens, d = c.rowElements, heads = B * H;
  const auto opts = at::TensorOptions().dtype(c.dtype).device(device);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  try {
    // Distinct non-zero values everywhere, so a row copied from the wrong place cannot match.
    const at::Tensor x = c.modelLayout
                             ? (at::randn({B, L, H, d}, opts.dtype(at::kFloat)) + 3).to(c.dtype)
                             : (at::randn({heads, L, d}, opts.dtype(at::kFloat)) + 3).to(c.dtype);
    const at::Tensor perm = makePerm(c, device);
    kernels::PermutationShape shape;
    shape.heads = heads;
    shape.tokens = L;
    shape.rowElements = d;
    shape.elementBytes = static_cast<int>(x.element_size());
    const bool is64 = c.permType == at::kLong;

    // Gather straight from the kernel into a NaN-poisoned output.
    const at::Tensor refGather = permuteTokensReference(x, perm);
    at::Tensor gathered = at::full({heads, L, d}, nan, opts);
    kernels::gatherTokenRows(
        x.data_ptr(), c.modelLayout ? modelLayout(H, L, d) : headMajorLayout(heads, L, d),
        gathered.data_ptr(), headMajorLayout(heads, L, d), perm.data_ptr(), is64, shape, nullptr);
    kernels::synchronizeCuda();
    out.push_back(check("token_permutation", input + ", gather", gathered, refGather));

    // Scatter back from head-major into the case's layout, again into poison.
    const at::Tensor y = refGather;  // (heads, L, d) in permuted order
    at::Tensor scattered =
        c.modelLayout ? at::full({B, L, H, d}, nan, opts) : at::full({heads, L, d}, nan, opts);
    kernels::scatterTokenRows(y.data_ptr(), headMajorLayout(heads, L, d), scattered.data_ptr(),
                              c.modelLayout ? modelLayout(H, L, d) : headMajorLayout(heads, L, d),
                              perm.data_ptr(), is64, shape, nullptr);
    kernels::synchronizeCuda();
    const at::Tensor refScatter = c.modelLayout ? unpermuteTokensToModelReference(y, perm, B)
                                                : unpermuteTokensReference(y, perm);
    out.push_back(check("token_permutation", input + ", scatter", scattered, refScatter,
                        "and the scatter restores the input exactly"));
    if (!at::equal(scattered, x)) {
      out.back().passed = false;
      out.back().note = "the round trip does not restore the input";
    }

    // The core entry points (kernel on CUDA). Their outputs come from the caching allocator,
    // so free a NaN block of the same size first: an unwritten row then reads back as NaN.
    { at::Tensor poison = at::full({heads, L, d}, nan, opts); }
    out.push_back(check("token_permutation", input + ", permuteTokens", permuteTokens(x, perm),
                        refGather, "through core::permuteTokens"));
    { at::Tensor poison = at::full({heads, L, d}, nan, opts); }
    const at::Tensor viaCore =
        c.modelLayout ? unpermuteTokensToModel(y, perm, B) : unpermuteTokens(y, perm);
    out.push_back(check("token_permutation",
                        input + (c.modelLayout ? ", unpermuteTokensToModel" : ", unpermuteTokens"),
                        viaCore, refScatter, "through core"));
  } catch (const std::exception& e) {
    out.push_back(failed("token_permutation", input, std::string("threw: ") + e.what()));
  }
}

// Strided (non-contiguous) head-major input: a narrow view along d and along tokens.
void runStridedCase(const at::Device& device, std::vector<KernelCheck>& out) {
  const std::string input = "strided head-major view (every other token, d 128 of 192), bf16";
  try {
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
    const at::Tensor base = (at::randn({6, 2 * 41, 192}, opts) + 3).to(at::kBFloat16);
    const at::Tensor x = base.slice(1, 0, 2 * 41, 2).narrow(2, 64, 128);  // (6, 41, 128)
    const at::Tensor perm = std::get<1>(at::rand({6, 41}, opts).sort(1)).to(at::kInt);
    {
      at::Tensor poison = at::full({6, 41, 128}, std::numeric_limits<double>::quiet_NaN(),
                                   opts.dtype(at::kBFloat16));
    }
    out.push_back(check("token_permutation", input + ", permuteTokens", permuteTokens(x, perm),
                        permuteTokensReference(x.contiguous(), perm)));
    out.push_back(check("token_permutation", input + ", unpermuteTokens", unpermuteTokens(x, perm),
                        unpermuteTokensReference(x.contiguous(), perm)));
  } catch (const std::exception& e) {
    out.push_back(failed("token_permutation", input, std::string("threw: ") + e.what()));
  }
}

// Indices outside [0, L) must never be followed: gather fills those rows with NaN, the rest exact.
void runBadIndexCase(const at::Device& device, std::vector<KernelCheck>& out) {
  const std::string input = "gather with indices -1 and L in the permutation";
  try {
    const int64_t heads = 3, L = 17, d = 64;
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
    const at::Tensor x = at::randn({heads, L, d}, opts) + 3;
    at::Tensor perm = at::arange(L, opts.dtype(at::kLong)).expand({heads, L}).contiguous();
    perm.select(0, 1).select(0, 4).fill_(-1);
    perm.select(0, 2).select(0, 9).fill_(L);
    at::Tensor gathered = at::zeros({heads, L, d}, opts);
    kernels::PermutationShape shape{heads, L, d, 4};
    kernels::gatherTokenRows(x.data_ptr(), headMajorLayout(heads, L, d), gathered.data_ptr(),
                             headMajorLayout(heads, L, d), perm.data_ptr(), true, shape, nullptr);
    kernels::synchronizeCuda();
    const at::Tensor bad = at::zeros({heads, L}, opts.dtype(at::kBool));
    bad.select(0, 1).select(0, 4).fill_(true);
    bad.select(0, 2).select(0, 9).fill_(true);
    const at::Tensor rowNan = gathered.isnan().all(-1);
    const bool nanWhereBad = at::equal(rowNan, bad);
    const at::Tensor good = ~bad.unsqueeze(-1).expand({heads, L, d});
    const bool restExact = at::equal(gathered.masked_select(good), x.masked_select(good));
    KernelCheck k;
    k.kernel = "token_permutation";
    k.input = input;
    k.passed = nanWhereBad && restExact;
    k.maxAbsError = k.passed ? 0 : std::numeric_limits<double>::infinity();
    k.relError = k.maxAbsError;
    k.note = k.passed ? "bad rows NaN, others exact"
                      : (!nanWhereBad ? "bad rows not flagged as NaN" : "good rows differ");
    out.push_back(k);
  } catch (const std::exception& e) {
    out.push_back(failed("token_permutation", input, std::string("threw: ") + e.what()));
  }
}

}  // namespace

std::vector<KernelCheck> selftestPermutation(const SelftestOptions& options) {
  if (!options.device.is_cuda()) return {};
  std::vector<KernelCheck> out;
  if (!kernels::cudaKernelsCompiled()) {
    out.push_back(failed("token_permutation", "-", "this build has no CUDA kernels"));
    return out;
  }
  at::manual_seed(options.seed);
  const auto bf16 = at::kBFloat16, f32 = at::kFloat, i32 = at::kInt, i64 = at::kLong;
  std::vector<Case> cases = {
      {"random", 1, 105, 12, 128, bf16, i64},
      {"random", 2, 37, 12, 128, bf16, i32, PermKind::Random, true},
      {"random", 2, 37, 12, 128, bf16, i64, PermKind::Random, true},
      {"random, fp32", 2, 53, 5, 64, f32, i32, PermKind::Random, true},
      {"random, fp32", 1, 53, 5, 128, f32, i64},
      {"head dim 64", 2, 91, 24, 64, bf16, i64, PermKind::Random, true},
      {"identity", 2, 29, 3, 128, bf16, i64, PermKind::Identity, true},
      {"reverse", 1, 64, 4, 128, bf16, i32, PermKind::Reverse},
      {"clustered (SVG2 order)", 2, 300, 12, 128, bf16, i64, PermKind::Clustered, true},
      {"one token", 2, 1, 12, 128, bf16, i64, PermKind::Random, true},
      {"one token", 1, 1, 3, 64, f32, i32},
      {"narrow rows (10 bytes: 2-byte accesses)", 2, 19, 3, 5, bf16, i64, PermKind::Random, true},
      {"narrow rows (12 bytes: 4-byte accesses)", 1, 19, 3, 3, f32, i32},
      {"14B heads", 1, 77, 40, 128, bf16, i64, PermKind::Random, true},
  };
  if (!options.quick) {
    cases.push_back({"1.3B 720p", 1, 75600, 12, 128, bf16, i64, PermKind::Clustered, true});
    cases.push_back({"1.3B 480p, CFG batch", 2, 32760, 12, 128, bf16, i32, PermKind::Random, true});
  }
  for (const Case& c : cases) runCase(c, options.device, out);
  runStridedCase(options.device, out);
  runBadIndexCase(options.device, out);
  return out;
}

}  // namespace svgen
