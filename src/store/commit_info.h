#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/clock.h"

namespace quanta::store {

/// What one commit did to one dataset.
struct DatasetCommit {
  std::string dataset;
  std::int64_t rows_inserted = 0;  ///< new row versions
  std::int64_t rows_closed = 0;    ///< row versions that stopped being current (upsert)
};

/// A range of input offsets consumed from one partition of an input port (inclusive).
struct OffsetRange {
  std::int32_t partition = 0;
  std::int64_t first = 0;
  std::int64_t last = 0;
};

/// What one commit consumed from one input port. Always committed = received - rejected.
struct PortCommit {
  std::string port;
  std::int64_t received = 0;   ///< records read from the port for this batch
  std::int64_t committed = 0;  ///< records that went on to the transform
  std::int64_t rejected = 0;   ///< records that went to the dead letters
  std::vector<OffsetRange> offsets;
};

/// The result of a commit: its version and time, and what it changed.
struct CommitInfo {
  std::int64_t version = 0;  ///< the commit's version: 1, 2, 3, ... with no gaps
  Timestamp committed_at;    ///< never earlier than the previous commit's
  std::optional<std::string> idempotency_key;
  /// A digest of the request the key came with (its port and records), so that a later request
  /// with the same key but other records is told apart from a retry. Absent in commits made
  /// without a key, and in those of stores written before digests were kept.
  std::optional<std::string> request_digest;
  /// True when the batch's idempotency key had been committed before: this is that earlier
  /// commit's result, and the retried batch changed nothing.
  bool replayed = false;
  std::vector<DatasetCommit> datasets;  ///< datasets the commit wrote to, in layout order
  std::vector<PortCommit> ports;        ///< input ports the batch consumed from, by name

  /// The DatasetCommit of `dataset`, or nullptr when the commit did not write to it.
  const DatasetCommit* FindDataset(std::string_view dataset) const;
  /// The PortCommit of `port`, or nullptr.
  const PortCommit* FindPort(std::string_view port) const;
};

/// The commit as JSON (what the store keeps to answer a retried batch): version, committedAt
/// (ISO 8601), idempotencyKey, requestDigest, datasets and ports. `replayed` is not written.
nlohmann::json CommitInfoToJson(const CommitInfo& info);
/// Reads CommitInfoToJson's output; InvalidDocument when it does not have that shape.
Result<CommitInfo> CommitInfoFromJson(const nlohmann::json& json);

}  // namespace quanta::store
