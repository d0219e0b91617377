#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/table_appender.h"
#include "pipeline/record_validator.h"

namespace quanta::pipeline {

/// Fills a batch's input table straight from the values the contract checks parsed
/// (RecordValidator::Fields), through DuckDB's appender: no second parse of the records and
/// no text format in between. Only for ports whose columns are all scalars that DuckDB reads
/// from a JSON value as from its text (strings, integers, floats, booleans, decimals, dates,
/// times, timestamps, UUIDs); others, and values a column chunk cannot hold as they are, go
/// the way of DuckDB's JSON reader. A row is set column by column from the values as they
/// stand; DuckDB casts text to the column's type when a chunk is appended.
class RowAppender {
 public:
  /// The column kinds for a port's column types (RecordValidator::column_types), or nullopt
  /// when some column needs DuckDB's JSON reader (JSON, STRUCT, MAP, lists, BLOB, ...).
  static std::optional<std::vector<engine::AppendColumn>> ColumnsFor(
      const std::vector<std::string>& duckdb_types);

  /// An appender on `catalog`.main.`table`, whose columns are those of `columns`, in order.
  static Result<std::unique_ptr<RowAppender>> Open(engine::Connection& connection,
                                                   std::string_view catalog, std::string_view table,
                                                   std::vector<engine::AppendColumn> columns);

  /// Appends the row of a conforming record. False, with nothing of the row appended, when a
  /// value is none the row's columns hold as it is (a number beyond BIGINT, say): then the
  /// batch should be loaded another way. An error is DuckDB's (a chunk that fails its casts).
  Result<bool> Append(const RecordValidator::Fields& fields);
  /// Appends what is left and closes; the table then holds every appended row.
  Status Close();

 private:
  RowAppender(std::unique_ptr<engine::TableAppender> appender,
              std::vector<engine::AppendColumn> columns);
  bool Fits(const simdjson::dom::element& value, engine::AppendColumn column) const;
  void Set(std::size_t column, const simdjson::dom::element& value);

  std::unique_ptr<engine::TableAppender> appender_;
  std::vector<engine::AppendColumn> columns_;
};

}  // namespace quanta::pipeline
