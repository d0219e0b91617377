#pragma once

// The DuckDB handles behind engine's classes. Internal to src/engine: nothing else may include
// this file, since it includes duckdb.h.

#include <duckdb.h>

#include "base/status.h"
#include "engine/database.h"

namespace quanta::engine {

struct Database::Handle {
  duckdb_database database = nullptr;
  ~Handle() {
    if (database) duckdb_close(&database);
  }
};

struct Connection::Handle {
  duckdb_connection connection = nullptr;
  ~Handle() {
    if (connection) duckdb_disconnect(&connection);
  }
};

/// A Status for a DuckDB error: the error class decides whether the fault is the user's SQL.
Status StatusFromDuckdbError(duckdb_error_type type, const char* message);

}  // namespace quanta::engine
