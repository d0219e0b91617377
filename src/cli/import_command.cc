// `quanta import`: turn an Avro schema, a JSON Schema or SQL DDL into a draft ODCS contract.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "model/contract_import.h"
#include "model/product_folder.h"
#include "model/structure_check.h"
#include "pipeline/sql_import.h"

namespace quanta::cli {
namespace {

struct ImportArguments {
  std::string from;
  std::string file;
  std::string id;
  std::string output;
  bool skip_other_statements = false;
};

Result<std::string> ReadText(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Status::IoError("{}: not a readable file", path.string());
  }
  if (std::filesystem::file_size(path, error) > model::kMaxDocumentBytes) {
    return Status::Invalid("{}: larger than {} bytes; a schema file is small", path.string(),
                           model::kMaxDocumentBytes);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IoError("{}: cannot be read", path.string());
  return text.str();
}

Result<model::Contract> Import(const ImportArguments& arguments, bool* parse_failed) {
  model::ImportOptions options;
  options.id = arguments.id;
  options.fallback_name = std::filesystem::path(arguments.file).stem().string();
  if (arguments.from == "sql") {
    QUANTA_ASSIGN_OR_RETURN(std::string text, ReadText(arguments.file));
    std::vector<Diagnostic> skipped;
    Result<model::Contract> contract = pipeline::ImportSql(
        text, arguments.file, options, arguments.skip_other_statements ? &skipped : nullptr);
    for (const Diagnostic& diagnostic : skipped) std::cerr << FormatDiagnostic(diagnostic) << "\n";
    return contract;
  }
  QUANTA_ASSIGN_OR_RETURN(model::ParsedDocument parsed, model::ReadYamlFile(arguments.file));
  if (!parsed.document || HasErrors(parsed.diagnostics)) {
    for (const Diagnostic& diagnostic : parsed.diagnostics) {
      std::cerr << FormatDiagnostic(diagnostic) << "\n";
    }
    *parse_failed = true;
    return Status::Invalid("{}: not a readable JSON document", arguments.file);
  }
  if (arguments.from == "avro") return model::ImportAvro(*parsed.document, options);
  return model::ImportJsonSchema(*parsed.document, options);
}

int RunImport(const ImportArguments& arguments) {
  bool parse_failed = false;
  Result<model::Contract> contract = Import(arguments, &parse_failed);
  if (!contract.ok()) {
    const Status& status = contract.status();
    if (parse_failed) {
      std::cerr << "quanta import: " << status.message() << "\n";
    } else if (status.code() == ErrorCode::kInvalidDocument) {
      std::cerr << status.message() << "\n";  // already `file:line:col: error[rule]: ...`
    } else {
      std::cerr << "quanta import: " << status.message() << "\n";
    }
    return InfoFor(status.code()).exit_code;
  }
  std::string yaml = model::EmitYaml(model::ContractToJson(*contract));
  // What import writes must pass lint's structural check; say so loudly if it does not.
  model::ParsedDocument again = model::ParseYaml(yaml, "imported contract");
  int exit = 0;
  if (again.document) {
    for (const Diagnostic& diagnostic :
         model::CheckStructure(*again.document, model::DocumentKind::kContract)) {
      std::cerr << "quanta import: the result breaks the ODCS schema (please report): "
                << FormatDiagnostic(diagnostic) << "\n";
      exit = 1;
    }
  }
  std::string text = "# Draft ODCS contract imported from " +
                     std::filesystem::path(arguments.file).filename().string() + " (" +
                     arguments.from + ") by quanta import.\n" + yaml;
  if (arguments.output.empty()) {
    std::cout << text;
    return exit;
  }
  std::ofstream out(arguments.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "quanta import: cannot write " << arguments.output << "\n";
    return 2;
  }
  return exit;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<ImportArguments>();
  CLI::App* command = app.add_subcommand(
      "import", "Turn an Avro schema, a JSON Schema or SQL tables into a draft ODCS contract");
  command
      ->add_option("--from", arguments->from,
                   "What FILE holds: avro (.avsc), jsonschema, or sql (CREATE TABLE statements)")
      ->required()
      ->check(CLI::IsMember({"avro", "jsonschema", "sql"}));
  command->add_option("file", arguments->file, "The schema file")->required();
  command->add_option("--id", arguments->id, "The contract id (default: the file name's stem)");
  command->add_option("--output,-o", arguments->output, "Write to this file instead of stdout");
  command->add_flag("--skip-other-statements", arguments->skip_other_statements,
                    "sql: leave out (never run) statements that are not table definitions, such "
                    "as pg_dump's SET, GRANT and OWNER TO, with a warning each");
  command->footer(
      "Writes an ODCS v3.1.0 contract (version 1.0.0, status draft) with a schema object per "
      "record, object\nschema or table. Types follow docs/type-mapping.md. SQL runs in a private "
      "in-memory DuckDB with\nfile access off; only CREATE TABLE, CREATE SCHEMA, CREATE TYPE ... "
      "AS ENUM, COMMENT ON and\nALTER TABLE ... ADD PRIMARY KEY are run; anything else is refused "
      "(or skipped with --skip-other-statements).\n"
      "Exit codes: 0 written, 1 the input is not a schema import can read (the error names the "
      "line\nand the field), 2 usage or I/O error.\n\n"
      "Examples:\n"
      "  quanta import --from avro orders.avsc --output contracts/orders.yaml\n"
      "  quanta import --from jsonschema order.schema.json --id orders\n"
      "  pg_dump --schema-only shop > shop.sql && quanta import --from sql shop.sql "
      "--skip-other-statements");
  command->callback([arguments, exit_code] { *exit_code = RunImport(*arguments); });
}

}  // namespace quanta::cli
