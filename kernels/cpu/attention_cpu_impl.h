// The attention kernel, written once over a SIMD traits type. Each ISA translation unit
// (attention_cpu.cpp for scalar, attention_cpu_avx2.cpp, attention_cpu_avx512.cpp) includes this
// header with its own compile flags; everything here has internal linkage so the differently
// compiled copies never merge at link time.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/attention_cpu.h"

namespace svgen::kernels::detail {

// Entry points of each ISA translation unit (x86 ones only built with SVGEN_KERNELS_X86_ISA).
void attentionDenseScalar(const float*, const float*, const float*, float*, const AttentionShape&,
                          float);
BlockSparseCount attentionBlockSparseScalar(const float*, const float*, const float*, float*,
                                            const AttentionShape&, float, const BlockSparseLayout&);
void attentionDenseAvx2(const float*, const float*, const float*, float*, const AttentionShape&,
                        float);
BlockSparseCount attentionBlockSparseAvx2(const float*, const float*, const float*, float*,
                                          const AttentionShape&, float, const BlockSparseLayout&);
void attentionDenseAvx512(const float*, const float*, const float*, float*, const AttentionShape&,
                          float);
BlockSparseCount attentionBlockSparseAvx512(const float*, const float*, const float*, float*,
                                            const AttentionShape&, float, const BlockSparseLayout&);

// Validation and counting are shared by every ISA (attention_cpu.cpp).
void checkLayout(const AttentionShape& s, const BlockSparseLayout& layout);
BlockSparseCount countBlockSparse(const AttentionShape& s, const BlockSparseLayout& layout);

namespace {

// A 64 × 64 tile keeps Q, Kᵀ, V, S and the output accumulator (up to d 256) inside L2 while the
// micro-kernels reuse each loaded K/V vector across several query rows.
constexpr int kTileQ = 64;
constexpr int kTileK = 64;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

struct KeyRange {
  int begin;
  int end;
};

inline int roundUp(int x, int m) {
  return (x + m - 1) / m * m;
}

// Cache-line aligned scratch; loads stay unaligned-safe, alignment only avoids split lines.
class Scratch {
 public:
  explicit Scratch(std::size_t floats) : storage_(floats + 16) {
    auto addr = reinterpret_cast<std::uintptr_t>(storage_.data());
    data_ = storage_.data() + ((64 - addr % 64) % 64) / sizeof(float);
  }
  float* data() { return data_; }

 private:
  std::vector<float> storage_;
  float* data_ = nullptr;
};

// One thread's state for attending a tile of up to kTileQ query rows to a list of key ranges.
template <class T>
class TileRunner {
  using V = typename T::V;
  static constexpr int W = T::W;
  static constexpr int R = T::R;  // query rows per micro-kernel
  static constexpr int C = T::C;  // vectors per micro-kernel row
  static_assert(kTileK % (C * W) == 0, "key tile must be a whole number of micro-kernel columns");
  static_assert(kTileQ % R == 0, "query tile must be a whole number of micro-kernel rows");

 public:
  explicit TileRunner(int headDim)
      : d_(headDim),
        dp_(roundUp(headDim, W)),
        q_(static_cast<std::size_t>(kTileQ) * headDim),
        kt_(static_cast<std::size_t>(headDim) * kTileK),
        v_(static_cast<std::size_t>(kTileK) * dp_),
        s_(static_cast<std::size_t>(kTileQ) * kTileK),
        o_(static_cast<std::size_t>(kTileQ) * dp_),
        m_(kTileQ),
        l_(kTileQ) {}

