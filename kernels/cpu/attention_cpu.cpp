// Run-time ISA dispatch for the CPU attention kernel, plus its portable (baseline) instantiation.
#include "kernels/cpu/attention_cpu.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/attention_cpu_impl.h"

namespace svgen::kernels::detail {
namespace {

// Baseline build: plain floats; the compiler may still use SSE2 on x86-64.
struct Scalar {
  using V = float;
  static constexpr int W = 1;
  static constexpr int R = 4;
  static constexpr int C = 4;
  static V zero() { return 0.0f; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V set1(float x) { return x; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static float hmax(V v) { return v; }
  static float hsum(V v) { return v; }
  static V exp2(V x) { return std::exp2(x); }
};

enum class Isa { Scalar, Avx2, Avx512 };

Isa selectIsa() {
#if defined(SVGEN_KERNELS_X86_ISA)
  const bool has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
  const bool has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  Isa best = has512 ? Isa::Avx512 : has2 ? Isa::Avx2 : Isa::Scalar;
  if (const char* env = std::getenv("SVGEN_CPU_ISA")) {
    if (std::strcmp(env, "scalar") == 0)
      best = Isa::Scalar;
    else if (std::strcmp(env, "avx2") == 0 && has2)
      best = Isa::Avx2;
  }
  return best;
#else
  return Isa::Scalar;
#endif
}

}  // namespace

void checkLayout(const AttentionShape& s, const BlockSparseLayout& layout) {
  auto fail = [](const char* what) {
    throw std::invalid_argument(std::string("block-sparse attention: ") + what);
  };
  if (layout.numQueryBlocks < 0 || layout.numKeyBlocks < 0) fail("negative block count");
  if (s.batchHeads == 0) return;
  if (!layout.queryStarts || !layout.keyStarts || !layout.offsets) fail("missing layout array");
  auto checkStarts = [&](const int32_t* starts, int n, int len, const char* what) {
    for (int h = 0; h < s.batchHeads; ++h) {
      const int32_t* st = starts + static_cast<std::size_t>(h) * (n + 1);
      if (st[0] != 0 || st[n] != len) fail(what);
      for (int i = 0; i < n; ++i)
        if (st[i + 1] < st[i]) fail(what);
    }
  };
  checkStarts(layout.queryStarts, layout.numQueryBlocks, s.queryLen,
              "query block starts must ascend from 0 to the query length");
  checkStarts(layout.keyStarts, layout.numKeyBlocks, s.keyLen,
              "key block starts must ascend from 0 to the key length");
  const int64_t rows = static_cast<int64_t>(s.batchHeads) * layout.numQueryBlocks;
  if (layout.offsets[0] != 0) fail("offsets must start at 0");
  for (int64_t r = 0; r < rows; ++r)
    if (layout.offsets[r + 1] < layout.offsets[r]) fail("offsets must ascend");
  if (layout.offsets[rows] > 0 && !layout.keyBlocks) fail("missing key-block list");
  auto checkOrder = [&](const int32_t* order, int len, const char* what) {
    if (!order) return;
    std::vector<uint8_t> seen(static_cast<std::size_t>(len));
    for (int h = 0; h < s.batchHeads; ++h) {
      std::fill(seen.begin(), seen.end(), 0);
      const int32_t* o = order + static_cast<std::size_t>(h) * len;
      for (int i = 0; i < len; ++i) {
        if (o[i] < 0 || o[i] >= len || seen[o[i]]) fail(what);
        seen[o[i]] = 1;
      }
    }
  };
  checkOrder(layout.queryOrder, s.queryLen, "query order must be a permutation of the rows");
  checkOrder(layout.keyOrder, s.keyLen, "key order must be a permutation of the rows");
  for (int32_t i = 0; i < layout.offsets[rows]; ++i)
    if (layout.keyBlocks[i] < 0 || layout.keyBlocks[i] >= layout.numKeyBlocks)
      fail("key-block index out of range");
}

BlockSparseCount countBlockSparse(const AttentionShape& s, const BlockSparseLayout& layout) {
  BlockSparseCount c;
  const int nqb = layout.numQueryBlocks, nkb = layout.numKeyBlocks;
  for (int64_t h = 0; h < s.batchHeads; ++h) {
    const int32_t* qs = layout.queryStarts + h * (nqb + 1);
    const int32_t* ks = layout.keyStarts + h * (nkb + 1);
    for (int qb = 0; qb < nqb; ++qb) {
      const int64_t row = h * nqb + qb;
      for (int32_t i = layout.offsets[row]; i < layout.offsets[row + 1]; ++i) {
        const int32_t kb = layout.keyBlocks[i];
        ++c.blockPairs;
        c.scores += static_cast<int64_t>(qs[qb + 1] - qs[qb]) * (ks[kb + 1] - ks[kb]);
      }
    }
  }
  return c;
}

}  // namespace svgen::kernels::detail

SVGEN_ATTENTION_ENTRY_POINTS(Scalar, Scalar)

namespace svgen::kernels {

void attentionDenseF32(const float* q, const float* k, const float* v, float* out,
                       const AttentionShape& s, float scale) {
  switch (detail::selectIsa()) {
#if defined(SVGEN_KERNELS_X86_ISA)
    case detail::Isa::Avx512:
      return detail::attentionDenseAvx512(q, k, v, out, s, scale);
    case detail::Isa::Avx2:
      return detail::attentionDenseAvx2(q, k, v, out, s, scale);
#endif
    default:
      return detail::attentionDenseScalar(q, k, v, out, s, scale);
  }
}

BlockSparseCount attentionBlockSparseF32(const float* q, const float* k, const float* v, float* out,
                                         const AttentionShape& s, float scale,
                                         const BlockSparseLayout& layout) {
  switch (detail::selectIsa()) {
#if defined(SVGEN_KERNELS_X86_ISA)
    case detail::Isa::Avx512:
      return detail::attentionBlockSparseAvx512(q, k, v, out, s, scale, layout);
    case detail::Isa::Avx2:
      return detail::attentionBlockSparseAvx2(q, k, v, out, s, scale, layout);
#endif
    default:
      return detail::attentionBlockSparseScalar(q, k, v, out, s, scale, layout);
  }
}

BlockSparseCount attentionBlockSparseUniformF32(const float* q, const float* k, const float* v,
                                                float* out, const AttentionShape& s, float scale,
                                                int queryBlock, int keyBlock,
                                                const int32_t* offsets, const int32_t* keyBlocks) {
  detail::checkShape(s);
  if (queryBlock <= 0 || keyBlock <= 0)
    throw std::invalid_argument("attention: block sizes must be positive");
  BlockSparseLayout layout;
  layout.numQueryBlocks = (s.queryLen + queryBlock - 1) / queryBlock;
  layout.numKeyBlocks = (s.keyLen + keyBlock - 1) / keyBlock;
  std::vector<int32_t> qs, ks;
  for (int h = 0; h < s.batchHeads; ++h) {
    for (int i = 0; i <= layout.numQueryBlocks; ++i)
      qs.push_back(std::min(i * queryBlock, s.queryLen));
    for (int j = 0; j <= layout.numKeyBlocks; ++j) ks.push_back(std::min(j * keyBlock, s.keyLen));
  }
  layout.queryStarts = qs.data();
  layout.keyStarts = ks.data();
  layout.offsets = offsets;
  layout.keyBlocks = keyBlocks;
  return attentionBlockSparseF32(q, k, v, out, s, scale, layout);
}

const char* attentionCpuIsa() {
  switch (detail::selectIsa()) {
    case detail::Isa::Avx512:
      return "avx512";
    case detail::Isa::Avx2:
      return "avx2";
    default:
      return "scalar";
  }
}

}  // namespace svgen::kernels
