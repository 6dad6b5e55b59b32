// Block-sparse flash attention with mma.sync (m16n8k16 bf16, fp32 accumulate).
//
// Work: one CTA per (head, query tile), a query tile being up to BM rows of one query block. The
// key blocks a query block keeps are concatenated into one virtual key sequence, streamed in tiles
// of 64 keys: tiles never straddle waste, so a list of tiny clusters costs what its keys cost, and
// SVG's fixed 64/128-token blocks are the special case of equal ranges. Threads 0..63 each follow
// one key row through the block list with a cursor and write the token it maps to into shared
// memory one tile ahead; every load (query, key, value) then gathers rows by token, and the output
// is scattered by token, so the layout transform and the cluster permutation cost no pass.
//
// Two compute paths share that loading: mma.sync (any sm_80+; head dim 64 and 128) and, for head
// dim 128 on Hopper (built for sm_90a, one warpgroup per 64 query rows of a tile of 64 or 128),
// wgmma with Q and K read by the tensor cores straight from
// shared memory and P fed from registers. Tiles are stored in Hopper's 128-byte swizzle (64-column
// panels of 128-byte rows, chunks XOR-ed by the row within 1024-byte atoms), which wgmma's
// descriptors describe and which keeps ldmatrix free of bank conflicts too.
#include "kernels/cuda/block_sparse_attention.h"
#include "kernels/cuda/cuda_check.h"

#include <cuda_bf16.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace svgen::kernels {

namespace {

constexpr int kKeyTile = 64;

struct Params {
  const __nv_bfloat16* q;
  const __nv_bfloat16* k;
  const __nv_bfloat16* v;
  __nv_bfloat16* out;
  Bf16Strides qs, ks, vs, os;
  BlockSparseDeviceLayout layout;
  const int32_t* tileOffsets;  // heads × (numQueryBlocks + 1): first tile of each query block
  unsigned long long* scores;
  float scaleLog2;
};

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global → shared, bypassing L1; with valid = false the destination is zero-filled and
// nothing is read (`src` must still be a mapped address).
__device__ __forceinline__ void copyAsync16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sharedAddress(dst)),
               "l"(src), "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void copyAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
__device__ __forceinline__ void copyAsyncWaitAll() {
  asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

__device__ __forceinline__ void ldmatrixX4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(p)));
}
__device__ __forceinline__ void ldmatrixX4Trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(sharedAddress(p)));
}

__device__ __forceinline__ void mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                                         uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

__device__ __forceinline__ uint32_t packBf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// Element offset of (row, 16-byte chunk) in a tile of ROWS rows × D bf16: D/64 panels of 128-byte
// rows, chunks XOR-ed with the row inside each 8-row atom (the 128-byte swizzle).
template <int D, int ROWS>
__device__ __forceinline__ int swizzled(int row, int chunk) {
  return (chunk >> 3) * (ROWS * 64) + row * 64 + (((chunk & 7) ^ (row & 7)) << 3);
}

// Orders cp.async's (generic-proxy) writes before the tensor cores' async-proxy reads. Only the
// wgmma path needs it, and only an sm_90 assembler knows it.
__device__ __forceinline__ void fenceAsyncProxy() {
#if defined(SVGEN_WGMMA) && defined(__CUDA_ARCH__)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

#if defined(SVGEN_WGMMA) && defined(__CUDA_ARCH__)
// A shared-memory matrix descriptor with the 128-byte swizzle; byte offsets as the PTX ISA's
// "matrix descriptor" defines them (start address, leading and stride byte offsets, 16-byte units).
__device__ __forceinline__ uint64_t sharedDescriptor(uint32_t address, uint32_t leadingBytes,
                                                     uint32_t strideBytes) {
  uint64_t d = (address & 0x3FFFF) >> 4;
  d |= static_cast<uint64_t>((leadingBytes & 0x3FFFF) >> 4) << 16;
  d |= static_cast<uint64_t>((strideBytes & 0x3FFFF) >> 4) << 32;
  d |= 1ull << 62;
  return d;
}
__device__ __forceinline__ void wgmmaFence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmmaWaitAll() {
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
}

// D (64 × 64, fp32) (+)= A (64 × 16, shared, K-major) · B (64 × 16, shared, K-major)ᵀ.
__device__ __forceinline__ void wgmmaM64N64SS(float (&d)[8][4], uint64_t a, uint64_t b,
                                              int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
      "%32, %33, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]),
        "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
        "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]),
        "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),
        "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]),
        "+f"(d[7][2]), "+f"(d[7][3])
      : "l"(a), "l"(b), "r"(accumulate));
}

