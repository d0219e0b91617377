#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "engine/database.h"
#include "node/node_config.h"

namespace quanta::node {

/// The spill limit when node.yaml sets none: enough for sorts and joins several times the
/// memory of a small machine, bounded so that one query cannot fill the stores' disk. At most
/// half of the disk's free space at start is used instead when that is less.
inline constexpr std::uint64_t kDefaultSpillLimit = 16ull * 1024 * 1024 * 1024;

/// Opens the node's one DuckDB instance, which every product store is attached to and every
/// consumer query runs on. The instance can reach no file outside `data_dir` (DuckDB's
/// external access is off, with the data directory as the only allowed folder) and its
/// configuration is locked, so that no SQL can widen either: the engine's own wall behind the
/// query sandbox (DESIGN.md promise 3).
///
/// `sql.memory_limit` ("4096MiB") caps the instance's memory; empty keeps DuckDB's default.
/// Past it DuckDB spills to <data>/tmp/duckdb, at most `sql.spill_limit` (empty: the default
/// above). A statement needing more fails with ErrorCode::kOutOfMemory (SQLSTATE 53200, HTTP
/// 503), its message naming both limits and the node.yaml keys that raise them; the instance
/// and whatever was committed are unharmed.
Result<std::shared_ptr<engine::Database>> OpenNodeDatabase(const std::filesystem::path& data_dir,
                                                           const SqlPortConfig& sql = {});

/// The memory the node's instance may use in bytes: `sql.memory_limit_bytes`, or without it
/// 80% of the smaller of MachineMemoryBytes() and the process's limit (ProcessMemoryLimit).
std::uint64_t InstanceMemoryLimit(const SqlPortConfig& sql);

}  // namespace quanta::node
