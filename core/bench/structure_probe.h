// What the heads of a model attend to, measured on one pass: per layer and head, the fraction of
// keys holding 95% of a query's attention (as SVOO's profiler measures it) and the class SVG's
// profiler gives the head. An attention backend that computes dense attention while it looks: the
// statistics `bench generate --structured` prints so anyone can check its calibration.
#pragma once
#include "core/attention/attention_backend.h"

#include <vector>

namespace svgen {

struct HeadStructure {
  double keyFraction = 0;  // for 95% of the mass, averaged over sampled query rows
  bool temporal = false;   // SVG's profiler: the temporal mask explains it better
};

class StructureProbe : public AttentionBackend {
 public:
  // SVG's classification runs with its masks at `svgBlock` tokens and `svgDensity`.
  StructureProbe(int svgBlock, double svgDensity, int rows = 128)
      : svgBlock_(svgBlock), svgDensity_(svgDensity), rows_(rows) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override;
  // [layer][head] of the first batch entry, from the latest call of each layer.
  const std::vector<std::vector<HeadStructure>>& layers() const { return layers_; }

 private:
  int svgBlock_;
  double svgDensity_;
  int rows_;
  std::vector<std::vector<HeadStructure>> layers_;
};

}  // namespace svgen