// D (64 × 128, fp32) += A (64 × 16, registers) · B (16 × 128, shared, N-major: transposed).
__device__ __forceinline__ void wgmmaM64N128RS(float (&d)[16][4], const uint32_t (&a)[4],
                                               uint64_t b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, "
      "%38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "
      "%56, %57, %58, %59, %60, %61, %62, %63}, "
      "{%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
      : "+f"(d[0][0]), "+f"(d[0][1]), "+f"(d[0][2]), "+f"(d[0][3]), "+f"(d[1][0]), "+f"(d[1][1]),
        "+f"(d[1][2]), "+f"(d[1][3]), "+f"(d[2][0]), "+f"(d[2][1]), "+f"(d[2][2]), "+f"(d[2][3]),
        "+f"(d[3][0]), "+f"(d[3][1]), "+f"(d[3][2]), "+f"(d[3][3]), "+f"(d[4][0]), "+f"(d[4][1]),
        "+f"(d[4][2]), "+f"(d[4][3]), "+f"(d[5][0]), "+f"(d[5][1]), "+f"(d[5][2]), "+f"(d[5][3]),
        "+f"(d[6][0]), "+f"(d[6][1]), "+f"(d[6][2]), "+f"(d[6][3]), "+f"(d[7][0]), "+f"(d[7][1]),
        "+f"(d[7][2]), "+f"(d[7][3]), "+f"(d[8][0]), "+f"(d[8][1]), "+f"(d[8][2]), "+f"(d[8][3]),
        "+f"(d[9][0]), "+f"(d[9][1]), "+f"(d[9][2]), "+f"(d[9][3]), "+f"(d[10][0]), "+f"(d[10][1]),
        "+f"(d[10][2]), "+f"(d[10][3]), "+f"(d[11][0]), "+f"(d[11][1]), "+f"(d[11][2]),
        "+f"(d[11][3]), "+f"(d[12][0]), "+f"(d[12][1]), "+f"(d[12][2]), "+f"(d[12][3]),
        "+f"(d[13][0]), "+f"(d[13][1]), "+f"(d[13][2]), "+f"(d[13][3]), "+f"(d[14][0]),
        "+f"(d[14][1]), "+f"(d[14][2]), "+f"(d[14][3]), "+f"(d[15][0]), "+f"(d[15][1]),
        "+f"(d[15][2]), "+f"(d[15][3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));
}
#endif

// First tile of every query block: tiles of `tile` rows never cross a block boundary.
__global__ void tileOffsetsKernel(BlockSparseDeviceLayout layout, int tile, int32_t* offsets) {
  __shared__ int partial[256];
  const int h = blockIdx.x, n = layout.numQueryBlocks;
  const int32_t* starts = layout.queryStarts + static_cast<int64_t>(h) * (n + 1);
  int32_t* out = offsets + static_cast<int64_t>(h) * (n + 1);
  const int per = (n + blockDim.x - 1) / blockDim.x;
  const int first = threadIdx.x * per, last = min(n, first + per);
  int sum = 0;
  for (int i = first; i < last; ++i) sum += (starts[i + 1] - starts[i] + tile - 1) / tile;
  partial[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    int run = 0;
    for (int t = 0; t < static_cast<int>(blockDim.x); ++t) {
      const int s = partial[t];
      partial[t] = run;
      run += s;
    }
  }
  __syncthreads();
  int run = partial[threadIdx.x];
  for (int i = first; i < last; ++i) {
    out[i] = run;
    run += (starts[i + 1] - starts[i] + tile - 1) / tile;
  }
  if (threadIdx.x == blockDim.x - 1) out[n] = run;  // its exclusive prefix is every other sum
}

