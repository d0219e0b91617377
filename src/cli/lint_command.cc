#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "governance/linter.h"

namespace quanta::cli {
namespace {

struct LintArguments {
  std::vector<std::string> paths;
  std::string format = "text";
  bool strict = false;
  std::string policies;
  std::string mesh;
  bool default_policies = false;
};

int RunLint(const LintArguments& arguments) {
  governance::LintOptions options;
  if (!arguments.policies.empty()) options.policies_dir = arguments.policies;
  if (!arguments.mesh.empty()) options.mesh_file = arguments.mesh;
  options.default_policies = arguments.default_policies;
  std::vector<std::filesystem::path> paths(arguments.paths.begin(), arguments.paths.end());
  Result<governance::LintReport> report = governance::Lint(paths, options);
  if (!report.ok()) {
    std::cerr << "quanta lint: " << report.status().message() << "\n";
    return 2;  // the paths could not be read: a usage or I/O error, not a finding
  }
  int errors = 0;
  int warnings = 0;
  for (const Diagnostic& diagnostic : report->diagnostics) {
    (diagnostic.severity == Severity::kError ? errors : warnings)++;
  }
  if (arguments.format == "json") {
    nlohmann::json output = {{"files", report->files},
                             {"errors", errors},
                             {"warnings", warnings},
                             {"diagnostics", nlohmann::json::array()}};
    for (const Diagnostic& diagnostic : report->diagnostics) {
      output["diagnostics"].push_back(DiagnosticToJson(diagnostic));
    }
    std::cout << output.dump(2) << "\n";
  } else {
    for (const Diagnostic& diagnostic : report->diagnostics) {
      std::cout << FormatDiagnostic(diagnostic) << "\n";
    }
    std::cout << fmt::format("{}: {} error{}, {} warning{} in {} file{}\n",
                             errors == 0 && (warnings == 0 || !arguments.strict) ? "ok" : "failed",
                             errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
                             report->files.size(), report->files.size() == 1 ? "" : "s");
  }
  if (errors > 0 || (arguments.strict && warnings > 0)) return 1;
  return 0;
}

}  // namespace

void RegisterLintCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<LintArguments>();
  CLI::App* command = app.add_subcommand(
      "lint",
      "Check product folders and ODCS/ODPS/pipeline documents against the standards, their "
      "meaning (ids, references, keys, SQL that binds) and the mesh's policies");
  command->add_option("paths", arguments->paths,
                      "Product folders, folders holding product folders, or single documents")
      ->required();
  command->add_option("--format", arguments->format, "Output: text (like a compiler) or json")
      ->check(CLI::IsMember({"text", "json"}));
  command->add_flag("--strict", arguments->strict, "Exit 1 on warnings too");
  command->add_option("--policies", arguments->policies,
                      "Folder of mesh policies (.sql files) to run as well");
  command->add_option("--mesh", arguments->mesh,
                      "Mesh config file (default: quanta-mesh.yaml found above the path)");
  command->add_flag("--default-policies", arguments->default_policies,
                    "Also run Quanta's default policy set");
  command->footer(
      "Output lines read `file:line:col: error[rule]: message`, with a hint below when one "
      "helps.\nExit codes: 0 clean (warnings allowed unless --strict), 1 errors found, 2 usage "
      "or I/O error.\n\nExamples:\n  quanta lint orders/\n  quanta lint examples/ --format json\n"
      "  quanta lint contracts/orders.yaml --strict");
  command->callback([arguments, exit_code] { *exit_code = RunLint(*arguments); });
}

}  // namespace quanta::cli
