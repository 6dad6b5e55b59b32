// Reading JSON: a whole file, and optional typed fields of an object (an absent or null field
// keeps the default, a field of the wrong type is an InputError naming it).
#pragma once
#include "core/common/error.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

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
