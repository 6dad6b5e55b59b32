#include "core/model/block_streamer.h"

#include <ATen/ATen.h>
#include <c10/core/Event.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <stdexcept>
#include <string>

namespace svgen {

int64_t BlockWeights::bytes() const {
  int64_t n = 0;
  for (const auto& [name, t] : dense) n += static_cast<int64_t>(t.nbytes());
  for (const auto& [name, p] : packed) n += static_cast<int64_t>(p.bytes.nbytes());
  return n;
}

struct BlockStreamer::Streams {
  c10::Stream compute;
  c10::Stream copy;
};

struct BlockStreamer::InFlight {
  int index;
  BlockWeights weights;
  c10::Event copied;
  InFlight(int i, c10::DeviceType type) : index(i), copied(type) {}
};

BlockStreamer::BlockStreamer(const std::vector<BlockWeights>& host, const at::Device& device)
    : host_(host), device_(device) {
  if (device.is_cuda()) {
    const c10::impl::VirtualGuardImpl impl(device.type());
    streams_ = std::make_unique<Streams>(
        Streams{impl.getStream(device), impl.getStreamFromGlobalPool(device)});
  }
}

BlockStreamer::~BlockStreamer() = default;

void BlockStreamer::start(int i) {
  if (i < 0 || i >= static_cast<int>(host_.size())) return;
  for (const auto& f : inFlight_)
    if (f->index == i) return;
  auto f = std::make_unique<InFlight>(i, device_.type());
  const BlockWeights& from = host_[static_cast<size_t>(i)];
  if (!streams_) {
    f->weights = from;  // the CPU computes on the host copy itself
  } else {
    // Queued on the copy stream: the compute stream goes on with the block before.
    const c10::StreamGuard onCopy(streams_->copy);
    for (const auto& [name, t] : from.dense) f->weights.dense[name] = t.to(device_, true);
    for (const auto& [name, p] : from.packed) f->weights.packed.emplace(name, p.to(device_, true));
    f->copied.record(streams_->copy);
  }
  inFlight_.push_back(std::move(f));
}

const BlockWeights& BlockStreamer::acquire(int i) {
  // Blocks before i are done with as far as the host is concerned; their tensors were marked
  // as used by the compute stream, so the allocator reuses them only after that work.
  while (!inFlight_.empty() && inFlight_.front()->index < i) inFlight_.pop_front();
  start(i);
  InFlight& f = *inFlight_.front();
  if (f.index != i)
    throw std::logic_error("block streamer: block " + std::to_string(i) + " asked out of order");
  if (streams_) {
    f.copied.block(streams_->compute);
    for (auto& [name, t] : f.weights.dense) t.record_stream(streams_->compute);
    for (auto& [name, p] : f.weights.packed) {
      p.bytes.record_stream(streams_->compute);
      if (p.rowScale.defined()) p.rowScale.record_stream(streams_->compute);
    }
  }
  start(i + 1);
  return f.weights;
}

}  // namespace svgen
