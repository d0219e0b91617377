#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace quanta::cli {

int RunCli(int argc, char** argv) {
  CLI::App app{
      "Quanta: declare, test and serve data products.\n"
      "A product is a folder: product.yaml (ODPS), contracts/*.yaml (ODCS), pipeline.yaml,\n"
      "transforms/*.sql and tests/. Run 'quanta <command> --help' for each command.",
      "quanta"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "quanta 0.1.0 (DuckDB 1.4.4)");
  int exit_code = 0;
  RegisterInitCommand(app, &exit_code);
  RegisterLintCommand(app, &exit_code);
  RegisterTestCommand(app, &exit_code);
  RegisterBreakingCommands(app, &exit_code);
  RegisterExportCommand(app, &exit_code);
  RegisterImportCommand(app, &exit_code);
  RegisterSqlLogicTestCommand(app, &exit_code);
  RegisterNodeCommand(app, &exit_code);
  RegisterDeployCommand(app, &exit_code);
  RegisterUndeployCommand(app, &exit_code);
  RegisterStatusCommand(app, &exit_code);
  RegisterIngestCommand(app, &exit_code);
  RegisterScramVerifierCommand(app, &exit_code);
  // An unknown first word is named, as git does, rather than CLI11's "A subcommand is
  // required", which reads as if none had been given.
  if (argc > 1 && argv[1][0] != '\0') {
    std::string first = argv[1];
    std::vector<std::string> names;
    for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
      names.push_back(command->get_name());
    }
    bool known = std::find(names.begin(), names.end(), first) != names.end();
    bool general = first == "--help" || first == "-h" || first == "--version";
    if (!known && !general) {
      std::string list;
      for (const std::string& name : names) list += (list.empty() ? "" : ", ") + name;
      std::cerr << "quanta: '" << first << "' is not a quanta "
                << (first[0] == '-' ? "option" : "command") << "; the commands are " << list
                << " (quanta --help)\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    // CLI11 returns 0 for --help and --version; every other parse failure is a usage error.
    return code == 0 ? 0 : 2;
  } catch (const std::exception& error) {
    std::cerr << "quanta: internal error: " << error.what() << "\n";
    return 3;
  }
  return exit_code;
}

}  // namespace quanta::cli
