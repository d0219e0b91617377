#pragma once

#include <CLI/CLI.hpp>

namespace quanta::cli {

/// Each Register*Command adds one subcommand to `app`. When the subcommand runs, its callback
/// stores the process exit code in `*exit_code` (0 ok, 1 findings, 2 usage or I/O error).
/// Callbacks print to stdout/stderr and never throw past CLI11.
void RegisterInitCommand(CLI::App& app, int* exit_code);
void RegisterLintCommand(CLI::App& app, int* exit_code);
void RegisterTestCommand(CLI::App& app, int* exit_code);
void RegisterBreakingCommands(CLI::App& app, int* exit_code);  ///< breaking and changelog
void RegisterExportCommand(CLI::App& app, int* exit_code);
void RegisterImportCommand(CLI::App& app, int* exit_code);
void RegisterSqlLogicTestCommand(CLI::App& app, int* exit_code);
void RegisterNodeCommand(CLI::App& app, int* exit_code);
void RegisterDeployCommand(CLI::App& app, int* exit_code);
void RegisterUndeployCommand(CLI::App& app, int* exit_code);
void RegisterStatusCommand(CLI::App& app, int* exit_code);
void RegisterIngestCommand(CLI::App& app, int* exit_code);
void RegisterScramVerifierCommand(CLI::App& app, int* exit_code);

/// Runs the `quanta` command line; returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace quanta::cli
