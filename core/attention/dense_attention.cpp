#include "core/attention/attention_backend.h"

#include "core/attention/attention_recorder.h"

#include "kernels/cpu/attention_cpu.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <torch/version.h>

#include <cmath>

namespace svgen {

namespace {

// Keeps one chunk's score matrix near 64 MiB whatever the sequence length.
constexpr int64_t kScoreBytesPerChunk = 64ll << 20;

}  // namespace

at::Tensor denseAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  // (B, L, N, D) → (B, N, L, D)
  at::Tensor qh = q.transpose(1, 2);
  at::Tensor kh = k.transpose(1, 2);
  at::Tensor vh = v.transpose(1, 2);
#if TORCH_VERSION_MAJOR >= 2
  if (q.is_cuda()) {
    return at::scaled_dot_product_attention(qh, kh, vh).transpose(1, 2);
  }
#endif
  const bool needsGrad =
      c10::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (q.is_cpu() && !needsGrad && q.scalar_type() == at::kFloat && k.scalar_type() == at::kFloat &&
      v.scalar_type() == at::kFloat && q.size(3) <= 256) {
    // The tiled kernel: no score matrix, several times faster than matmul + softmax + matmul.
    at::Tensor qc = qh.contiguous(), kc = kh.contiguous(), vc = vh.contiguous();
    at::Tensor out = at::empty_like(qc);
    kernels::AttentionShape shape;
    shape.batchHeads = static_cast<int>(qc.size(0) * qc.size(1));
    shape.queryLen = static_cast<int>(qc.size(2));
    shape.keyLen = static_cast<int>(kc.size(2));
    shape.headDim = static_cast<int>(qc.size(3));
    kernels::attentionDenseF32(qc.data_ptr<float>(), kc.data_ptr<float>(), vc.data_ptr<float>(),
                               out.data_ptr<float>(), shape,
                               static_cast<float>(1.0 / std::sqrt(static_cast<double>(q.size(3)))));
    return out.transpose(1, 2);
  }
  // The reference path: training (autograd), other dtypes.
  const int64_t batchHeads = qh.size(0) * qh.size(1);
  const int64_t lq = qh.size(2);
  const int64_t lk = kh.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const int64_t elemBytes = 4;
  int64_t chunk =
      std::max<int64_t>(1, kScoreBytesPerChunk / std::max<int64_t>(1, batchHeads * lk * elemBytes));
  chunk = std::min(chunk, lq);
  at::Tensor kt = kh.transpose(-2, -1).contiguous();
  at::Tensor vc = vh.contiguous();
  at::Tensor out = at::empty_like(qh);
  for (int64_t start = 0; start < lq; start += chunk) {
    const int64_t len = std::min(chunk, lq - start);
    at::Tensor qc = qh.narrow(2, start, len);
    at::Tensor scores = at::matmul(qc, kt).mul_(scale);
    at::Tensor probs = at::softmax(scores, -1);
    out.narrow(2, start, len).copy_(at::matmul(probs, vc));
  }
  return out.transpose(1, 2);
}

at::Tensor headMajor(const at::Tensor& t) {
  return t.permute({0, 2, 1, 3})
      .reshape({t.size(0) * t.size(2), t.size(1), t.size(3)})
      .contiguous();
}

void AttentionBackend::countTextScores(double scores) {
  stats_.scoresComputed += scores;
  stats_.scoresTotal += scores;
  stats_.sparseScoresComputed += scores;
  stats_.sparseScoresTotal += scores;
}

AttentionBackend::PhaseClock::PhaseClock(AttentionBackend& backend, const at::Tensor& onDevice)
    : backend_(backend), anchor_(onDevice) {
  if (!backend_.timePhases_) return;
  if (anchor_.is_cuda()) kernels::synchronizeCuda();
  last_ = std::chrono::steady_clock::now();
}

void AttentionBackend::PhaseClock::lap(const char* name) {
  if (!backend_.timePhases_) return;
  if (anchor_.is_cuda()) kernels::synchronizeCuda();
  const auto now = std::chrono::steady_clock::now();
  backend_.stats_.phaseSeconds[name] += std::chrono::duration<double>(now - last_).count();
  last_ = now;
}

void AttentionBackend::countDense(const at::Tensor& q, const at::Tensor& k) {
  ++stats_.calls;
  ++stats_.denseCalls;
  const double scores = static_cast<double>(q.size(0)) * q.size(2) * q.size(1) * k.size(1);
  stats_.scoresComputed += scores;
  stats_.scoresTotal += scores;
}

at::Tensor AttentionBackend::jointAttention(const at::Tensor& q, const at::Tensor& k,
                                            const at::Tensor& v, int64_t textTokens,
                                            const AttentionCall& call) {
  if (textTokens <= 0) return selfAttention(q, k, v, call);
  const int64_t L = q.size(1) - textTokens;
  selfAttention(q.narrow(1, 0, L), k.narrow(1, 0, L), v.narrow(1, 0, L), call);
  return denseAttention(q, k, v);
}

at::Tensor DenseAttention::jointAttention(const at::Tensor& q, const at::Tensor& k,
                                          const at::Tensor& v, int64_t textTokens,
                                          const AttentionCall& call) {
  PhaseClock clock(*this, q);
  countDense(q, k);
  if (recorder_) {
    // What the maps show: the video tokens among themselves.
    const int64_t L = q.size(1) - textTokens;
    recordDense(*recorder_, call, "dense", headMajor(q.narrow(1, 0, L)),
                headMajor(k.narrow(1, 0, L)), static_cast<int>(q.size(0)));
  }
  at::Tensor out = denseAttention(q, k, v);
  clock.lap("dense");
  return out;
}

at::Tensor DenseAttention::selfAttention(const at::Tensor& q, const at::Tensor& k,
                                         const at::Tensor& v, const AttentionCall& call) {
  PhaseClock clock(*this, q);
  countDense(q, k);
  if (recorder_)
    recordDense(*recorder_, call, "dense", headMajor(q), headMajor(k), static_cast<int>(q.size(0)));
  at::Tensor out = denseAttention(q, k, v);
  clock.lap("dense");
  return out;
}

}  // namespace svgen
