// What this build and machine offer: printed by `svgen info`, shown in the studio's About box.
#pragma once
#include <string>
#include <vector>

namespace svgen {

struct SystemInfo {
  std::string version;
  std::string torchVersion;
  bool cudaKernelsCompiled = false;
  bool mp4Export = false;
  int threads = 0;              // what a run uses by default: all cores
  std::string blasCore;         // OpenBLAS kernel set ("" for other BLAS)
  std::string cpuAttentionIsa;  // the CPU attention kernel's instruction set
  std::vector<std::string> devices;
  std::string cudaNote;  // why CUDA is not usable, when it is not
  std::string builtinModelDir;
  std::string builtinModelLabel;
  bool builtinModelTrained = false;
};

SystemInfo systemInfo();

}  // namespace svgen
