#include "node/product_metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "node/slo_status.h"

namespace quanta::node {

ProductMetrics::ProductMetrics(MetricsRegistry& registry)
    : records_(registry.AddCounter("quanta_ingest_records_total",
                                   "Records received by input ports since the node started, by "
                                   "outcome (accepted or rejected)",
                                   {"product", "major", "port", "outcome"})),
      batches_(registry.AddCounter("quanta_ingest_batches_total",
                                   "Ingest requests since the node started, by result "
                                   "(committed, replayed or failed)",
                                   {"product", "major", "port", "result"})),
      commit_duration_(
          registry.AddHistogram("quanta_ingest_commit_duration_seconds",
                                "Time from an ingest request's body to its durable commit",
                                {"product", "major"}, MetricsRegistry::LatencyBuckets())),
      port_received_(registry.AddGauge("quanta_port_received_records",
                                       "Records ever received by the input port, as kept in "
                                       "the product's store",
                                       {"product", "major", "port"})),
      port_committed_(registry.AddGauge("quanta_port_committed_records",
                                        "Records of the input port that went on to the "
                                        "transforms, as kept in the store",
                                        {"product", "major", "port"})),
      port_rejected_(registry.AddGauge("quanta_port_rejected_records",
                                       "Records of the input port rejected to the dead "
                                       "letters, as kept in the store",
                                       {"product", "major", "port"})),
      dead_letters_(registry.AddGauge("quanta_port_dead_letters",
                                      "Dead letters of the input port kept now (within "
                                      "retention)",
                                      {"product", "major", "port"})),
      dataset_rows_(registry.AddGauge("quanta_dataset_rows", "Current rows of the dataset",
                                      {"product", "major", "dataset"})),
      dataset_row_versions_(registry.AddGauge("quanta_dataset_row_versions",
                                              "Current and past row versions of the dataset kept",
                                              {"product", "major", "dataset"})),
      store_bytes_(registry.AddGauge("quanta_store_size_bytes",
                                     "Size of the product's store file and its write-ahead log",
                                     {"product", "major"})),
      head_version_(registry.AddGauge("quanta_product_version",
                                      "The product's latest commit version", {"product", "major"})),
      lag_(registry.AddGauge("quanta_product_last_commit_age_seconds",
                             "Seconds since the product's last commit (how stale its data is)",
                             {"product", "major"})),
      slo_target_(registry.AddGauge("quanta_slo_target_seconds",
                                    "The target of an output port's latency or frequency SLO, "
                                    "from its contract's slaProperties",
                                    {"product", "major", "port", "property"})),
      slo_observed_(registry.AddGauge("quanta_slo_observed_seconds",
                                      "What the node observed for the SLO: the worst commit "
                                      "since start (latency), the age of the port's newest "
                                      "change (frequency)",
                                      {"product", "major", "port", "property"})),
      slo_met_(registry.AddGauge("quanta_slo_met",
                                 "1 while the SLO is met, 0 while it is violated; absent "
                                 "before there is anything to observe",
                                 {"product", "major", "port", "property"})),
      products_(
          registry.AddGauge("quanta_products", "Products deployed and running").WithLabels({})) {}

void ProductMetrics::RecordIngest(const std::string& product, std::int64_t major,
                                  const std::string& port,
                                  const Result<pipeline::IngestOutcome>& outcome,
                                  std::chrono::steady_clock::duration elapsed) {
  const std::string number = std::to_string(major);
  if (!outcome.ok()) {
    batches_.WithLabels({product, number, port, "failed"}).Increment();
    return;
  }
  if (outcome->replayed) {
    batches_.WithLabels({product, number, port, "replayed"}).Increment();
    return;
  }
  batches_.WithLabels({product, number, port, "committed"}).Increment();
  records_.WithLabels({product, number, port, "accepted"})
      .Increment(static_cast<double>(outcome->accepted));
  records_.WithLabels({product, number, port, "rejected"})
      .Increment(static_cast<double>(outcome->rejected));
  double seconds = std::chrono::duration<double>(elapsed).count();
  commit_duration_.WithLabels({product, number}).Observe(seconds);
  std::lock_guard lock(worst_mutex_);
  double& worst = worst_commit_seconds_[{product, major}];
  worst = std::max(worst, seconds);
}

std::optional<double> ProductMetrics::WorstCommitSeconds(const std::string& product,
                                                         std::int64_t major) const {
  std::lock_guard lock(worst_mutex_);
  auto found = worst_commit_seconds_.find({product, major});
  if (found == worst_commit_seconds_.end()) return std::nullopt;
  return found->second;
}

void ProductMetrics::Refresh(const ProductCatalog& catalog) {
  std::vector<ServedProduct> served = catalog.ListServed();
  products_.Set(static_cast<double>(served.size()));
  auto now = std::chrono::system_clock::now();
  using Series = std::map<std::vector<std::string>, double>;
  Series received, committed, rejected, dead_letters, rows, row_versions, bytes, version, lag;
  Series slo_target, slo_observed, slo_met;
  // Every served major, the retiring one too: each has its own store, counts and lag.
  for (const ServedProduct& product : served) {
    for (const ServedMajor& major : product.majors) {
      Result<store::StoreStatus> status = major.product->store->ReadStatus();
      if (!status.ok()) continue;
      const std::string& id = product.id;
      const std::string number = std::to_string(major.product->major);
      bytes[{id, number}] = static_cast<double>(status->file_bytes);
      version[{id, number}] = static_cast<double>(status->head.version);
      if (status->head.committed_at) {
        lag[{id, number}] = std::chrono::duration<double>(now - *status->head.committed_at).count();
      }
      for (const store::PortStatus& port : status->ports) {
        received[{id, number, port.name}] = static_cast<double>(port.received);
        committed[{id, number, port.name}] = static_cast<double>(port.committed);
        rejected[{id, number, port.name}] = static_cast<double>(port.rejected);
        dead_letters[{id, number, port.name}] = static_cast<double>(port.dead_letters);
      }
      for (const store::DatasetStatus& dataset : status->datasets) {
        rows[{id, number, dataset.name}] = static_cast<double>(dataset.current_rows);
        row_versions[{id, number, dataset.name}] = static_cast<double>(dataset.row_versions);
      }
      SloObservations observed{.worst_commit_seconds = WorstCommitSeconds(id, major.product->major),
                               .store = &*status,
                               .now = std::chrono::time_point_cast<std::chrono::microseconds>(now)};
      for (const SloState& slo : EvaluateSlos(*major.product->folder, observed)) {
        std::vector<std::string> labels = {id, number, slo.port, slo.property};
        slo_target[labels] = slo.target_seconds;
        if (slo.observed_seconds) slo_observed[labels] = *slo.observed_seconds;
        if (slo.verdict != SloVerdict::kNoData) {
          slo_met[labels] = slo.verdict == SloVerdict::kMet ? 1 : 0;
        }
      }
    }
  }
  port_received_.ReplaceAll(received);
  port_committed_.ReplaceAll(committed);
  port_rejected_.ReplaceAll(rejected);
  dead_letters_.ReplaceAll(dead_letters);
  dataset_rows_.ReplaceAll(rows);
  dataset_row_versions_.ReplaceAll(row_versions);
  store_bytes_.ReplaceAll(bytes);
  head_version_.ReplaceAll(version);
  lag_.ReplaceAll(lag);
  slo_target_.ReplaceAll(slo_target);
  slo_observed_.ReplaceAll(slo_observed);
  slo_met_.ReplaceAll(slo_met);
}

}  // namespace quanta::node
