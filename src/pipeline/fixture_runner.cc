#include "pipeline/fixture_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "engine/select_check.h"
#include "model/type_mapping.h"
#include "pipeline/contract_tables.h"
#include "pipeline/pipeline_plan.h"

namespace quanta::pipeline {
namespace {

using model::Json;

// Input tables live in the default schema (transforms name them bare); datasets and expected
// rows get schemas of their own so that their names may repeat the inputs'.
constexpr const char* kOutputSchema = "output";
constexpr const char* kExpectedSchema = "expected";
constexpr const char* kTransformTable = "quanta_transform_output";

SourceLocation FileLocation(const std::filesystem::path& file) {
  SourceLocation location;
  location.file = file.string();
  return location;
}

Diagnostic MakeError(SourceLocation location, std::string rule, std::string message,
                     std::string hint = "") {
  Diagnostic diagnostic;
  diagnostic.rule = std::move(rule);
  diagnostic.location = std::move(location);
  diagnostic.message = std::move(message);
  diagnostic.hint = std::move(hint);
  return diagnostic;
}

// DuckDB's message without its "LINE n: ..." excerpt (which shows the statement Quanta wrapped
// around the user's SQL); *line receives n when asked for.
std::string DuckdbMessage(const std::string& message, int* line = nullptr) {
  static const std::regex kLine("\\n\\s*LINE (\\d+):");
  std::smatch match;
  std::string text = message;
  if (std::regex_search(message, match, kLine)) {
    if (line) *line = std::stoi(match[1].str());
    text = match.prefix().str();
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

bool IsIntegerType(std::string_view type) {
  static const std::set<std::string_view> kIntegers = {
      "TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
      "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"};
  return kIntegers.count(type) > 0;
}

// A fixture value as a SQL expression of `type`, or why it cannot be one. Integers are checked
// here because DuckDB rounds 10.5 to 11 when casting to an integer type.
Result<std::string> ValueSql(const Json& value, const std::string& type) {
  if (value.is_null()) return std::string("NULL");
  std::string literal;
  if (type == "JSON") {
    literal = engine::QuoteLiteral(value.dump()) + "::JSON";
  } else if (value.is_string()) {
    literal = engine::QuoteLiteral(value.get<std::string>());
    static const std::regex kInteger("^\\s*[-+]?[0-9]+\\s*$");
    if (IsIntegerType(type) && !std::regex_match(value.get<std::string>(), kInteger)) {
      return Status::Invalid("{} is not an integer", value.dump());
    }
  } else if (value.is_boolean()) {
    literal = value.get<bool>() ? "true" : "false";
  } else if (value.is_number_float()) {
    double number = value.get<double>();
    if (IsIntegerType(type) && number != std::floor(number)) {
      return Status::Invalid("{} is not an integer", value.dump());
    }
    literal = value.dump();
  } else if (value.is_number()) {
    literal = value.dump();
  } else {
    // Mappings and lists fill nested columns: STRUCT, MAP and lists (JSON was handled above).
    bool nested = type.rfind("STRUCT", 0) == 0 || type.rfind("MAP", 0) == 0 ||
                  (type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0);
    if (!nested) {
      return Status::Invalid("a {} does not fit this column",
                             value.is_object() ? "mapping" : "list");
    }
    literal = engine::QuoteLiteral(value.dump()) + "::JSON";
  }
  return "CAST(" + literal + " AS " + type + ")";
}

// Loads the rows at `pointer` of the test document into `table_sql`, cast to the object's
// column types. `what` ("input table order_events") names the table in messages. Returns the
// columns the rows gave, or nullopt after adding errors.
std::optional<std::set<std::string>> LoadRows(
    engine::Connection& connection, const model::Document& document, const std::string& pointer,
    const Json& rows, const std::string& table_sql, const model::SchemaObject& object,
    const std::string& what, std::vector<Diagnostic>* errors) {
  std::set<std::string> given;
  if (rows.is_null()) return given;
  if (!rows.is_array()) {
    errors->push_back(MakeError(document.Locate(pointer), "fixture-shape",
                                fmt::format("the rows of {} must be a list", what),
                                "write one `- {column: value, ...}` per row"));
    return std::nullopt;
  }
  std::vector<std::string> columns = ColumnNames(object);
  std::vector<std::string> types;
  for (const std::string& column : columns) {
    types.push_back(model::DuckdbTypeFor(*FindColumn(object, column)));
  }

  std::size_t error_count = errors->size();
  std::vector<std::vector<std::string>> values(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string row_pointer = model::AppendPointer(pointer, r);
    const Json& row = rows[r];
    if (!row.is_object()) {
      errors->push_back(
          MakeError(document.Locate(row_pointer), "fixture-shape",
                    fmt::format("row {} of {} must be a mapping of column to value", r + 1, what),
                    "write rows as `- {column: value, ...}`"));
      continue;
    }
    for (auto it = row.begin(); it != row.end(); ++it) {
      if (!FindColumn(object, it.key())) {
        errors->push_back(MakeError(
            document.LocateKey(model::AppendPointer(row_pointer, it.key())), "fixture-column",
            fmt::format("row {} of {} names column '{}', which it does not have", r + 1, what,
                        it.key()),
            fmt::format("its columns are: {}", JoinNames(columns))));
      } else {
        given.insert(it.key());
      }
    }
    for (std::size_t c = 0; c < columns.size(); ++c) {
      auto found = row.find(columns[c]);
      Result<std::string> sql = ValueSql(found == row.end() ? Json() : *found, types[c]);
      if (!sql.ok()) {
        errors->push_back(MakeError(document.Locate(model::AppendPointer(row_pointer, columns[c])),
                                    "fixture-type",
                                    fmt::format("row {} of {}, column {} ({}): {}", r + 1, what,
                                                columns[c], types[c], sql.status().message())));
        continue;
      }
      values[r].push_back(std::move(*sql));
    }
  }
  if (errors->size() > error_count) return std::nullopt;
  if (rows.empty()) return given;

  std::string column_list;
  for (const std::string& column : columns) {
    column_list += (column_list.empty() ? "" : ", ") + engine::QuoteIdentifier(column);
  }
  std::string insert = "INSERT INTO " + table_sql + " (" + column_list + ") VALUES ";
  for (std::size_t r = 0; r < values.size(); ++r) {
    std::string tuple;
    for (const std::string& value : values[r]) tuple += (tuple.empty() ? "" : ", ") + value;
    insert += (r == 0 ? "(" : ", (") + tuple + ")";
  }
  Status status = connection.Execute(insert);
  if (status.ok()) return given;

  // Find the values that do not fit, to name their places (a few are enough to go on with).
  constexpr std::size_t kMaxReported = 10;
  for (std::size_t r = 0; r < values.size(); ++r) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (errors->size() - error_count >= kMaxReported) return std::nullopt;
      Status probe = connection.Execute("SELECT " + values[r][c]);
      if (probe.ok()) continue;
      std::string value_pointer =
          model::AppendPointer(model::AppendPointer(pointer, r), columns[c]);
      errors->push_back(
          MakeError(document.Locate(value_pointer), "fixture-type",
                    fmt::format("row {} of {}, column {}: {} does not fit type {}: {}", r + 1, what,
                                columns[c], rows[r].value(columns[c], Json()).dump(), types[c],
                                DuckdbMessage(probe.message()))));
    }
  }
  if (errors->size() > error_count) return std::nullopt;
  errors->push_back(MakeError(document.Locate(pointer), "fixture-load",
                              fmt::format("the rows of {} could not be loaded: {}", what,
                                          DuckdbMessage(status.message()))));
  return std::nullopt;
}

std::string TableSql(std::string_view schema, std::string_view table) {
  return engine::QuoteIdentifier(schema) + "." + engine::QuoteIdentifier(table);
}

std::string InputTablesHint(const PipelinePlan& plan) {
  std::vector<std::string> tables;
  for (const auto& [name, ref] : plan.inputs) {
    tables.push_back(fmt::format("{}({})", name, JoinNames(ColumnNames(*ref.object))));
  }
  return "the input tables are " + JoinNames(tables);
}

// Runs the dataset's transform and commits its rows into output.<dataset>. False after adding
// errors when the dataset could not be built.
bool BuildDataset(engine::Connection& connection, const PipelinePlan& plan,
                  const DatasetPlan& dataset, std::vector<Diagnostic>* errors) {
  std::string body = TransformBody(dataset.transform_sql);
  SourceLocation transform_place{dataset.transform_path.string(), 0, 0, ""};
  if (std::optional<std::string> problem = engine::NotOneSelect(connection, body)) {
    errors->push_back(
        MakeError(transform_place, "transform-sql",
                  fmt::format("the transform of dataset '{}' is not one SELECT: {}", dataset.name,
                              DuckdbMessage(*problem)),
                  "a transform is one SELECT over the input tables; " + InputTablesHint(plan)));
    return false;
  }
  // Written on the statement's first line, so that DuckDB's line numbers are the file's.
  Status run = connection.Execute(fmt::format("CREATE OR REPLACE TEMP TABLE {} AS {}",
                                              engine::QuoteIdentifier(kTransformTable), body));
  if (!run.ok()) {
    SourceLocation place = transform_place;
    std::string message = DuckdbMessage(run.message(), &place.line);
    errors->push_back(
        MakeError(place, "transform-sql",
                  fmt::format("the transform of dataset '{}' failed: {}", dataset.name, message),
                  InputTablesHint(plan)));
    return false;
  }
  Result<std::vector<engine::Column>> produced = connection.Describe(
      fmt::format("SELECT * FROM {}", engine::QuoteIdentifier(kTransformTable)));
  if (!produced.ok()) {
    errors->push_back(MakeError(transform_place, "transform-sql", produced.status().message()));
    return false;
  }
  const model::SchemaObject& object = *dataset.table.object;
  const std::string& contract_file = dataset.table.contract->document.file();
  std::vector<std::string> columns = ColumnNames(object);
  std::size_t error_count = errors->size();
  for (const engine::Column& column : *produced) {
    if (!FindColumn(object, column.name)) {
      errors->push_back(MakeError(
          transform_place, "transform-columns",
          fmt::format("the transform's output has column '{}', which object '{}' of {} does not "
                      "declare",
                      column.name, dataset.name, contract_file),
          fmt::format("the SELECT's columns must be the object's properties: {}",
                      JoinNames(columns))));
    }
  }
  for (const std::string& column : columns) {
    bool found = std::any_of(produced->begin(), produced->end(),
                             [&](const engine::Column& c) { return c.name == column; });
    if (!found) {
      errors->push_back(MakeError(
          transform_place, "transform-columns",
          fmt::format("the transform's output has no column '{}', which object '{}' of {} "
                      "declares",
                      column, dataset.name, contract_file),
          fmt::format("add `... AS {}` to the SELECT", column)));
    }
  }
  if (errors->size() > error_count) return false;

  std::string column_list;
  for (const std::string& column : columns) {
    column_list += (column_list.empty() ? "" : ", ") + engine::QuoteIdentifier(column);
  }
  std::string select =
      fmt::format("SELECT {} FROM {}", column_list, engine::QuoteIdentifier(kTransformTable));
  if (dataset.upsert) {
    std::string key_list;
    for (const std::string& key : dataset.key) {
      key_list += (key_list.empty() ? "" : ", ") + engine::QuoteIdentifier(key);
    }
    // The transform's rows in order; the last row of each key wins.
    select += fmt::format(" QUALIFY row_number() OVER (PARTITION BY {} ORDER BY rowid DESC) = 1",
                          key_list);
  }
  select += " ORDER BY rowid";
  Status insert = connection.Execute(fmt::format(
      "INSERT INTO {} ({}) {}", TableSql(kOutputSchema, dataset.name), column_list, select));
  (void)connection.Execute(
      fmt::format("DROP TABLE IF EXISTS {}", engine::QuoteIdentifier(kTransformTable)));
  if (!insert.ok()) {
    errors->push_back(MakeError(
        transform_place, "transform-types",
        fmt::format("the transform's output does not fit the types of object '{}' of {}: {}",
                    dataset.name, contract_file, DuckdbMessage(insert.message())),
        "cast the column in the SELECT to the contract's type"));
    return false;
  }
  return true;
}

Result<std::vector<FixtureRow>> ReadRows(engine::Connection& connection,
                                         const std::string& table_sql,
                                         const std::vector<std::string>& columns) {
  std::string select;
  for (const std::string& column : columns) {
    select += (select.empty() ? "" : ", ") +
              fmt::format("CAST({} AS VARCHAR)", engine::QuoteIdentifier(column));
  }
  if (select.empty()) select = "NULL";
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult result,
      connection.Query(fmt::format("SELECT {} FROM {} ORDER BY rowid", select, table_sql)));
  std::vector<FixtureRow> rows;
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    FixtureRow row{i + 1, std::move(result.rows[i])};
    if (columns.empty()) row.values.clear();
    rows.push_back(std::move(row));
  }
  return rows;
}

