#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/database.h"

namespace quanta::engine {

class HeldRowsRegistry;
struct HeldChunks;

/// Rows held in memory as DuckDB column chunks, with no table behind them, that any statement
/// on a connection of the same database reads by `SELECT * FROM <source()>`, until the
/// HeldRows is destroyed (a statement bound before then keeps its chunks until it ends). What
/// a batch hands from the connection that loaded it to the one that commits it: DuckDB 1.4
/// inserts the scan of a table through its ordered batch path, which copies every row once
/// more than an insert from this source does (bench/RESULTS.md, 2026-12-04). Made by
/// Connection::Hold and RowChunks::Finish; must not outlive its database. Thread-safe.
class HeldRows {
 public:
  ~HeldRows();
  HeldRows(const HeldRows&) = delete;
  HeldRows& operator=(const HeldRows&) = delete;

  /// What reads the rows in a FROM clause: quanta_held_rows(<id>). The id is random, so that
  /// SQL that did not make the rows cannot name them by counting.
  const std::string& source() const { return source_; }
  std::size_t row_count() const { return row_count_; }

 private:
  friend class Connection;
  friend class RowChunks;
  HeldRows(HeldRowsRegistry* registry, std::shared_ptr<const HeldChunks> chunks);

  HeldRowsRegistry* registry_;
  std::uint64_t id_;
  std::string source_;
  std::size_t row_count_;
};

/// What one column of a RowChunks holds. A later CAST in SQL turns it into the column's own
/// type: text into DECIMAL, TIMESTAMP, UUID or DATE as CAST(text AS type) reads it, so callers
/// need not know those encodings.
enum class AppendColumn { kText, kInt64, kDouble, kBoolean };

/// Builds rows into DuckDB column chunks of DuckDB's vector size, column by column for the
/// current row (every column of every row, or it is NULL), then EndRow moves on; Finish holds
/// them. No SQL to parse and no text format in between: the fastest way into DuckDB. Use from
/// one thread.
class RowChunks {
 public:
  /// Rows of `names.size()` columns, named `names` and holding values of `columns`, for SQL on
  /// `connection`, which must outlive the RowChunks.
  static std::unique_ptr<RowChunks> Create(Connection& connection, std::vector<std::string> names,
                                           std::vector<AppendColumn> columns);
  ~RowChunks();
  RowChunks(const RowChunks&) = delete;
  RowChunks& operator=(const RowChunks&) = delete;

  // The value of `column` in the current row; each must match the column's AppendColumn.
  void SetNull(std::size_t column);
  void SetText(std::size_t column, std::string_view text);
  void SetInt64(std::size_t column, std::int64_t value);
  void SetDouble(std::size_t column, double value);
  void SetBoolean(std::size_t column, bool value);

  /// Ends the current row.
  void EndRow();
  /// Holds every ended row, column i as CAST(value AS types[i]) reads it (DuckDB's type name;
  /// a column whose values are of that type already is held as it is); a row not ended is
  /// dropped. Only the columns that need it go through the cast's query: the others are held
  /// as they were built. Fails with DuckDB's error when a cast refuses a value. Use once.
  Result<std::unique_ptr<HeldRows>> Finish(const std::vector<std::string>& types);

 private:
  struct Handle;
  explicit RowChunks(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

}  // namespace quanta::engine
