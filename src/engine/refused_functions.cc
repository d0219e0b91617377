#include "engine/refused_functions.h"

#include <array>
#include <utility>

namespace quanta::engine {
namespace {

constexpr std::pair<std::string_view, std::string_view> kRefusedFunctions[] = {
    {"current_setting", "it reveals the node's settings; only the session's can be read"},
    {"getenv", "it reveals the node's environment"},
    {"getvariable", "it reveals the node's variables"},
    {"current_query",
     "it reveals the query as rewritten to run, with the stores' files, hidden columns, row "
     "filters and masks"},
    {"json_serialize_plan", "it reveals the plan of a query, with the node's databases"},
    {"json_execute_serialized_sql", "it runs SQL around the sandbox"},
    {"query", "it runs SQL around the sandbox"},
    {"query_table", "it reads tables around the sandbox"},
    {"get_block_size", "it reads the node's databases"},
    {"in_search_path", "it probes the node's databases"},
    {"stats",
     "it shows a stored column's statistics, of rows and values that row filters and masks "
     "hide"},
    {"nextval", "it reaches sequences in the node's databases"},
    {"currval", "it reaches sequences in the node's databases"},
    {"txid_current", "it counts the node's transactions"},
    {"current_transaction_id", "it counts the node's transactions"},
    {"current_query_id", "it counts the node's queries"},
    {"current_connection_id", "it counts the node's connections"},
    {"write_log", "it writes to the node's log"},
};

// Prefixes of function families that reach files, other databases or internal tables.
constexpr std::array<std::string_view, 10> kRefusedFunctionPrefixes = {
    "duckdb_",   "pragma_",  "read_",  "parquet_", "sqlite_",
    "postgres_", "iceberg_", "delta_", "glob",     "sniff_"};

}  // namespace

std::optional<std::string_view> WhyFunctionIsRefused(std::string_view lowercase_name) {
  for (const auto& [function, reason] : kRefusedFunctions) {
    if (function == lowercase_name) return reason;
  }
  for (std::string_view prefix : kRefusedFunctionPrefixes) {
    if (lowercase_name.starts_with(prefix)) {
      return "it reaches the node's files, settings or internal tables";
    }
  }
  return std::nullopt;
}

}  // namespace quanta::engine