void Compare(const std::vector<FixtureRow>& expected, const std::vector<FixtureRow>& actual,
             DatasetComparison* comparison) {
  comparison->expected_count = expected.size();
  comparison->actual_count = actual.size();
  if (comparison->ordered) {
    for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
      bool both = i < expected.size() && i < actual.size();
      if (both && expected[i].values == actual[i].values) continue;
      if (i < expected.size()) comparison->missing_rows.push_back(expected[i]);
      if (i < actual.size()) comparison->unexpected_rows.push_back(actual[i]);
    }
    return;
  }
  std::map<std::vector<std::optional<std::string>>, std::deque<std::size_t>> unmatched;
  for (std::size_t i = 0; i < actual.size(); ++i) unmatched[actual[i].values].push_back(i);
  for (const FixtureRow& row : expected) {
    auto found = unmatched.find(row.values);
    if (found == unmatched.end() || found->second.empty()) {
      comparison->missing_rows.push_back(row);
    } else {
      found->second.pop_front();
    }
  }
  std::vector<std::size_t> left;
  for (const auto& [values, positions] : unmatched) {
    left.insert(left.end(), positions.begin(), positions.end());
  }
  std::sort(left.begin(), left.end());
  for (std::size_t i : left) comparison->unexpected_rows.push_back(actual[i]);
}

