// Small helpers shared by the tests. No Qt and no LibTorch here, so any test can include it
// first (LibTorch headers must come before Qt's).
#pragma once
#include <set>
#include <string>

namespace svgen::test {

// A fresh empty folder for one test, under the build folder (or /tmp).
std::string freshDir(const std::string& name);

// A path inside the source tree, e.g. sourcePath("tests/fixtures/x.safetensors").
std::string sourcePath(const std::string& relative);

// The names in a folder (hidden ones too), for "nothing was left behind" checks.
std::set<std::string> entries(const std::string& dir);
// A whole file's bytes ("" when it cannot be read), and a file written with exactly `bytes`.
std::string slurp(const std::string& path);
void spit(const std::string& path, const std::string& bytes);

}  // namespace svgen::test
