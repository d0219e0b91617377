#include "governance/row_filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>

#include "base/ascii.h"
#include "engine/database.h"
#include "engine/refused_functions.h"
#include "governance/read_access.h"
#include "pipeline/contract_tables.h"

namespace quanta::governance {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRule = "sql/row-filter";
constexpr std::string_view kHint =
    "a row filter is one boolean SQL expression over the dataset's own columns, e.g. "
    "region = 'EU' or owner = current_principal()";

// The table the filter is parsed against; no column or table of the contract is called so.
constexpr std::string_view kParseTable = "quanta_filtered_rows";

bool IsRowFilter(const model::CustomProperty& custom) {
  return custom.property &&
         AsciiLower(TrimBlanks(*custom.property)) == AsciiLower(kRowFilterProperty);
}

// The filter as it is put into SQL: on lines of its own, so that a `--` comment in it ends
// with it, and in parentheses, so that it is one operand whatever operators it uses.
std::string Enclosed(std::string_view filter) { return fmt::format("(\n{}\n)", filter); }

std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

std::size_t CountText(std::string_view text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos;
       at = text.find(what, at + what.size())) {
    ++count;
  }
  return count;
}

struct TreeCheck {
  std::optional<std::string> problem;
  std::size_t principal_calls = 0;
};

void CheckFunction(const Json& node, TreeCheck* check) {
  std::string name = AsciiLower(node.value("function_name", ""));
  std::string schema = node.value("schema", "");
  std::string catalog = node.value("catalog", "");
  if (!schema.empty() || !catalog.empty()) {
    check->problem = fmt::format("it calls {}.{}(): call functions by their plain name",
                                 catalog.empty() ? schema : catalog + "." + schema, name);
    return;
  }
  if (name == "current_principal") {
    if (node.contains("children") && !node["children"].empty()) {
      check->problem = "current_principal() takes no arguments";
      return;
    }
    ++check->principal_calls;
    return;
  }
  // A row filter runs inside every consumer query: what a consumer may not call, it may not.
  if (std::optional<std::string_view> why = engine::WhyFunctionIsRefused(name)) {
    check->problem = fmt::format("it calls {}(), which it may not: {}", name, *why);
  }
}

// Walks the parse tree of the filter expression; the first problem found wins.
void Walk(const Json& node, TreeCheck* check) {
  if (check->problem) return;
  if (node.is_array()) {
    for (const Json& item : node) Walk(item, check);
    return;
  }
  if (!node.is_object()) return;
  std::string kind = node.value("class", "");
  if (kind == "SUBQUERY") {
    check->problem = "it holds a subquery; a row filter reads the dataset's own row only";
    return;
  }
  if (kind == "WINDOW") {
    check->problem = "it holds a window function; a row filter decides each row on its own";
    return;
  }
  if (kind == "PARAMETER") {
    check->problem = "it holds a query parameter; write the value itself";
    return;
  }
  if (kind == "STAR") {
    check->problem = "it holds * or COLUMNS(...); name the columns";
    return;
  }
  if (kind == "COLUMN_REF") {
    const Json& names = node.contains("column_names") ? node["column_names"] : Json::array();
    if (names.size() != 1) {
      std::vector<std::string> parts;
      for (const Json& part : names)
        parts.push_back(part.is_string() ? part.get<std::string>() : "?");
      check->problem =
          fmt::format("it names {}; a row filter names the dataset's own columns, unqualified",
                      fmt::join(parts, "."));
    }
    return;
  }
  if (kind == "FUNCTION") {
    CheckFunction(node, check);
    if (check->problem) return;
  }
  for (const auto& [key, value] : node.items()) Walk(value, check);
}

bool IsEmptyList(const Json& node, const char* key) {
  return !node.contains(key) || node[key].is_null() || (node[key].is_array() && node[key].empty());
}

