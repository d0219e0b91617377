#include "node/node_database.h"

#include <fmt/format.h>
#include <unistd.h>

#include <system_error>

#include "node/process_memory.h"
#include "store/product_store.h"

namespace quanta::node {
namespace {

std::string DefaultSpillLimit(const std::filesystem::path& spill) {
  std::uint64_t limit = kDefaultSpillLimit;
  std::error_code error;
  std::filesystem::space_info space = std::filesystem::space(spill, error);
  if (!error && space.available / 2 < limit) limit = space.available / 2;
  return fmt::format("{}MiB", limit / (1024 * 1024));
}

// What a consumer reads after DuckDB's out-of-memory facts: the limits in force and the keys
// that raise them. DuckDB's own advice (SET memory_limit, ...) cannot be followed on a locked
// instance.
std::string OutOfMemoryAdvice(const std::string& memory_limit, const std::string& spill_limit) {
  std::string memory = memory_limit.empty() ? "DuckDB's default of 80% of the machine's memory"
                                            : memory_limit + " of memory";
  std::string process;
  if (std::optional<std::uint64_t> limit = ProcessMemoryLimit()) {
    process = fmt::format(", within the process's {}MiB (processMemoryLimit)", *limit >> 20);
  }
  return fmt::format(
      "The node's queries and commits share {} (sql.memoryLimit in node.yaml) and {} of spill "
      "files (sql.spillLimit){}; raise them, or make the statement need less, e.g. fewer "
      "groups, rows or columns",
      memory, spill_limit, process);
}

}  // namespace

Result<std::shared_ptr<engine::Database>> OpenNodeDatabase(const std::filesystem::path& data_dir,
                                                           const SqlPortConfig& sql) {
  std::error_code error;
  std::filesystem::path root = std::filesystem::absolute(data_dir, error).lexically_normal();
  if (error) return Status::IoError("{}: {}", data_dir.string(), error.message());
  std::filesystem::path spill = root / "tmp" / "duckdb";
  std::filesystem::create_directories(spill, error);
  if (error) return Status::IoError("{}: cannot be created: {}", spill.string(), error.message());
  std::string spill_limit = sql.spill_limit.empty() ? DefaultSpillLimit(spill) : sql.spill_limit;

  // Without sql.memoryLimit, DuckDB would take 80% of the machine's memory for its buffers
  // however little the process may allocate (processMemoryLimit): the same share of the
  // smaller of the two leaves it spilling before an allocation fails.
  std::string memory_limit = sql.memory_limit;
  if (memory_limit.empty() && ProcessMemoryLimit()) {
    memory_limit = fmt::format("{}MiB", InstanceMemoryLimit(sql) >> 20);
  }
  engine::DatabaseOptions options;
  options.out_of_memory_advice = OutOfMemoryAdvice(memory_limit, spill_limit);
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database,
                          engine::Database::Open(options));
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  if (!memory_limit.empty()) {
    QUANTA_RETURN_IF_ERROR(connection->Execute(
        fmt::format("SET memory_limit = {}", engine::QuoteLiteral(memory_limit))));
  }
  std::string folder = root.string();
  if (folder.back() != '/') folder += '/';
  // Order matters: the allowed folder and the spill folder with its bound must be set before
  // external access is switched off, and nothing can be set once the configuration is locked.
  // Times are rendered in UTC whatever the machine's zone. DuckDB never checkpoints inside a
  // COMMIT: the stores checkpoint themselves (store::kInstanceCheckpointThreshold says why).
  Status confined = connection->Execute(fmt::format(
      "SET GLOBAL TimeZone = 'UTC'; SET GLOBAL checkpoint_threshold = {3}; "
      "SET temp_directory = {0}; SET max_temp_directory_size = {2}; "
      "SET allowed_directories = [{1}]; SET enable_external_access = false; "
      "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; "
      "SET lock_configuration = true",
      engine::QuoteLiteral(spill.string()), engine::QuoteLiteral(folder),
      engine::QuoteLiteral(spill_limit),
      engine::QuoteLiteral(store::kInstanceCheckpointThreshold)));
  if (!confined.ok()) {
    return Status::Internal("cannot confine the node's DuckDB instance to {}: {}", folder,
                            confined.message());
  }
  return std::shared_ptr<engine::Database>(std::move(database));
}

std::uint64_t InstanceMemoryLimit(const SqlPortConfig& sql) {
  if (sql.memory_limit_bytes > 0) return sql.memory_limit_bytes;
  std::uint64_t memory = MachineMemoryBytes();
  if (std::optional<std::uint64_t> process = ProcessMemoryLimit(); process && *process < memory) {
    memory = *process;
  }
  return memory / 10 * 8;
}

}  // namespace quanta::node
