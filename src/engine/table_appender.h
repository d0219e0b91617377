#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/database.h"

namespace quanta::engine {

/// What one column of a TableAppender's rows holds. DuckDB casts each to the type of its
/// table column when a chunk is appended: a kText value goes into a DECIMAL, TIMESTAMP, UUID
/// or DATE column as if by CAST(text AS type), so callers need not know those encodings.
enum class AppendColumn { kText, kInt64, kDouble, kBoolean };

/// Loads rows into one table through DuckDB's appender, a column chunk of DuckDB's vector size
/// at a time: the fastest way in, with no SQL to parse and no text format in between. Values
/// are set column by column for the current row (every column of every row, or it is NULL),
/// then EndRow moves on. A cast that fails (text that is no valid value of the column's type,
/// a number out of its range) fails the chunk: nothing of a failed appender should be kept,
/// so load into a table the caller can drop. Use from one thread; the connection must outlive
/// the appender.
class TableAppender {
 public:
  /// An appender on `catalog`.`schema`.`table`, whose columns, in table order, take values of
  /// `columns`. Fails with DuckDB's reason when the table does not exist or the column count
  /// differs.
  static Result<std::unique_ptr<TableAppender>> Open(Connection& connection,
                                                     std::string_view catalog,
                                                     std::string_view schema,
                                                     std::string_view table,
                                                     std::vector<AppendColumn> columns);
  ~TableAppender();
  TableAppender(const TableAppender&) = delete;
  TableAppender& operator=(const TableAppender&) = delete;

  // The value of `column` in the current row; each must match the column's AppendColumn.
  void SetNull(std::size_t column);
  void SetText(std::size_t column, std::string_view text);
  void SetInt64(std::size_t column, std::int64_t value);
  void SetDouble(std::size_t column, double value);
  void SetBoolean(std::size_t column, bool value);

  /// Ends the current row; appends the chunk when it is full.
  Status EndRow();
  /// Appends the rows not appended yet and closes the appender. Without it, the rows of the
  /// last, partly filled chunk are dropped.
  Status Close();

 private:
  struct Handle;
  explicit TableAppender(std::unique_ptr<Handle> handle);
  Status AppendChunk();
  std::unique_ptr<Handle> handle_;
};

}  // namespace quanta::engine
