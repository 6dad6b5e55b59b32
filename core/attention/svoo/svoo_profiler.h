// The measuring side of SVOO's offline profile: an attention backend that runs dense and records,
// per step, layer and head, how few keys hold most of the attention mass.
#pragma once
#include "core/attention/attention_backend.h"
#include "core/attention/svoo/svoo_profile.h"

#include <vector>

namespace svgen {

// Per head of q, k (heads, L, d): the smallest fraction of keys whose softmax weights add up to
// `mass`, averaged over `rows` query rows spread evenly through the sequence.
std::vector<double> keyFractionForMass(const at::Tensor& q, const at::Tensor& k, double mass,
                                       int rows);

class SvooProfiler : public AttentionBackend {
 public:
  explicit SvooProfiler(double mass = 0.95, int rows = 256) : mass_(mass), rows_(rows) {}
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override;
  // [step][layer][head]: the largest value seen for it over every run so far (prompts) and over
  // the guidance batch.
  const std::vector<std::vector<std::vector<double>>>& measured() const { return measured_; }
  double mass() const { return mass_; }

 private:
  double mass_;
  int rows_;
  std::vector<std::vector<std::vector<double>>> measured_;
};

}  // namespace svgen
