#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/contract.h"

namespace quanta::model {

/// Whose reading a change is judged for.
/// - kConsumer (the default): consumers of an output port, who read the current data through
///   SQL, files or HTTP. Removed or renamed properties, narrowing type changes, a required
///   property becoming optional, removed enum values, a changed primary key, a shorter retention
///   and a higher latency break them; additions and documentation do not.
/// - The others have Confluent Schema Registry's meaning, for stream ports. kBackward: readers
///   using the new version can read data written with the old one. kForward: readers using the
///   old version can read data written with the new one. kFull: both. The _TRANSITIVE forms
///   check the new version against every earlier version, not only the last. kNone: nothing is
///   breaking. A property with `required: false` counts as having a default (null).
enum class CompatibilityMode {
  kConsumer,
  kBackward,
  kBackwardTransitive,
  kForward,
  kForwardTransitive,
  kFull,
  kFullTransitive,
  kNone,
};

/// Reads "BACKWARD", "full_transitive", "consumer", ... (case-insensitive). Usage error for
/// anything else, listing the accepted names.
Result<CompatibilityMode> ParseCompatibilityMode(std::string_view text);
/// "CONSUMER", "BACKWARD", ..., the names ParseCompatibilityMode accepts.
std::string_view CompatibilityModeName(CompatibilityMode mode);
/// True for the _TRANSITIVE modes, which compare against every earlier version.
bool IsTransitive(CompatibilityMode mode);

/// What changed. ChangeKindName gives the stable id shown to users ("property-removed").
enum class ChangeKind {
  kObjectRemoved,
  kObjectAdded,
  kPropertyRemoved,
  kPropertyAdded,
  kTypeChanged,
  kPhysicalTypeChanged,
  kRequiredAdded,    ///< optional became required
  kRequiredRemoved,  ///< required became optional
  kEnumValuesRemoved,
  kEnumValuesAdded,
  kEnumConstraintAdded,    ///< the values were free and are now a fixed list
  kEnumConstraintRemoved,  ///< the values were a fixed list and are now free
  kPrimaryKeyChanged,
  kUniqueChanged,
  kConstraintChanged,  ///< a logicalTypeOptions entry such as maxLength or pattern
  kQualityRuleAdded,
  kQualityRuleRemoved,
  kQualityRuleChanged,
  kRetentionShortened,
  kRetentionLengthened,
  kLatencyRaised,
  kLatencyLowered,
  kSlaAdded,
  kSlaRemoved,
  kSlaChanged,
  kDescriptionChanged,
  kClassificationChanged,
  kVersionChanged,
  kStatusChanged,
  kMetadataChanged,  ///< any other field (names, tags, team, servers, roles, ...)
};

/// "property-removed", "type-changed", ... stable ids for output and JSON.
std::string_view ChangeKindName(ChangeKind kind);

/// One difference between two versions of a contract.
struct ContractChange {
  ChangeKind kind;
  /// Where, as users read it: "schema[orders].properties[amount]", "slaProperties[retention]".
  std::string path;
  Json old_value;  ///< null when the old version has none
  Json new_value;  ///< null when the new version has none
  bool breaking = false;
  /// One line saying what changed and, when breaking, why it breaks and for whom.
  std::string explanation;
  /// JSON pointers of the element in each document (empty when the version has none), so that
  /// callers can point at file:line:col.
  std::string old_pointer;
  std::string new_pointer;
};

/// Compares two versions of a contract and judges each change for `mode`. Changes come in
/// document order: contract fields, then each schema object (removed ones first), then SLA
/// properties. Never fails: fields Quanta cannot compare are reported as metadata changes.
std::vector<ContractChange> DiffContracts(const Contract& old_contract,
                                          const Contract& new_contract,
                                          CompatibilityMode mode = CompatibilityMode::kConsumer);

/// The number of breaking changes in `changes`.
std::size_t CountBreaking(const std::vector<ContractChange>& changes);

/// The change as a JSON object: kind, path, breaking, severity ("breaking" or "info"), old,
/// new, explanation.
Json ChangeToJson(const ContractChange& change);

/// How an SLA duration's unit "m" is read: months for retention, minutes for latency.
enum class DurationScale { kRetention, kLatency };

/// An SLA duration in seconds: `value` is a number (or a numeric string) in `unit`
/// (ms, s/sec/second(s), m, min/minute(s), h/hr/hour(s), d/day(s), w/week(s), mo/month(s),
/// y/yr/year(s); "m" is months for kRetention and minutes for kLatency), a string holding
/// both ("3y", "90 days") with no unit, or an ISO 8601 duration string such as "P3Y" or
/// "PT15M" with no unit. nullopt when it cannot be read.
/// Months are a twelfth of a 365-day year, so "36 m" equals "3 y".
std::optional<double> SlaDurationSeconds(const Json& value, const std::optional<std::string>& unit,
                                         DurationScale scale);

}  // namespace quanta::model
