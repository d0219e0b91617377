#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/database.h"

namespace quanta::engine {

/// Parses `sql` with DuckDB's own parser (json_serialize_sql, which serializes SELECT
/// statements only) without running any of it, and says why it is not exactly one SELECT:
/// "it does not parse: ...", "it holds a statement other than SELECT", "it holds 2
/// statements", "it holds no statement". nullopt when it is one SELECT (a CTE, a set operation
/// or VALUES included). A second statement hidden after a semicolon, or text that would close
/// a subquery the SQL is embedded in, never passes. Uses `connection` for the parse only.
std::optional<std::string> NotOneSelect(Connection& connection, std::string_view sql);

}  // namespace quanta::engine