  // Rows q0 .. q0+nq of the head's logical query order; qHead/outHead, kHead/vHead: the whole
  // head's rows. qOrder/kOrder (null: identity) map a logical position to its row, so a token
  // permutation costs nothing: rows are gathered while packing and scattered when written.
  // qScale already includes log2(e) so the softmax can use exp2.
  void run(const float* qHead, const int32_t* qOrder, int q0, int nq, const float* kHead,
           const float* vHead, const int32_t* kOrder, const KeyRange* ranges, int numRanges,
           float* outHead, float qScale) {
    nqPad_ = roundUp(nq, R);
    kOrder_ = kOrder;
    float* q = q_.data();
    for (int r = 0; r < nq; ++r) {
      const float* src = qHead + static_cast<std::size_t>(qOrder ? qOrder[q0 + r] : q0 + r) * d_;
      for (int d = 0; d < d_; ++d) q[r * d_ + d] = src[d] * qScale;
    }
    std::fill(q + static_cast<std::size_t>(nq) * d_, q + static_cast<std::size_t>(nqPad_) * d_,
              0.0f);
    std::fill(o_.data(), o_.data() + static_cast<std::size_t>(nqPad_) * dp_, 0.0f);
    std::fill(m_.begin(), m_.end(), kNegInf);
    std::fill(l_.begin(), l_.end(), 0.0f);

    // Key tiles are filled across range boundaries, so many small ranges (small clusters) still
    // run as full 64-key tiles.
    int nk = 0;
    int numSegs = 0;
    for (int i = 0; i < numRanges; ++i) {
      int b = ranges[i].begin;
      while (b < ranges[i].end) {
        const int take = std::min(kTileK - nk, ranges[i].end - b);
        segs_[numSegs++] = {b, b + take};
        nk += take;
        b += take;
        if (nk == kTileK) {
          keyTile(kHead, vHead, numSegs, nk);
          nk = 0;
          numSegs = 0;
        }
      }
    }
    if (nk > 0) keyTile(kHead, vHead, numSegs, nk);

    for (int r = 0; r < nq; ++r) {
      const float inv = l_[r] > 0.0f ? 1.0f / l_[r] : 0.0f;
      const float* o = o_.data() + static_cast<std::size_t>(r) * dp_;
      float* out = outHead + static_cast<std::size_t>(qOrder ? qOrder[q0 + r] : q0 + r) * d_;
      for (int d = 0; d < d_; ++d) out[d] = o[d] * inv;
    }
  }

 private:
  // Attends the query tile to the nk keys listed in segs_[0, numSegs).
  void keyTile(const float* kHead, const float* vHead, int numSegs, int nk) {
    // Kᵀ packed [d][kTileK] so the score micro-kernel loads whole vectors of keys; padded key
    // columns are zero and masked before the softmax. V padded to a whole number of vectors per
    // row so odd head dims use the same micro-kernel.
    float* kt = kt_.data();
    float* vp = v_.data();
    int j = 0;
    for (int sgi = 0; sgi < numSegs; ++sgi)
      for (int pos = segs_[sgi].begin; pos < segs_[sgi].end; ++pos, ++j) {
        const std::size_t row = static_cast<std::size_t>(kOrder_ ? kOrder_[pos] : pos);
        const float* k = kHead + row * d_;
        for (int d = 0; d < d_; ++d) kt[d * kTileK + j] = k[d];
        std::memcpy(vp + j * dp_, vHead + row * d_, sizeof(float) * d_);
        std::fill(vp + j * dp_ + d_, vp + (j + 1) * dp_, 0.0f);
      }
    if (nk < kTileK)
      for (int d = 0; d < d_; ++d) std::fill(kt + d * kTileK + nk, kt + (d + 1) * kTileK, 0.0f);

    for (int r0 = 0; r0 < nqPad_; r0 += R)
      for (int c0 = 0; c0 < kTileK; c0 += C * W)
        scores(q_.data() + r0 * d_, kt + c0, s_.data() + r0 * kTileK + c0);

    softmaxUpdate(nk);

    const int nv = dp_ / W;
    for (int r0 = 0; r0 < nqPad_; r0 += R) {
      const float* p = s_.data() + r0 * kTileK;
      float* o = o_.data() + r0 * dp_;
      int c = 0;
      for (; c + C <= nv; c += C) accumulate<C>(p, vp + c * W, o + c * W, nk);
      if constexpr (C > 2)
        for (; c + 2 <= nv; c += 2) accumulate<2>(p, vp + c * W, o + c * W, nk);
      for (; c < nv; ++c) accumulate<1>(p, vp + c * W, o + c * W, nk);
    }
  }

