// `quanta sqllogictest PATH...`: runs SQL logic test files (query/sqllogictest.h).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "query/sqllogictest.h"

namespace quanta::cli {

void RegisterSqlLogicTestCommand(CLI::App& app, int* exit_code) {
  CLI::App* command = app.add_subcommand(
      "sqllogictest",
      "Run SQL logic test files (DuckDB's .test format, plus load-product and load-policies)");
  command->footer(
      "Each file runs in a fresh in-memory database. Folders are searched for *.test files.\n"
      "Prints one line per file and, last, 'N passed, M failed'. Exit 0 when all pass, 1 when\n"
      "a file fails, 2 when a path does not exist.");
  auto paths = std::make_shared<std::vector<std::string>>();
  auto root = std::make_shared<std::string>();
  command->add_option("paths", *paths, "Test files or folders of *.test files")->required();
  command->add_option("--root", *root,
                      "Folder that load-product and load-policies paths are relative to "
                      "(default: the repository holding each test file)");
  command->callback([exit_code, paths, root] {
    query::SqlLogicTestOptions options;
    options.repository_root = *root;
    std::vector<std::filesystem::path> files(paths->begin(), paths->end());
    *exit_code = query::RunSqlLogicTests(files, options, std::cout, std::cerr);
  });
}

}  // namespace quanta::cli
