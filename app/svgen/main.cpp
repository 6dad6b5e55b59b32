// svgen: the command-line front end. Parses, wires, runs; the work is in core/.
#include "app/svgen/commands.h"
#include "core/common/blas_setup.h"

int main(int argc, char** argv) {
  svgen::ensureFastBlas(argc, argv);
  return svgen::cli::run(argc, argv);
}
