#include "pipeline/file_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/ascii.h"
#include "engine/database.h"
#include "model/type_mapping.h"

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

  // CSV: every value as text first, then typed by the contract where it converts.
  std::string source = fmt::format("read_csv({}, header = true, all_varchar = true)", literal);
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
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
    return Status::Invalid("{}: the CSV header names none of the columns of '{}'", path.string(),
                           object.name.value_or(""));
  }
  return RunToJson(fmt::format("SELECT json_object({})::VARCHAR FROM {}", fields, source),
                   path.string());
}

}  // namespace quanta::pipeline
