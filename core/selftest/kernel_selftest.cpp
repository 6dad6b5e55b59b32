#include "core/selftest/kernel_selftest.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace svgen {

KernelCheck failedCheck(const std::string& kernel, const std::string& input, const std::string& why,
                        double tolerance) {
  KernelCheck k;
  k.kernel = kernel;
  k.input = input;
  k.maxAbsError = k.relError = std::numeric_limits<double>::infinity();
  k.tolerance = tolerance;
  k.passed = false;
  k.note = why;
  return k;
}

ErrorPair compareTensors(const at::Tensor& actual, const at::Tensor& reference) {
  at::Tensor a = actual.to(at::kCPU, at::kDouble);
  at::Tensor b = reference.to(at::kCPU, at::kDouble);
  if (a.sizes() != b.sizes()) {
    const double inf = std::numeric_limits<double>::infinity();
    return {inf, inf};
  }
  if (a.numel() == 0) return {};
  at::Tensor diff = (a - b).abs();
  ErrorPair e;
  e.maxAbs = diff.max().item<double>();
  const double refNorm = b.norm().item<double>();
  const double diffNorm = diff.norm().item<double>();
  e.rel = refNorm > 0 ? diffNorm / refNorm : diffNorm;
  if (!std::isfinite(e.maxAbs) || !std::isfinite(e.rel) || a.isnan().any().item<bool>()) {
    e.maxAbs = e.rel = std::numeric_limits<double>::infinity();
  }
  return e;
}

std::vector<KernelCheck> runKernelSelftest(const SelftestOptions& options,
                                           const SelftestReport& report) {
  std::vector<KernelCheck> all;
  using Suite = std::vector<KernelCheck> (*)(const SelftestOptions&);
  for (Suite suite :
       {selftestBlockSparseAttention, selftestKmeans, selftestPermutation, selftestQkNormRope,
        selftestModulation, selftestDequantize, selftestJointAttention}) {
    for (KernelCheck& check : suite(options)) {
      if (report) report(check);
      all.push_back(std::move(check));
    }
  }
  return all;
}

}  // namespace svgen
