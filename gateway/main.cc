// fcpgw: the command-line entry point. Everything happens in run_cli (gateway/cli/cli.h);
// `serve` is handed in from app/, the room above the command line.
#include <iostream>
#include <string>
#include <vector>

#include "gateway/app/serve.h"
#include "gateway/cli/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv, argv + argc);
  return fcpgw::gateway::run_cli(args, std::cout, std::cerr, &fcpgw::gateway::app::serve);
}
