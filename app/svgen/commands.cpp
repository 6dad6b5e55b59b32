#include "app/svgen/commands.h"

#include "app/svgen/interrupt.h"
#include "core/common/error.h"

#include <iostream>
#include <map>

namespace svgen::cli {

int run(int argc, char** argv) {
  CLI::App app{"svgen: generate short videos with sparse-attention video diffusion transformers"};
  app.set_version_flag("--version", "svgen " SVGEN_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 2 bad input, 3 runtime failure, 130 cancelled (Ctrl+C).");

  std::map<CLI::App*, std::function<int()>> actions;
  for (Command command : {addGenerateCommand(app), addCompareCommand(app), addInfoCommand(app),
                          addInspectCommand(app), addTrainCommand(app), addEvalPromptsCommand(app),
                          addEvalPriorCommand(app), addEvalShapeFollowCommand(app),
                          addProfileCommand(app), addBenchCommand(app), addSelftestCommand(app)}) {
    actions[command.app] = command.action;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitInputError;
  }

  installInterruptHandler();
  try {
    for (CLI::App* sub : app.get_subcommands()) return actions.at(sub)();
  } catch (const InputError& e) {
    std::cerr << "svgen: error: " << e.what() << "\n";
    return kExitInputError;
  } catch (const Cancelled&) {
    std::cerr << "svgen: cancelled\n";
    return interruptExitCode();
  } catch (const std::exception& e) {
    std::cerr << "svgen: failed: " << e.what() << "\n";
    return kExitRuntimeFailure;
  }
  return kExitOk;
}

}  // namespace svgen::cli
