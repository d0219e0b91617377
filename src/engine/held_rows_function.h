#pragma once

// The chunks behind engine::HeldRows and the table function that reads them. Internal to
// src/engine: it includes duckdb.h.

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/task_helpers.h"

namespace quanta::engine {

/// Rows as DuckDB chunks of one set of column types; owns the chunks, and what their vectors
/// may point into: the result they were fetched from, other chunks they refer to.
struct HeldChunks {
  std::vector<std::string> names;
  std::vector<duckdb_logical_type> types;
  std::vector<duckdb_data_chunk> chunks;
  duckdb_result result{};  // zeroed unless `from_result`
  bool from_result = false;
  std::vector<std::shared_ptr<const HeldChunks>> referred;  // chunks whose vectors these share
  std::size_t rows = 0;

  /// Runs `sql` on `connection` and takes its whole result: kept, with its chunks fetched.
  Status TakeResult(duckdb_connection connection, const std::string& sql,
                    const std::string* out_of_memory_advice, TaskHelpers* helpers);

  HeldChunks() = default;
  HeldChunks(const HeldChunks&) = delete;
  HeldChunks& operator=(const HeldChunks&) = delete;
  ~HeldChunks();
};

/// The held rows of one database, by id. Thread-safe.
class HeldRowsRegistry {
 public:
  /// A new, unused id for `chunks`, never 0.
  std::uint64_t Add(std::shared_ptr<const HeldChunks> chunks);
  std::shared_ptr<const HeldChunks> Find(std::uint64_t id) const;
  void Remove(std::uint64_t id);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::mt19937_64 ids_{std::random_device{}()};
  std::unordered_map<std::uint64_t, std::shared_ptr<const HeldChunks>> held_;
};

/// The table function that reads held rows: quanta_held_rows(id BIGINT).
inline constexpr std::string_view kHeldRowsFunction = "quanta_held_rows";

/// Registers kHeldRowsFunction in the system catalog of `connection`'s database, reading from
/// `registry`, which must outlive the database. It reads one chunk at a time on one thread,
/// in the order held, and supports no partitions: so an INSERT from it takes DuckDB's plain
/// insert, not the ordered batch insert that a table scan gets.
Status RegisterHeldRowsFunction(duckdb_connection connection, HeldRowsRegistry* registry);

}  // namespace quanta::engine