  // S[R][C·W] = Q[R][d] · Kᵀ[d][C·W], accumulators in registers.
  void scores(const float* q, const float* kt, float* s) const {
    V acc[R][C];
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) acc[r][c] = T::zero();
    for (int d = 0; d < d_; ++d) {
      V b[C];
      for (int c = 0; c < C; ++c) b[c] = T::load(kt + d * kTileK + c * W);
      for (int r = 0; r < R; ++r) {
        const V a = T::set1(q[r * d_ + d]);
        for (int c = 0; c < C; ++c) acc[r][c] = T::fma(a, b[c], acc[r][c]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) T::store(s + r * kTileK + c * W, acc[r][c]);
  }

  // O[R][N·W] += P[R][nk] · V[nk][N·W].
  template <int N>
  void accumulate(const float* p, const float* v, float* o, int nk) const {
    V acc[R][N];
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < N; ++c) acc[r][c] = T::load(o + r * dp_ + c * W);
    for (int j = 0; j < nk; ++j) {
      V b[N];
      for (int c = 0; c < N; ++c) b[c] = T::load(v + j * dp_ + c * W);
      for (int r = 0; r < R; ++r) {
        const V a = T::set1(p[r * kTileK + j]);
        for (int c = 0; c < N; ++c) acc[r][c] = T::fma(a, b[c], acc[r][c]);
      }
    }
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < N; ++c) T::store(o + r * dp_ + c * W, acc[r][c]);
  }

  // Online softmax: new running max, rescale of the accumulator and running sum, P = exp2(S - m).
  void softmaxUpdate(int nk) {
    constexpr int nvk = kTileK / W;
    for (int r = 0; r < nqPad_; ++r) {
      float* s = s_.data() + r * kTileK;
      for (int j = nk; j < kTileK; ++j) s[j] = kNegInf;
      V mx = T::load(s);
      for (int c = 1; c < nvk; ++c) mx = T::max(mx, T::load(s + c * W));
      const float mNew = std::max(m_[r], T::hmax(mx));
      // exp2(-inf) is 0 on the first tile, which also discards the zero-initialised accumulator.
      const float alpha = std::exp2(m_[r] - mNew);
      m_[r] = mNew;
      const V mv = T::set1(mNew);
      V sum = T::zero();
      for (int c = 0; c < nvk; ++c) {
        const V p = T::exp2(T::sub(T::load(s + c * W), mv));
        T::store(s + c * W, p);
        sum = T::add(sum, p);
      }
      // Masked columns come out as exp2's smallest normal (not 0); the matmul never reads them.
      l_[r] = l_[r] * alpha + T::hsum(sum);
      if (alpha != 1.0f) {
        float* o = o_.data() + static_cast<std::size_t>(r) * dp_;
        const V av = T::set1(alpha);
        for (int c = 0; c < dp_; c += W) T::store(o + c, T::mul(T::load(o + c), av));
      }
    }
  }

  int d_;
  int dp_;
  int nqPad_ = 0;
  Scratch q_, kt_, v_, s_, o_;
  std::vector<float> m_, l_;
  KeyRange segs_[kTileK];
  const int32_t* kOrder_ = nullptr;
};

inline void checkShape(const AttentionShape& s) {
  if (s.batchHeads < 0 || s.queryLen < 0 || s.keyLen < 0 || s.headDim <= 0 || s.headDim > 256)
    throw std::invalid_argument("attention: bad shape (headDim must be in 1..256)");
}

template <class T>
void denseImpl(const float* q, const float* k, const float* v, float* out, const AttentionShape& s,
               float scale) {
  checkShape(s);
  const int d = s.headDim;
  const int tilesPerHead = (s.queryLen + kTileQ - 1) / kTileQ;
  const int64_t tasks = static_cast<int64_t>(s.batchHeads) * tilesPerHead;
  const float qScale = scale * kLog2e;
#pragma omp parallel
  {
    TileRunner<T> runner(d);
    const KeyRange all{0, s.keyLen};
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t h = t / tilesPerHead;
      const int q0 = static_cast<int>(t % tilesPerHead) * kTileQ;
      const int nq = std::min(kTileQ, s.queryLen - q0);
      const std::size_t qOff = static_cast<std::size_t>(h) * s.queryLen * d;
      const std::size_t kvOff = static_cast<std::size_t>(h) * s.keyLen * d;
      runner.run(q + qOff, nullptr, q0, nq, k + kvOff, v + kvOff, nullptr, &all, 1, out + qOff,
                 qScale);
    }
  }
}