template <int D, int NW, bool WG>
__global__ void __launch_bounds__(NW * 32, WG ? 2 : 1) blockSparseKernel(const Params p) {
  constexpr int BM = 16 * NW, BN = kKeyTile, CH = D / 8, NT = NW * 32;
  static_assert(!WG || (D == 128 && (NW == 4 || NW == 8)),
                "the wgmma path is one or two warpgroups at head dim 128");
  extern __shared__ __align__(1024) unsigned char smemRaw[];
  // wgmma's swizzle atoms must start on 1024-byte boundaries of the shared window.
  unsigned char* smem = smemRaw + ((1024 - (sharedAddress(smemRaw) & 1023)) & 1023);
  __nv_bfloat16* sQ = reinterpret_cast<__nv_bfloat16*>(smem);
  __nv_bfloat16* sK = sQ + BM * D;                         // two stages
  __nv_bfloat16* sV = sK + 2 * BN * D;                     // two stages
  int* sSource = reinterpret_cast<int*>(sV + 2 * BN * D);  // two stages of BN key tokens
  int* sQueryToken = sSource + 2 * BN;                     // BM query tokens, −1 past the block
  __shared__ int sWarpSum[NW];

  const BlockSparseDeviceLayout& L = p.layout;
  const int h = blockIdx.y, nqb = L.numQueryBlocks;
  const int32_t* tileOff = p.tileOffsets + static_cast<int64_t>(h) * (nqb + 1);
  const int tile = blockIdx.x;
  if (tile >= tileOff[nqb]) return;
  int qb = 0;
  {  // the last block whose first tile is ≤ this one (empty blocks share the next one's offset)
    int lo = 0, hi = nqb - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) >> 1;
      if (tileOff[mid] <= tile)
        lo = mid;
      else
        hi = mid - 1;
    }
    qb = lo;
  }
  const int32_t* qStarts = L.queryStarts + static_cast<int64_t>(h) * (nqb + 1);
  const int qBegin = qStarts[qb] + (tile - tileOff[qb]) * BM;
  const int rows = min(qStarts[qb + 1], qBegin + BM) - qBegin;

  const int64_t hb = h / L.headsPerBatch, hh = h % L.headsPerBatch;
  const __nv_bfloat16* qBase = p.q + hb * p.qs.batchStride + hh * p.qs.headStride;
  const __nv_bfloat16* kBase = p.k + hb * p.ks.batchStride + hh * p.ks.headStride;
  const __nv_bfloat16* vBase = p.v + hb * p.vs.batchStride + hh * p.vs.headStride;
  __nv_bfloat16* oBase = p.out + hb * p.os.batchStride + hh * p.os.headStride;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  for (int r = tid; r < BM; r += NT) {
    const int pos = qBegin + r;
    sQueryToken[r] =
        r < rows ? (L.queryOrder ? L.queryOrder[static_cast<int64_t>(h) * L.queryLen + pos] : pos)
                 : -1;
  }

  // How many keys the block's list holds: the length of the virtual key sequence.
  const int listRow = h * nqb + qb;
  const int e0 = L.offsets[listRow], e1 = L.offsets[listRow + 1];
  const int32_t* kStarts = L.keyStarts + static_cast<int64_t>(h) * (L.numKeyBlocks + 1);
  int keys = 0;
  for (int e = e0 + tid; e < e1; e += NT) {
    const int kb = L.keyBlocks[e];
    keys += kStarts[kb + 1] - kStarts[kb];
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) keys += __shfl_xor_sync(0xffffffffu, keys, o);
  if (lane == 0) sWarpSum[warp] = keys;
  __syncthreads();
  int totalKeys = 0;
