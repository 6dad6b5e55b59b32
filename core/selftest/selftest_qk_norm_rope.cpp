#include "core/model/rope.h"
#include "core/selftest/kernel_selftest.h"
#include "kernels/cuda/cuda_runtime_info.h"
#include "kernels/cuda/qk_norm_rope.h"

#include <ATen/ATen.h>

#include <array>
#include <exception>
#include <limits>
#include <sstream>

namespace svgen {

namespace {

// Both paths round at the same steps, so they differ only where float32 reduction-order noise in
// the row's scale tips a bf16 rounding: a few elements in 10^4 by one bf16 ulp, ~1e-4 relative
// (checked on the CPU with an emulation of the kernel). One missing or extra rounding step costs
// ~3e-3, a wrong pair or angle ~1.
constexpr double kTolerance = 1e-3;
constexpr double kEps = 1e-6;

struct Case {
  std::string name;
  int64_t batch;
  std::array<int64_t, 3> grid;  // frames, height, width
  int64_t heads;
  int64_t headDim;
  bool extremeRows = false;  // some rows ×1e12, some ×1e-12 (eps dominates)
  bool fusedQkv = false;     // x is the q part of a (B, L, 3·dim) buffer
};

std::string describe(const Case& c) {
  std::ostringstream s;
  s << c.name << ": B=" << c.batch << " grid " << c.grid[0] << "x" << c.grid[1] << "x" << c.grid[2]
    << " (L=" << c.grid[0] * c.grid[1] * c.grid[2] << "), " << c.heads << " heads x " << c.headDim
    << " (dim " << c.heads * c.headDim << ")";
  return s.str();
}

KernelCheck makeCheck(const std::string& kernel, const std::string& input, const at::Tensor& actual,
                      const at::Tensor& reference, const std::string& what = {}) {
  const ErrorPair e = compareTensors(actual, reference);
  KernelCheck k;
  k.kernel = kernel;
  k.input = input;
  k.maxAbsError = e.maxAbs;
  k.relError = e.rel;
  k.tolerance = kTolerance;
  k.passed = e.rel <= kTolerance;
  std::ostringstream note;
  if (!what.empty()) note << what << "; ";
  if (actual.sizes() == reference.sizes()) {
    const int64_t differing = actual.ne(reference).sum().item<int64_t>();
    note << differing << " of " << reference.numel() << " elements differ";
  }
  k.note = note.str();
  return k;
}

KernelCheck failed(const std::string& kernel, const std::string& input, const std::string& why) {
  return failedCheck(kernel, input, why, kTolerance);
}

// Linear-output-like activations: per-channel offsets and scales, never exactly zero rows.
at::Tensor randomActivations(int64_t B, int64_t L, int64_t rowStride, bool extreme,
                             const at::TensorOptions& f32) {
  at::Tensor x = at::randn({B, L, rowStride}, f32) * (at::rand({rowStride}, f32) * 3 + 0.25) +
                 at::randn({rowStride}, f32) * 0.5;
  if (extreme) {
    at::Tensor rowScale = at::ones({B, L, 1}, f32);
    rowScale.select(1, 0).fill_(1e12);
    if (L > 2) rowScale.select(1, L / 2).fill_(1e-12);
    if (L > 1) rowScale.select(1, L - 1).fill_(3e4);
    x = x * rowScale;
  }
  return x.to(at::kBFloat16);
}

void runCase(const Case& c, const at::Device& device, std::vector<KernelCheck>& out) {
  const std::string input = describe(c);
  const int64_t L = c.grid[0] * c.grid[1] * c.grid[2], dim = c.heads * c.headDim;
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  try {
    const RopeTables tables = makeRopeTables(c.grid[0], c.grid[1], c.grid[2], c.headDim, device);
    const int64_t stride = c.fusedQkv ? 3 * dim : dim;
    const at::Tensor buffer = randomActivations(c.batch, L, stride, c.extremeRows, f32);
    const at::Tensor xq = buffer.narrow(2, 0, dim);
    const at::Tensor xk = c.fusedQkv ? buffer.narrow(2, dim, dim)
                                     : randomActivations(c.batch, L, dim, c.extremeRows, f32);
    const at::Tensor wq = (at::randn({dim}, f32) * 0.3 + 1).to(at::kBFloat16);
    const at::Tensor wk = (at::randn({dim}, f32) * 0.3 + 1).to(at::kBFloat16);
    const at::Tensor refQ = rmsNormRopeReference(xq, wq, kEps, tables, c.heads);
    const at::Tensor refK = rmsNormRopeReference(xk, wk, kEps, tables, c.heads);

    // The kernel on q and k in one launch, into outputs poisoned with NaN so a row or vector it
    // skips shows up as a failure.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    at::Tensor outQ = at::full({c.batch, L, c.heads, c.headDim}, nan, f32.dtype(at::kBFloat16));
    at::Tensor outK = at::full_like(outQ, nan);
    kernels::NormRopeOperand ops[2];
    ops[0].x = xq.data_ptr();
    ops[0].rowStride = xq.stride(1);
    ops[0].weight = wq.data_ptr();
    ops[0].out = outQ.data_ptr();
    ops[1].x = xk.data_ptr();
    ops[1].rowStride = xk.stride(1);
    ops[1].weight = wk.data_ptr();
    ops[1].out = outK.data_ptr();
    kernels::NormRopeShape shape;
    shape.rows = c.batch * L;
    shape.seqLen = L;
    shape.heads = static_cast<int>(c.heads);
    shape.headDim = static_cast<int>(c.headDim);
    shape.eps = kEps;
    kernels::rmsNormRopeBf16(ops, 2, shape, tables.cos.data_ptr<float>(),
                             tables.sin.data_ptr<float>(), nullptr);
    kernels::synchronizeCuda();
    out.push_back(makeCheck("qk_norm_rope", input + ", q of a q+k launch", outQ, refQ));
    out.push_back(makeCheck("qk_norm_rope", input + ", k of a q+k launch", outK, refK));

    // The core entry point the model calls; it must have taken the kernel.
    if (!rmsNormRopeUsesKernel(xq, wq, tables, c.heads)) {
      out.push_back(failed("qk_norm_rope", input + ", rmsNormRope",
                           "rmsNormRope did not take the CUDA kernel for this input"));
    } else {
      const at::Tensor viaCore = rmsNormRope(xq, wq, kEps, tables, c.heads);
      out.push_back(makeCheck("qk_norm_rope", input + ", rmsNormRope", viaCore, refQ,
                              "through core::rmsNormRope"));
    }
  } catch (const std::exception& e) {
    out.push_back(failed("qk_norm_rope", input, std::string("threw: ") + e.what()));
  }
}

}  // namespace

std::vector<KernelCheck> selftestQkNormRope(const SelftestOptions& options) {
  if (!options.device.is_cuda()) return {};
  std::vector<KernelCheck> out;
  if (!kernels::cudaKernelsCompiled()) {
    out.push_back(failed("qk_norm_rope", "-", "this build has no CUDA kernels"));
    return out;
  }
  at::manual_seed(options.seed);
  std::vector<Case> cases = {
      {"1.3B heads", 1, {3, 5, 7}, 12, 128},
      {"batch 2, prime L", 2, {1, 1, 37}, 12, 128},
      {"head dim 64", 2, {2, 3, 13}, 24, 64},
      {"14B heads", 2, {3, 5, 7}, 40, 128},
      {"large- and small-magnitude rows", 2, {2, 3, 11}, 12, 128, true},
      {"large-magnitude rows, dim 5120", 1, {1, 7, 11}, 40, 128, true},
      {"one token", 2, {1, 1, 1}, 12, 128},
      {"one token, head dim 64", 1, {1, 1, 1}, 8, 64},
      {"fused qkv buffer (row stride 3·dim)", 2, {2, 5, 9}, 12, 128, false, true},
      {"small model", 2, {8, 16, 16}, 4, 64},
  };
  if (!options.quick) {
    cases.push_back({"1.3B 480p", 1, {21, 30, 52}, 12, 128});
    cases.push_back({"14B, fused qkv, extreme rows", 2, {5, 9, 16}, 40, 128, true, true});
  }
  for (const Case& c : cases) runCase(c, options.device, out);
  return out;
}

}  // namespace svgen
