// Process-wide settings that decide CPU speed, applied first thing in main().
//
// BLAS: Debian's OpenBLAS 0.3.21 does not recognise recent Xeon/EPYC models and falls back to its
// generic "Prescott" (SSE3) kernels, which made the linear layers 2-3x slower than needed
// (measured: 4 steps of the built-in clip, 8.2 s → 4.6 s). OpenBLAS picks its kernels when it is
// loaded, before main, so the fix sets OPENBLAS_CORETYPE and re-executes the program once.
#pragma once

namespace svgen {

// Call first thing in main(). Returns normally when nothing needs doing (other BLAS, correct
// detection, the variable already set, not Linux); otherwise replaces the process. Set
// SVGEN_KEEP_BLAS=1 to skip.
void ensureFastBlas(int argc, char** argv);

// Keeps large freed blocks in the heap instead of returning them to the system: every layer
// allocates tensors of several MiB, and glibc's default serves each with a fresh mmap, so the run
// spent a fifth of its time in page faults (measured: k-means of SVG2 7.5 s → 3.9 s, dense clip
// 10.4 → 9.6 s). A no-op outside glibc.
void tuneAllocator();

// Both, in order.
inline void tuneProcess(int argc, char** argv) {
  ensureFastBlas(argc, argv);
  tuneAllocator();
}

// The OpenBLAS kernel set in use ("" when the BLAS is not OpenBLAS).
const char* blasCoreName();

}  // namespace svgen
