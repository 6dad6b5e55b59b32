// Per-head token permutation (SVG2/SVOO cluster order, SVG's frame-major ↔ position-major layout)
// and its inverse, fused with the change between the model's (B, L, H, d) layout and head-major
// (B·H, L, d). Rows are copied whole; the element type only sets the row's size in bytes, so bf16,
// fp16 and fp32 are the same kernel. Plain C++ interface on raw device pointers.
#pragma once
#include <cstdint>

namespace svgen::kernels {

// Where row (head h, token t) of a tensor starts, in elements:
//   (h / headsPerBatch) · batchStride + (h % headsPerBatch) · headStride + t · tokenStride.
// Head-major (heads, L, d) contiguous: headsPerBatch = heads, headStride = L·d, tokenStride = d.
// The model's (B, L, H, d) contiguous: headsPerBatch = H, batchStride = L·H·d, headStride = d,
// tokenStride = H·d. Elements within a row are contiguous.
struct TokenLayout {
  int64_t headsPerBatch = 1;
  int64_t batchStride = 0;
  int64_t headStride = 0;
  int64_t tokenStride = 0;
};

struct PermutationShape {
  int64_t heads = 0;        // all heads of all batches: B · H
  int64_t tokens = 0;       // L
  int64_t rowElements = 0;  // d
  int elementBytes = 2;     // 2 (bf16, fp16) or 4 (fp32)
};

// perm: (heads, L) contiguous, int32 when permIs64 is false, else int64; perm[h][i] is the token
// placed at position i of head h, a permutation of 0..L−1.
//   gather:  dst(h, i) = src(h, perm[h][i])
//   scatter: dst(h, perm[h][i]) = src(h, i)   (the inverse of gather)
// src and dst must not overlap. Accesses are 16 bytes wide when every row start is 16-byte aligned,
// narrower otherwise. An index outside [0, L) is never followed: gather fills that row with
// all-ones bytes (NaN in bf16 and fp32) so the error shows; scatter skips it. `stream` is a
// cudaStream_t, nullptr the legacy default stream.
void gatherTokenRows(const void* src, const TokenLayout& srcLayout, void* dst,
                     const TokenLayout& dstLayout, const void* perm, bool permIs64,
                     const PermutationShape& shape, void* stream);
void scatterTokenRows(const void* src, const TokenLayout& srcLayout, void* dst,
                      const TokenLayout& dstLayout, const void* perm, bool permIs64,
                      const PermutationShape& shape, void* stream);

}  // namespace svgen::kernels
