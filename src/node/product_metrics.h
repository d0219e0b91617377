#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "node/metrics.h"
#include "node/product_catalog.h"
#include "pipeline/product_runner.h"

namespace quanta::node {

/// The deployed products' series in /metrics: records and batches ingested since the node
/// started (counters), commit latency (histogram), and, refreshed from each store when
/// /metrics is read, the kept totals per port (received = committed + rejected), dataset rows,
/// store file sizes, the head version and the seconds since the last commit (lag).
class ProductMetrics {
 public:
  explicit ProductMetrics(MetricsRegistry& registry);

  /// Counts one ingest request of `product`'s `port` that took `elapsed`.
  void RecordIngest(const std::string& product, const std::string& port,
                    const Result<pipeline::IngestOutcome>& outcome,
                    std::chrono::steady_clock::duration elapsed);

  /// Sets the gauges from every running product's store.
  void Refresh(const ProductCatalog& catalog);

  /// The longest time from an ingest request's body to its durable commit of `product` since
  /// the node started (how late its data became visible at worst); nullopt before any commit.
  std::optional<double> WorstCommitSeconds(const std::string& product) const;

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
  Gauge& products_;
  mutable std::mutex worst_mutex_;
  std::map<std::string, double> worst_commit_seconds_;  // guarded by worst_mutex_
};

}  // namespace quanta::node
