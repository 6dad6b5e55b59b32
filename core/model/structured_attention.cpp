#include "core/model/structured_attention.h"

#include "core/common/error.h"
#include "core/model/rope.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <tuple>
#include <utility>

namespace svgen {

namespace {

// The token-dependent part of q and k, relative to the random projection: enough that no two
// tokens are alike, small beside the pattern (its score noise is about 4% of the pattern's).
constexpr double kTokenNoise = 0.02;
// Shares of the head kinds per layer.
constexpr double kSpatialShare = 0.4, kTemporalShare = 0.3;
// The sharpest score scale used: the token-dependent part grows with it, and beyond this it
// would decide the scores rather than the pattern. A target a kind cannot reach below it (a
// spatial head cannot hold 95% in less than about its own frame) is reported as reached.
constexpr double kMaxSharpness = 64;

struct Axis {
  int64_t firstPair, pairs;
};

// The head's pairs axis by axis, as RoPE lays them out: frames, then rows, then columns.
std::array<Axis, 3> ropeAxes(int headDim) {
  const std::array<int64_t, 3> n = ropeAxisPairs(headDim / 2);
  return {Axis{0, n[0]}, Axis{n[0], n[1]}, Axis{n[0] + n[1], n[2]}};
}

// Squared amplitude per pair (sums to 1): which frequencies of which axes the head listens to.
std::vector<double> pairWeights(HeadKind kind, int headDim) {
  const auto axes = ropeAxes(headDim);
  std::vector<double> w(static_cast<size_t>(headDim / 2), 0.0);
  auto fill = [&](const Axis& a, double share, auto&& shape) {
    double total = 0;
    for (int64_t j = 0; j < a.pairs; ++j) total += shape(j, a.pairs);
    for (int64_t j = 0; j < a.pairs; ++j)
      w[static_cast<size_t>(a.firstPair + j)] = share * shape(j, a.pairs) / total;
  };
  // High frequencies tell neighbours apart (sharp along the axis), low ones only distant
  // positions (broad), the middle ones a region.
  auto high = [](int64_t j, int64_t) { return std::exp(-static_cast<double>(j) / 4); };
  auto low = [](int64_t j, int64_t n) { return j >= n / 2 ? 1.0 : 0.0; };
  auto middle = [](int64_t j, int64_t n) { return j >= n / 8 && j < n / 2 ? 1.0 : 0.0; };
  switch (kind) {
    case HeadKind::Spatial:  // its own frame (and the nearest), broadly within it
      fill(axes[0], 0.6, high);
      fill(axes[1], 0.2, low);
      fill(axes[2], 0.2, low);
      break;
    case HeadKind::Temporal:  // its position in every frame
      fill(axes[1], 0.5, high);
      fill(axes[2], 0.5, high);
      break;
    case HeadKind::Content:  // a compact region of space-time
      fill(axes[0], 1.0 / 3, middle);
      fill(axes[1], 1.0 / 3, middle);
      fill(axes[2], 1.0 / 3, middle);
      break;
  }
  return w;
}

// Σ_j w_j cos(θ_j Δ) over the grid's offsets from its centre token, (F·H·W) float64.
at::Tensor centreScores(HeadKind kind, int headDim, const std::array<int64_t, 3>& grid) {
  const auto axes = ropeAxes(headDim);
  const std::vector<double> w = pairWeights(kind, headDim);
  at::Tensor total = at::zeros({grid[0], grid[1], grid[2]}, at::kDouble);
  for (int a = 0; a < 3; ++a) {
    const at::Tensor offset = at::arange(grid[a], at::kDouble) - static_cast<double>(grid[a] / 2);
    at::Tensor axisScore = at::zeros({grid[a]}, at::kDouble);
    for (int64_t j = 0; j < axes[a].pairs; ++j) {
      const double theta = std::pow(10000.0, -2.0 * j / (2.0 * axes[a].pairs));
      axisScore += w[static_cast<size_t>(axes[a].firstPair + j)] * at::cos(offset * theta);
    }
    std::vector<int64_t> shape = {1, 1, 1};
    shape[a] = grid[a];
    total = total + axisScore.view(shape);
  }
  return total.flatten();
}

double keyFraction(const at::Tensor& scores, double sharpness, double mass) {
  const at::Tensor p = at::softmax(scores * sharpness, 0);
  const at::Tensor sorted = std::get<0>(p.sort(0, /*descending=*/true));
  const int64_t needed =
      at::searchsorted(sorted.cumsum(0), at::scalar_tensor(mass, at::kDouble)).item<int64_t>() + 1;
  return static_cast<double>(std::min(needed, scores.numel())) / scores.numel();
}

// The sharpness at which the centre query needs `target` of the keys (bisection: the fraction
// falls as the sharpness grows), at most kMaxSharpness; and the fraction it reaches.
std::pair<double, double> calibrate(HeadKind kind, int headDim, const std::array<int64_t, 3>& grid,
                                    double target) {
  const at::Tensor scores = centreScores(kind, headDim, grid);
  double lo = 0, hi = kMaxSharpness;
  if (keyFraction(scores, hi, 0.95) > target) return {hi, keyFraction(scores, hi, 0.95)};
  for (int i = 0; i < 30; ++i) {
    const double mid = 0.5 * (lo + hi);
    (keyFraction(scores, mid, 0.95) > target ? lo : hi) = mid;
  }
  return {hi, keyFraction(scores, hi, 0.95)};
}

at::Tensor& weightOf(TensorMap& weights, const std::string& name) {
  auto it = weights.find(name);
  if (it == weights.end()) throw InputError("structured attention: no weight \"" + name + "\"");
  return it->second;
}

}  // namespace

std::vector<std::string> structuredAttentionWeightNames(const WanConfig& config) {
  std::vector<std::string> names;
  for (int layer = 0; layer < config.numLayers; ++layer) {
    const std::string b = "blocks." + std::to_string(layer) + ".self_attn.";
    for (const char* n :
         {"q.weight", "q.bias", "k.weight", "k.bias", "norm_q.weight", "norm_k.weight"})
      names.push_back(b + n);
  }
  return names;
}

const char* headKindName(HeadKind kind) {
  switch (kind) {
    case HeadKind::Spatial:
      return "spatial";
    case HeadKind::Temporal:
      return "temporal";
    case HeadKind::Content:
      return "content";
  }
  return "?";
}

double centreKeyFraction(HeadKind kind, int headDim, double sharpness,
                         const std::array<int64_t, 3>& grid, double mass) {
  return keyFraction(centreScores(kind, headDim, grid), sharpness, mass);
}

StructuredAttention structureAttention(TensorMap& weights, const WanConfig& config, uint64_t seed,
                                       const std::array<int64_t, 3>& referenceGrid) {
  const int heads = config.numHeads, hd = static_cast<int>(config.headDim());
  if (hd % 2 != 0 || hd < 6) throw InputError("structured attention needs an even head size ≥ 6");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x5eedULL);
  auto uniform = [&] { return at::empty({1}, at::kDouble).uniform_(0, 1, gen).item<double>(); };
  // Calibration depends only on (kind, target): cache it over a few target levels.
  constexpr int kLevels = 7;
  std::array<std::array<std::pair<double, double>, kLevels>, 3> calibrated{};
  auto level = [](int i) { return 0.10 + 0.15 * i / (kLevels - 1); };
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < kLevels; ++i)
      calibrated[k][i] = calibrate(static_cast<HeadKind>(k), hd, referenceGrid, level(i));

  StructuredAttention out;
  out.referenceGrid = referenceGrid;
  for (int layer = 0; layer < config.numLayers; ++layer) {
    const std::string b = "blocks." + std::to_string(layer) + ".self_attn.";
    std::vector<StructuredHead> layerHeads;
    at::Tensor bias = at::zeros({config.dim}, at::kFloat);
    at::Tensor norm = at::zeros({config.dim}, at::kFloat);
    for (int h = 0; h < heads; ++h) {
      const double draw = uniform();
      StructuredHead head;
      head.kind = draw < kSpatialShare                    ? HeadKind::Spatial
                  : draw < kSpatialShare + kTemporalShare ? HeadKind::Temporal
                                                          : HeadKind::Content;
      const int lv = std::min(kLevels - 1, static_cast<int>(uniform() * kLevels));
      std::tie(head.sharpness, head.targetFraction) = calibrated[static_cast<int>(head.kind)][lv];
      // Pattern u with |u|² = hd (RMS 1, as RMSNorm leaves it) on the pairs' first elements;
      // q·k after RoPE is then g²·hd·Σ w_j cos(θ_j Δ), and the 1/√hd score scale leaves
      // g²·√hd = sharpness.
      const std::vector<double> w = pairWeights(head.kind, hd);
      for (int j = 0; j < hd / 2; ++j)
        bias[h * hd + 2 * j] = static_cast<float>(std::sqrt(w[static_cast<size_t>(j)] * hd));
      const double g = std::sqrt(head.sharpness / std::sqrt(static_cast<double>(hd)));
      norm.narrow(0, static_cast<int64_t>(h) * hd, hd).fill_(g);
      layerHeads.push_back(head);
    }
    for (const char* which : {"q", "k"}) {
      at::Tensor& weight = weightOf(weights, b + which + ".weight");
      weight = weight * kTokenNoise;
      weightOf(weights, b + which + ".bias") = bias.to(weight.scalar_type()).clone();
      weightOf(weights, b + "norm_" + which + ".weight") = norm.clone();
    }
    out.layers.push_back(std::move(layerHeads));
  }
  return out;
}

}  // namespace svgen
