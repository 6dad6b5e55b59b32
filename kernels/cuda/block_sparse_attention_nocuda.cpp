#include "kernels/cuda/block_sparse_attention.h"

#include <stdexcept>

namespace svgen::kernels {

bool blockSparseHasWgmma() {
  return false;
}

int blockSparseQueryTile(const BlockSparseDeviceLayout&, int) {
  return 64;
}

void blockSparseAttentionCuda(const BlockSparseCudaArgs&) {
  throw std::runtime_error("this build has no CUDA kernels (configured without nvcc)");
}

}  // namespace svgen::kernels
