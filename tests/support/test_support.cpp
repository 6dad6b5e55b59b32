#include "tests/support/test_support.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace svgen::test {

std::string freshDir(const std::string& name) {
  const char* build = std::getenv("SVGEN_BUILD_DIR");
  fs::path base =
      build ? fs::path(build) / "test-output" : fs::temp_directory_path() / "svgen-tests";
  fs::path dir = base / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string sourcePath(const std::string& relative) {
  const char* src = std::getenv("SVGEN_SOURCE_DIR");
  fs::path base = src ? fs::path(src) : fs::path(SVGEN_SOURCE_DIR);
  return (base / relative).string();
}

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace svgen::test
