#pragma once

// The DuckDB handles behind engine's classes. Internal to src/engine: nothing else may include
// this file, since it includes duckdb.h.

#include <duckdb.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/database.h"
#include "engine/held_rows_function.h"
#include "engine/sleep_function.h"
#include "engine/task_helpers.h"

namespace quanta::engine {

struct Database::Handle {
  duckdb_database database = nullptr;
  std::string out_of_memory_advice;  // DatabaseOptions::out_of_memory_advice
  InterruptCounts interrupts;        // what pg_sleep watches; outlives the database's statements
  HeldRowsRegistry held_rows;        // what quanta_held_rows reads; likewise
  std::unique_ptr<TaskHelpers> helpers;  // stopped before the database closes
  ~Handle() {
    helpers.reset();
    if (database) duckdb_close(&database);
  }
};

struct Connection::Handle {
  duckdb_connection connection = nullptr;
  // The database's advice; a connection never outlives its database.
  const std::string* out_of_memory_advice = nullptr;
  InterruptCounts* interrupts = nullptr;  // the database's
  HeldRowsRegistry* held_rows = nullptr;  // the database's
  TaskHelpers* helpers = nullptr;         // the database's
  idx_t id = 0;                           // DuckDB's connection id, the key in `interrupts`
  ~Handle() {
    if (interrupts) interrupts->Forget(id);
    if (connection) duckdb_disconnect(&connection);
  }
};

/// A Status for a DuckDB error: the error class decides whether the fault is the user's SQL.
/// An out-of-memory error (kOutOfMemory) keeps DuckDB's first line, which says what could not
/// be allocated or spilled and how much was in use, followed by `out_of_memory_advice` when
/// there is one (DatabaseOptions::out_of_memory_advice).
Status StatusFromDuckdbError(duckdb_error_type type, const char* message,
                             const std::string* out_of_memory_advice = nullptr);

/// A Status for a failed prepared or pending statement, which DuckDB reports by message only:
/// the message's class prefix ("Binder Error: ...") stands in for the error type.
Status StatusFromMessage(const char* message, const std::string* out_of_memory_advice = nullptr);

/// The Status of a failed `result`, which is then destroyed and left empty (safe to destroy
/// again).
Status TakeFailedResult(duckdb_result* result, const std::string* out_of_memory_advice);

/// Runs a pending statement until its result is ready and hands the result over in `result`,
/// which the caller destroys; on failure `result` is left empty (safe to destroy) and the
/// status says why. The caller's thread runs the statement's tasks, and counts its time on
/// `claim` (may be null), which calls the helpers in for a long statement. While other threads
/// run the statement's last tasks, the caller sleeps in short, growing pauses:
/// duckdb_execute_pending would poll the task queue without pause, which on a small machine
/// takes a core from the very work it waits for. Call from the connection's thread.
Status ExecutePending(duckdb_pending_result pending, duckdb_result* result,
                      const std::string* out_of_memory_advice, LongStatementClaim* claim);

/// Runs the statements of `sql` one after the other, as duckdb_query does, each through
/// ExecutePending with a claim on `helpers` (may be null). On success `last` holds the last
/// statement's result (the caller destroys it); on failure nothing is left to destroy and the
/// status says why.
Status RunStatements(duckdb_connection connection, const std::string& sql, duckdb_result* last,
                     const std::string* out_of_memory_advice, TaskHelpers* helpers);

/// kUnavailable for a statement DuckDB refused because it stopped the instance after a fatal
/// error (`message` is DuckDB's): names the original cause and says to restart the node.
Status EngineStopped(std::string_view message);

}  // namespace quanta::engine
