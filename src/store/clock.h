#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace quanta::store {

/// A point in time, UTC, with the microsecond precision DuckDB stores.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// Microseconds since the Unix epoch of `time`.
std::int64_t ToUnixMicros(Timestamp time);
/// The Timestamp `micros` microseconds after the Unix epoch.
Timestamp FromUnixMicros(std::int64_t micros);

/// `time` as ISO 8601 in UTC with microseconds: "2026-01-01T10:00:00.000000Z".
std::string FormatTimestamp(Timestamp time);

/// Reads an ISO 8601 timestamp: "2026-01-01", "2026-01-01T10:00:00Z",
/// "2026-01-01 10:00:00.5+02:00"; a missing offset means UTC. nullopt when `text` is not one.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

/// `time` as a DuckDB TIMESTAMPTZ literal: '2026-01-01 10:00:00.000000+00'::TIMESTAMPTZ.
std::string TimestampSqlLiteral(Timestamp time);

/// Where the store reads the current time (LevelDB's Env, for time only), so that tests can
/// control commit times and retention. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current time, UTC.
  virtual Timestamp Now() = 0;
};

/// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  Timestamp Now() override;
};

/// A clock that stands still until told to move; for tests. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start) {}
  Timestamp Now() override;
  /// Sets the time (it may go backwards, to test how callers cope).
  void Set(Timestamp time);
  /// Moves the time forward by `delta`.
  void Advance(std::chrono::microseconds delta);

 private:
  std::mutex mutex_;
  Timestamp now_;
};

}  // namespace quanta::store
