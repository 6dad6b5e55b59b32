#include "core/io/weight_quantization.h"

#include "core/common/error.h"
#include "core/io/dtype.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace svgen {

namespace {

at::Tensor hostFloats(const at::Tensor& w) {
  return w.detach().to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

PackedTensor packScaledFp8(const at::Tensor& weights) {
  const at::Tensor w = hostFloats(weights);
  PackedTensor p;
  p.dtype = DType::F8_E4M3;
  p.shape = w.sizes().vec();
  // An all-zero tensor keeps scale 1 rather than dividing by 0.
  const float amax = w.numel() ? w.abs().max().item<float>() : 0.0f;
  p.scale = amax > 0 ? amax / 448.0f : 1.0f;
  p.bytes = at::empty({w.numel()}, at::kByte);
  const float* x = w.data_ptr<float>();
  uint8_t* out = p.bytes.data_ptr<uint8_t>();
  const float scale = p.scale;
  at::parallel_for(0, w.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = floatToFp8e4m3(x[i] / scale);
  });
  return p;
}

PackedTensor packQ8_0(const at::Tensor& weights) {
  const at::Tensor w = hostFloats(weights);
  if (w.dim() == 0 || w.size(-1) % 32 != 0)
    throw InputError("Q8_0 packs rows of whole 32-element blocks; this tensor's rows have " +
                     std::to_string(w.dim() ? w.size(-1) : 1) + " elements");
  PackedTensor p;
  p.dtype = DType::Q8_0;
  p.shape = w.sizes().vec();
  const int64_t blocks = w.numel() / 32;
  p.bytes = at::empty({blocks * 34}, at::kByte);
  const float* x = w.data_ptr<float>();
  uint8_t* out = p.bytes.data_ptr<uint8_t>();
  at::parallel_for(0, blocks, 1024, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const float* v = x + b * 32;
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
      const float d = amax / 127.0f;
      const float inv = d != 0 ? 1.0f / d : 0.0f;
      const uint16_t half = floatToHalf(d);
      uint8_t* o = out + b * 34;
      std::memcpy(o, &half, 2);
      for (int i = 0; i < 32; ++i)
        o[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::lround(v[i] * inv)));
    }
  });
  return p;
}

}  // namespace svgen