// Parses `filter` in the place it runs in (the WHERE of a SELECT over the dataset's rows) with
// DuckDB's own parser and checks that it stayed one expression there: text that closes the
// parenthesis and goes on (`1=1) UNION SELECT ...`, `...) GROUP BY (...`) is refused.
std::optional<std::string> ParseProblem(engine::Connection& connection, std::string_view filter) {
  std::string select = fmt::format("SELECT * FROM {} WHERE {}", kParseTable, Enclosed(filter));
  Result<engine::QueryResult> serialized = connection.Query(
      fmt::format("SELECT json_serialize_sql({})::VARCHAR", engine::QuoteLiteral(select)));
  if (!serialized.ok())
    return "it could not be parsed: " + FirstLine(serialized.status().message());
  if (serialized->rows.size() != 1 || !serialized->rows[0][0]) {
    return std::string("it could not be parsed");
  }
  Json tree = Json::parse(*serialized->rows[0][0], nullptr, false);
  if (tree.is_discarded() || !tree.is_object()) return std::string("it could not be parsed");
  const std::string kNotOne = "it is not one expression: it ends the WHERE clause it is put in";
  if (tree.value("error", false)) {
    std::string message = tree.value("error_message", "unknown error");
    // A statement after a semicolon that is not a SELECT.
    if (message.find("Only SELECT") != std::string::npos) return kNotOne;
    return "it does not parse: " + FirstLine(message);
  }
  const Json& statements = tree.contains("statements") ? tree["statements"] : Json::array();
  if (!statements.is_array() || statements.size() != 1) return kNotOne;
  const Json& node = statements[0].value("node", Json::object());
  const Json& from = node.value("from_table", Json::object());
  const Json& select_list = node.value("select_list", Json::array());
  bool one_expression = node.value("type", "") == "SELECT_NODE" && IsEmptyList(node, "modifiers") &&
                        IsEmptyList(node, "group_expressions") && IsEmptyList(node, "having") &&
                        IsEmptyList(node, "qualify") && IsEmptyList(node, "sample") &&
                        node.value("cte_map", Json::object()).value("map", Json::array()).empty() &&
                        select_list.is_array() && select_list.size() == 1 &&
                        select_list[0].value("class", "") == "STAR" &&
                        from.value("type", "") == "BASE_TABLE" &&
                        from.value("table_name", "") == kParseTable &&
                        node.contains("where_clause") && node["where_clause"].is_object();
  if (!one_expression) return kNotOne;
  TreeCheck check;
  Walk(node["where_clause"], &check);
  if (check.problem) return check.problem;
  // current_principal() is replaced as text when the filter runs: every call must be written
  // exactly so, and nothing else (a string literal, a comment) may hold that text.
  if (CountText(filter, kCurrentPrincipal) != check.principal_calls) {
    return fmt::format(
        "write the principal's name as {} exactly (lower case, no blanks), and nowhere in a "
        "string or comment",
        kCurrentPrincipal);
  }
  return std::nullopt;
}

// Binds `filter` against the table of `object` (the contract's tables are in `connection`).
std::optional<std::string> BindProblem(engine::Connection& connection,
                                       const model::SchemaObject& object, std::string_view filter) {
  std::string table = engine::QuoteIdentifier(object.name.value_or(""));
  Result<std::vector<engine::Column>> columns = connection.Describe(
      fmt::format("SELECT {0} AS quanta_row_filter FROM {1} WHERE {0}", Enclosed(filter), table));
  if (!columns.ok()) {
    return fmt::format("it does not bind against schema object '{}': {}", object.name.value_or(""),
                       FirstLine(columns.status().message()));
  }
  if (columns->size() != 1 || AsciiUpper((*columns)[0].type) != "BOOLEAN") {
    return fmt::format("it is of type {} over schema object '{}', not BOOLEAN",
                       columns->empty() ? std::string("?") : (*columns)[0].type,
                       object.name.value_or(""));
  }
  return std::nullopt;
}

Diagnostic Finding(const model::ContractFile& file, const model::Role& role,
                   const model::CustomProperty& custom, Severity severity, std::string reason) {
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.rule = std::string(kRule);
  diagnostic.location = file.document.Locate(model::AppendPointer(custom.pointer, "value"));
  diagnostic.message =
      fmt::format("row filter of role '{}' in contract '{}': {}", role.role.value_or("?"),
                  file.contract.id.value_or(file.contract.name.value_or("?")), std::move(reason));
  diagnostic.hint = std::string(kHint);
  return diagnostic;
}

