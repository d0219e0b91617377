#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "base/result.h"
#include "node/metrics.h"
#include "node/product_catalog.h"
#include "pipeline/product_runner.h"

namespace quanta::node {

/// The deployed products' series in /metrics, per served major: records and batches ingested
/// since the node started (counters), commit latency (histogram), and, refreshed from each
/// store when /metrics is read, the kept totals per port (received = committed + rejected),
/// dataset rows, store file sizes, the head version, the seconds since the last commit (lag)
/// and the state of the output ports' SLOs (slo_status.h).
class ProductMetrics {
 public:
  explicit ProductMetrics(MetricsRegistry& registry);

  /// Counts one ingest request of `product`'s major `major` at `port` that took `elapsed`.
  void RecordIngest(const std::string& product, std::int64_t major, const std::string& port,
                    const Result<pipeline::IngestOutcome>& outcome,
                    std::chrono::steady_clock::duration elapsed);

  /// Sets the gauges from every running product's store.
  void Refresh(const ProductCatalog& catalog);

  /// The longest time from an ingest request's body to its durable commit in `product`'s major
  /// `major` since the node started (how late its data became visible at worst); nullopt
  /// before any commit.
  std::optional<double> WorstCommitSeconds(const std::string& product, std::int64_t major) const;

 private:
  Family<Counter>& records_;
  Family<Counter>& batches_;
  Family<Histogram>& commit_duration_;
  Family<Gauge>& port_received_;
  Family<Gauge>& port_committed_;
  Family<Gauge>& port_rejected_;
  Family<Gauge>& dead_letters_;
  Family<Gauge>& dataset_rows_;
  Family<Gauge>& dataset_row_versions_;
  Family<Gauge>& store_bytes_;
  Family<Gauge>& head_version_;
  Family<Gauge>& lag_;
  Family<Gauge>& slo_target_;
  Family<Gauge>& slo_observed_;
  Family<Gauge>& slo_met_;
  Gauge& products_;
  mutable std::mutex worst_mutex_;
  // (product, major) -> seconds; guarded by worst_mutex_
  std::map<std::pair<std::string, std::int64_t>, double> worst_commit_seconds_;
};

}  // namespace quanta::node
