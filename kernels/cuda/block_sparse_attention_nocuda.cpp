#include "kernels/cuda/block_sparse_attention.h"

#include <stdexcept>

namespace svgen::kernels {

size_t blockSparseWorkspaceBytes(const BlockSparseDeviceLayout& layout) {
  return static_cast<size_t>(layout.heads) * (layout.numQueryBlocks + 1) * sizeof(int32_t);
}

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