// One unit of work: a query tile (at most kTileQ rows) of one query block of one head.
struct SparseTask {
  int64_t head;
  int queryBlock;
  int q0;
  int nq;
};

template <class T>
BlockSparseCount blockSparseImpl(const float* q, const float* k, const float* v, float* out,
                                 const AttentionShape& s, float scale,
                                 const BlockSparseLayout& layout) {
  checkShape(s);
  checkLayout(s, layout);
  const int d = s.headDim;
  const int nqb = layout.numQueryBlocks;
  const int nkb = layout.numKeyBlocks;
  // Tasks are query tiles, not whole blocks, so one large cluster does not leave threads idle.
  std::vector<SparseTask> tasks;
  for (int64_t h = 0; h < s.batchHeads; ++h) {
    const int32_t* qs = layout.queryStarts + h * (nqb + 1);
    for (int qb = 0; qb < nqb; ++qb)
      for (int q0 = qs[qb]; q0 < qs[qb + 1]; q0 += kTileQ)
        tasks.push_back({h, qb, q0, std::min(kTileQ, qs[qb + 1] - q0)});
  }
  const float qScale = scale * kLog2e;
  const int64_t numTasks = static_cast<int64_t>(tasks.size());
#pragma omp parallel
  {
    TileRunner<T> runner(d);
    std::vector<KeyRange> ranges;
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < numTasks; ++t) {
      const SparseTask& task = tasks[t];
      const int32_t* ks = layout.keyStarts + task.head * (nkb + 1);
      const int64_t row = task.head * nqb + task.queryBlock;
      // Adjacent listed blocks merge into one range.
      ranges.clear();
      for (int32_t i = layout.offsets[row]; i < layout.offsets[row + 1]; ++i) {
        const int32_t kb = layout.keyBlocks[i];
        if (kb < 0 || kb >= nkb || ks[kb] == ks[kb + 1]) continue;
        if (!ranges.empty() && ranges.back().end == ks[kb])
          ranges.back().end = ks[kb + 1];
        else
          ranges.push_back({ks[kb], ks[kb + 1]});
      }
      const std::size_t qOff = static_cast<std::size_t>(task.head) * s.queryLen * d;
      const int32_t* qOrder =
          layout.queryOrder ? layout.queryOrder + task.head * static_cast<std::size_t>(s.queryLen)
                            : nullptr;
      if (ranges.empty()) {  // nothing to attend to (no listed block, or only empty ones)
        for (int r = 0; r < task.nq; ++r) {
          const int tokenRow = qOrder ? qOrder[task.q0 + r] : task.q0 + r;
          std::fill(out + qOff + static_cast<std::size_t>(tokenRow) * d,
                    out + qOff + static_cast<std::size_t>(tokenRow + 1) * d, 0.0f);
        }
        continue;
      }
      const std::size_t kvOff = static_cast<std::size_t>(task.head) * s.keyLen * d;
      const int32_t* kOrder = layout.keyOrder
                                  ? layout.keyOrder + task.head * static_cast<std::size_t>(s.keyLen)
                                  : nullptr;
      runner.run(q + qOff, qOrder, task.q0, task.nq, k + kvOff, v + kvOff, kOrder, ranges.data(),
                 static_cast<int>(ranges.size()), out + qOff, qScale);
    }
  }
  return countBlockSparse(s, layout);
}

}  // namespace
}  // namespace svgen::kernels::detail

// Defines the two entry points of one ISA from its traits type.
#define SVGEN_ATTENTION_ENTRY_POINTS(Suffix, Traits)                                              \
  namespace svgen::kernels::detail {                                                              \
  void attentionDense##Suffix(const float* q, const float* k, const float* v, float* out,         \
                              const AttentionShape& s, float scale) {                             \
    denseImpl<Traits>(q, k, v, out, s, scale);                                                    \
  }                                                                                               \
  BlockSparseCount attentionBlockSparse##Suffix(const float* q, const float* k, const float* v,   \
                                                float* out, const AttentionShape& s, float scale, \
                                                const BlockSparseLayout& layout) {                \
    return blockSparseImpl<Traits>(q, k, v, out, s, scale, layout);                               \
  }                                                                                               \
  }
