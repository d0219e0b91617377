#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace quanta::node {

/// A value that only goes up (requests served, events ingested). Thread-safe, lock-free.
class Counter {
 public:
  /// Adds `amount`; a negative amount is ignored (a counter never goes down).
  void Increment(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// A value that goes up and down (open connections, lag). Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

/// Counts observations (latencies, sizes) into fixed buckets, with their sum. Thread-safe.
class Histogram {
 public:
  /// `bounds`: the buckets' upper bounds, increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  /// A consistent copy: cumulative counts per bound (and +Inf last), the sum and the count.
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative_counts;  ///< one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

/// A metric with label names; each distinct list of label values is one child series, made
/// on first use and kept for the registry's lifetime. Thread-safe.
template <typename Metric>
class Family {
 public:
  /// The series for `label_values` (one per label name, in order). The reference stays valid
  /// as long as the registry. A wrong number of values is a bug: the extra ones are dropped,
  /// the missing ones are empty.
  Metric& WithLabels(const std::vector<std::string>& label_values);

  /// Gauges only: replaces every series by `values` (label values -> value), so that the series of
  /// what is gone (an undeployed product, a retired major) leave the exposition. References
  /// from WithLabels do not survive it: the family's one writer calls this instead.
  void ReplaceAll(const std::map<std::vector<std::string>, double>& values);

  const std::string& name() const { return name_; }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

template <>
void Family<Gauge>::ReplaceAll(const std::map<std::vector<std::string>, double>& values);

/// The node's metrics, rendered in the Prometheus text exposition format (version 0.0.4) for
/// GET /metrics. Modules register their families once (at start) and update series from any
/// thread. Names follow Prometheus conventions: `quanta_` prefix, base units, `_total` for
/// counters. Thread-safe. Owns every family and series it hands out.
class MetricsRegistry {
 public:
  /// Latency buckets in seconds, from 0.5 ms to 10 s.
  static std::vector<double> LatencyBuckets();

  /// Registers (or returns the existing, when name, type and labels agree) a family. An
  /// invalid name, or a clash with a different family of the same name, is a bug: it asserts
  /// in debug builds, and in release builds returns a family that is never rendered.
  Family<Counter>& AddCounter(std::string name, std::string help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> label_names, std::vector<double> bounds);

  /// Every family, sorted by name, as Prometheus text: `# HELP`, `# TYPE`, then one line per
  /// series (histograms: `_bucket{le=...}`, `_sum`, `_count`).
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Entry {
    Type type;
    std::vector<std::string> label_names;
    std::unique_ptr<Family<Counter>> counter;
    std::unique_ptr<Family<Gauge>> gauge;
    std::unique_ptr<Family<Histogram>> histogram;
  };
  Entry* Register(Type type, const std::string& name, const std::vector<std::string>& label_names);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::vector<Entry> detached_;  // clashing registrations, never rendered
};

/// `name` is a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool IsValidMetricName(std::string_view name);
/// `name` is a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__").
bool IsValidLabelName(std::string_view name);
/// A label value escaped for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace quanta::node
