// The one interface every self-attention call of the DiT goes through. Dense is the reference;
// the sparse methods (SVG, SVG2, SVOO) implement the same contract.
#pragma once
#include <ATen/core/Tensor.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace svgen {

class AttentionRecorder;

// Where in the run a call happens: the methods decide per step and layer (warm-up, profiling).
struct AttentionCall {
  int step = 0;
  int numSteps = 1;
  int layer = 0;
  int numLayers = 1;
  std::array<int64_t, 3> grid = {1, 1, 1};  // tokens along frames, height, width
};

// What a backend computed over a run, counted in query × key score entries per head.
struct AttentionStats {
  int64_t calls = 0;
  int64_t denseCalls = 0;  // warm-up and dense-method calls
  double scoresComputed = 0;
  double scoresTotal = 0;
  double sparseScoresComputed = 0;  // the calls that ran sparse only
  double sparseScoresTotal = 0;
  // Fraction of all attention scores computed, warm-up included; and over the sparse calls.
  double density() const { return scoresTotal > 0 ? scoresComputed / scoresTotal : 1.0; }
  double sparseDensity() const {
    return sparseScoresTotal > 0 ? sparseScoresComputed / sparseScoresTotal : 1.0;
  }
  // Seconds per phase ("profile", "cluster", "plan", "kernel", ...) when phase timing is on.
  std::map<std::string, double> phaseSeconds;
};

class AttentionBackend {
 public:
  virtual ~AttentionBackend() = default;
  // q, k, v: (B, L, heads, headDim), after QK-norm and RoPE. Returns (B, L, heads, headDim).
  virtual at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                   const AttentionCall& call) = 0;
  // Self-attention over the video tokens and `textTokens` text tokens joined after them
  // (HunyuanVideo), q, k, v: (B, L + textTokens, heads, headDim) with L = call.grid's tokens. The
  // video queries' scores against the video keys are the method's own; every query attends to
  // all text keys and the text queries to everything (SVG's rule: the text stays dense). Here,
  // for backends that watch (profilers, probes): selfAttention over the video tokens, its result
  // unused, then dense over all. Dense and the sparse methods override it.
  virtual at::Tensor jointAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                    int64_t textTokens, const AttentionCall& call);
  const AttentionStats& stats() const { return stats_; }
  // Null (the default) records nothing and costs nothing.
  void setRecorder(AttentionRecorder* recorder) { recorder_ = recorder; }
  // Times each phase of every call into stats().phaseSeconds. Every phase ends by waiting for the
  // device, which keeps the host from running ahead: for benchmarks, off by default.
  void setPhaseTiming(bool on) { timePhases_ = on; }
  // Told the name of each phase of a call as it starts ("k-means from scratch", "sparse
  // attention"), so a long step can say what it is doing. Null (the default) costs nothing.
  void setPhaseListener(std::function<void(const char*)> listener) {
    phaseListener_ = std::move(listener);
  }

 protected:
  void announcePhase(const char* phase) {
    if (phaseListener_) phaseListener_(phase);
  }
  // Laps of one call: lap("name") charges the time since the last lap (or construction) to name.
  class PhaseClock {
   public:
    PhaseClock(AttentionBackend& backend, const at::Tensor& onDevice);
    void lap(const char* name);

   private:
    AttentionBackend& backend_;
    at::Tensor anchor_;
    std::chrono::steady_clock::time_point last_;
  };
  bool timePhases_ = false;
  std::function<void(const char*)> phaseListener_;
  void countDense(const at::Tensor& q, const at::Tensor& k);
  // Joint attention's text rows and columns, always computed: `scores` more entries, computed
  // and in all, on the current (sparse) call's counts; no call of its own.
  void countTextScores(double scores);
  AttentionStats stats_;
  AttentionRecorder* recorder_ = nullptr;
};

// (B, L, heads, d) → (B · heads, L, d), contiguous: the layout the methods and kernels work in.
at::Tensor headMajor(const at::Tensor& t);

// Exact softmax(q kᵀ/√d) v over (B, L, heads, headDim) tensors, computed in query chunks so memory
// stays bounded at long sequences. Also serves cross-attention.
at::Tensor denseAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

class DenseAttention : public AttentionBackend {
 public:
  at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                           const AttentionCall& call) override;
  at::Tensor jointAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            int64_t textTokens, const AttentionCall& call) override;
};

}  // namespace svgen
