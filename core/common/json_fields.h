// Reading optional typed fields of a JSON object: an absent or null field keeps the default, a
// field of the wrong type is an InputError naming it.
#pragma once
#include "core/common/error.h"

#include <nlohmann/json.hpp>

#include <string>

namespace svgen {

template <typename T>
void readJsonField(const nlohmann::json& j, const char* key, T& out, const std::string& what) {
  if (!j.contains(key) || j.at(key).is_null()) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(what + ": \"" + key + "\" has the wrong type");
  }
}

}  // namespace svgen
