// Packing float weights the way the files creators download store them: ComfyUI's scaled fp8
// (E4M3, one scale per tensor: max|w| / 448, PyTorch's rounding) and GGUF's Q8_0 (ggml's
// reference quantiser). For `svgen bench generate --weights` at real sizes without a file, and for
// writing test fixtures; the loaders read the same layouts from disk.
#pragma once
#include "core/io/packed_weights.h"

namespace svgen {

// `weights` any float dtype on any device; the result's bytes are on the CPU.
PackedTensor packScaledFp8(const at::Tensor& weights);
// The last dimension must be a multiple of 32 (InputError otherwise).
PackedTensor packQ8_0(const at::Tensor& weights);

}  // namespace svgen
