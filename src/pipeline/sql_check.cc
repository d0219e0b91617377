#include "pipeline/sql_check.h"

#include <fmt/format.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "engine/database.h"
#include "engine/select_check.h"
#include "model/type_mapping.h"
#include "pipeline/contract_tables.h"

namespace quanta::pipeline {
namespace {

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size()) {
    text.replace(at, from.size(), to);
  }
}

// DuckDB's messages carry "LINE n:" and a caret line; the first line is what matters.
std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

int LineInQuery(const std::string& message) {
  static const std::regex kLine("LINE (\\d+):");
  std::smatch match;
  if (std::regex_search(message, match, kLine)) return std::stoi(match[1].str());
  return 0;
}

Diagnostic Make(Severity severity, std::string rule, SourceLocation location, std::string message,
                std::string hint = "") {
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.rule = std::move(rule);
  diagnostic.location = std::move(location);
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

Result<std::unique_ptr<engine::Connection>> OpenScratch(std::unique_ptr<engine::Database>* db) {
  // Confined as the node's engine is (docs/sql-port.md), so that what reads a file here and
  // could never run on a node fails its lint.
  engine::DatabaseOptions options;
  options.settings = {{"threads", "1"}, {"enable_external_access", "false"}};
  QUANTA_ASSIGN_OR_RETURN(*db, engine::Database::Open(options));
  return (*db)->Connect();
}

void CheckRule(engine::Connection& connection, const model::ContractFile& file,
               const model::SchemaObject& object, const model::Property* property,
               const model::QualityRule& rule, std::vector<Diagnostic>* diagnostics) {
  if (rule.TypeName() != "sql" || !rule.query) return;
  std::string sql = ExpandQualityQuery(*rule.query, object.name.value_or(""),
                                       property ? property->name.value_or("") : "");
  auto columns = connection.Describe(sql);
  SourceLocation where = file.document.Locate(model::AppendPointer(rule.pointer, "query"));
  if (!columns.ok()) {
    diagnostics->push_back(Make(Severity::kError, "sql/quality-query", where,
                                fmt::format("the quality query does not bind against this "
                                            "contract's schema: {}",
                                            FirstLine(columns.status().message())),
                                "quality queries may use the contract's objects and properties "
                                "by name, or ${object} and ${property}"));
    return;
  }
  if (columns->size() != 1) {
    diagnostics->push_back(Make(Severity::kError, "sql/quality-query", where,
                                fmt::format("the quality query returns {} columns; it must "
                                            "return one number",
                                            columns->size())));
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream input(path, std::ios::binary);
  std::stringstream buffer;
  buffer << input.rdbuf();
  return buffer.str();
}

std::string Normalize(std::string type) {
  for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (type == "TIMESTAMPTZ") return "TIMESTAMP WITH TIME ZONE";
  return type;
}

}  // namespace

std::string ExpandQualityQuery(std::string query, std::string_view object,
                               std::string_view property) {
  std::string table = engine::QuoteIdentifier(object);
  std::string column = engine::QuoteIdentifier(property);
  ReplaceAll(query, "${object}", table);
  ReplaceAll(query, "{object}", table);
  ReplaceAll(query, "${property}", column);
  ReplaceAll(query, "{property}", column);
  return query;
}

void CheckContractSql(const model::ContractFile& file, std::vector<Diagnostic>* diagnostics) {
  bool has_sql = false;
  for (const model::SchemaObject& object : file.contract.schema) {
    for (const model::QualityRule& rule : object.quality) has_sql |= rule.TypeName() == "sql";
    for (const model::Property& property : object.properties) {
      for (const model::QualityRule& rule : property.quality) has_sql |= rule.TypeName() == "sql";
    }
  }
  if (!has_sql) return;
  std::unique_ptr<engine::Database> database;
  auto connection = OpenScratch(&database);
  if (!connection.ok()) {
    diagnostics->push_back(
        Make(Severity::kError, "internal", {file.document.file()}, connection.status().message()));
    return;
  }
  Status created = CreateContractTables(**connection, file.contract);
  if (!created.ok()) {
    diagnostics->push_back(Make(Severity::kError, "sql/contract-tables",
                                file.document.Locate("/schema"),
                                fmt::format("the contract's schema cannot be made into tables: {}",
                                            FirstLine(created.message()))));
    return;
  }
  for (const model::SchemaObject& object : file.contract.schema) {
    for (const model::QualityRule& rule : object.quality) {
      CheckRule(**connection, file, object, nullptr, rule, diagnostics);
    }
    for (const model::Property& property : object.properties) {
      for (const model::QualityRule& rule : property.quality) {
        CheckRule(**connection, file, object, &property, rule, diagnostics);
      }
    }
  }
}

void CheckFolderSql(const model::ProductFolder& folder, std::vector<Diagnostic>* diagnostics) {
  if (!folder.pipeline || !folder.product) return;
  const model::PipelineFile& pipeline = *folder.pipeline;
  std::unique_ptr<engine::Database> database;
  auto connection = OpenScratch(&database);
  if (!connection.ok()) {
    diagnostics->push_back(Make(Severity::kError, "internal", {pipeline.document.file()},
                                connection.status().message()));
    return;
  }
  // Every input port's contract becomes tables named after its schema objects.
  for (const model::InputPort& port : folder.product->product.input_ports) {
    if (!port.name) continue;
    const model::ContractFile* contract = folder.ContractForInputPort(*port.name);
    if (!contract) continue;  // reported by the meaning check
    Status created = CreateContractTables(**connection, contract->contract);
    if (!created.ok()) {
      diagnostics->push_back(Make(Severity::kError, "sql/contract-tables",
                                  contract->document.Locate("/schema"),
                                  fmt::format("input port '{}': its contract's schema cannot be "
                                              "made into tables: {}",
                                              *port.name, FirstLine(created.message()))));
    }
  }
  for (const model::PipelineDataset& dataset : pipeline.pipeline.datasets) {
    if (!dataset.transform || !dataset.name || !dataset.output_port) continue;
    std::filesystem::path transform_path = folder.root / *dataset.transform;
    std::error_code error;
    if (!std::filesystem::is_regular_file(transform_path, error)) continue;  // meaning check
    std::string sql = ReadFile(transform_path);
    // Embedded in the node's statements, anything but one SELECT would run beside them.
    if (std::optional<std::string> problem = engine::NotOneSelect(**connection, sql)) {
      int line = LineInQuery(*problem);
      diagnostics->push_back(Make(Severity::kError, "sql/transform",
                                  {transform_path.string(), line, line > 0 ? 1 : 0, ""},
                                  "the transform is not one SELECT: " + FirstLine(*problem),
                                  "a transform is one SELECT over the tables of its input ports' "
                                  "contracts (docs/product-folder.md)"));
      continue;
    }
    auto columns = (*connection)->Describe(sql);
    if (!columns.ok()) {
      const std::string& message = columns.status().message();
      int line = LineInQuery(message);
      diagnostics->push_back(Make(Severity::kError, "sql/transform",
                                  {transform_path.string(), line, line > 0 ? 1 : 0, ""},
                                  FirstLine(message),
                                  "a transform may read the tables of its input ports' contracts "
                                  "(one per schema object, named after it)"));
      continue;
    }
    const model::ContractFile* contract = folder.ContractForOutputPort(*dataset.output_port);
    if (!contract) continue;
    const model::SchemaObject* object = contract->contract.FindObject(*dataset.name);
    if (!object) continue;
    SourceLocation where =
        pipeline.document.Locate(model::AppendPointer(dataset.pointer, "transform"));
    std::set<std::string> produced;
    for (const engine::Column& column : *columns) {
      produced.insert(column.name);
      const model::Property* property = object->FindProperty(column.name);
      if (!property) {
        diagnostics->push_back(
            Make(Severity::kError, "sql/transform-columns", where,
                 fmt::format("{} produces column '{}', which is not a property of '{}' in {}",
                             transform_path.string(), column.name, *dataset.name,
                             contract->document.file()),
                 "add the property to the output contract, or drop the column from the SELECT"));
        continue;
      }
      std::string expected = Normalize(model::DuckdbTypeFor(*property));
      std::string actual = Normalize(column.type);
      if (actual != expected && !model::IsSafeWidening(actual, expected) && actual != "\"NULL\"" &&
          actual != "NULL") {
        diagnostics->push_back(
            Make(Severity::kError, "sql/transform-types",
                 contract->document.Locate(model::AppendPointer(property->pointer, "name")),
                 fmt::format("{} produces '{}' as {}, but the contract types it {}",
                             transform_path.string(), column.name, actual, expected),
                 fmt::format("cast it in the transform: CAST({} AS {})",
                             engine::QuoteIdentifier(column.name), expected)));
      }
    }
    for (const model::Property& property : object->properties) {
      if (property.name && !produced.count(*property.name)) {
        diagnostics->push_back(
            Make(Severity::kError, "sql/transform-columns", where,
                 fmt::format("{} does not produce '{}', a property of '{}' in {}",
                             transform_path.string(), *property.name, *dataset.name,
                             contract->document.file()),
                 "select it in the transform (NULL AS name if it is optional)"));
      }
    }
  }
}

}  // namespace quanta::pipeline
