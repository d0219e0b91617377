#pragma once

#include <optional>
#include <string_view>

namespace quanta::engine {

/// Why SQL written by someone other than the node's operator (a consumer's query, a
/// governance row filter) may not call the scalar function or macro `lowercase_name`: it
/// reveals the node's settings, files, plans or internals, or reaches another database
/// (the read_*, duckdb_*, pragma_*, glob... families). nullopt when it may. Table functions
/// are refused by default by their callers instead.
std::optional<std::string_view> WhyFunctionIsRefused(std::string_view lowercase_name);

}  // namespace quanta::engine
