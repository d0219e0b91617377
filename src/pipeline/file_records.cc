#include "pipeline/file_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/ascii.h"
#include "engine/database.h"
#include "model/type_mapping.h"
#include "pipeline/pipeline_plan.h"

namespace quanta::pipeline {
namespace {

Result<std::vector<std::string>> ReadNdjson(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("{}: cannot be read", path.string());
  std::vector<std::string> records;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    records.push_back(std::move(line));
  }
  if (in.bad()) return Status::IoError("{}: read failed", path.string());
  return records;
}

Result<std::vector<std::string>> RunToJson(const std::string& sql, const std::string& file) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  QUANTA_RETURN_IF_ERROR(connection->Execute("SET TimeZone = 'UTC'"));
  Result<engine::QueryResult> result = connection->Query(sql);
  if (!result.ok()) {
    return Status::Invalid(
        "{}: cannot be read: {}", file,
        result.status().message().substr(0, result.status().message().find('\n')));
  }
  std::vector<std::string> records;
  records.reserve(result->rows.size());
  for (auto& row : result->rows) records.push_back(row[0].value_or("null"));
  return records;
}

std::string HeaderNames(const std::vector<engine::Column>& header) {
  std::vector<std::string> names;
  for (const engine::Column& column : header) names.push_back(column.name);
  return JoinNames(names);
}

}  // namespace

Result<FileFormat> FileFormatOf(const std::filesystem::path& path) {
  std::string extension = AsciiLower(path.extension().string());
  if (extension == ".csv" || extension == ".tsv") return FileFormat::kCsv;
  if (extension == ".ndjson" || extension == ".jsonl" || extension == ".json") {
    return FileFormat::kNdjson;
  }
  if (extension == ".parquet") return FileFormat::kParquet;
  return Status::Usage(
      "{}: unknown file type '{}'; input ports read .csv, .tsv, .ndjson, .jsonl, .json and "
      ".parquet",
      path.filename().string(), extension);
}

Result<std::vector<std::string>> ReadRecordsFromFile(const std::filesystem::path& path,
                                                     FileFormat format,
                                                     const model::SchemaObject& object) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Status::IoError("{}: not a readable file", path.string());
  }
  if (format == FileFormat::kNdjson) return ReadNdjson(path);
  std::string literal = engine::QuoteLiteral(path.string());
  if (format == FileFormat::kParquet) {
    return RunToJson(fmt::format("SELECT to_json(t)::VARCHAR FROM read_parquet({}) t", literal),
                     path.string());
  }

  if (std::filesystem::file_size(path, error) == 0 && !error) return std::vector<std::string>();
  // CSV: every value as text first, then typed by the contract where it converts.
  std::string source = CsvReadCall(path, /*all_varchar=*/true);
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  QUANTA_RETURN_IF_ERROR(connection->Execute("SET TimeZone = 'UTC'"));
  Result<std::vector<engine::Column>> header =
      connection->Describe(fmt::format("SELECT * FROM {}", source));
  if (!header.ok()) {
    return Status::Invalid(
        "{}: cannot be read as CSV: {}", path.string(),
        header.status().message().substr(0, header.status().message().find('\n')));
  }
  std::set<std::string> present;
  for (const engine::Column& column : *header) present.insert(column.name);
  std::string fields;
  for (const model::Property& property : object.properties) {
    if (!property.name || !present.count(*property.name)) continue;
    std::string column = engine::QuoteIdentifier(*property.name);
    std::string type = model::DuckdbTypeFor(property);
    std::string typed = type == "VARCHAR"
                            ? fmt::format("to_json({})", column)
                            : fmt::format(
                                  "CASE WHEN {0} IS NOT NULL AND TRY_CAST({0} AS {1}) IS NULL "
                                  "THEN to_json({0}) ELSE to_json(TRY_CAST({0} AS {1})) END",
                                  column, type);
    fields += (fields.empty() ? "" : ", ") + engine::QuoteLiteral(*property.name) + ", " + typed;
  }
  if (fields.empty()) {
    return Status::Invalid("{}: the CSV header ({}) names none of the columns of '{}' ({})",
                           path.string(), HeaderNames(*header), object.name.value_or(""),
                           JoinNames(ColumnNames(object)));
  }
  Result<engine::QueryResult> rows =
      connection->Query(fmt::format("SELECT json_object({})::VARCHAR FROM {}", fields, source));
  if (!rows.ok()) {
    return Status::Invalid("{}: cannot be read as CSV: {}", path.string(),
                           rows.status().message().substr(0, rows.status().message().find('\n')));
  }
  QUANTA_RETURN_IF_ERROR(CsvLinesProblem(*connection, path));
  std::vector<std::string> records;
  records.reserve(rows->rows.size());
  for (auto& row : rows->rows) records.push_back(row[0].value_or("null"));
  return records;
}

std::string CsvReadCall(const std::filesystem::path& path, bool all_varchar) {
  return fmt::format("read_csv({}, header = true, store_rejects = true{})",
                     engine::QuoteLiteral(path.string()),
                     all_varchar ? ", all_varchar = true" : "");
}

Status CsvLinesProblem(engine::Connection& connection, const std::filesystem::path& path) {
  constexpr int kShownLines = 5;
  Result<engine::QueryResult> rejects = connection.Query(
      "SELECT line, error_message, count(*) OVER () FROM reject_errors ORDER BY line LIMIT " +
      std::to_string(kShownLines));
  // Without any reject, DuckDB may not have made the table at all.
  if (!rejects.ok() || rejects->rows.empty()) return Status::Ok();
  std::string lines;
  for (const auto& row : rejects->rows) {
    lines += fmt::format("\n  {}:{}: {}", path.filename().string(), row[0].value_or("?"),
                         row[1].value_or("unreadable"));
  }
  std::int64_t total = std::stoll(rejects->rows[0][2].value_or("0"));
  return Status::Invalid(
      "{}: {} line{} not fit the file's header and dialect, so none of the file is ingested; "
      "fix {} and send the file again:{}{}",
      path.string(), total, total == 1 ? " does" : "s do", total == 1 ? "it" : "them", lines,
      total > kShownLines ? fmt::format("\n  ... and {} more", total - kShownLines) : "");
}

}  // namespace quanta::pipeline
