// The element types of stored tensors, as safetensors and GGUF files name them, and the 16- and
// 8-bit float conversions the readers and writers use. Plain C++17.
#pragma once
#include "kernels/packed_format.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace svgen {

// F8_E4M3 and F8_E5M2 are PyTorch's float8_e4m3fn and float8_e5m2. The Q types exist only in GGUF
// files: blocks of 32 or 256 elements sharing scales (kernels/packed_format.h decodes them).
enum class DType {
  F32,
  F16,
  BF16,
  I64,
  I32,
  U8,
  F8_E4M3,
  F8_E5M2,
  Q4_0,
  Q4_1,
  Q5_0,
  Q5_1,
  Q8_0,
  Q2_K,
  Q3_K,
  Q4_K,
  Q5_K,
  Q6_K,
};

// Bytes per element; 0 for the block types, whose size is per block (dtypeBlock).
size_t dtypeSize(DType dtype);
// Elements and bytes per block: {1, dtypeSize} for element types.
struct DTypeBlock {
  int64_t elements = 1;
  int64_t bytes = 0;
};
DTypeBlock dtypeBlock(DType dtype);
// True for the types a layer cannot use as stored: fp8 and the GGUF block types.
bool dtypeIsPacked(DType dtype);
// How kernels/packed_format.h decodes it (F32 for the integer types, which it never decodes).
kernels::PackedFormat packedFormatOf(DType dtype);
// The spec's spelling: "F32", "F16", "BF16", "I64", "I32", "U8", "F8_E4M3", "F8_E5M2", and GGUF's
// "Q4_K" and friends.
const char* dtypeName(DType dtype);
// Inverse of dtypeName for the types a safetensors file may hold (not the GGUF block types); false
// (and `out` untouched) for a name this project does not handle.
bool parseDType(const std::string& name, DType& out);
// Same, throwing svgen::InputError for an unknown name.
DType dtypeFromName(const std::string& name);

// bfloat16 and IEEE 754 half conversions, bit patterns in uint16_t. Float → 16 bit rounds to
// nearest, ties to even; overflow gives infinity; NaN stays NaN (quiet) with its sign.
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);
// fp8 as PyTorch reads and rounds it: nearest, ties to even. E4M3 has no infinity: magnitudes above
// 464 (halfway past its largest, 448) become its NaN, as PyTorch's cast does. E5M2 overflows to
// infinity like a half.
float fp8e4m3ToFloat(uint8_t bits);
uint8_t floatToFp8e4m3(float value);
float fp8e5m2ToFloat(uint8_t bits);
uint8_t floatToFp8e5m2(float value);

}  // namespace svgen
