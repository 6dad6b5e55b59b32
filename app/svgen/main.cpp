// svgen: the command-line front end. Parses, wires, runs; the work is in core/.
#include "app/svgen/commands.h"

int main(int argc, char** argv) {
  return svgen::cli::run(argc, argv);
}
