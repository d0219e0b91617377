#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quanta::engine {

/// A column of a query result or table: its name and DuckDB type as DuckDB spells it
/// ("BIGINT", "DECIMAL(18,2)", "VARCHAR[]", "STRUCT(a INTEGER)").
struct Column {
  std::string name;
  std::string type;
};

/// A fully read query result, every value rendered as DuckDB's text for it (NULL as nullopt).
/// Meant for metadata, checks and small results; ports stream chunks instead.
struct QueryResult {
  std::vector<Column> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  /// Index of the column called `name`, or -1.
  int ColumnIndex(std::string_view name) const;
};

class Connection;
class HeldRows;

/// Options for opening a database. Defaults suit embedded, short-lived use (lint, test).
struct DatabaseOptions {
  std::string path;  ///< empty: in memory
  /// DuckDB configuration settings applied at open, e.g. {"threads", "2"}.
  std::map<std::string, std::string> settings;
  /// Told after DuckDB's out-of-memory errors (ErrorCode::kOutOfMemory) in place of DuckDB's
  /// own advice, whose SET statements a locked or sandboxed instance refuses: which limits
  /// apply and where they are raised. Empty: DuckDB's message as it is.
  std::string out_of_memory_advice;
};

/// An open DuckDB database, in memory or in a file. The only owner of DuckDB handles in
/// Quanta: nothing outside src/engine includes duckdb.h. Thread-safe; connections are not.
class Database {
 public:
  /// Opens (creating when absent) the database. Fails with IoError when the file cannot be
  /// opened, InvalidDocument when a setting is rejected.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// A new connection. The connection must not outlive the database.
  Result<std::unique_ptr<Connection>> Connect();

  /// The threads that join this database's long statements (engine/task_helpers.h): one fewer
  /// than its `threads` setting.
  int HelperThreads() const;
  /// The statements that have the helper threads in now. Thread-safe.
  int HelpedStatements() const;

  /// OK while the instance runs statements; kUnavailable (EngineStopped's message) once DuckDB
  /// stopped it after a fatal error, after which it refuses every statement until it is opened
  /// again. Runs `SELECT 1` on a new connection; a failure for any other reason (the memory
  /// limit reached by other statements) is not a stopped instance and answers OK.
  /// Thread-safe.
  Status CheckRunning();

 private:
  struct Handle;
  explicit Database(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

/// True when `status` is the kUnavailable of the statement whose own fatal error (a failed
/// checkpoint) made DuckDB stop the instance, false for the statements refused afterwards and
/// for every other status: what tells the store that caused a stop from the others that share
/// the instance.
bool StoppedTheEngine(const Status& status);

/// One DuckDB connection. Use from one thread at a time.
class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one or more statements and discards their results.
  Status Execute(std::string_view sql);
  /// Runs a query and reads its whole result, every value as DuckDB's text of it (a query with
  /// columns of types the result accessors cannot read, such as UUID or TIMESTAMPTZ, runs
  /// twice: the second time through a cast to VARCHAR).
  Result<QueryResult> Query(std::string_view sql);
  /// Runs a query and holds its whole result as DuckDB chunks, for other statements to read
  /// where it is (HeldRows); fails with DuckDB's error.
  Result<std::unique_ptr<HeldRows>> Hold(std::string_view select_sql);
  /// How many HeldRows of this connection's database are alive, by any connection.
  std::size_t HeldRowSets() const;
  /// Binds (does not run) a single SELECT and returns the columns it would produce.
  Result<std::vector<Column>> Describe(std::string_view select_sql);
  /// Stops the statement running on this connection, which then fails with DuckDB's
  /// "Interrupted" error. Safe to call from any thread, also when nothing runs.
  void Interrupt();

 private:
  friend class Database;
  friend class PreparedQuery;
  friend class RowChunks;
  struct Handle;
  explicit Connection(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
};

/// `name` quoted as a SQL identifier: "my ""odd"" name".
std::string QuoteIdentifier(std::string_view name);
/// `text` quoted as a SQL string literal: 'it''s'. A text holding NUL characters, which
/// DuckDB cannot read inside a literal, becomes a parenthesized concatenation of the same
/// VARCHAR value instead: ('a' || chr(0) || 'b'), usable wherever an expression is.
std::string QuoteLiteral(std::string_view text);

}  // namespace quanta::engine
