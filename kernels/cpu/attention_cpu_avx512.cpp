// AVX-512 instantiation of the attention kernel; compiled with -mavx512f -mfma
// (kernels/CMakeLists).
#if defined(SVGEN_KERNELS_X86_ISA)

#include <immintrin.h>

#include "kernels/cpu/attention_cpu_impl.h"

namespace svgen::kernels::detail {
namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int W = 16;
  // 4 rows × 4 vectors: 16 accumulators + 4 operands fit the 32 registers, and a 64-key tile is
  // exactly one micro-kernel wide.
  static constexpr int R = 4;
  static constexpr int C = 4;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }
  static float hsum(V v) { return _mm512_reduce_add_ps(v); }
  // 2^x = 2^n · 2^f with n = round(x), |f| <= 1/2; degree-6 Taylor of e^(f ln 2) is within
  // 1.2e-7 relative. The clamp keeps results normal (anything below is < 1e-37 of the row max).
  static V exp2(V x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-125.0f)), _mm512_set1_ps(127.0f));
    const V n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const V f = _mm512_sub_ps(x, n);
    V p = _mm512_set1_ps(1.5403530393381608e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.3333558146428443e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.6181291076284772e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.5504108664821580e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.4022650695910071e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.9314718055994531e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
  }
};

}  // namespace
}  // namespace svgen::kernels::detail

SVGEN_ATTENTION_ENTRY_POINTS(Avx512, Avx512)

#endif
