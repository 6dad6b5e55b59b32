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
  app.footer(
      "Exit codes: 0 ok, 2 bad input, 3 runtime failure, 130 stopped by Ctrl+C, 143 by SIGTERM, "
      "129 by SIGHUP.");

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
    // --help and --version come this way too, with exit code 0: CLI11 prints them.
    if (e.get_exit_code() == 0) return app.exit(e) == 0 ? kExitOk : kExitInputError;
    std::string command = "svgen";
    for (CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
    std::cerr << "svgen: error: " << e.what() << "\nRun '" << command
              << " --help' for the options.\n";
    return kExitInputError;
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

namespace {

// Parses the whole text as a number; false for anything else ("1e3" and "0x10" parse too).
bool parseNumber(const std::string& text, double* value) {
  try {
    size_t used = 0;
    *value = std::stod(text, &used);
    return used == text.size();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

CLI::Validator nonNegative() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!parseNumber(text, &v)) return "must be a number, got " + text;
        return v >= 0 ? std::string() : "must be 0 or more, got " + text;
      },
      "NONNEGATIVE");
}

CLI::Validator positive() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        double v = 0;
        if (!parseNumber(text, &v)) return "must be a number, got " + text;
        return v > 0 ? std::string() : "must be greater than 0, got " + text;
      },
      "POSITIVE");
}

}  // namespace svgen::cli