#pragma unroll
  for (int w = 0; w < NW; ++w) totalKeys += sWarpSum[w];
  const int numTiles = (totalKeys + BN - 1) / BN;

  // Threads 0..BN−1 own one key row of every tile: a cursor over the list's ranges.
  int curEntry = e0 - 1, curBase = 0, curStart = 0, curLen = 0;
  const int32_t* kOrder = L.keyOrder ? L.keyOrder + static_cast<int64_t>(h) * L.keyLen : nullptr;
  auto fillSources = [&](int t, int stage) {
    if (tid >= BN || t >= numTiles) return;
    const int vpos = t * BN + tid;
    while (vpos >= curBase + curLen && curEntry + 1 < e1) {
      curBase += curLen;
      ++curEntry;
      const int kb = L.keyBlocks[curEntry];
      curStart = kStarts[kb];
      curLen = kStarts[kb + 1] - curStart;
    }
    int token = -1;
    if (vpos < curBase + curLen) {
      const int logical = curStart + (vpos - curBase);
      token = kOrder ? kOrder[logical] : logical;
    }
    sSource[stage * BN + tid] = token;
  };
  auto loadKeys = [&](int stage) {
    for (int i = tid; i < BN * CH; i += NT) {
      const int r = i / CH, c = i % CH;
      const int token = sSource[stage * BN + r];
      const int64_t t = token < 0 ? 0 : token;
      copyAsync16(sK + stage * BN * D + swizzled<D, BN>(r, c), kBase + t * p.ks.rowStride + c * 8,
                  token >= 0);
      copyAsync16(sV + stage * BN * D + swizzled<D, BN>(r, c), vBase + t * p.vs.rowStride + c * 8,
                  token >= 0);
    }
  };

  fillSources(0, 0);
  fillSources(1, 1);
  __syncthreads();
  for (int i = tid; i < BM * CH; i += NT) {
    const int r = i / CH, c = i % CH;
    const int token = sQueryToken[r];
    const int64_t t = token < 0 ? 0 : token;
    copyAsync16(sQ + swizzled<D, BM>(r, c), qBase + t * p.qs.rowStride + c * 8, token >= 0);
  }
  if (numTiles > 0) loadKeys(0);
  copyAsyncCommit();

  const int g = lane >> 2, tq = lane & 3;  // the mma fragment's row group and column pair
  uint32_t qf[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float rowMax[2] = {-INFINITY, -INFINITY}, rowSum[2] = {0.f, 0.f};

  for (int t = 0; t < numTiles; ++t) {
    const int stage = t & 1;
    copyAsyncWaitAll();
    if constexpr (WG) fenceAsyncProxy();  // cp.async wrote what the tensor cores read next
    __syncthreads();
    if (t + 1 < numTiles) loadKeys(stage ^ 1);
    copyAsyncCommit();
    const __nv_bfloat16* tK = sK + stage * BN * D;
    const __nv_bfloat16* tV = sV + stage * BN * D;

    float s[BN / 8][4];
    if constexpr (WG) {
#if defined(SVGEN_WGMMA) && defined(__CUDA_ARCH__)
      // This warpgroup's 64 query rows against the tile's 64 keys, k = 16 at a time.
      const uint32_t qAddr = sharedAddress(sQ) + (warp >> 2) * 64 * 128;
      const uint32_t kAddr = sharedAddress(tK);
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        const uint32_t panel = kk >> 2, within = (kk & 3) * 32;
        wgmmaM64N64SS(s, sharedDescriptor(qAddr + panel * BM * 128 + within, 16, 1024),
                      sharedDescriptor(kAddr + panel * BN * 128 + within, 16, 1024), kk > 0);
      }
      wgmmaCommit();
      wgmmaWaitAll();
#endif
    } else {
      if (t == 0) {
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk)
          ldmatrixX4(qf[kk], sQ + swizzled<D, BM>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)));
      }
#pragma unroll
      for (int n = 0; n < BN / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
        for (int np = 0; np < BN / 16; ++np) {
          uint32_t b[4];
          ldmatrixX4(b, tK + swizzled<D, BN>(np * 16 + (lane & 7) + ((lane >> 4) << 3),
                                             kk * 2 + ((lane >> 3) & 1)));
          mma16816(s[2 * np], qf[kk], b[0], b[1]);
          mma16816(s[2 * np + 1], qf[kk], b[2], b[3]);
        }
      }
    }

    const int valid = totalKeys - t * BN;  // keys of this tile that exist
    float tileMax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < BN / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int col = n * 8 + 2 * tq + (e & 1);
        s[n][e] = col < valid ? s[n][e] * p.scaleLog2 : -INFINITY;
        tileMax[e >> 1] = fmaxf(tileMax[e >> 1], s[n][e]);
      }
    }
    float alpha[2], base[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
      tileMax[r] = fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
      const float next = fmaxf(rowMax[r], tileMax[r]);
      base[r] = next == -INFINITY ? 0.f : next;  // a row with nothing valid yet stays at zero
      alpha[r] = fastExp2(rowMax[r] - base[r]);
      rowMax[r] = next;
      rowSum[r] *= alpha[r];
    }
