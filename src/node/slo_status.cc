#include "node/slo_status.h"

#include <algorithm>
#include <chrono>

#include "model/contract_diff.h"

namespace quanta::node {
namespace {

// The age, at `now`, of the newest change to the datasets the pipeline writes to `port`;
// nullopt when none of them has changed yet.
std::optional<double> StalenessSeconds(const model::ProductFolder& folder, std::string_view port,
                                       const SloObservations& observed) {
  if (!observed.store || !folder.pipeline) return std::nullopt;
  std::optional<store::Timestamp> newest;
  for (const model::PipelineDataset& dataset : folder.pipeline->pipeline.datasets) {
    if (dataset.output_port != port || !dataset.name) continue;
    for (const store::DatasetStatus& status : observed.store->datasets) {
      if (status.name != *dataset.name || !status.latest_commit_at) continue;
      newest = newest ? std::max(*newest, *status.latest_commit_at) : *status.latest_commit_at;
    }
  }
  if (!newest) return std::nullopt;
  return std::max(0.0, std::chrono::duration<double>(observed.now - *newest).count());
}

}  // namespace

std::string_view SloVerdictName(SloVerdict verdict) {
  switch (verdict) {
    case SloVerdict::kNoData:
      return "no data";
    case SloVerdict::kMet:
      return "met";
    case SloVerdict::kViolated:
      return "violated";
  }
  return "no data";
}

std::vector<SloState> EvaluateSlos(const model::ProductFolder& folder,
                                   const SloObservations& observed) {
  std::vector<SloState> states;
  if (!folder.product) return states;
  for (const model::OutputPort& port : folder.product->product.output_ports) {
    if (!port.name) continue;
    const model::ContractFile* contract = folder.ContractForOutputPort(*port.name);
    if (!contract) continue;
    for (const model::SlaProperty& sla : contract->contract.sla_properties) {
      std::string property = sla.property.value_or("");
      std::optional<double> observation;
      if (property == "latency") {
        observation = observed.worst_commit_seconds;
      } else if (property == "frequency") {
        observation = StalenessSeconds(folder, *port.name, observed);
      } else {
        continue;
      }
      // Frequencies are intervals like latencies: "m" is minutes.
      std::optional<double> target =
          model::SlaDurationSeconds(sla.value, sla.unit, model::DurationScale::kLatency);
      if (!target) continue;
      SloState state{.port = *port.name,
                     .property = property,
                     .target_seconds = *target,
                     .observed_seconds = observation};
      if (observation) {
        state.verdict = *observation <= *target ? SloVerdict::kMet : SloVerdict::kViolated;
      }
      states.push_back(std::move(state));
    }
  }
  return states;
}

}  // namespace quanta::node
