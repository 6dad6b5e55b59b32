// CUDA kernels that build SVG2/SVOO's clustered block-sparse plan on the GPU: batched k-means
// (tensor-core assignment, centroid update), the per-head layout that makes clusters contiguous,
// and the choice of key clusters per query cluster. Raw device pointers, row-major, every head at
// once; `stream` is a cudaStream_t (nullptr: the default stream). Core's ATen code
// (core/attention/clustering/clustering.cpp, cluster_selection.cpp) is the reference for every
// semantic here.
#pragma once
#include <cstddef>
#include <cstdint>

namespace svgen::kernels {

enum class PointType { kBFloat16, kFloat32 };

// Shapes the kernels take; anything else stays on the ATen path.
bool kmeansSupports(int dim, int clusters);
bool clusterLayoutSupports(int clusters);
bool clusterSelectionSupports(int keyClusters);

// Labels of points (heads, n, dim) for centroids (heads, C, dim) float32: per point the first
// index of the smallest |c|² − 2 x·c, with the dot products in bf16 on tensor cores (float32
// accumulation), so near-ties can go either way. centroidsBf16 (heads, C, dim) and norms
// (heads, C) = |c|² come from kmeansPrepareCentroids. When `changed` is not null, labels holds the
// previous assignment on entry and *changed (device) is increased by the number of points whose
// label differs.
void kmeansAssign(const void* points, PointType type, int heads, int64_t n, int dim,
                  const uint16_t* centroidsBf16, const float* norms, int clusters, int64_t* labels,
                  int32_t* changed, void* stream);

// centroidsBf16 and norms (the assignment's operands) from float32 centroids.
void kmeansPrepareCentroids(const float* centroids, int heads, int clusters, int dim,
                            uint16_t* centroidsBf16, float* norms, void* stream);

// Scratch for kmeansCuda (device memory, any alignment from cudaMalloc/the caching allocator).
size_t kmeansWorkspaceBytes(int heads, int clusters, int dim);

// core's kmeans() on the GPU. points (heads, n, dim); centroids (heads, C, dim) float32 holds the
// warm start on entry when warmStart, and the result on return; otherwise centroid i starts as
// token floor((i + 1/2)·n/C) (clamped to n − 1). At least one assign + update pass; stops once an
// assignment repeats (one device-to-host read of a counter per pass after the first). Each update
// makes a centroid the mean of its points (summed with float atomics, so the last bits depend on
// the order of arrival) and leaves an empty cluster's centroid as it was. labels (heads, n) and
// sizes (heads, C) are the last assignment and its cluster sizes. Returns the passes run.
int kmeansCuda(const void* points, PointType type, int heads, int64_t n, int dim, int clusters,
               int iterations, bool warmStart, float* centroids, int64_t* labels, int64_t* sizes,
               void* workspace, void* stream);

// Scratch for clusterLayoutCuda.
size_t clusterLayoutWorkspaceBytes(int heads, int64_t n, int clusters);

// labels (heads, n), each in [0, C) → perm (heads, n): per head the tokens ordered by cluster,
// token order within a cluster (perm[h][i] is the token at position i); starts (heads, C + 1):
// where each cluster begins, from 0 to n.
void clusterLayoutCuda(const int64_t* labels, int heads, int64_t n, int clusters, int64_t* perm,
                       int32_t* starts, void* workspace, void* stream);

// Which rule picks a row's key clusters (see core/attention/clustering/cluster_selection.h):
// kTopP: softmax weight descending until the weight kept before reaches topP, at least minKeep;
// kBudget: the same until both the weight reaches topP and the keys kept reach `fraction` of all.
// Both: every cluster when topP >= 1; never one whose logit is not finite (an empty cluster).
struct SelectionRule {
  enum Kind { kTopP, kBudget } kind = kTopP;
  double topP = 0.9;
  int minKeep = 0;                    // kTopP
  double fraction = 0;                // kBudget
  const int64_t* keySizes = nullptr;  // kBudget: (heads, Ck), device
};

// Scratch for selectKeyClustersCuda.
size_t clusterSelectionWorkspaceBytes(int heads, int queryClusters, int keyClusters);

// logits (heads, Cq, Ck) float32 → for row r = h·Cq + i the kept key clusters, ascending, in
// keyBlocks[rowOffsets[r] .. rowOffsets[r + 1]); rowOffsets (heads·Cq + 1) starts at 0; keyBlocks
// must hold heads·Cq·Ck entries (the most that can be kept). All three are device memory.
void selectKeyClustersCuda(const float* logits, int heads, int queryClusters, int keyClusters,
                           const SelectionRule& rule, int32_t* rowOffsets, int32_t* keyBlocks,
                           void* workspace, void* stream);

}  // namespace svgen::kernels
