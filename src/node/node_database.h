#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"
#include "engine/database.h"

namespace quanta::node {

/// Opens the node's one DuckDB instance, which every product store is attached to and every
/// consumer query runs on. The instance can reach no file outside `data_dir` (DuckDB's
/// external access is off, with the data directory as the only allowed folder) and its
/// configuration is locked, so that no SQL can widen either: the engine's own wall behind the
/// query sandbox (DESIGN.md promise 3). Spills go to <data>/tmp/duckdb. `memory_limit`
/// ("4096MiB") caps the instance; empty keeps DuckDB's default.
Result<std::shared_ptr<engine::Database>> OpenNodeDatabase(const std::filesystem::path& data_dir,
                                                           const std::string& memory_limit = "");

}  // namespace quanta::node
