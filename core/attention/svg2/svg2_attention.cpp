#include "core/attention/svg2/svg2_attention.h"

#include "core/attention/block_sparse.h"
#include "core/attention/clustering/cluster_parameters.h"
#include "core/attention/clustering/cluster_selection.h"
#include "core/attention/svg2/svg2_method.h"

namespace svgen {

void Svg2Attention::cluster(const at::Tensor& q, const at::Tensor& k, int queryClusters,
                            int keyClusters, Clustering& queries, Clustering& keys) {
  auto run = [&](const at::Tensor& x, int n, Clustering& c) {
    const bool warm = c.centroids.defined();
    c = kmeans(x, n,
               warm ? config_.get(svg2::kmeansWarmIterations) : config_.get(svg2::kmeansIterations),
               c.centroids);
  };
  run(q, queryClusters, queries);
  run(k, keyClusters, keys);
}

void Svg2Attention::choosePairs(BlockSparsePlan& plan, const Clustering& queries,
                                const Clustering& keys, const AttentionCall&) {
  const int minKeep = static_cast<int>(config_.get(svg2::minKeyClusterRatio) * plan.numKeyBlocks);
  appendTopPRows(plan, centroidLogits(queries.centroids, keys.centroids, keys.sizes),
                 config_.get(clustering::topP), minKeep);
}

DeviceRows Svg2Attention::choosePairsOnDevice(const Clustering& queries, const Clustering& keys,
                                              const AttentionCall&) {
  const int minKeep = static_cast<int>(config_.get(svg2::minKeyClusterRatio) * keys.sizes.size(1));
  return topPRowsOnDevice(centroidLogits(queries.centroids, keys.centroids, keys.sizes),
                          config_.get(clustering::topP), minKeep);
}

}  // namespace svgen