const std::set<std::string>& AllowedCaseKeys() {
  static const std::set<std::string> kKeys = {"name", "description", "input", "expected",
                                              "ordered"};
  return kKeys;
}

CaseResult RunCase(const PipelinePlan& plan, const std::filesystem::path& file,
                   const model::Document& document) {
  CaseResult result;
  result.file = file;
  std::filesystem::path stem = file.stem();
  result.name = stem.string();
  const Json& root = document.root();
  std::vector<Diagnostic>& errors = result.errors;
  if (!root.is_object()) {
    errors.push_back(MakeError(document.Locate(""), "fixture-shape",
                               "a test case must be a mapping with input: and expected:"));
    return result;
  }
  if (root.contains("name")) {
    if (root["name"].is_string()) {
      result.name = root["name"].get<std::string>();
    } else {
      errors.push_back(MakeError(document.Locate("/name"), "fixture-shape", "name must be text"));
    }
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!AllowedCaseKeys().count(it.key())) {
      errors.push_back(MakeError(document.LocateKey("/" + it.key()), "fixture-shape",
                                 fmt::format("unknown key '{}' in a test case", it.key()),
                                 "a test case has name, description, input, expected and "
                                 "ordered"));
    }
  }
  bool ordered = false;
  if (root.contains("ordered")) {
    if (root["ordered"].is_boolean()) {
      ordered = root["ordered"].get<bool>();
    } else {
      errors.push_back(
          MakeError(document.Locate("/ordered"), "fixture-shape", "ordered must be true or false"));
    }
  }
  const Json empty = Json::object();
  const Json& input = root.contains("input") ? root["input"] : empty;
  if (!root.contains("expected")) {
    errors.push_back(
        MakeError(document.Locate(""), "fixture-shape", "the test case has no expected: rows",
                  "add `expected:` with the rows each dataset should hold, e.g. `orders: [...]`"));
  }
  const Json& expected = root.contains("expected") ? root["expected"] : empty;
  if (!input.is_object() && !input.is_null()) {
    errors.push_back(MakeError(document.Locate("/input"), "fixture-shape",
                               "input must map input tables to their rows"));
  }
  if (!expected.is_object() && !expected.is_null()) {
    errors.push_back(MakeError(document.Locate("/expected"), "fixture-shape",
                               "expected must map datasets to their rows"));
  }
  if (input.is_object()) {
    for (auto it = input.begin(); it != input.end(); ++it) {
      if (!plan.inputs.count(it.key())) {
        std::vector<std::string> names;
        for (const auto& [name, ref] : plan.inputs) names.push_back(name);
        errors.push_back(MakeError(
            document.LocateKey(model::AppendPointer("/input", it.key())), "fixture-table",
            fmt::format("unknown input table '{}'", it.key()),
            fmt::format("the input tables (schema objects of the input ports' contracts) are: {}",
                        JoinNames(names))));
      }
    }
  }
  std::set<std::string> dataset_names;
  for (const DatasetPlan& dataset : plan.datasets) dataset_names.insert(dataset.name);
  if (expected.is_object()) {
    for (auto it = expected.begin(); it != expected.end(); ++it) {
      if (!dataset_names.count(it.key())) {
        errors.push_back(
            MakeError(document.LocateKey(model::AppendPointer("/expected", it.key())),
                      "fixture-dataset", fmt::format("unknown dataset '{}'", it.key()),
                      fmt::format("the pipeline's datasets are: {}",
                                  JoinNames({dataset_names.begin(), dataset_names.end()}))));
      }
    }
  }
  if (!errors.empty()) return result;

  engine::DatabaseOptions options;
  // Without file or network access, as on a node: a test passes only what a node can run.
  options.settings = {{"threads", "1"}, {"enable_external_access", "false"}};
  Result<std::unique_ptr<engine::Database>> database = engine::Database::Open(options);
  if (!database.ok()) {
    errors.push_back(MakeError(FileLocation(file), "engine", database.status().message()));
    return result;
  }
  Result<std::unique_ptr<engine::Connection>> connection_result = (*database)->Connect();
  if (!connection_result.ok()) {
    errors.push_back(MakeError(FileLocation(file), "engine", connection_result.status().message()));
    return result;
  }
  engine::Connection& connection = **connection_result;
  Status setup = connection.Execute("SET TimeZone = 'UTC'");
  for (const model::ContractFile* contract : plan.input_contracts) {
    if (!setup.ok()) break;
    setup = CreateContractTables(connection, contract->contract);
  }
  for (const model::ContractFile* contract : plan.output_contracts) {
    if (!setup.ok()) break;
    setup = CreateContractTables(connection, contract->contract, kOutputSchema);
  }
  if (!setup.ok()) {
    errors.push_back(MakeError(FileLocation(file), "engine",
                               "the contracts' tables could not be created: " + setup.message()));
    return result;
  }

  if (input.is_object()) {
    for (auto it = input.begin(); it != input.end(); ++it) {
      const TableRef& table = plan.inputs.at(it.key());
      (void)LoadRows(connection, document, model::AppendPointer("/input", it.key()), it.value(),
                     engine::QuoteIdentifier(it.key()), *table.object,
                     fmt::format("input table {}", it.key()), &errors);
    }
  }
  if (!errors.empty()) return result;

  std::vector<const DatasetPlan*> built;
  for (const DatasetPlan& dataset : plan.datasets) {
    if (BuildDataset(connection, plan, dataset, &errors)) {
      built.push_back(&dataset);
    } else {
      result.unchecked_datasets.push_back(dataset.name);
    }
  }

  // Expected rows go in only now, so that no transform can read them.
  for (const model::ContractFile* contract : plan.output_contracts) {
    Status created = CreateContractTables(connection, contract->contract, kExpectedSchema);
    if (!created.ok()) {
      errors.push_back(MakeError(FileLocation(file), "engine", created.message()));
      return result;
    }
  }
  for (const DatasetPlan* dataset : built) {
    DatasetComparison comparison;
    comparison.dataset = dataset->name;
    comparison.ordered = ordered;
    if (!expected.is_object() || !expected.contains(dataset->name)) {
      result.datasets.push_back(std::move(comparison));
      continue;
    }
    const model::SchemaObject& object = *dataset->table.object;
    std::string pointer = model::AppendPointer("/expected", dataset->name);
    const Json& rows = expected[dataset->name];
    std::optional<std::set<std::string>> given =
        LoadRows(connection, document, pointer, rows, TableSql(kExpectedSchema, dataset->name),
                 object, fmt::format("expected dataset {}", dataset->name), &errors);
    if (!given) continue;
    comparison.compared = true;
    for (const std::string& column : ColumnNames(object)) {
      bool has_rows = rows.is_array() && !rows.empty();
      if (has_rows && !given->count(column)) {
        comparison.missing_columns.push_back(column);
      } else {
        comparison.columns.push_back(column);
      }
    }
    Result<std::vector<FixtureRow>> expected_rows =
        ReadRows(connection, TableSql(kExpectedSchema, dataset->name), comparison.columns);
    Result<std::vector<FixtureRow>> actual_rows =
        ReadRows(connection, TableSql(kOutputSchema, dataset->name), comparison.columns);
    if (!expected_rows.ok() || !actual_rows.ok()) {
      errors.push_back(MakeError(
          FileLocation(file), "engine",
          (expected_rows.ok() ? actual_rows.status() : expected_rows.status()).message()));
      continue;
    }
    Compare(*expected_rows, *actual_rows, &comparison);
    result.datasets.push_back(std::move(comparison));
  }

  for (const DatasetPlan* dataset : built) {
    std::vector<QualityCheck> checks = RunQualityChecks(connection, *dataset->table.contract,
                                                        *dataset->table.object, kOutputSchema);
    for (QualityCheck& check : checks) result.checks.push_back(std::move(check));
  }
  return result;
}

