#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dequantize.h"

#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

// One thread per output element; a warp reads neighbouring bytes of one or two blocks, and the
// format is a template argument so the decoder's switch folds away.
template <PackedFormat F, typename Out>
__global__ void dequantizeKernel(const uint8_t* __restrict__ src, int64_t elements, float scale,
                                 Out* __restrict__ dst) {
  constexpr int kElements = blockShape(F).elements;
  constexpr int kBytes = blockShape(F).bytes;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < elements;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float v =
        decodePacked(F, src + (i / kElements) * kBytes, static_cast<int>(i % kElements)) * scale;
    if constexpr (sizeof(Out) == 2)
      dst[i] = floatToBf16Bits(v);
    else
      dst[i] = v;
  }
}

template <PackedFormat F>
void launch(const void* src, int64_t elements, float scale, void* dst, bool toBf16,
            cudaStream_t stream) {
  constexpr int kThreads = 256;
  const int64_t wanted = (elements + kThreads - 1) / kThreads;
  const unsigned grid =
      static_cast<unsigned>(wanted < 65535 * 8 ? (wanted > 0 ? wanted : 1) : 65535 * 8);
  const auto* in = static_cast<const uint8_t*>(src);
  if (toBf16)
    dequantizeKernel<F>
        <<<grid, kThreads, 0, stream>>>(in, elements, scale, static_cast<uint16_t*>(dst));
  else
    dequantizeKernel<F>
        <<<grid, kThreads, 0, stream>>>(in, elements, scale, static_cast<float*>(dst));
  SVGEN_CUDA_CHECK_LAUNCH("dequantizeKernel");
}

}  // namespace

void dequantizeCuda(PackedFormat format, const void* src, int64_t elements, float scale, void* dst,
                    bool toBf16, void* stream) {
  const BlockShape shape = blockShape(format);
  if (shape.elements == 0)
    throw std::invalid_argument("dequantizeCuda: unknown packed format " +
                                std::to_string(static_cast<int>(format)));
  if (elements < 0 || elements % shape.elements != 0)
    throw std::invalid_argument("dequantizeCuda: " + std::to_string(elements) +
                                " elements is not a whole number of blocks");
  if (elements == 0) return;
  const auto s = static_cast<cudaStream_t>(stream);
  switch (format) {
#define SVGEN_DEQUANT_CASE(F)                                      \
  case PackedFormat::F:                                            \
    launch<PackedFormat::F>(src, elements, scale, dst, toBf16, s); \
    return;
    SVGEN_FOR_EACH_PACKED_FORMAT(SVGEN_DEQUANT_CASE)
#undef SVGEN_DEQUANT_CASE
  }
}

}  // namespace svgen::kernels
