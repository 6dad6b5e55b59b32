// Run-time ISA dispatch for the CPU attention kernel, plus its portable (baseline) instantiation.
#include "kernels/cpu/attention_cpu.h"

#include <cstdlib>
#include <cstring>

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

int64_t attentionBlockSparseF32(const float* q, const float* k, const float* v, float* out,
                                const AttentionShape& s, float scale, int queryBlock, int keyBlock,
                                const int32_t* offsets, const int32_t* keyBlocks) {
  switch (detail::selectIsa()) {
#if defined(SVGEN_KERNELS_X86_ISA)
    case detail::Isa::Avx512:
      return detail::attentionBlockSparseAvx512(q, k, v, out, s, scale, queryBlock, keyBlock,
                                                offsets, keyBlocks);
    case detail::Isa::Avx2:
      return detail::attentionBlockSparseAvx2(q, k, v, out, s, scale, queryBlock, keyBlock, offsets,
                                              keyBlocks);
#endif
    default:
      return detail::attentionBlockSparseScalar(q, k, v, out, s, scale, queryBlock, keyBlock,
                                                offsets, keyBlocks);
  }
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
