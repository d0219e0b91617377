// Placeholder until the command is written: says so and exits 2.
#include <iostream>

#include "cli/commands.h"

namespace quanta::cli {

void RegisterTestCommand(CLI::App& app, int* exit_code) {
  {
    CLI::App* command = app.add_subcommand("test", "Run a product's pipeline over its fixtures");
    command->allow_extras();
    command->callback([exit_code] {
      std::cerr << "quanta test: not available yet\n";
      *exit_code = 2;
    });
  }
}

}  // namespace quanta::cli
