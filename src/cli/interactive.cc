#include "cli/interactive.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/cli_modes.h"
#include "resp/split_args.h"

namespace pykv::cli {

int RunInteractive(CommandRunner& runner, OutputMode mode) {
  if (!runner.EnsureConnected().ok()) std::cerr << "not connected\n";
  std::string line;
  for (;;) {
    std::cout << (runner.connected() ? runner.address_label() : std::string("not connected"))
              << "> " << std::flush;
    if (!std::getline(std::cin, line)) break;
    std::vector<std::string> argv;
    if (!resp::SplitArgs(line, &argv)) {
      std::cout << "Invalid argument(s)\n";
      continue;
    }
    if (argv.empty()) continue;
    if (argv[0] == "quit" || argv[0] == "exit") break;
    StatusOr<resp::ReplyValue> reply = runner.Run(argv);
    (void)PrintResult(runner, argv, reply, mode);
  }
  return 0;
}

}  // namespace pykv::cli
