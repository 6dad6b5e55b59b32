#include "core/common/process_tuning.h"

#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <unistd.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Present only when OpenBLAS is loaded (Debian's LibTorch); weak so other builds link without it.
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace svgen {

const char* blasCoreName() {
  return openblas_get_corename ? openblas_get_corename() : "";
}

void ensureFastBlas(int argc, char** argv) {
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
  (void)argc;
  if (!openblas_get_corename || std::getenv("OPENBLAS_CORETYPE") || std::getenv("SVGEN_KEEP_BLAS"))
    return;
  const char* core = openblas_get_corename();
  if (!core || std::strcmp(core, "Prescott") != 0) return;  // detected: nothing to fix
  const char* better = nullptr;
  if (__builtin_cpu_supports("avx512bf16"))
    better = "Cooperlake";
  else if (__builtin_cpu_supports("avx512f"))
    better = "SkylakeX";
  else if (__builtin_cpu_supports("avx2"))
    better = "Haswell";
  if (!better) return;
  setenv("OPENBLAS_CORETYPE", better, 1);
  execv("/proc/self/exe", argv);
  // exec failed (no /proc): carry on with the slow kernels rather than not at all.
#else
  (void)argc;
  (void)argv;
#endif
}

void tuneAllocator() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 256 << 20);
#endif
}

}  // namespace svgen
