// svgen selftest: every kernel against its LibTorch reference (core/selftest). On CUDA this is the
// check that the GPU kernels compute what the CPU oracle does; exit code 3 when any check fails.
// With --wan-reference it instead checks a Wan 2.1 folder's components at full size against the
// public implementation's outputs (core/selftest/wan_parity.h).
#include "app/svgen/commands.h"
#include "core/common/error.h"
#include "core/pipeline/device.h"
#include "core/selftest/kernel_selftest.h"
#include "core/selftest/wan_parity.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

namespace svgen::cli {

namespace {

struct SelftestCliOptions {
  std::string device = "cpu";
  uint64_t seed = 1234;
  bool quick = false;
  bool json = false;
  std::string wanModel, wanReference;
};

int runSelftest(const SelftestCliOptions& o) {
  SelftestOptions options;
  options.device = pickDevice(o.device);
  options.seed = o.seed;
  options.quick = o.quick;
  int failed = 0;
  bool headed = false;
  // The header comes with the first check, so an input error is not printed under a table.
  const auto print = [&](const KernelCheck& c) {
    if (!c.passed) ++failed;
    if (o.json) return;
    if (!headed) {
      std::printf("%-26s %-52s %10s %10s %9s  %s\n", "kernel", "input", "max abs", "rel err", "tol",
                  "result");
      headed = true;
    }
    std::printf("%-26s %-52s %10.3g %10.3g %9.2g  %s%s%s\n", c.kernel.c_str(), c.input.c_str(),
                c.maxAbsError, c.relError, c.tolerance, c.passed ? "ok" : "FAIL",
                c.note.empty() ? "" : "  ", c.note.c_str());
    std::fflush(stdout);
  };
  const std::vector<KernelCheck> checks =
      o.wanReference.empty() ? runKernelSelftest(options, print)
                             : runWanParity(o.wanModel, o.wanReference, options.device, print);
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const KernelCheck& c : checks) {
      j.push_back({{"kernel", c.kernel},
                   {"input", c.input},
                   {"max_abs_error", c.maxAbsError},
                   {"rel_error", c.relError},
                   {"tolerance", c.tolerance},
                   {"passed", c.passed},
                   {"note", c.note}});
    }
    std::cout << nlohmann::json{{"device", deviceLabel(options.device)}, {"checks", j}}.dump(2)
              << "\n";
  } else {
    std::printf("%zu checks on %s: %zu passed, %d failed\n", checks.size(),
                deviceLabel(options.device).c_str(), checks.size() - failed, failed);
  }
  if (checks.empty()) {
    std::cerr << "svgen: selftest: no kernel to check on " << deviceLabel(options.device) << "\n";
    return kExitRuntimeFailure;
  }
  return failed == 0 ? kExitOk : kExitRuntimeFailure;
}

}  // namespace

Command addSelftestCommand(CLI::App& app) {
  auto o = std::make_shared<SelftestCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "selftest",
      "Check every kernel against its LibTorch reference on random and adversarial inputs");
  cmd->add_option("-d,--device", o->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed of the inputs")->capture_default_str();
  cmd->add_flag("--quick", o->quick, "Fewer, smaller cases");
  cmd->add_flag("--json", o->json, "Print the checks as JSON");
  cmd->add_option(
         "--wan-reference", o->wanReference,
         "Instead of the kernels: compare the Wan 2.1 folder given by --model with the "
         "public implementation's outputs in this file (tools/fixtures/make_wan_parity.py)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", o->wanModel,
                  "The Wan 2.1 folder or file that --wan-reference was made from")
      ->check(CLI::ExistingPath);
  return {cmd, [o] {
            if (o->wanReference.empty() != o->wanModel.empty()) {
              throw InputError("selftest: --wan-reference and --model go together");
            }
            return runSelftest(*o);
          }};
}

}  // namespace svgen::cli
