// Reading JSON: a whole file, and optional typed fields of an object (an absent or null field
// keeps the default, a field of the wrong type is an InputError naming it).
#pragma once
#include "core/common/error.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

namespace svgen {

// The file's JSON; InputError naming the file when it cannot be opened or is not valid JSON.
inline nlohmann::json readJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot be opened");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON (" + e.what() + ")");
  }
}

// An integer read from a file must be a whole number its type can represent: nlohmann's
// get<int>() casts 1e30 or 2^40 without a check (undefined behaviour for a float, a silent wrap
// for an integer).
template <typename T>
bool fitsInteger(const nlohmann::json& v) {
  using limits = std::numeric_limits<T>;
  if (v.is_number_unsigned())
    return v.get<std::uint64_t>() <= static_cast<std::uint64_t>(limits::max());
  if (v.is_number_integer()) {
    const std::int64_t x = v.get<std::int64_t>();
    if (x < 0) return limits::is_signed && x >= static_cast<std::int64_t>(limits::min());
    return static_cast<std::uint64_t>(x) <= static_cast<std::uint64_t>(limits::max());
  }
  if (v.is_number_float()) {
    const double x = v.get<double>();
    // Both bounds are zero or a power of two, so exact as doubles.
    const double lo = static_cast<double>(limits::min());
    const double hi = std::ldexp(1.0, limits::digits);  // max() + 1
    return std::isfinite(x) && x == std::trunc(x) && x >= lo && x < hi;
  }
  return false;
}

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};
template <typename T>
struct IsArray : std::false_type {};
template <typename T, std::size_t N>
struct IsArray<std::array<T, N>> : std::true_type {};

// v as a T, numbers (also inside vectors and arrays) range-checked; InputError "<what>: ..."
// otherwise. A boolean is not a number here (nlohmann would read true as 1).
template <typename T>
T jsonAs(const nlohmann::json& v, const std::string& what) {
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if (v.is_boolean()) throw InputError(what + " has the wrong type");
  }
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (v.is_number() && !fitsInteger<T>(v))
      throw InputError(what + " must be a whole number from " +
                       std::to_string(std::numeric_limits<T>::min()) + " to " +
                       std::to_string(std::numeric_limits<T>::max()));
  } else if constexpr (std::is_same_v<T, float>) {
    // A double past float's range cast to float is undefined behaviour too.
    if (v.is_number()) {
      const double x = v.get<double>();
      if (!(std::abs(x) <= static_cast<double>(std::numeric_limits<float>::max())))
        throw InputError(what + " is out of the range of a 32-bit float");
    }
  } else if constexpr (IsVector<T>::value) {
    if (v.is_array()) {
      T out;
      out.reserve(v.size());
      for (const auto& e : v) out.push_back(jsonAs<typename T::value_type>(e, what));
      return out;
    }
  } else if constexpr (IsArray<T>::value) {
    if (v.is_array()) {
      // nlohmann would read the first N of a longer array without a check.
      if (v.size() != std::tuple_size_v<T>)
        throw InputError(what + " must hold " + std::to_string(std::tuple_size_v<T>) + " values");
      T out;
      for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = jsonAs<typename T::value_type>(v[i], what);
      return out;
    }
  }
  try {
    return v.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(what + " has the wrong type");
  }
}

template <typename T>
void readJsonField(const nlohmann::json& j, const char* key, T& out, const std::string& what) {
  if (!j.contains(key) || j.at(key).is_null()) return;
  out = jsonAs<T>(j.at(key), what + ": \"" + key + "\"");
}

// j[key] as a T, or fallback when absent or null (nlohmann's value() without its unchecked casts).
template <typename T>
T jsonValue(const nlohmann::json& j, const char* key, T fallback, const std::string& what) {
  readJsonField(j, key, fallback, what);
  return fallback;
}

// j[key] as a T; InputError when absent.
template <typename T>
T jsonRequired(const nlohmann::json& j, const char* key, const std::string& what) {
  if (!j.contains(key)) throw InputError(what + ": \"" + key + "\" is missing");
  return jsonAs<T>(j.at(key), what + ": \"" + key + "\"");
}

}  // namespace svgen