Result<std::unique_ptr<engine::Connection>> OpenScratch(const model::Contract& contract,
                                                        std::unique_ptr<engine::Database>* db) {
  engine::DatabaseOptions options;
  options.settings = {{"enable_external_access", "false"},
                      {"autoinstall_known_extensions", "false"},
                      {"autoload_known_extensions", "false"},
                      {"threads", "1"}};
  QUANTA_ASSIGN_OR_RETURN(*db, engine::Database::Open(options));
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, (*db)->Connect());
  QUANTA_RETURN_IF_ERROR(pipeline::CreateContractTables(*connection, contract));
  QUANTA_RETURN_IF_ERROR(
      connection->Execute("CREATE MACRO current_principal() AS CAST('' AS VARCHAR)"));
  return connection;
}

}  // namespace

std::optional<std::string> RoleRowFilter(const model::Role& role, std::string_view principal) {
  std::vector<std::string> filters;
  for (const model::CustomProperty& custom : role.custom_properties) {
    if (!IsRowFilter(custom)) continue;
    if (!custom.value.is_string() || TrimBlanks(custom.value.get<std::string>()).empty()) {
      filters.push_back("false");
      continue;
    }
    std::string filter = custom.value.get<std::string>();
    std::string name = engine::QuoteLiteral(principal);
    for (std::size_t at = filter.find(kCurrentPrincipal); at != std::string::npos;
         at = filter.find(kCurrentPrincipal, at + name.size())) {
      filter.replace(at, kCurrentPrincipal.size(), name);
    }
    filters.push_back(Enclosed(filter));
  }
  if (filters.empty()) return std::nullopt;
  return filters.size() == 1 ? filters[0] : fmt::format("{}", fmt::join(filters, " AND "));
}

void CheckRowFilters(const model::ContractFile& file, std::vector<Diagnostic>* diagnostics) {
  std::unique_ptr<engine::Database> database;
  std::unique_ptr<engine::Connection> connection;
  for (const model::Role& role : file.contract.roles) {
    std::size_t filters = 0;
    for (const model::CustomProperty& custom : role.custom_properties) {
      if (!IsRowFilter(custom)) continue;
      if (++filters > 1) {
        diagnostics->push_back(Finding(file, role, custom, Severity::kError,
                                       "the role has more than one rowFilter; write one "
                                       "expression (join conditions with AND)"));
        continue;
      }
      if (!RoleGrantsRead(role)) {
        diagnostics->push_back(
            Finding(file, role, custom, Severity::kWarning,
                    fmt::format("it has no effect: the role's access '{}' grants no reading",
                                role.access.value_or(""))));
        continue;
      }
      if (!custom.value.is_string() || TrimBlanks(custom.value.get<std::string>()).empty()) {
        diagnostics->push_back(Finding(file, role, custom, Severity::kError,
                                       "its value must be a SQL expression in a string; a role "
                                       "without a rowFilter reads every row"));
        continue;
      }
      if (!connection) {
        Result<std::unique_ptr<engine::Connection>> opened = OpenScratch(file.contract, &database);
        if (!opened.ok()) {
          diagnostics->push_back(
              Finding(file, role, custom, Severity::kError,
                      fmt::format("it cannot be checked, because the contract's schema cannot "
                                  "be made into tables: {}",
                                  FirstLine(opened.status().message()))));
          return;
        }
        connection = std::move(opened).value();
      }
      std::string filter = custom.value.get<std::string>();
      std::optional<std::string> problem = ParseProblem(*connection, filter);
      for (const model::SchemaObject& object : file.contract.schema) {
        if (problem) break;
        if (!object.name || object.name->empty()) continue;
        problem = BindProblem(*connection, object, filter);
      }
      if (problem) {
        diagnostics->push_back(Finding(file, role, custom, Severity::kError, *problem));
      }
    }
  }
}

}  // namespace quanta::governance