#pragma unroll
    for (int n = 0; n < BN / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[n][e] = fastExp2(s[n][e] - base[e >> 1]);
        rowSum[e >> 1] += s[n][e];
      }
    }
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      o[n][0] *= alpha[0];
      o[n][1] *= alpha[0];
      o[n][2] *= alpha[1];
      o[n][3] *= alpha[1];
    }
    if constexpr (WG) {
#if defined(SVGEN_WGMMA) && defined(__CUDA_ARCH__)
      // P (registers, the accumulator layout is the A-fragment layout) times V, whose tile is
      // N-major for this product: 64-column panels BN·128 bytes apart, 8-key atoms 1024 apart.
      const uint32_t vAddr = sharedAddress(tV);
      const uint32_t panelBytes = BN * 128, atomBytes = 1024;
      // For an N-major operand the leading offset steps between 64-column panels, the stride
      // between 8-row atoms (the other order fails the selftest).
      const uint32_t lead = panelBytes, stride = atomBytes;
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk) {
        const uint32_t a[4] = {packBf16(s[2 * kk][0], s[2 * kk][1]),
                               packBf16(s[2 * kk][2], s[2 * kk][3]),
                               packBf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                               packBf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
        wgmmaM64N128RS(o, a, sharedDescriptor(vAddr + kk * 16 * 128, lead, stride));
      }
      wgmmaCommit();
      wgmmaWaitAll();
#endif
    } else {
#pragma unroll
      for (int kk = 0; kk < BN / 16; ++kk) {
        const uint32_t a[4] = {packBf16(s[2 * kk][0], s[2 * kk][1]),
                               packBf16(s[2 * kk][2], s[2 * kk][3]),
                               packBf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                               packBf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
        for (int np = 0; np < D / 16; ++np) {
          uint32_t b[4];
          ldmatrixX4Trans(b, tV + swizzled<D, BN>(kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3),
                                                  np * 2 + (lane >> 4)));
          mma16816(o[2 * np], a, b[0], b[1]);
          mma16816(o[2 * np + 1], a, b[2], b[3]);
        }
      }
    }
    fillSources(t + 2, stage);
  }
  copyAsyncWaitAll();
  if (numTiles == 0) __syncthreads();  // the query copies landed in sQ, which is reused below

    // Normalise, stage the warp's 16 rows in shared memory (its own rows of sQ), store 16 bytes a
    // lane to each row's token.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 1);
    rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 2);
    rowSum[r] = rowSum[r] > 0.f ? 1.f / rowSum[r] : 0.f;
  }
#pragma unroll
  for (int n = 0; n < D / 8; ++n) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const int row = warp * 16 + g + 8 * r;
      *reinterpret_cast<uint32_t*>(sQ + swizzled<D, BM>(row, n) + 2 * tq) =
          packBf16(o[n][2 * r] * rowSum[r], o[n][2 * r + 1] * rowSum[r]);
    }
  }
  __syncwarp();
  for (int i = lane; i < 16 * CH; i += 32) {
    const int row = warp * 16 + i / CH, c = i % CH;
    if (row >= rows) continue;
    const int64_t token = sQueryToken[row];
    *reinterpret_cast<uint4*>(oBase + token * p.os.rowStride + c * 8) =
        *reinterpret_cast<const uint4*>(sQ + swizzled<D, BM>(row, c));
  }
  if (tid == 0 && p.scores)
    atomicAdd(p.scores, static_cast<unsigned long long>(rows) * static_cast<unsigned>(totalKeys));
}

template <int D, int NW>
constexpr size_t sharedBytes() {
  return 1024 /* alignment slack */ + static_cast<size_t>(16 * NW * D + 4 * kKeyTile * D) * 2 +
         static_cast<size_t>(2 * kKeyTile + 16 * NW) * 4;
}

template <int D, int NW, bool WG = false>
void launch(const Params& p, int heads, int queryLen, int numQueryBlocks, cudaStream_t stream) {
  constexpr size_t bytes = sharedBytes<D, NW>();
  SVGEN_CUDA_CHECK(cudaFuncSetAttribute(blockSparseKernel<D, NW, WG>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(bytes)));
  const int bm = 16 * NW;
  // Every block's partial tile adds at most one tile to ⌈L/BM⌉; CTAs past a head's count exit.
  const dim3 grid((queryLen + bm - 1) / bm + numQueryBlocks, heads);
  blockSparseKernel<D, NW, WG><<<grid, NW * 32, bytes, stream>>>(p);
  SVGEN_CUDA_CHECK_LAUNCH("blockSparseKernel");
}

bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}

