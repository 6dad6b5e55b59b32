#include "core/io/dtype.h"

#include "core/common/error.h"
#include "core/io/safetensors_internal.h"
#include "kernels/packed_format.h"

#include <cstring>
#include <string>

namespace svgen {

using safetensors_detail::inQuotes;

namespace {

struct DTypeFacts {
  DType dtype;
  const char* name;
  kernels::PackedFormat format;  // how a kernel decodes it (F32 for the integer types: never asked)
  bool inSafetensors;            // GGUF's block types are not safetensors types
};

constexpr DTypeFacts kFacts[] = {
    {DType::F32, "F32", kernels::PackedFormat::F32, true},
    {DType::F16, "F16", kernels::PackedFormat::F16, true},
    {DType::BF16, "BF16", kernels::PackedFormat::BF16, true},
    {DType::I64, "I64", kernels::PackedFormat::F32, true},
    {DType::I32, "I32", kernels::PackedFormat::F32, true},
    {DType::U8, "U8", kernels::PackedFormat::F32, true},
    {DType::F8_E4M3, "F8_E4M3", kernels::PackedFormat::F8_E4M3, true},
    {DType::F8_E5M2, "F8_E5M2", kernels::PackedFormat::F8_E5M2, true},
    {DType::Q4_0, "Q4_0", kernels::PackedFormat::Q4_0, false},
    {DType::Q4_1, "Q4_1", kernels::PackedFormat::Q4_1, false},
    {DType::Q5_0, "Q5_0", kernels::PackedFormat::Q5_0, false},
    {DType::Q5_1, "Q5_1", kernels::PackedFormat::Q5_1, false},
    {DType::Q8_0, "Q8_0", kernels::PackedFormat::Q8_0, false},
    {DType::Q2_K, "Q2_K", kernels::PackedFormat::Q2_K, false},
    {DType::Q3_K, "Q3_K", kernels::PackedFormat::Q3_K, false},
    {DType::Q4_K, "Q4_K", kernels::PackedFormat::Q4_K, false},
    {DType::Q5_K, "Q5_K", kernels::PackedFormat::Q5_K, false},
    {DType::Q6_K, "Q6_K", kernels::PackedFormat::Q6_K, false},
};

const DTypeFacts& factsOf(DType dtype) {
  for (const auto& f : kFacts)
    if (f.dtype == dtype) return f;
  return kFacts[0];
}

}  // namespace

size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::F32:
    case DType::I32:
      return 4;
    case DType::F16:
    case DType::BF16:
      return 2;
    case DType::I64:
      return 8;
    case DType::U8:
    case DType::F8_E4M3:
    case DType::F8_E5M2:
      return 1;
    default:
      return 0;
  }
}

DTypeBlock dtypeBlock(DType dtype) {
  if (dtypeSize(dtype) != 0) return {1, static_cast<int64_t>(dtypeSize(dtype))};
  const kernels::BlockShape shape = kernels::blockShape(factsOf(dtype).format);
  return {shape.elements, shape.bytes};
}

bool dtypeIsPacked(DType dtype) {
  return dtype == DType::F8_E4M3 || dtype == DType::F8_E5M2 || dtypeSize(dtype) == 0;
}

kernels::PackedFormat packedFormatOf(DType dtype) {
  return factsOf(dtype).format;
}

const char* dtypeName(DType dtype) {
  return factsOf(dtype).name;
}

bool parseDType(const std::string& name, DType& out) {
  for (const auto& f : kFacts) {
    if (f.inSafetensors && name == f.name) {
      out = f.dtype;
      return true;
    }
  }
  return false;
}

DType dtypeFromName(const std::string& name) {
  DType d;
  if (!parseDType(name, d)) {
    throw InputError("unknown dtype " + inQuotes(name) +
                     " (supported: F32, F16, BF16, F8_E4M3, F8_E5M2, I64, I32, U8)");
  }
  return d;
}

namespace {

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

float bf16ToFloat(uint16_t bits) {
  return kernels::bf16BitsToFloat(bits);
}

uint16_t floatToBf16(float value) {
  return kernels::floatToBf16Bits(value);
}

float halfToFloat(uint16_t bits) {
  return kernels::halfBitsToFloat(bits);
}

uint16_t floatToHalf(float value) {
  uint32_t u = floatBits(value);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return sign | 0x7e00u | static_cast<uint16_t>((u >> 13) & 0x3ffu);
  if (u >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds past the largest half, 65504
  if (u < 0x38800000u) {
    // Below 2^-14 the result is subnormal: round value / 2^-24 to an integer.
    const uint32_t exp = u >> 23;
    if (exp < 102) return sign;  // below 2^-25, half the smallest subnormal
    const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exp;  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) ++h;  // may carry into the smallest normal
    return sign | static_cast<uint16_t>(h);
  }
  uint32_t h = (u >> 13) - (112u << 10);  // rebias the exponent from 127 to 15
  const uint32_t rem = u & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

float fp8e4m3ToFloat(uint8_t bits) {
  return kernels::fp8e4m3ToFloat(bits);
}

float fp8e5m2ToFloat(uint8_t bits) {
  return kernels::fp8e5m2ToFloat(bits);
}

namespace {

// PyTorch's scheme for both fp8 types: subnormals rounded by one float addition that lines the
// value up with the subnormal step, normals by adding just under half an ulp plus the kept bit.
// `mantBits` 3 or 2, `bias` 7 or 15; `maxBits` the first magnitude that is out of range.
uint8_t floatToFp8(float value, int mantBits, int bias, uint32_t maxBits, uint8_t overflow) {
  uint32_t u = floatBits(value);
  const uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint8_t out;
  if (u >= maxBits) {
    out = u > 0x7f800000u ? 0x7f : overflow;
  } else if (u < (static_cast<uint32_t>(127 + 1 - bias) << 23)) {
    // value + 2^(23 - subnormal exponent): the FPU rounds to the subnormal step, ties to even.
    const uint32_t magic = static_cast<uint32_t>(127 - bias - mantBits + 1 + 23) << 23;
    out = static_cast<uint8_t>(floatBits(bitsFloat(u) + bitsFloat(magic)) - magic);
  } else {
    const int shift = 23 - mantBits;
    const uint32_t odd = (u >> shift) & 1u;
    u += (static_cast<uint32_t>(bias - 127) << 23) + ((1u << (shift - 1)) - 1) + odd;
    out = static_cast<uint8_t>(u >> shift);
  }
  return out | static_cast<uint8_t>(sign >> 24);
}

}  // namespace

uint8_t floatToFp8e4m3(float value) {
  return floatToFp8(value, 3, 7, 1087u << 20, 0x7f);  // 480: NaN beyond, no infinity
}

uint8_t floatToFp8e5m2(float value) {
  return floatToFp8(value, 2, 15, 143u << 23, 0x7c);  // 65536: infinity beyond
}

}  // namespace svgen
