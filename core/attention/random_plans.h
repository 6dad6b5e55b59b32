// Random block-sparse plans with known properties: the selftest's adversarial inputs and the
// benchmark's workloads at shapes no model run has to produce first.
#pragma once
#include "core/attention/block_sparse.h"

#include <cstdint>

namespace svgen {

struct RandomPlanSpec {
  int64_t heads = 1, queryLen = 0, keyLen = 0;
  int queryBlocks = 1, keyBlocks = 1;
  // Equal blocks (the last one partial), as SVG's; otherwise random cut points, so sizes spread
  // from empty and one-token clusters to very large ones, as k-means' do.
  bool uniform = true;
  bool permute = false;   // random per-head token orders, as after clustering or a layout transform
  double density = 0.25;  // fraction of the key blocks each row keeps (at least one)
  double emptyRows = 0;   // fraction of rows that keep nothing
  uint64_t seed = 1;
};

BlockSparsePlan randomPlan(const RandomPlanSpec& spec);

}  // namespace svgen
