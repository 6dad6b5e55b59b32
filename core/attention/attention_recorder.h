// Fills the attention record (core/attention/attention_record.h) while a run goes. Off (no
// recorder) costs nothing; on, the detailed parts (maps, masks, labels) are kept only for a few
// steps and the conditional batch, so a run's record stays bounded (about 5 MB for the built-in
// model's default clip with a sparse method).
#pragma once
#include "core/attention/attention_backend.h"
#include "core/attention/attention_record.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct BlockSparsePlan;

struct RecorderOptions {
  // Steps whose maps, masks and labels are kept; empty: the first sparse step and the last step.
  std::vector<int> detailSteps;
  int sampledRows = 64;  // query rows sampled for the frame maps
};

class AttentionRecorder {
 public:
  explicit AttentionRecorder(RecorderOptions options = {}) : options_(std::move(options)) {}
  bool detailAt(const AttentionCall& call, bool sparseCall) const;
  const RecorderOptions& options() const { return options_; }
  void add(CallRecord record) { calls_.push_back(std::move(record)); }
  const std::vector<CallRecord>& calls() const { return calls_; }
  void clear() { calls_.clear(); }

  std::string toJson() const { return attentionRecordJson(calls_); }
  void write(const std::string& path) const { writeAttentionRecord(calls_, path); }

 private:
  RecorderOptions options_;
  std::vector<CallRecord> calls_;
  mutable int firstSparseStep_ = -1;
};

// q, k: (batch × heads, L, d) in token order. The pieces every method records.
// A dense call: per head density 1, and on detail steps the frame maps.
void recordDense(AttentionRecorder& recorder, const AttentionCall& call, const std::string& method,
                 const at::Tensor& q, const at::Tensor& k, int batch);
// A clustered call (SVG2, SVOO): the plan's blocks are the clusters; labels (heads, L).
void recordClusters(AttentionRecorder& recorder, const AttentionCall& call,
                    const std::string& method, const at::Tensor& q, const at::Tensor& k,
                    const BlockSparsePlan& plan, const at::Tensor& queryLabels,
                    const at::Tensor& keyLabels, int batch);

// The query rows sampled for the maps: each frame gets its share, spread over the frame on a
// lattice so that every part of the picture has a row near it.
std::vector<int64_t> sampledRowIndices(const std::array<int64_t, 3>& grid, int rows);
// Key tokens pooled per side so that a frame has at most this many cells in a row map.
constexpr int kRowMapCellsPerFrame = 64;
int rowMapPool(const std::array<int64_t, 3>& grid);

// Pooled frame × frame attention of head h's sampled rows (exact softmax), row-normalised.
std::vector<float> sampledFrameMap(const at::Tensor& q, const at::Tensor& k, int64_t head,
                                   const std::array<int64_t, 3>& grid, int rows);
// The frame map and the sampled rows' own maps (HeadRecord::sampledRows, rowMaps) of head h.
void recordSampledRows(HeadRecord& record, const at::Tensor& q, const at::Tensor& k, int64_t head,
                       const std::array<int64_t, 3>& grid, int rows);

}  // namespace svgen
