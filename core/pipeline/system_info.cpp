#include "core/pipeline/system_info.h"

#include "core/common/process_tuning.h"
#include "kernels/cpu/attention_cpu.h"

#include "core/io/video_export.h"
#include "core/model/model_family.h"
#include "core/pipeline/device.h"
#include "kernels/cuda/cuda_runtime_info.h"

#include <torch/version.h>

#include <thread>

namespace svgen {

SystemInfo systemInfo() {
  SystemInfo s;
  s.version = SVGEN_VERSION;
  s.torchVersion = TORCH_VERSION;
  s.cudaKernelsCompiled = kernels::cudaKernelsCompiled();
  s.mp4Export = mp4ExportAvailable();
  s.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  s.blasCore = blasCoreName();
  s.cpuAttentionIsa = kernels::attentionCpuIsa();
  s.devices = availableDevices();
  cudaUsable(&s.cudaNote);
  const ModelInfo info = describeVideoModel("builtin");
  s.builtinModelDir = info.directory;
  s.builtinModelLabel = info.label;
  s.builtinModelTrained = info.trained;
  return s;
}

}  // namespace svgen