// The case's `name:`, else the file name without extension.
std::string NameOf(const std::filesystem::path& file, const model::ParsedDocument* parsed) {
  if (parsed && parsed->document) {
    const Json& root = parsed->document->root();
    if (root.is_object() && root.contains("name") && root["name"].is_string()) {
      return root["name"].get<std::string>();
    }
  }
  return file.stem().string();
}

std::string Cell(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  if (value->empty()) return "''";
  return *value;
}

}  // namespace

bool CaseResult::Passed() const {
  if (!errors.empty()) return false;
  return std::all_of(datasets.begin(), datasets.end(),
                     [](const DatasetComparison& d) { return !d.compared || d.Passed(); });
}

std::string CaseName(const std::filesystem::path& test_file) {
  Result<model::ParsedDocument> parsed = model::ReadYamlFile(test_file);
  return NameOf(test_file, parsed.ok() ? &*parsed : nullptr);
}

Result<std::vector<CaseResult>> RunFixtures(const model::ProductFolder& folder,
                                            const FixtureOptions& options) {
  QUANTA_ASSIGN_OR_RETURN(PipelinePlan plan, MakePipelinePlan(folder));
  std::vector<CaseResult> results;
  std::vector<std::string> names;
  for (const std::filesystem::path& file : folder.test_files) {
    QUANTA_ASSIGN_OR_RETURN(model::ParsedDocument parsed, model::ReadYamlFile(file));
    std::string name = NameOf(file, &parsed);
    names.push_back(name);
    if (options.case_name && *options.case_name != name &&
        *options.case_name != file.stem().string()) {
      continue;
    }
    if (!parsed.document || HasErrors(parsed.diagnostics)) {
      CaseResult result;
      result.name = name;
      result.file = file;
      result.errors = std::move(parsed.diagnostics);
      if (result.errors.empty()) {
        result.errors.push_back(
            MakeError(FileLocation(file), "fixture-shape", "the test case is not a YAML document"));
      }
      results.push_back(std::move(result));
      continue;
    }
    results.push_back(RunCase(plan, file, *parsed.document));
  }
  if (options.case_name && results.empty()) {
    return Status::NotFound("no test case called '{}' in {}; the cases are: {}", *options.case_name,
                            (folder.root / "tests").string(), JoinNames(names));
  }
  return results;
}

