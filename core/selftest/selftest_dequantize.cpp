// The CUDA weight unpacker (fp8 and every GGUF block type) against the CPU one, which
// tests/test_packed_weights.cpp checks against llama.cpp's own dequantiser. Random bytes make
// every bit pattern appear, scales included; where a random scale is an infinity or NaN, both
// sides must agree on it.
#include "core/selftest/kernel_selftest.h"
#include "kernels/cpu/dequantize.h"
#include "kernels/cuda/dequantize.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

namespace svgen {

namespace {

using kernels::PackedFormat;

struct Format {
  PackedFormat format;
  const char* name;
};

#define SVGEN_FORMAT_ENTRY(F) {PackedFormat::F, #F},
constexpr Format kFormats[] = {SVGEN_FOR_EACH_PACKED_FORMAT(SVGEN_FORMAT_ENTRY)};
#undef SVGEN_FORMAT_ENTRY

KernelCheck compareUnpacked(const Format& f, int64_t rows, int64_t cols, bool bf16, float scale,
                            const at::Device& device) {
  KernelCheck c;
  c.kernel = "dequantize";
  c.input = std::string(f.name) + " [" + std::to_string(rows) + ", " + std::to_string(cols) +
            "] -> " + (bf16 ? "bf16" : "fp32") + (scale != 1 ? ", scaled" : "");
  // The GPU may fuse (d·s)·q − m into one FMA where the CPU rounds twice: a few float ulps, which
  // bfloat16 output can turn into one bf16 ulp.
  c.tolerance = bf16 ? 4e-3 : 1e-6;
  try {
    const kernels::BlockShape block = kernels::blockShape(f.format);
    const int64_t elements = rows * cols;
    const int64_t bytes = elements / block.elements * block.bytes;
    const at::Tensor raw = at::randint(0, 256, {bytes}, at::kByte);
    at::Tensor ref = at::empty({rows, cols}, bf16 ? at::kBFloat16 : at::kFloat);
    if (bf16)
      kernels::dequantizeToBf16(f.format, raw.data_ptr<uint8_t>(), elements, scale,
                                static_cast<uint16_t*>(ref.data_ptr()));
    else
      kernels::dequantizeToFloat(f.format, raw.data_ptr<uint8_t>(), elements, scale,
                                 ref.data_ptr<float>());
    const at::Tensor onDevice = raw.to(device);
    at::Tensor out = at::full({rows, cols}, std::nan(""),
                              at::TensorOptions().device(device).dtype(ref.scalar_type()));
    kernels::dequantizeCuda(f.format, onDevice.data_ptr(), elements, scale, out.data_ptr(), bf16,
                            nullptr);
    const at::Tensor got = out.to(at::kCPU).to(at::kFloat);
    const at::Tensor want = ref.to(at::kFloat);
    const at::Tensor finite = at::isfinite(want);
    const bool sameSpecials =
        at::equal(finite, at::isfinite(got)) && at::equal(at::isnan(want), at::isnan(got)) &&
        at::equal(want.masked_select(at::isinf(want)), got.masked_select(at::isinf(want)));
    const ErrorPair e = compareTensors(got.masked_fill(~finite, 0), want.masked_fill(~finite, 0));
    c.maxAbsError = e.maxAbs;
    c.relError = e.rel;
    c.passed = sameSpecials && e.rel <= c.tolerance;
    if (!sameSpecials) c.note = "infinities or NaNs differ";
  } catch (const std::exception& e) {
    c.note = std::string("threw: ") + e.what();
  }
  return c;
}

}  // namespace

std::vector<KernelCheck> selftestDequantize(const SelftestOptions& o) {
  if (!o.device.is_cuda()) return {};
  at::manual_seed(o.seed);
  std::vector<KernelCheck> checks;
  for (const Format& f : kFormats) {
    checks.push_back(compareUnpacked(f, 3, 512, false, 1.0f, o.device));
    checks.push_back(compareUnpacked(f, 7, 256, true, 0.37f, o.device));
  }
  // A Wan 14B projection's size at full width: the grid-stride loop and 64-bit indexing.
  if (!o.quick) {
    for (const Format& f :
         {Format{PackedFormat::F8_E4M3, "F8_E4M3"}, Format{PackedFormat::Q4_K, "Q4_K"}})
      checks.push_back(compareUnpacked(f, 5120, 5120, true, 1.0f, o.device));
  }
  return checks;
}

}  // namespace svgen
