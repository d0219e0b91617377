#include "node/node_database.h"

#include <fmt/format.h>

#include <system_error>

namespace quanta::node {

Result<std::shared_ptr<engine::Database>> OpenNodeDatabase(const std::filesystem::path& data_dir,
                                                           const std::string& memory_limit) {
  std::error_code error;
  std::filesystem::path root = std::filesystem::absolute(data_dir, error).lexically_normal();
  if (error) return Status::IoError("{}: {}", data_dir.string(), error.message());
  std::filesystem::path spill = root / "tmp" / "duckdb";
  std::filesystem::create_directories(spill, error);
  if (error) return Status::IoError("{}: cannot be created: {}", spill.string(), error.message());

  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database->Connect());
  if (!memory_limit.empty()) {
    QUANTA_RETURN_IF_ERROR(connection->Execute(
        fmt::format("SET memory_limit = {}", engine::QuoteLiteral(memory_limit))));
  }
  std::string folder = root.string();
  if (folder.back() != '/') folder += '/';
  // Order matters: the allowed folder and the spill folder must be set before external access
  // is switched off, and nothing can be set once the configuration is locked. Times are
  // rendered in UTC whatever the machine's zone.
  Status confined = connection->Execute(fmt::format(
      "SET GLOBAL TimeZone = 'UTC'; SET temp_directory = {0}; SET allowed_directories = [{1}]; "
      "SET enable_external_access = false; SET autoinstall_known_extensions = false; "
      "SET autoload_known_extensions = false; SET lock_configuration = true",
      engine::QuoteLiteral(spill.string()), engine::QuoteLiteral(folder)));
  if (!confined.ok()) {
    return Status::Internal("cannot confine the node's DuckDB instance to {}: {}", folder,
                            confined.message());
  }
  return std::shared_ptr<engine::Database>(std::move(database));
}

}  // namespace quanta::node
