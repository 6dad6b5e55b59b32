#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/token_permutation.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

// Row offsets in units of the access type (the caller checked that they divide evenly).
struct UnitLayout {
  int64_t headsPerBatch, batchStride, headStride, tokenStride;
  __device__ __forceinline__ int64_t row(int64_t h, int64_t t) const {
    return (h / headsPerBatch) * batchStride + (h % headsPerBatch) * headStride + t * tokenStride;
  }
};

template <typename Unit>
__device__ __forceinline__ Unit allOnes() {
  Unit u;
  unsigned char* b = reinterpret_cast<unsigned char*>(&u);
#pragma unroll
  for (int i = 0; i < static_cast<int>(sizeof(Unit)); ++i) b[i] = 0xff;
  return u;
}

// threadIdx.x walks the units of one row, threadIdx.y picks the row within the block's slice of
// tokens, blockIdx.y the head. Position i is the contiguous side, so reads (gather) or writes
// (scatter) through the permutation are the scattered ones, each a whole row.
template <typename Unit, typename Index, bool kScatter>
__global__ void permuteRowsKernel(const Unit* __restrict__ src, UnitLayout srcLayout,
                                  Unit* __restrict__ dst, UnitLayout dstLayout,
                                  const Index* __restrict__ perm, int64_t tokens,
                                  int64_t rowUnits) {
  const int64_t h = blockIdx.y;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
  if (i >= tokens) return;
  const int64_t t = static_cast<int64_t>(perm[h * tokens + i]);
  const bool valid = t >= 0 && t < tokens;
  if (kScatter) {
    if (!valid) return;
    const Unit* s = src + srcLayout.row(h, i);
    Unit* d = dst + dstLayout.row(h, t);
    for (int64_t u = threadIdx.x; u < rowUnits; u += blockDim.x) d[u] = s[u];
  } else {
    Unit* d = dst + dstLayout.row(h, i);
    if (!valid) {
      for (int64_t u = threadIdx.x; u < rowUnits; u += blockDim.x) d[u] = allOnes<Unit>();
      return;
    }
    const Unit* s = src + srcLayout.row(h, t);
    for (int64_t u = threadIdx.x; u < rowUnits; u += blockDim.x) d[u] = s[u];
  }
}

bool divides(int64_t unit, int64_t bytes) {
  return bytes % unit == 0;
}

template <typename Unit, typename Index, bool kScatter>
void launchTyped(const void* src, const TokenLayout& sl, void* dst, const TokenLayout& dl,
                 const void* perm, const PermutationShape& s, cudaStream_t stream) {
  const int64_t eb = s.elementBytes, ub = sizeof(Unit);
  auto toUnits = [&](const TokenLayout& l) {
    return UnitLayout{l.headsPerBatch, l.batchStride * eb / ub, l.headStride * eb / ub,
                      l.tokenStride * eb / ub};
  };
  const int64_t rowUnits = s.rowElements * eb / ub;
  // Up to 32 threads along a row (d = 128 bf16 is 16 units of 16 bytes), rows fill 256 threads.
  int tx = 1;
  while (tx < 32 && tx < rowUnits) tx *= 2;
  const int ty = 256 / tx;
  const dim3 block(tx, ty);
  const dim3 grid(static_cast<unsigned>((s.tokens + ty - 1) / ty), static_cast<unsigned>(s.heads));
  permuteRowsKernel<Unit, Index, kScatter><<<grid, block, 0, stream>>>(
      static_cast<const Unit*>(src), toUnits(sl), static_cast<Unit*>(dst), toUnits(dl),
      static_cast<const Index*>(perm), s.tokens, rowUnits);
  SVGEN_CUDA_CHECK_LAUNCH("permuteRowsKernel");
}

template <bool kScatter>
void permuteRows(const void* src, const TokenLayout& sl, void* dst, const TokenLayout& dl,
                 const void* perm, bool permIs64, const PermutationShape& s, void* stream) {
  auto fail = [](const std::string& why) {
    throw std::invalid_argument(std::string(kScatter ? "scatterTokenRows: " : "gatherTokenRows: ") +
                                why);
  };
  if (s.heads < 0 || s.tokens < 0 || s.rowElements < 0) fail("negative size");
  if (s.elementBytes != 1 && s.elementBytes != 2 && s.elementBytes != 4 && s.elementBytes != 8)
    fail("elementBytes must be 1, 2, 4 or 8");
  if (s.heads == 0 || s.tokens == 0 || s.rowElements == 0) return;
  if (!src || !dst || !perm) fail("null pointer");
  if (s.heads > 65535) fail("at most 65535 heads per launch");
  if ((s.tokens + 7) / 8 > 0x7fffffffLL) fail("too many tokens for one launch");
  for (const TokenLayout* l : {&sl, &dl})
    if (l->headsPerBatch < 1 || l->batchStride < 0 || l->headStride < 0 || l->tokenStride < 0)
      fail("bad layout");
  if (src == dst) fail("src and dst must differ");
  // The widest access that every row start and the row length allow.
  const int64_t eb = s.elementBytes;
  const int64_t quantities[] = {static_cast<int64_t>(reinterpret_cast<uintptr_t>(src) & 15),
                                static_cast<int64_t>(reinterpret_cast<uintptr_t>(dst) & 15),
                                s.rowElements * eb,
                                sl.batchStride * eb,
                                sl.headStride * eb,
                                sl.tokenStride * eb,
                                dl.batchStride * eb,
                                dl.headStride * eb,
                                dl.tokenStride * eb};
  int64_t unit = 16;
  for (int64_t q : quantities)
    while (unit > 1 && !divides(unit, q)) unit /= 2;
  auto st = static_cast<cudaStream_t>(stream);
  auto go = [&](auto unitTag) {
    using Unit = decltype(unitTag);
    if (permIs64)
      launchTyped<Unit, int64_t, kScatter>(src, sl, dst, dl, perm, s, st);
    else
      launchTyped<Unit, int32_t, kScatter>(src, sl, dst, dl, perm, s, st);
  };
  switch (unit) {
    case 16:
      go(uint4{});
      break;
    case 8:
      go(uint2{});
      break;
    case 4:
      go(uint32_t{});
      break;
    case 2:
      go(uint16_t{});
      break;
    default:
      go(uint8_t{});
      break;
  }
}

}  // namespace

void gatherTokenRows(const void* src, const TokenLayout& srcLayout, void* dst,
                     const TokenLayout& dstLayout, const void* perm, bool permIs64,
                     const PermutationShape& shape, void* stream) {
  permuteRows<false>(src, srcLayout, dst, dstLayout, perm, permIs64, shape, stream);
}

void scatterTokenRows(const void* src, const TokenLayout& srcLayout, void* dst,
                      const TokenLayout& dstLayout, const void* perm, bool permIs64,
                      const PermutationShape& shape, void* stream) {
  permuteRows<true>(src, srcLayout, dst, dstLayout, perm, permIs64, shape, stream);
}

}  // namespace svgen::kernels
