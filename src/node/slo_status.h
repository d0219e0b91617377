#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/product_folder.h"
#include "store/product_store.h"

namespace quanta::node {

/// Whether a service-level objective holds now.
enum class SloVerdict { kNoData, kMet, kViolated };

/// "no data", "met" or "violated", as the status API and `quanta status` print it.
std::string_view SloVerdictName(SloVerdict verdict);

/// One SLA property of an output port's contract held against what the node observed.
struct SloState {
  std::string port;      ///< the output port whose contract promises it
  std::string property;  ///< "latency" or "frequency"
  double target_seconds = 0;
  std::optional<double> observed_seconds;  ///< nullopt before there is anything to observe
  SloVerdict verdict = SloVerdict::kNoData;
};

/// What the node observed of one served major, for its SLOs.
struct SloObservations {
  /// The longest time from an ingest request to its durable commit since the node started.
  std::optional<double> worst_commit_seconds;
  /// The major's store as it is now: when each dataset last changed.
  const store::StoreStatus* store = nullptr;
  store::Timestamp now;
};

/// The SLOs of every output port of `folder` that the node can observe, in port order:
///  - `latency`: the worst commit time since the node started against the target (met when
///    every acknowledged batch became readable within it);
///  - `frequency`: the age of the newest change to any of the port's datasets (how stale the
///    port is) against the target: data that stopped coming violates it.
/// Other SLA properties (retention, which the store enforces itself, availability dates, ...)
/// are not evaluated. A value or unit that cannot be read as a duration is left out (lint
/// reports it). Pure; thread-safe.
std::vector<SloState> EvaluateSlos(const model::ProductFolder& folder,
                                   const SloObservations& observed);

}  // namespace quanta::node