std::string FormatDatasetDiff(const DatasetComparison& comparison) {
  if (!comparison.compared || comparison.Passed()) return "";
  std::string text;
  auto plural = [](std::size_t n, const char* word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
  };
  if (!comparison.missing_columns.empty()) {
    text += fmt::format(
        "dataset {}: the expected rows give no value for column{} {}, which the dataset has; "
        "give every column in the expected rows (null for NULL)\n",
        comparison.dataset, comparison.missing_columns.size() == 1 ? "" : "s",
        JoinNames(comparison.missing_columns));
  }
  if (comparison.missing_rows.empty() && comparison.unexpected_rows.empty()) return text;

  text +=
      fmt::format("dataset {}: {} missing, {} unexpected (expected {}, got {})", comparison.dataset,
                  plural(comparison.missing_rows.size(), "row"),
                  plural(comparison.unexpected_rows.size(), "row"),
                  plural(comparison.expected_count, "row"), plural(comparison.actual_count, "row"));
  if (comparison.ordered) {
    auto values = [](const std::vector<FixtureRow>& rows) {
      std::vector<std::vector<std::optional<std::string>>> list;
      for (const FixtureRow& row : rows) list.push_back(row.values);
      std::sort(list.begin(), list.end());
      return list;
    };
    if (comparison.expected_count == comparison.actual_count &&
        values(comparison.missing_rows) == values(comparison.unexpected_rows)) {
      text += "; the same rows in a different order (the case says ordered: true)";
    } else {
      text += "; compared in order (the case says ordered: true)";
    }
  }
  text += "\n";

  // One width per column over both tables, so that they line up with each other.
  std::vector<std::string> header;
  if (comparison.ordered) header.push_back("#");
  for (const std::string& column : comparison.columns) header.push_back(column);
  auto cells = [&](const FixtureRow& row) {
    std::vector<std::string> line;
    if (comparison.ordered) line.push_back(std::to_string(row.position));
    for (const auto& value : row.values) line.push_back(Cell(value));
    return line;
  };
  std::vector<std::size_t> widths;
  for (const std::string& name : header) widths.push_back(name.size());
  for (const auto* rows : {&comparison.missing_rows, &comparison.unexpected_rows}) {
    for (const FixtureRow& row : *rows) {
      std::vector<std::string> line = cells(row);
      for (std::size_t i = 0; i < line.size() && i < widths.size(); ++i) {
        widths[i] = std::max(widths[i], line[i].size());
      }
    }
  }
  auto format_line = [&](const std::vector<std::string>& line) {
    std::string out = "    ";
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (i > 0) out += " | ";
      out += line[i];
      if (i + 1 < line.size()) out += std::string(widths[i] - line[i].size(), ' ');
    }
    return out + "\n";
  };
  std::string rule = "    ";
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i > 0) rule += "-+-";
    rule += std::string(widths[i], '-');
  }
  rule += "\n";
  auto table = [&](const char* title, const std::vector<FixtureRow>& rows) {
    if (rows.empty()) return;
    text += fmt::format("  {}:\n", title);
    text += format_line(header) + rule;
    for (const FixtureRow& row : rows) text += format_line(cells(row));
  };
  table("missing rows (expected, not produced)", comparison.missing_rows);
  table("unexpected rows (produced, not expected)", comparison.unexpected_rows);
  return text;
}

