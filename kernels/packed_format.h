// Weights stored packed: fp8 (safetensors' F8_E4M3 / F8_E5M2) and GGUF's block quantisations.
// One decoder per element, shared by the CPU loop (cpu/dequantize.cpp) and the CUDA kernel
// (cuda/dequantize.cu), so both read a file's bytes the same way. The bit layouts follow ggml's
// block structs (ggml-common.h) and the OCP 8-bit float formats as PyTorch reads them
// (float8_e4m3fn: no infinities, S.1111.111 is NaN; float8_e5m2: IEEE-like).
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define SVGEN_HD __host__ __device__ __forceinline__
#else
#define SVGEN_HD inline
#endif

namespace svgen::kernels {

// GGUF's values are ggml's type ids, which files store; the fp8 ones are ours (safetensors names
// types by string).
enum class PackedFormat : int32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
  F8_E4M3 = 1000,
  F8_E5M2 = 1001,
};

// X(name) for every PackedFormat, so the CPU and CUDA dispatchers and the selftest list them once.
// Laid out by hand: clang-format does not settle on one layout for this list.
// clang-format off
#define SVGEN_FOR_EACH_PACKED_FORMAT(X)                                        \
  X(F32) X(F16) X(BF16) X(F8_E4M3) X(F8_E5M2)                                  \
  X(Q4_0) X(Q4_1) X(Q5_0) X(Q5_1) X(Q8_0)                                      \
  X(Q2_K) X(Q3_K) X(Q4_K) X(Q5_K) X(Q6_K)
// clang-format on

// Elements per block and bytes per block; {0, 0} for a value that is not a PackedFormat.
struct BlockShape {
  int elements = 0;
  int bytes = 0;
};

SVGEN_HD constexpr BlockShape blockShape(PackedFormat f) {
  switch (f) {
    case PackedFormat::F32:
      return {1, 4};
    case PackedFormat::F16:
    case PackedFormat::BF16:
      return {1, 2};
    case PackedFormat::F8_E4M3:
    case PackedFormat::F8_E5M2:
      return {1, 1};
    case PackedFormat::Q4_0:
      return {32, 18};
    case PackedFormat::Q4_1:
      return {32, 20};
    case PackedFormat::Q5_0:
      return {32, 22};
    case PackedFormat::Q5_1:
      return {32, 24};
    case PackedFormat::Q8_0:
      return {32, 34};
    case PackedFormat::Q2_K:
      return {256, 84};
    case PackedFormat::Q3_K:
      return {256, 110};
    case PackedFormat::Q4_K:
      return {256, 144};
    case PackedFormat::Q5_K:
      return {256, 176};
    case PackedFormat::Q6_K:
      return {256, 210};
  }
  return {};
}

SVGEN_HD float floatFromBits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

SVGEN_HD uint32_t bitsOfFloat(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}

SVGEN_HD float bf16BitsToFloat(uint16_t bits) {
  return floatFromBits(static_cast<uint32_t>(bits) << 16);
}

