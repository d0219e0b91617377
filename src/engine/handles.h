#pragma once

// The DuckDB handles behind engine's classes. Internal to src/engine: nothing else may include
// this file, since it includes duckdb.h.

#include <duckdb.h>

#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/database.h"

namespace quanta::engine {

struct Database::Handle {
  duckdb_database database = nullptr;
  std::string out_of_memory_advice;  // DatabaseOptions::out_of_memory_advice
  ~Handle() {
    if (database) duckdb_close(&database);
  }
};

struct Connection::Handle {
  duckdb_connection connection = nullptr;
  // The database's advice; a connection never outlives its database.
  const std::string* out_of_memory_advice = nullptr;
  ~Handle() {
    if (connection) duckdb_disconnect(&connection);
  }
};

/// A Status for a DuckDB error: the error class decides whether the fault is the user's SQL.
/// An out-of-memory error (kOutOfMemory) keeps DuckDB's first line, which says what could not
/// be allocated or spilled and how much was in use, followed by `out_of_memory_advice` when
/// there is one (DatabaseOptions::out_of_memory_advice).
Status StatusFromDuckdbError(duckdb_error_type type, const char* message,
                             const std::string* out_of_memory_advice = nullptr);

/// kUnavailable for a statement DuckDB refused because it stopped the instance after a fatal
/// error (`message` is DuckDB's): names the original cause and says to restart the node.
Status EngineStopped(std::string_view message);

}  // namespace quanta::engine
