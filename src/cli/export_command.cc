// `quanta export`: write a contract as JSON Schema, Avro, SQL DDL or normalised ODCS.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/contract_input.h"
#include "model/contract_export.h"

namespace quanta::cli {
namespace {

struct ExportArguments {
  std::string contract;
  std::string format;
  std::string object;
  std::string dialect = "postgres";
  std::string output;
};

int RunExport(const ExportArguments& arguments) {
  Result<model::ExportFormat> format = model::ParseExportFormat(arguments.format);
  Result<model::SqlDialect> dialect = model::ParseSqlDialect(arguments.dialect);
  for (const Status& status : {format.status(), dialect.status()}) {
    if (!status.ok()) {
      std::cerr << "quanta export: " << status.message() << "\n";
      return 2;
    }
  }
  std::vector<Diagnostic> diagnostics;
  Result<std::optional<model::ContractFile>> file =
      ReadContractArgument(arguments.contract, &diagnostics);
  if (!file.ok()) {
    std::cerr << "quanta export: " << file.status().message() << "\n";
    return 2;
  }
  // Also for ODCS: the document written out breaks the schema just as the one read did.
  for (const Diagnostic& diagnostic : diagnostics) {
    std::cerr << FormatDiagnostic(diagnostic) << "\n";
  }
  if (!*file) {
    std::cerr << "quanta export: cannot export: the errors above are in the contract file\n";
    return 1;
  }
  model::ExportOptions options;
  options.format = *format;
  options.object = arguments.object;
  options.dialect = *dialect;
  Result<model::ExportedContract> exported = model::ExportContract((*file)->contract, options);
  if (!exported.ok()) {
    std::cerr << "quanta export: " << arguments.contract << ": " << exported.status().message()
              << "\n";
    return InfoFor(exported.status().code()).exit_code;
  }
  for (const std::string& warning : exported->warnings) {
    std::cerr << "quanta export: warning: " << warning << "\n";
  }
  if (arguments.output.empty()) {
    std::cout << exported->text;
    return 0;
  }
  std::ofstream out(arguments.output, std::ios::binary | std::ios::trunc);
  out << exported->text;
  out.close();
  if (!out) {
    std::cerr << "quanta export: cannot write " << arguments.output << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

void RegisterExportCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<ExportArguments>();
  CLI::App* command = app.add_subcommand(
      "export", "Write a contract as JSON Schema, Avro, SQL tables or normalised ODCS");
  command->add_option("contract", arguments->contract, "The ODCS contract file")->required();
  command
      ->add_option("--format", arguments->format,
                   "jsonschema (draft 2020-12), avro (.avsc), sql (CREATE TABLE) or odcs (YAML)")
      ->required();
  command->add_option("--object", arguments->object,
                      "Export only this schema object (default: all; several make $defs in "
                      "JSON Schema and a union in Avro)");
  command
      ->add_option("--dialect", arguments->dialect,
                   "SQL dialect for --format sql: postgres or duckdb")
      ->capture_default_str();
  command->add_option("--output,-o", arguments->output, "Write to this file instead of stdout");
  command->footer(
      "Types follow docs/type-mapping.md. What a format cannot express (a decimal in JSON "
      "Schema, a name\nAvro does not allow) is said on stderr as a warning.\n"
      "A contract that breaks the ODCS schema is exported anyway, after warnings naming "
      "the fields.\nExit codes: 0 written, 1 the file is not a readable contract (its problems "
      "are printed as lint\nprints them) or has no schema object to export, 2 usage or I/O "
      "error or an unknown --object.\n\n"
      "Examples:\n"
      "  quanta export contracts/orders.yaml --format avro --output orders.avsc\n"
      "  quanta export contracts/orders.yaml --format jsonschema --object orders\n"
      "  quanta export contracts/orders.yaml --format sql --dialect duckdb\n"
      "  quanta export contracts/orders.yaml --format odcs");
  command->callback([arguments, exit_code] { *exit_code = RunExport(*arguments); });
}

}  // namespace quanta::cli