// Round to nearest, ties to even; overflow carries into infinity; NaN stays a (quiet) NaN.
SVGEN_HD uint16_t floatToBf16Bits(float value) {
  uint32_t u = bitsOfFloat(value);
  // Truncating could clear every payload bit and turn the NaN into infinity.
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

SVGEN_HD float halfBitsToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  if (exp == 0) {
    // Zero or subnormal: mant × 2^-24, exact in float.
    const float v = static_cast<float>(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31) return floatFromBits(sign | 0x7f800000u | (mant << 13));
  return floatFromBits(sign | ((exp + 112) << 23) | (mant << 13));
}

// E4M3 with bias 7: subnormals are mant × 2^-9; S.1111.111 is NaN; there is no infinity.
SVGEN_HD float fp8e4m3ToFloat(uint8_t v) {
  const uint32_t sign = static_cast<uint32_t>(v & 0x80u) << 24;
  const uint32_t exp = (v >> 3) & 0xfu;
  const uint32_t mant = v & 0x7u;
  if (exp == 15 && mant == 7) return floatFromBits(sign | 0x7fc00000u);
  if (exp == 0) {
    const float f = static_cast<float>(mant) * (1.0f / 512.0f);
    return sign ? -f : f;
  }
  return floatFromBits(sign | ((exp + 120) << 23) | (mant << 20));
}

// E5M2 is the upper byte of an IEEE half.
SVGEN_HD float fp8e5m2ToFloat(uint8_t v) {
  return halfBitsToFloat(static_cast<uint16_t>(v) << 8);
}

namespace packed_detail {

SVGEN_HD float halfAt(const uint8_t* p) {
  return halfBitsToFloat(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

SVGEN_HD uint32_t u32At(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Q4_0/Q4_1/Q5_x: element i < 16 is byte i's low nibble, element 16 + i its high one.
SVGEN_HD int nibble32(const uint8_t* qs, int i) {
  return i < 16 ? (qs[i] & 0xf) : (qs[i - 16] >> 4);
}

// Q4_K/Q5_K's twelve bytes hold eight 6-bit scales and eight 6-bit mins.
SVGEN_HD void scaleMinK4(int j, const uint8_t* q, int& scale, int& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q3_K's twelve bytes hold sixteen 6-bit scales, stored offset by 32.
SVGEN_HD int scaleQ3K(int is, const uint8_t* s) {
  const int low = is < 8 ? (s[is] & 0xf) : (s[is - 8] >> 4);
  const int high = (s[8 + (is & 3)] >> (2 * (is >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace packed_detail

// Element i (0 ≤ i < blockShape(f).elements) of the block starting at `b`. The products follow
// ggml's dequantize_row_* order ((d·scale)·q − dmin·min) so results match it to the last bit
// where the compiler does not fuse them.
SVGEN_HD float decodePacked(PackedFormat f, const uint8_t* b, int i) {
  using namespace packed_detail;
  switch (f) {
    case PackedFormat::F32:
      return floatFromBits(u32At(b));
    case PackedFormat::F16:
      return halfAt(b);
    case PackedFormat::BF16:
      return bf16BitsToFloat(static_cast<uint16_t>(b[0] | (b[1] << 8)));
    case PackedFormat::F8_E4M3:
      return fp8e4m3ToFloat(b[0]);
    case PackedFormat::F8_E5M2:
      return fp8e5m2ToFloat(b[0]);
    case PackedFormat::Q8_0:
      return halfAt(b) * static_cast<float>(static_cast<int8_t>(b[2 + i]));
    case PackedFormat::Q4_0:
      return static_cast<float>(nibble32(b + 2, i) - 8) * halfAt(b);
    case PackedFormat::Q4_1:
      return static_cast<float>(nibble32(b + 4, i)) * halfAt(b) + halfAt(b + 2);
    case PackedFormat::Q5_0:
    case PackedFormat::Q5_1: {
      const bool offset = f == PackedFormat::Q5_1;
      const uint8_t* qh = b + (offset ? 4 : 2);
      const int high = static_cast<int>((u32At(qh) >> i) & 1u) << 4;
      const int q = nibble32(qh + 4, i) | high;
      return offset ? static_cast<float>(q) * halfAt(b) + halfAt(b + 2)
                    : static_cast<float>(q - 16) * halfAt(b);
    }
    case PackedFormat::Q2_K:
    case PackedFormat::Q3_K: {
      // 2 × 128 elements; each 128 is 4 bit-planes of 32 bytes, each plane 2 × 16 elements.
      const int n = i >> 7, plane = (i >> 5) & 3, part = (i >> 4) & 1, l = i & 15;
      const int is = n * 8 + plane * 2 + part;
      const bool k2 = f == PackedFormat::Q2_K;
      const uint8_t* qs = b + (k2 ? 16 : 32);
      const int q = (qs[n * 32 + part * 16 + l] >> (2 * plane)) & 3;
      if (k2) {
        const int sc = b[is];
        return halfAt(b + 80) * static_cast<float>(sc & 0xf) * static_cast<float>(q) -
               halfAt(b + 82) * static_cast<float>(sc >> 4);
      }
      const bool highSet = (b[part * 16 + l] >> (n * 4 + plane)) & 1;
      return halfAt(b + 108) * static_cast<float>(scaleQ3K(is, b + 96)) *
             static_cast<float>(q - (highSet ? 0 : 4));
    }
    case PackedFormat::Q4_K:
    case PackedFormat::Q5_K: {
      // 4 × 64 elements: 32 bytes of nibbles, low nibbles first, each half with its own scale.
      const int chunk = i >> 6, hi = (i >> 5) & 1, l = i & 31;
      int sc, mn;
      scaleMinK4(2 * chunk + hi, b + 4, sc, mn);
      const bool k5 = f == PackedFormat::Q5_K;
      const uint8_t q = b[(k5 ? 48 : 16) + chunk * 32 + l];
      int v = hi ? (q >> 4) : (q & 0xf);
      if (k5 && ((b[16 + l] >> (2 * chunk + hi)) & 1)) v += 16;
      return halfAt(b) * static_cast<float>(sc) * static_cast<float>(v) -
             halfAt(b + 2) * static_cast<float>(mn);
    }
    case PackedFormat::Q6_K: {
      // 2 × 128 elements; quarter k of a half takes a nibble of ql and two bits of qh.
      const int n = i >> 7, quarter = (i >> 5) & 3, l = i & 31;
      const uint8_t* ql = b + n * 64 + (quarter & 1) * 32;
      const uint8_t* qh = b + 128 + n * 32;
      const int low = (quarter >= 2 ? (ql[l] >> 4) : (ql[l] & 0xf));
      const int q = (low | (((qh[l] >> (2 * quarter)) & 3) << 4)) - 32;
      const int sc = static_cast<int8_t>(b[192 + n * 8 + (l >> 4) + 2 * quarter]);
      return halfAt(b + 208) * static_cast<float>(sc) * static_cast<float>(q);
    }
  }
  return 0.0f;
}

}  // namespace svgen::kernels
