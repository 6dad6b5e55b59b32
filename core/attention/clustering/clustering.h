// Clustering of queries and keys, shared by SVG2 and SVOO: batched k-means per head, the
// permutation that makes each cluster contiguous, and its inverse.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace svgen {

struct Clustering {
  at::Tensor centroids;  // (heads, C, d) float32
  at::Tensor labels;     // (heads, L) int64
  at::Tensor sizes;      // (heads, C) int64
};

// Euclidean k-means of x (heads, L, d), every head at once. `init` (heads, C, d) warm-starts from
// given centroids (SVG2's centroid cache); undefined starts from C evenly spaced tokens, which is
// deterministic and spreads the seeds over the whole video. At least one assign+update pass runs;
// it stops early once an assignment repeats (the centroids are then final).
// The centroids returned are the means of the returned labels; an empty cluster keeps its
// previous centroid.
// CUDA tensors whose shape the kernels take run kernels/cuda/kmeans.h (bf16 dot products on
// tensor cores: a point nearly equidistant from two centroids may take either).
Clustering kmeans(const at::Tensor& x, int clusters, int iterations,
                  const at::Tensor& init = at::Tensor());
// The same with ATen ops only, on any device: the CPU path and the CUDA kernels' reference.
Clustering kmeansReference(const at::Tensor& x, int clusters, int iterations,
                           const at::Tensor& init = at::Tensor());

// Per head, positions ordered by cluster (stable: token order within a cluster), and where each
// cluster starts. perm[h][i] is the token placed at position i.
struct ClusterLayout {
  at::Tensor perm;              // (heads, L) int64, on the labels' device
  std::vector<int32_t> starts;  // heads × (clusters + 1), ascending from 0 to L
};
// Labels must lie in [0, clusters). On CUDA a counting-sort kernel; identical results.
ClusterLayout clusterLayout(const at::Tensor& labels, int clusters);
ClusterLayout clusterLayoutReference(const at::Tensor& labels, int clusters);

// The layout kept on the device (CUDA kernels): perm (heads, L) int32, starts (heads·(C + 1))
// int32. Both undefined where the kernels do not apply.
struct DeviceClusterLayout {
  at::Tensor perm, starts;
  bool defined() const { return perm.defined(); }
};
DeviceClusterLayout clusterLayoutOnDevice(const at::Tensor& labels, int clusters);

// perm (heads, L) as the int32 order a BlockSparsePlan takes.
std::vector<int32_t> orderOf(const at::Tensor& perm);

// x (heads, L, d) reordered so row i of head h is x[h][perm[h][i]]; and the inverse. permuteTokens
// also takes the model's (B, L, H, d) (head b·H + h of perm belongs to batch b, head h), so the
// head-major conversion and the permutation are one pass; it returns (B·H, L, d) contiguous.
// perm is int64 or int32. On CUDA both run the row-copy kernels of kernels/cuda/token_permutation.h
// (exact copies, any strides with contiguous rows); elsewhere the ATen gather/scatter below.
at::Tensor permuteTokens(const at::Tensor& x, const at::Tensor& perm);
at::Tensor unpermuteTokens(const at::Tensor& y, const at::Tensor& perm);
// unpermuteTokens straight into the model's layout: y (B·H, L, d) → (B, L, H, d) contiguous.
at::Tensor unpermuteTokensToModel(const at::Tensor& y, const at::Tensor& perm, int64_t batch);
// The ATen versions: the CPU path and the selftest's reference.
at::Tensor permuteTokensReference(const at::Tensor& x, const at::Tensor& perm);
at::Tensor unpermuteTokensReference(const at::Tensor& y, const at::Tensor& perm);
at::Tensor unpermuteTokensToModelReference(const at::Tensor& y, const at::Tensor& perm,
                                           int64_t batch);

// Cluster sizes (heads, C) of labels (heads, L).
at::Tensor clusterSizes(const at::Tensor& labels, int clusters);

}  // namespace svgen
