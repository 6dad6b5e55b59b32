// The svgen subcommands. Each registers its options on the CLI11 app and runs through core/.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace svgen::cli {

// Runs the command line; returns the process exit code (see core/common/error.h).
int run(int argc, char** argv);

// A subcommand and its body, called after parsing; the body returns the exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> action;
};

Command addGenerateCommand(CLI::App& app);
Command addInfoCommand(CLI::App& app);
Command addInspectCommand(CLI::App& app);
Command addTrainCommand(CLI::App& app);
Command addEvalPromptsCommand(CLI::App& app);
Command addEvalPriorCommand(CLI::App& app);
Command addEvalShapeFollowCommand(CLI::App& app);
Command addCompareCommand(CLI::App& app);
Command addProfileCommand(CLI::App& app);
Command addBenchCommand(CLI::App& app);
Command addSelftestCommand(CLI::App& app);

// Range checks whose messages say the limit in words ("must be 0 or more, got -1"); CLI11's own
// print the largest double in full.
CLI::Validator nonNegative();
CLI::Validator positive();

}  // namespace svgen::cli
