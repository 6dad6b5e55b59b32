#include "core/sampling/unipc_sampler.h"

#include "core/common/error.h"

#include <cmath>
#include <limits>
#include <vector>

namespace svgen {

namespace {

// The B(h) and φ coefficients shared by predictor and corrector (bh2 variant).
struct UniCoefficients {
  double hPhi1 = 0;         // e^{−h} − 1
  double Bh = 0;            // e^{−h} − 1 for bh2
  std::vector<double> b;    // b_k for k = 1..order
  std::vector<double> rks;  // r_k, the last is 1
};

UniCoefficients coefficients(double h, const std::vector<double>& rksIn, int order) {
  UniCoefficients c;
  c.rks = rksIn;
  const double hh = -h;  // x0 prediction
  c.hPhi1 = std::expm1(hh);
  double hPhiK = c.hPhi1 / hh - 1.0;
  c.Bh = std::expm1(hh);
  double factorial = 1.0;
  for (int i = 1; i <= order; ++i) {
    c.b.push_back(hPhiK * factorial / c.Bh);
    factorial *= (i + 1);
    hPhiK = hPhiK / hh - 1.0 / factorial;
  }
  return c;
}

// Solves the small system R·ρ = b with R[i][j] = rks[j]^i (Vandermonde rows), n ≤ 3.
std::vector<double> solveVandermonde(const std::vector<double>& rks, const std::vector<double>& b,
                                     int n) {
  std::vector<std::vector<double>> a(n, std::vector<double>(n + 1));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) a[i][j] = std::pow(rks[j], i);
    a[i][n] = b[i];
  }
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r)
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    std::swap(a[col], a[pivot]);
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int k = col; k <= n; ++k) a[r][k] -= f * a[col][k];
    }
  }
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i) x[i] = a[i][n] / a[i][i];
  return x;
}

}  // namespace

UniPCSampler::UniPCSampler(int steps, double shift, int order)
    : Sampler(flowSigmas(steps, shift)), order_(order) {
  if (order < 1 || order > 3) throw InputError("UniPC order must be 1, 2 or 3");
}

double UniPCSampler::modelTimestep(int i) const {
  // The reference schedulers cast 1000·σ to int64: truncation, not rounding.
  return std::floor(1000.0 * sigma(i));
}

double UniPCSampler::lambda(int i) const {
  const double s = sigma(i);
  if (s <= 0) return std::numeric_limits<double>::infinity();
  return std::log(1.0 - s) - std::log(s);
}

at::Tensor UniPCSampler::predict(const at::Tensor& x, int i, int order) const {
  const at::Tensor& m0 = x0History_.back();
  const double sigmaT = sigma(i + 1), sigmaS0 = sigma(i);
  const double alphaT = 1.0 - sigmaT;
  const double h = lambda(i + 1) - lambda(i);
  std::vector<double> rks;
  std::vector<at::Tensor> d1s;
  for (int k = 1; k < order; ++k) {
    const int si = stepHistory_[stepHistory_.size() - 1 - k];
    const double rk = (lambda(si) - lambda(i)) / h;
    rks.push_back(rk);
    d1s.push_back((x0History_[x0History_.size() - 1 - k] - m0) / rk);
  }
  rks.push_back(1.0);
  const UniCoefficients c = coefficients(h, rks, order);
  at::Tensor xt = x * (sigmaT / sigmaS0) - m0 * (alphaT * c.hPhi1);
  if (!d1s.empty()) {
    std::vector<double> rhos =
        order == 2 ? std::vector<double>{0.5} : solveVandermonde(c.rks, c.b, order - 1);
    at::Tensor res = d1s[0] * rhos[0];
    for (size_t k = 1; k < d1s.size(); ++k) res = res + d1s[k] * rhos[k];
    xt = xt - res * (alphaT * c.Bh);
  }
  return xt;
}

at::Tensor UniPCSampler::correct(const at::Tensor& modelT, const at::Tensor& xt, int i) const {
  // x0History_ still ends with the estimate made at step i − 1.
  const int order = lastOrder_;
  const at::Tensor& m0 = x0History_.back();
  const double sigmaT = sigma(i), sigmaS0 = sigma(i - 1);
  const double alphaT = 1.0 - sigmaT;
  const double h = lambda(i) - lambda(i - 1);
  std::vector<double> rks;
  std::vector<at::Tensor> d1s;
  for (int k = 1; k < order; ++k) {
    const int si = stepHistory_[stepHistory_.size() - 1 - k];
    const double rk = (lambda(si) - lambda(i - 1)) / h;
    rks.push_back(rk);
    d1s.push_back((x0History_[x0History_.size() - 1 - k] - m0) / rk);
  }
  rks.push_back(1.0);
  const UniCoefficients c = coefficients(h, rks, order);
  const std::vector<double> rhos =
      order == 1 ? std::vector<double>{0.5} : solveVandermonde(c.rks, c.b, order);
  at::Tensor corr = at::zeros_like(xt);
  for (size_t k = 0; k < d1s.size(); ++k) corr = corr + d1s[k] * rhos[k];
  const at::Tensor d1t = modelT - m0;
  at::Tensor x = lastSample_ * (sigmaT / sigmaS0) - m0 * (alphaT * c.hPhi1);
  return x - (corr + d1t * rhos.back()) * (alphaT * c.Bh);
}

at::Tensor UniPCSampler::step(const at::Tensor& velocity, int i, const at::Tensor& sampleIn) {
  if (i != (stepHistory_.empty() ? 0 : stepHistory_.back() + 1)) {
    throw std::logic_error("UniPC steps must be taken in order");
  }
  at::Tensor x0 = predictX0(velocity, i, sampleIn);
  at::Tensor sample = sampleIn;
  if (i > 0 && lastSample_.defined()) sample = correct(x0, sampleIn, i);

  x0History_.push_back(x0);
  stepHistory_.push_back(i);
  while (static_cast<int>(x0History_.size()) > order_) {
    x0History_.pop_front();
    stepHistory_.pop_front();
  }
  // Lower order near the end (fewer steps left than the order) and while history is short.
  int order = std::min(order_, numSteps() - i);
  order = std::min(order, lowerOrderCount_ + 1);
  lastOrder_ = order;
  lastSample_ = sample;
  at::Tensor next = predict(sample, i, order);
  if (lowerOrderCount_ < order_) ++lowerOrderCount_;
  return next;
}

}  // namespace svgen
