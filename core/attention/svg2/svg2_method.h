// SVG2: k-means clusters of queries and keys per head; each query cluster keeps the key clusters
// that hold top-p of its attention mass, computed as variable-size blocks.
#pragma once
#include "core/attention/parameter.h"

namespace svgen {
struct MethodDescriptor;
}

namespace svgen::svg2 {

constexpr RealParameter minKeyClusterRatio{"min_key_cluster_ratio"};
constexpr CountParameter kmeansIterations{"kmeans_iterations"};           // from scratch
constexpr CountParameter kmeansWarmIterations{"kmeans_warm_iterations"};  // from the last step's

const MethodDescriptor& method();

}  // namespace svgen::svg2
