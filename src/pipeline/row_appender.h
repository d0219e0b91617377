#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "engine/held_rows.h"
#include "pipeline/record_validator.h"

namespace quanta::pipeline {

/// Builds a batch's rows straight from the values the contract checks parsed
/// (RecordValidator::Fields), as DuckDB column chunks held in memory (engine::RowChunks): no
/// second parse of the records and no text format in between. Only for ports whose columns
/// are all scalars that DuckDB reads from a JSON value as from its text (strings, integers,
/// floats, booleans, decimals, dates, times, timestamps, UUIDs); others, and values a column
/// chunk cannot hold as they are, go the way of DuckDB's JSON reader. A row is set column by
/// column from the values as they stand; Finish casts them to the columns' types in SQL, as
/// DuckDB's reader would cast the same values.
class RowAppender {
 public:
  /// The column kinds for a port's column types (RecordValidator::column_types), or nullopt
  /// when some column needs DuckDB's JSON reader (JSON, STRUCT, MAP, lists, BLOB, ...).
  static std::optional<std::vector<engine::AppendColumn>> ColumnsFor(
      const std::vector<std::string>& duckdb_types);

  /// An appender of rows whose columns are named `names`, of DuckDB types `duckdb_types`,
  /// and take values of `columns` (ColumnsFor of those types), for SQL on `connection`, which
  /// must outlive the appender.
  static std::unique_ptr<RowAppender> Open(engine::Connection& connection,
                                           std::vector<std::string> names,
                                           std::vector<std::string> duckdb_types,
                                           std::vector<engine::AppendColumn> columns);

  /// Appends the row of a conforming record. False, with nothing of the row appended, when a
  /// value is none the row's columns hold as it is (a number beyond BIGINT, say): then the
  /// batch should be loaded another way.
  bool Append(const RecordValidator::Fields& fields);
  /// Holds every appended row, each value cast to its column's type (RowChunks::Finish). An
  /// error is DuckDB's: a value its cast refuses (a date beyond DuckDB's range, say).
  Result<std::unique_ptr<engine::HeldRows>> Finish();

 private:
  RowAppender(std::unique_ptr<engine::RowChunks> chunks, std::vector<std::string> duckdb_types,
              std::vector<engine::AppendColumn> columns);
  bool Fits(const simdjson::dom::element& value, engine::AppendColumn column) const;
  void Set(std::size_t column, const simdjson::dom::element& value);

  std::unique_ptr<engine::RowChunks> chunks_;
  std::vector<std::string> types_;  // DuckDB's, one per column
  std::vector<engine::AppendColumn> columns_;
};

}  // namespace quanta::pipeline
