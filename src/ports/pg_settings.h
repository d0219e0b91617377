#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace quanta::ports {

/// A PostgreSQL setting that SHOW answers on the SQL port, with the value a session starts
/// with. A fixed one keeps the value the node really uses (SET may name that value only); the
/// others a session may change, within what CheckPgSetting accepts.
struct PgSetting {
  std::string_view name;  ///< PostgreSQL's spelling, as SHOW names its column
  std::string_view value;
  bool fixed;
  bool reported;  ///< sent in ParameterStatus at startup and whenever it changes, as PostgreSQL
};

/// Every setting SHOW answers, in SHOW ALL's order.
std::span<const PgSetting> PgSettings();

/// The setting called `name`, matched without case as PostgreSQL does; nullptr for one the
/// port does not answer.
const PgSetting* FindPgSetting(std::string_view name);

/// True for a name PostgreSQL 15 knows as a setting (work_mem, lock_timeout, ...), whether or
/// not the port answers it.
bool IsPostgresSettingName(std::string_view name);

/// Why SET, RESET or SHOW of `name` is refused when FindPgSetting does not know it: 0A000
/// naming the settings a session can change, for a PostgreSQL setting the port does not offer;
/// else 42704 `unrecognized configuration parameter "name"`, as PostgreSQL says.
Status UnavailablePgSetting(std::string_view name);

/// Checks `value` for `SET name = value` (a value of several items comes joined with ", ") and
/// returns what SHOW answers after it. A value the port cannot honour is refused, never kept
/// and ignored: 22023 for a value PostgreSQL would refuse too, naming the parameter, and 0A000
/// for one it would take but the port does not apply, naming the values that work.
///   DateStyle           ISO output, MDY order: 'ISO', 'ISO, MDY', 'MDY', 'DEFAULT'
///   extra_float_digits  1 to 3 (floats go out in their shortest exact form)
///   TimeZone            UTC; client_encoding UTF8; the other fixed ones their value only
///   statement_timeout   milliseconds, or a number with a unit ('30s')
///   search_path         any list of schemas (see PgSearchPathSchemas)
Result<std::string> CheckPgSetting(const PgSetting& setting, std::string_view value);

/// A statement_timeout value as PostgreSQL reads it: a whole number of milliseconds, or a
/// number with one of the units us, ms, s, min, h, d ('1s', '1.5min', '500 ms'); 0 means none.
Result<std::chrono::milliseconds> ParseStatementTimeout(std::string_view value);

/// The schemas of a search_path value, in order, unquoted; "$user" stands for `user`.
std::vector<std::string> PgSearchPathSchemas(std::string_view value, std::string_view user);

/// The settings of a startup packet's `options` (libpq's PGOPTIONS or `options=`): PostgreSQL's
/// `-c name=value`, `-cname=value` and `--name=value`, split at white space that no backslash
/// escapes, with dashes in names read as underscores. Any other switch is refused (0A000), as
/// is a setting without a value (42601).
Result<std::vector<std::pair<std::string, std::string>>> ParsePgStartupOptions(
    std::string_view options);

}  // namespace quanta::ports
