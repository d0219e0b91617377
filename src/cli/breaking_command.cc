// Placeholder until the command is written: says so and exits 2.
#include <iostream>

#include "cli/commands.h"

namespace quanta::cli {

void RegisterBreakingCommands(CLI::App& app, int* exit_code) {
  {
    CLI::App* command = app.add_subcommand("breaking", "Compare two contract versions");
    command->allow_extras();
    command->callback([exit_code] {
      std::cerr << "quanta breaking: not available yet\n";
      *exit_code = 2;
    });
  }
  {
    CLI::App* command = app.add_subcommand("changelog", "List changes between two contract versions");
    command->allow_extras();
    command->callback([exit_code] {
      std::cerr << "quanta changelog: not available yet\n";
      *exit_code = 2;
    });
  }
}

}  // namespace quanta::cli
