// `svgen selftest`: every kernel against its LibTorch reference on random and adversarial inputs.
// On CUDA it checks the CUDA kernels; on the CPU the CPU kernels. Each family lives in its own
// selftest_<family>.cpp; this header is the one list of them.
#pragma once
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace svgen {

struct KernelCheck {
  std::string kernel;  // e.g. "block_sparse_attention"
  std::string input;   // what was fed: shape, layout, the adversarial case
  double maxAbsError = 0;
  double relError = 0;  // ‖out − ref‖ / ‖ref‖ (0 when the reference is all zero and so is out)
  double tolerance = 0;  // on relError (maxAbsError for exact kernels, where tolerance is 0)
  bool passed = false;
  std::string note;  // why it failed, or what else was checked (e.g. "density counted 0.25")
};

struct SelftestOptions {
  c10::Device device = c10::Device(c10::kCPU);
  uint64_t seed = 1234;
  bool quick = false;  // fewer and smaller cases (the CPU test suite uses this)
};

using SelftestReport = std::function<void(const KernelCheck&)>;

// The kernel families. Each returns its checks; on a device it has no kernel for, none.
std::vector<KernelCheck> selftestBlockSparseAttention(const SelftestOptions& options);
std::vector<KernelCheck> selftestKmeans(const SelftestOptions& options);
std::vector<KernelCheck> selftestPermutation(const SelftestOptions& options);
std::vector<KernelCheck> selftestQkNormRope(const SelftestOptions& options);
std::vector<KernelCheck> selftestModulation(const SelftestOptions& options);
std::vector<KernelCheck> selftestDequantize(const SelftestOptions& options);
std::vector<KernelCheck> selftestJointAttention(const SelftestOptions& options);

// All families in turn; `report` sees each check as it completes (may be empty).
std::vector<KernelCheck> runKernelSelftest(const SelftestOptions& options,
                                           const SelftestReport& report = {});

// A check that could not run or whose result is unusable (errors infinite, `why` in the note).
KernelCheck failedCheck(const std::string& kernel, const std::string& input, const std::string& why,
                        double tolerance = 0);

// ‖a − b‖ / ‖b‖ and max |a − b| in float64, with NaN anywhere counting as a failure (both
// infinite).
struct ErrorPair {
  double maxAbs = 0;
  double rel = 0;
};
ErrorPair compareTensors(const at::Tensor& actual, const at::Tensor& reference);

}  // namespace svgen
