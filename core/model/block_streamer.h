// DiT blocks streamed from host memory (block swap): each block's weights stay in pinned host
// memory and reach the GPU one block ahead of the layer that needs them, copied on a stream of
// their own so the copy hides under the previous block's compute. Two blocks are on the GPU at a
// time instead of all of them: Wan 2.1 14B's 40 blocks of 0.7 GB (bf16) become 1.4 GB.
#pragma once
#include "core/io/packed_weights.h"
#include "core/io/tensor_map.h"

#include <c10/core/Device.h>

#include <deque>
#include <memory>
#include <vector>

namespace svgen {

// One block's weights, by their full names ("blocks.3.ffn.0.weight").
struct BlockWeights {
  TensorMap dense;
  PackedMap packed;
  // The bytes it holds (packed ones as packed).
  int64_t bytes() const;
};

// Streams `host` (one entry per block, in order) to `device` for one forward pass. On the CPU the
// blocks are used where they are. Not thread-safe; one per pass.
class BlockStreamer {
 public:
  BlockStreamer(const std::vector<BlockWeights>& host, const at::Device& device);
  ~BlockStreamer();
  BlockStreamer(const BlockStreamer&) = delete;
  BlockStreamer& operator=(const BlockStreamer&) = delete;

  // Block i on the device, its copy finished as far as the compute stream is concerned; starts
  // copying block i + 1. Blocks must be asked for in order; an earlier block's memory is given
  // back once the work queued on it is done.
  const BlockWeights& acquire(int i);

 private:
  struct InFlight;
  void start(int i);

  const std::vector<BlockWeights>& host_;
  at::Device device_;
  struct Streams;
  std::unique_ptr<Streams> streams_;  // null on the CPU
  std::deque<std::unique_ptr<InFlight>> inFlight_;
};

}  // namespace svgen
