// svgen info: version, devices, threads and the built-in model.
#include "app/svgen/commands.h"
#include "core/common/error.h"
#include "core/pipeline/system_info.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace svgen::cli {

Command addInfoCommand(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("info", "Show version, devices, threads and built-in models");
  cmd->add_flag("--json", *json, "Print as JSON");
  return {cmd, [json] {
            const SystemInfo s = systemInfo();
            if (*json) {
              nlohmann::json j = {{"version", s.version},
                                  {"libtorch", s.torchVersion},
                                  {"cuda_kernels", s.cudaKernelsCompiled},
                                  {"cuda_note", s.cudaNote},
                                  {"mp4_export", s.mp4Export},
                                  {"threads", s.threads},
                                  {"blas_core", s.blasCore},
                                  {"cpu_attention_isa", s.cpuAttentionIsa},
                                  {"devices", s.devices},
                                  {"builtin_model",
                                   {{"label", s.builtinModelLabel},
                                    {"trained", s.builtinModelTrained},
                                    {"folder", s.builtinModelDir}}}};
              std::cout << j.dump(2) << std::endl;
              return kExitOk;
            }
            std::cout << "svgen " << s.version << " (LibTorch " << s.torchVersion << ")\n";
            std::cout << "devices: ";
            for (size_t i = 0; i < s.devices.size(); ++i)
              std::cout << (i ? ", " : "") << s.devices[i];
            std::cout << "\n";
            std::cout << "CUDA kernels: " << (s.cudaKernelsCompiled ? "compiled" : "not compiled");
            if (!s.cudaNote.empty()) std::cout << " (" << s.cudaNote << ")";
            std::cout << "\nthreads: " << s.threads
                      << " (CPU attention kernel: " << s.cpuAttentionIsa;
            if (!s.blasCore.empty()) std::cout << ", OpenBLAS kernels: " << s.blasCore;
            std::cout << ")\n";
            std::cout << "MP4 export: " << (s.mp4Export ? "yes (FFmpeg)" : "no (Y4M and PNG only)")
                      << "\n";
            std::cout << "built-in model: " << s.builtinModelLabel;
            if (!s.builtinModelDir.empty()) std::cout << " [" << s.builtinModelDir << "]";
            std::cout << (s.builtinModelTrained
                              ? ""
                              : "\n  note: no trained weights installed; clips are not meaningful")
                      << "\n";
            return kExitOk;
          }};
}

}  // namespace svgen::cli