nlohmann::json CaseResultToJson(const CaseResult& result) {
  nlohmann::json errors = nlohmann::json::array();
  for (const Diagnostic& error : result.errors) errors.push_back(DiagnosticToJson(error));
  auto rows_json = [](const std::vector<std::string>& columns,
                      const std::vector<FixtureRow>& rows) {
    nlohmann::json list = nlohmann::json::array();
    for (const FixtureRow& row : rows) {
      nlohmann::json values = nlohmann::json::object();
      for (std::size_t i = 0; i < columns.size() && i < row.values.size(); ++i) {
        values[columns[i]] = row.values[i] ? nlohmann::json(*row.values[i]) : nlohmann::json();
      }
      list.push_back({{"position", row.position}, {"values", std::move(values)}});
    }
    return list;
  };
  nlohmann::json datasets = nlohmann::json::array();
  for (const DatasetComparison& dataset : result.datasets) {
    datasets.push_back({
        {"dataset", dataset.dataset},
        {"compared", dataset.compared},
        {"passed", !dataset.compared || dataset.Passed()},
        {"ordered", dataset.ordered},
        {"expectedRows", dataset.expected_count},
        {"actualRows", dataset.actual_count},
        {"columns", dataset.columns},
        {"missingColumns", dataset.missing_columns},
        {"missingRows", rows_json(dataset.columns, dataset.missing_rows)},
        {"unexpectedRows", rows_json(dataset.columns, dataset.unexpected_rows)},
    });
  }
  nlohmann::json checks = nlohmann::json::array();
  for (const QualityCheck& check : result.checks) checks.push_back(QualityCheckToJson(check));
  return {
      {"name", result.name},
      {"file", result.file.string()},
      {"passed", result.Passed()},
      {"errors", std::move(errors)},
      {"datasets", std::move(datasets)},
      {"checks", std::move(checks)},
      {"uncheckedDatasets", result.unchecked_datasets},
  };
}

}  // namespace quanta::pipeline
