#pragma once

// Threads that run a database's DuckDB tasks for its long statements only. Internal to
// src/engine: it includes duckdb.h.
//
// DuckDB's own worker threads wake for every statement and take its tasks from the thread that
// runs it, which then waits for them: for a statement of a few hundred microseconds the
// hand-offs cost as much as the work (an in-process point lookup ran at 3754/s with a worker
// and 5647/s without, SELECT 1 at 13897/s and 24832/s; bench/RESULTS.md, 2026-12-04). So a
// database is opened with every one of its threads external (DuckDB starts none), the thread
// that runs a statement runs all of its tasks, and once the statement has run for
// kLongStatement it asks these helpers in (LongStatementClaim); they take tasks from DuckDB's
// queue until no long statement is left.

#include <duckdb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace quanta::engine {

/// How long a statement runs on its own thread before the helpers join it: several times a
/// point lookup, a small part of a scan worth running in parallel.
inline constexpr std::chrono::microseconds kLongStatement{500};

class TaskHelpers {
 public:
  /// `count` helper threads for `database`, which must outlive the helpers (destroy them before
  /// closing it).
  TaskHelpers(duckdb_database database, int count);
  ~TaskHelpers();
  TaskHelpers(const TaskHelpers&) = delete;
  TaskHelpers& operator=(const TaskHelpers&) = delete;

  int count() const { return static_cast<int>(threads_.size()); }
  /// How many statements have called the helpers in and not ended yet.
  int long_statements() const { return long_statements_.load(); }

 private:
  friend class LongStatementClaim;
  void Join();   // one more long statement
  void Leave();  // one fewer
  void Run();

  duckdb_task_state state_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<int> long_statements_{0};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> threads_;
};

/// One statement's call for the helpers: none until its own thread has been busy with it for
/// kLongStatement, then held until destroyed. Use from the statement's thread; movable, so a
/// streamed result keeps it while it is read.
class LongStatementClaim {
 public:
  explicit LongStatementClaim(TaskHelpers* helpers = nullptr) : helpers_(helpers) {}
  ~LongStatementClaim() {
    if (armed_) helpers_->Leave();
  }
  LongStatementClaim(LongStatementClaim&& other) noexcept
      : helpers_(other.helpers_), busy_(other.busy_), armed_(other.armed_) {
    other.armed_ = false;
  }
  LongStatementClaim(const LongStatementClaim&) = delete;
  LongStatementClaim& operator=(const LongStatementClaim&) = delete;
  LongStatementClaim& operator=(LongStatementClaim&&) = delete;

  /// Counts `busy` more time of the statement's thread on it; calls the helpers in once the
  /// total reaches kLongStatement. Time spent waiting for a client does not count, so a
  /// result read slowly does not keep the helpers looking for work.
  void AddBusy(std::chrono::steady_clock::duration busy) {
    if (armed_ || helpers_ == nullptr || helpers_->count() == 0) return;
    busy_ += busy;
    if (busy_ < kLongStatement) return;
    armed_ = true;
    helpers_->Join();
  }

 private:
  TaskHelpers* helpers_;
  std::chrono::steady_clock::duration busy_{};
  bool armed_ = false;
};

}  // namespace quanta::engine
