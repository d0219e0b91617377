#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
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
/// Fails (IoError) when the file cannot be read, (Invalid) when DuckDB cannot parse it.
Result<std::vector<std::string>> ReadRecordsFromFile(const std::filesystem::path& path,
                                                     FileFormat format,
                                                     const model::SchemaObject& object);

}  // namespace quanta::pipeline