void checkStrides(const Bf16Strides& s, const char* name) {
  if (s.batchStride % 8 || s.headStride % 8 || s.rowStride % 8)
    throw std::invalid_argument(std::string("block-sparse attention: ") + name +
                                " strides must be multiples of 8 elements (16-byte rows)");
}

}  // namespace

bool blockSparseHasWgmma() {
#ifdef SVGEN_WGMMA
  return true;
#else
  return false;
#endif
}

int blockSparseQueryTile(const BlockSparseDeviceLayout& layout, int headDim) {
  if (layout.numQueryBlocks <= 0) return 64;
  const double mean = static_cast<double>(layout.queryLen) / layout.numQueryBlocks;
  if (blockSparseHasWgmma() && headDim == 128) return mean >= 96 ? 128 : 64;
  return mean >= 192 ? 128 : 64;
}

void blockSparseAttentionCuda(const BlockSparseCudaArgs& a) {
  const BlockSparseDeviceLayout& L = a.layout;
  if (a.headDim != 64 && a.headDim != 128)
    throw std::invalid_argument("block-sparse attention: head dimension " +
                                std::to_string(a.headDim) + " (the CUDA kernel takes 64 or 128)");
  if (L.heads <= 0 || L.headsPerBatch <= 0 || L.heads % L.headsPerBatch || L.queryLen < 0 ||
      L.keyLen < 0 || L.numQueryBlocks < 0 || L.numKeyBlocks < 0)
    throw std::invalid_argument("block-sparse attention: bad layout sizes");
  if (!L.queryStarts || !L.keyStarts || !L.offsets)
    throw std::invalid_argument("block-sparse attention: layout arrays missing");
  if (!a.q || !a.k || !a.v || !a.out || !aligned16(a.q) || !aligned16(a.k) || !aligned16(a.v) ||
      !aligned16(a.out))
    throw std::invalid_argument("block-sparse attention: q, k, v, out must be 16-byte aligned");
  checkStrides(a.qStrides, "q");
  checkStrides(a.kStrides, "k");
  checkStrides(a.vStrides, "v");
  checkStrides(a.outStrides, "out");
  if (L.queryLen == 0 || L.numQueryBlocks == 0) return;
  if (!a.workspace) throw std::invalid_argument("block-sparse attention: no workspace");

  Params p;
  p.q = static_cast<const __nv_bfloat16*>(a.q);
  p.k = static_cast<const __nv_bfloat16*>(a.k);
  p.v = static_cast<const __nv_bfloat16*>(a.v);
  p.out = static_cast<__nv_bfloat16*>(a.out);
  p.qs = a.qStrides;
  p.ks = a.kStrides;
  p.vs = a.vStrides;
  p.os = a.outStrides;
  p.layout = L;
  p.tileOffsets = static_cast<const int32_t*>(a.workspace);
  p.scores = a.scoresComputed;
  p.scaleLog2 = a.scale * 1.4426950408889634f;

  cudaStream_t stream = static_cast<cudaStream_t>(a.stream);
  const int tile = a.queryTile ? a.queryTile : blockSparseQueryTile(L, a.headDim);
  if (tile != 64 && tile != 128)
    throw std::invalid_argument("block-sparse attention: query tile must be 64 or 128");
  tileOffsetsKernel<<<L.heads, 256, 0, stream>>>(L, tile, static_cast<int32_t*>(a.workspace));
  SVGEN_CUDA_CHECK_LAUNCH("tileOffsetsKernel");
  const bool wgmma =
      a.variant != BlockSparseVariant::MmaSync && a.headDim == 128 && blockSparseHasWgmma();
  if (a.variant != BlockSparseVariant::Auto && a.variant != BlockSparseVariant::MmaSync && !wgmma)
    throw std::invalid_argument(
        "block-sparse attention: the wgmma kernel needs head dim 128 and a build for sm_90a");
  if (wgmma) {
    // Tile 64 (SVG's 64-token blocks, small clusters) is one warpgroup: on mma.sync it ran at
    // ~60% of the wgmma rate.
    if (tile == 128)
      launch<128, 8, true>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
    else
      launch<128, 4, true>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
  } else if (a.headDim == 128) {
    if (tile == 128)
      launch<128, 8>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
    else
      launch<128, 4>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
  } else {
    if (tile == 128)
      launch<64, 8>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
    else
      launch<64, 4>(p, L.heads, L.queryLen, L.numQueryBlocks, stream);
  }
}

}  // namespace svgen::kernels
