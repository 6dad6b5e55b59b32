// The budgets of the cluster-based methods (SVG2 and SVOO both read them): how many clusters and
// how much of each query cluster's attention mass its kept key clusters hold.
#pragma once
#include "core/attention/attention_config.h"
#include "core/attention/parameter.h"

#include <cstdint>

namespace svgen::clustering {

constexpr RealParameter topP{"top_p"};
constexpr CountParameter queryClusters{"query_clusters"};  // 0: from the token count
constexpr CountParameter keyClusters{"key_clusters"};      // 0: from the token count

const ParameterSpec& topPSpec();
const ParameterSpec& queryClustersSpec();
const ParameterSpec& keyClustersSpec();

// Cluster counts used at `tokens` tokens when the config leaves them 0: about 256 tokens per query
// cluster and 64 per key cluster (Wan 480p → ~128 / 512, 720p → 300 / 1000 as in SVG2's code), but
// at least 32 × 256 while clusters keep 64 / 8 tokens (the built-in model's 2,048 tokens: measured
// best there, docs/benchmarks.md).
int resolvedQueryClusters(const AttentionConfig& c, int64_t tokens);
int resolvedKeyClusters(const AttentionConfig& c, int64_t tokens);

}  // namespace svgen::clustering
