// Small helpers shared by the tests. No Qt and no LibTorch here, so any test can include it
// first (LibTorch headers must come before Qt's).
#pragma once
#include <string>

namespace svgen::test {

// A fresh empty folder for one test, under the build folder (or /tmp).
std::string freshDir(const std::string& name);

// A path inside the source tree, e.g. sourcePath("tests/fixtures/x.safetensors").
std::string sourcePath(const std::string& relative);

}  // namespace svgen::test
