// Makes sure the BLAS that LibTorch calls for every linear layer runs its fast kernels.
// Debian's OpenBLAS 0.3.21 does not recognise recent Xeon/EPYC models and falls back to its
// generic "Prescott" (SSE3) kernels, which made the linear layers 2-3x slower than needed
// (measured: 4 steps of the built-in clip, 8.2 s → 4.6 s). OpenBLAS picks its kernels when it is
// loaded, before main, so the fix sets OPENBLAS_CORETYPE and re-executes the program once.
#pragma once

namespace svgen {

// Call first thing in main(). Returns normally when nothing needs doing (other BLAS, correct
// detection, the variable already set, not Linux); otherwise replaces the process. Set
// SVGEN_KEEP_BLAS=1 to skip.
void ensureFastBlas(int argc, char** argv);

// The OpenBLAS kernel set in use ("" when the BLAS is not OpenBLAS).
const char* blasCoreName();

}  // namespace svgen
