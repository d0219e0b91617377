#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/result.h"
#include "engine/prepared_query.h"

namespace quanta::engine {

/// Bytes that several holders of memory draw from, up to a limit. Thread-safe.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::uint64_t limit) : limit_(limit) {}
  /// Takes `bytes` when that stays within the limit; false (nothing taken) when not.
  bool TryTake(std::uint64_t bytes);
  void Give(std::uint64_t bytes);
  std::uint64_t limit() const { return limit_; }
  std::uint64_t taken() const { return taken_.load(); }

 private:
  const std::uint64_t limit_;
  std::atomic<std::uint64_t> taken_{0};
};

/// A value of a key column: an integer for the integer types, text for VARCHAR.
using RowKey = std::variant<std::int64_t, std::string>;

/// The current rows of one dataset held in memory as DuckDB result chunks, found by the value
/// of one column that is unique among them (its one-column primary key). What lets the SQL port
/// answer a point lookup without running a statement: DuckDB spends about 0.2 ms planning and
/// running even an indexed lookup of one row, which bounds a server at a few thousand lookups
/// per second (bench/RESULTS.md, 2026-12-04); a lookup here costs a hash probe.
///
/// The rows reflect one version of the dataset (version()). Its writer (ProductStore) keeps
/// them current: it holds the write lock across the commit that makes a version visible and
/// Apply of that version's rows, so that a reader never sees an older state here than DuckDB
/// already shows. Until the writer first calls Replace, and after GiveUp, Find answers nullopt
/// and the reader runs its statement in DuckDB.
///
/// Thread-safe: any number of readers; one writer at a time.
class KeyedRows {
 public:
  /// Whether a column of `type` can be the key: the integer types up to BIGINT, and VARCHAR.
  static bool CanKey(const ValueType& type);
  /// Whether rows with columns of `types` can be held: no nested types (lists, structs, maps,
  /// unions), whose memory this class does not count.
  static bool CanHold(const std::vector<ValueType>& types);
  /// The memory `chunk` holds, as bytes() counts it.
  static std::uint64_t ChunkBytes(const ResultChunk& chunk);

  /// Rows with columns `names` of `types`, keyed by column `key_column`. `replace` (an upsert
  /// dataset): a row applied with a key held already replaces that row; else (append) such a
  /// row makes Apply fail, since the key is then not unique.
  KeyedRows(std::vector<std::string> names, std::vector<ValueType> types, std::size_t key_column,
            bool replace);
  ~KeyedRows();
  KeyedRows(const KeyedRows&) = delete;
  KeyedRows& operator=(const KeyedRows&) = delete;

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<ValueType>& types() const { return *types_; }
  std::size_t key_column() const { return key_column_; }

  /// One lookup's answer.
  struct Found {
    /// The chunk holding the row; nullptr when no current row has the key. Its columns are
    /// types(), in order; it stays valid as long as it is held.
    std::shared_ptr<const ResultChunk> chunk;
    std::size_t row = 0;
    std::int64_t version = 0;  ///< the version of the dataset the answer is from
  };
  /// The current row with `key`; nullopt while no rows are ready (before the first Replace,
  /// after GiveUp). A key of the other kind than the key column's (text for an integer key)
  /// finds nothing.
  std::optional<Found> Find(const RowKey& key) const;
  /// True once rows are ready and until GiveUp.
  bool ready() const;
  /// True after GiveUp: Find answers nullopt for good.
  bool given_up() const;
  /// The version Find answers from; 0 before the first Replace.
  std::int64_t version() const;
  /// Memory held by the chunks and the key map, estimated (the chunks' vectors at their full
  /// capacity, string bytes beyond DuckDB's inline 12, a key map entry per row).
  std::uint64_t bytes() const;
  /// Rows the chunks still held could hold (each chunk's vectors take room for 2048 rows, however
  /// few it has and however many of them are current), and the current rows: when the first is
  /// much larger, the writer rebuilds the rows with Replace, into full chunks.
  std::size_t capacity_rows() const;
  std::size_t current_rows() const;
  /// Lookups answered (found or not) since the rows were made.
  std::uint64_t lookups() const { return lookups_.load(std::memory_order_relaxed); }

  // Writing: one writer at a time.

  /// Locks out readers until the lock is released: the writer holds it across making a version
  /// visible and applying it.
  std::unique_lock<std::shared_mutex> LockForWrite() { return std::unique_lock(mutex_); }
  /// Holds `chunks` as the rows of `version`, dropping every row held before. Invalid (and the
  /// rows are left as before) when a chunk's columns are not types(), a key is NULL or, for
  /// append rows, two rows share a key.
  Status Replace(std::vector<std::unique_ptr<ResultChunk>> chunks, std::int64_t version,
                 const std::unique_lock<std::shared_mutex>& lock);
  /// Adds the rows that became current in `version` (an upsert's replacements included).
  /// Invalid as for Replace; then the rows may be half applied, and the writer must GiveUp.
  Status Apply(std::vector<std::unique_ptr<ResultChunk>> chunks, std::int64_t version,
               const std::unique_lock<std::shared_mutex>& lock);
  /// Drops every row for good: Find answers nullopt from now on.
  void GiveUp(const std::unique_lock<std::shared_mutex>& lock);

 private:
  struct Slot {
    std::shared_ptr<const ResultChunk> chunk;  // nullptr once none of its rows is current
    std::uint32_t current = 0;                 // rows of the chunk that are current
    std::uint64_t bytes = 0;
  };
  Status Add(std::unique_ptr<ResultChunk> chunk);
  void Clear();
  std::optional<RowKey> KeyAt(const ResultChunk& chunk, std::size_t row) const;

  const std::vector<std::string> names_;
  std::shared_ptr<const std::vector<ValueType>> types_;  // chunks' columns point into it
  const std::size_t key_column_;
  const bool replace_;
  const bool integer_key_;

  mutable std::shared_mutex mutex_;
  bool ready_ = false;
  bool given_up_ = false;
  std::int64_t version_ = 0;
  std::vector<Slot> slots_;
  // Slot and row of each current row's key, as (slot << 16) | row.
  std::unordered_map<std::int64_t, std::uint64_t> by_integer_;
  std::unordered_map<std::string, std::uint64_t> by_text_;
  std::uint64_t chunk_bytes_ = 0;
  std::size_t held_chunks_ = 0;
  mutable std::atomic<std::uint64_t> lookups_{0};
};

}  // namespace quanta::engine
