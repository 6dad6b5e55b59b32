// What the attention methods decided, per step, layer and head: the plain data behind the studio's
// attention panels and `--record run.json`, and its JSON form. No LibTorch here, so the studio
// reads it as it is; the recorder that fills it during a run is
// core/attention/attention_recorder.h.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace svgen {

struct HeadRecord {
  int index = 0;         // head, counting through the batch: batch * heads + head
  std::string decision;  // "dense", "spatial", "temporal" or "cluster"
  double density = 1;    // fraction of this head's scores computed
  // SVG profiling: MSE of the sampled rows under each mask (−1: not profiled).
  double spatialError = -1, temporalError = -1;
  std::vector<int32_t> queryClusterSizes, keyClusterSizes;
  // Detail, on detail steps only. frameMap: frames × frames, row = query frame, the attention
  // mass each query frame's sampled rows give to each key frame (rows sum to 1).
  std::vector<float> frameMap;
  int maskRows = 0, maskCols = 0;  // the kept block mask, row-major 0/1
  std::vector<uint8_t> blockMask;
  std::vector<int32_t> queryLabels, keyLabels;  // cluster of each token, in token order
  // Where single tokens attend (the studio's click-a-pixel overlay), detail steps only: the
  // sampled query rows (token indices) and, per row, its attention mass over the key tokens,
  // pooled rowMapPool × rowMapPool within each frame (frames × ceil(H/pool) × ceil(W/pool)
  // cells, row-major) and scaled so the row's largest cell is 255.
  std::vector<int32_t> sampledRows;
  int rowMapPool = 1;
  std::vector<uint8_t> rowMaps;
};

struct CallRecord {
  int step = 0;
  int layer = 0;
  std::string method;
  std::array<int64_t, 3> grid = {1, 1, 1};
  int batch = 1;
  int heads = 1;
  bool detail = false;
  std::vector<HeadRecord> headRecords;
};

// The record as JSON ("format": "svgen-attention-record").
std::string attentionRecordJson(const std::vector<CallRecord>& calls);
// Written atomically; throws RuntimeFailure naming the path.
void writeAttentionRecord(const std::vector<CallRecord>& calls, const std::string& path);
// Parses what attentionRecordJson wrote; throws InputError on a malformed record.
std::vector<CallRecord> parseAttentionRecord(const std::string& json);

}  // namespace svgen
