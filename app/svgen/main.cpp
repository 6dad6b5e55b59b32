// svgen: the command-line front end. Parses, wires, runs; the work is in core/.
#include "app/svgen/commands.h"
#include "core/common/process_tuning.h"

int main(int argc, char** argv) {
  svgen::tuneProcess(argc, argv);
  return svgen::cli::run(argc, argv);
}
