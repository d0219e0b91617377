#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "model/contract.h"

namespace quanta::pipeline {

/// The file formats an input port reads.
enum class FileFormat { kCsv, kNdjson, kParquet };

/// The format named by a file's extension (.csv .tsv, .ndjson .jsonl .json, .parquet); Usage
/// error naming the extensions otherwise.
Result<FileFormat> FileFormatOf(const std::filesystem::path& path);

/// Reads `path` as records (JSON objects as text) for an input port whose records follow
/// `object`, ready for ProductRunner::Ingest:
///  - NDJSON: each non-blank line as it is, so that a malformed line becomes a dead letter;
///  - CSV (with a header row): each value typed by the object's property of the same column
///    name; a value that does not convert stays a string, so that validation rejects the
///    record naming the field and the value; columns the object does not declare are left out;
///  - Parquet: each row with Parquet's own types.
/// An empty file, or a CSV file with only its header, has no records. Fails (IoError) when the
/// file cannot be read, (Invalid) when DuckDB cannot parse it or, for CSV, when a line does not
/// fit the file's dialect (CsvLinesProblem).
Result<std::vector<std::string>> ReadRecordsFromFile(const std::filesystem::path& path,
                                                     FileFormat format,
                                                     const model::SchemaObject& object);

/// The DuckDB table function call that reads a CSV file for ingest: a header row, the dialect
/// sniffed, and each line that does not fit it (a field too many or too few, bytes that are not
/// UTF-8) set aside in DuckDB's reject tables rather than failing the read or, worse, making
/// the sniffer see the whole file as one column. Check the rejects with CsvLinesProblem.
std::string CsvReadCall(const std::filesystem::path& path, bool all_varchar);

/// After CsvReadCall ran on `connection`: Invalid naming the file's lines that DuckDB set
/// aside ("orders.csv:3: Expected Number of Columns: 5 Found: 6", the first few, and how many
/// in all), so that a file is refused whole rather than ingested without them; OK when none.
Status CsvLinesProblem(engine::Connection& connection, const std::filesystem::path& path);

}  // namespace quanta::pipeline
