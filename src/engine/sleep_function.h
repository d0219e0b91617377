#pragma once

// pg_sleep(seconds), PostgreSQL's way to wait inside a statement (what cancel and statement
// timeout tests use), for every connection of a database. Internal to src/engine: it includes
// duckdb.h.

#include <duckdb.h>

#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

namespace quanta::engine {

/// How often each connection of one database was interrupted. DuckDB keeps its own interrupt
/// flag out of reach of functions registered through the C API, so Connection::Interrupt
/// counts here too, and a function that waits (pg_sleep) stops once its connection's count
/// moves. Thread-safe.
class InterruptCounts {
 public:
  void Add(idx_t connection_id);
  std::uint64_t Get(idx_t connection_id) const;
  /// Drops a connection that closed (DuckDB does not reuse its ids).
  void Forget(idx_t connection_id);

 private:
  mutable std::mutex mutex_;
  std::unordered_map<idx_t, std::uint64_t> counts_;
};

/// The error text pg_sleep stops with when its connection is interrupted; StatusFromDuckdbError
/// reports it as DuckDB reports any interrupted statement.
inline constexpr std::string_view kSleepInterrupted = "pg_sleep was interrupted";

/// Registers pg_sleep(DOUBLE) in the system catalog of `connection`'s database: it sleeps that
/// many seconds per row (none for NULL, zero, negative or NaN), waking every 10 ms to look at
/// `counts`, which must outlive the database. Returns '' as PostgreSQL's void prints, NULL
/// for NULL.
Status RegisterSleepFunction(duckdb_connection connection, InterruptCounts* counts);

}  // namespace quanta::engine
