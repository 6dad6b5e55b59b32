// The element types of stored tensors, as the safetensors format names them, and the 16-bit float
// conversions the readers and writers use. Plain C++17.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace svgen {

enum class DType { F32, F16, BF16, I64, I32, U8 };

// Bytes per element.
size_t dtypeSize(DType dtype);
// The spec's spelling: "F32", "F16", "BF16", "I64", "I32", "U8".
const char* dtypeName(DType dtype);
// Inverse of dtypeName; false (and `out` untouched) for a name this project does not handle.
bool parseDType(const std::string& name, DType& out);
// Same, throwing svgen::InputError for an unknown name.
DType dtypeFromName(const std::string& name);

// bfloat16 and IEEE 754 half conversions, bit patterns in uint16_t. Float → 16 bit rounds to
// nearest, ties to even; overflow gives infinity; NaN stays NaN (quiet) with its sign.
float bf16ToFloat(uint16_t bits);
uint16_t floatToBf16(float value);
float halfToFloat(uint16_t bits);
uint16_t floatToHalf(float value);

}  // namespace svgen
