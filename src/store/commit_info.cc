#include "store/commit_info.h"

namespace quanta::store {

const DatasetCommit* CommitInfo::FindDataset(std::string_view dataset) const {
  for (const DatasetCommit& commit : datasets) {
    if (commit.dataset == dataset) return &commit;
  }
  return nullptr;
}

const PortCommit* CommitInfo::FindPort(std::string_view port) const {
  for (const PortCommit& commit : ports) {
    if (commit.port == port) return &commit;
  }
  return nullptr;
}

nlohmann::json CommitInfoToJson(const CommitInfo& info) {
  nlohmann::json json = nlohmann::json::object();
  json["version"] = info.version;
  json["committedAt"] = FormatTimestamp(info.committed_at);
  json["committedAtMicros"] = ToUnixMicros(info.committed_at);
  if (info.idempotency_key) json["idempotencyKey"] = *info.idempotency_key;
  if (info.request_digest) json["requestDigest"] = *info.request_digest;
  nlohmann::json datasets = nlohmann::json::array();
  for (const DatasetCommit& dataset : info.datasets) {
    datasets.push_back({{"dataset", dataset.dataset},
                        {"rowsInserted", dataset.rows_inserted},
                        {"rowsClosed", dataset.rows_closed}});
  }
  json["datasets"] = std::move(datasets);
  nlohmann::json ports = nlohmann::json::array();
  for (const PortCommit& port : info.ports) {
    nlohmann::json offsets = nlohmann::json::array();
    for (const OffsetRange& range : port.offsets) {
      offsets.push_back(
          {{"partition", range.partition}, {"first", range.first}, {"last", range.last}});
    }
    ports.push_back({{"port", port.port},
                     {"received", port.received},
                     {"committed", port.committed},
                     {"rejected", port.rejected},
                     {"offsets", std::move(offsets)}});
  }
  json["ports"] = std::move(ports);
  return json;
}

Result<CommitInfo> CommitInfoFromJson(const nlohmann::json& json) {
  try {
    CommitInfo info;
    info.version = json.at("version").get<std::int64_t>();
    info.committed_at = FromUnixMicros(json.at("committedAtMicros").get<std::int64_t>());
    if (json.contains("idempotencyKey")) {
      info.idempotency_key = json.at("idempotencyKey").get<std::string>();
    }
    if (json.contains("requestDigest")) {
      info.request_digest = json.at("requestDigest").get<std::string>();
    }
    for (const nlohmann::json& dataset : json.at("datasets")) {
      info.datasets.push_back({dataset.at("dataset").get<std::string>(),
                               dataset.at("rowsInserted").get<std::int64_t>(),
                               dataset.at("rowsClosed").get<std::int64_t>()});
    }
    for (const nlohmann::json& port : json.at("ports")) {
      PortCommit commit;
      commit.port = port.at("port").get<std::string>();
      commit.received = port.at("received").get<std::int64_t>();
      commit.committed = port.at("committed").get<std::int64_t>();
      commit.rejected = port.at("rejected").get<std::int64_t>();
      for (const nlohmann::json& range : port.at("offsets")) {
        commit.offsets.push_back({range.at("partition").get<std::int32_t>(),
                                  range.at("first").get<std::int64_t>(),
                                  range.at("last").get<std::int64_t>()});
      }
      info.ports.push_back(std::move(commit));
    }
    return info;
  } catch (const nlohmann::json::exception& error) {
    return Status::Invalid("a stored commit summary is not readable: {}", error.what());
  }
}

}  // namespace quanta::store
