#pragma once

#include <string>
#include <string_view>

namespace quanta::ports {

/// Rewrites the PostgreSQL spellings that DuckDB's parser does not take, as PostgreSQL
/// clients send them in their catalog queries (psql's \d, JDBC's metadata), into DuckDB's:
///   OPERATOR(pg_catalog.~)            -> ~
///   COLLATE pg_catalog.default        -> (dropped)
///   x::pg_catalog.regtype, ::regclass -> x::VARCHAR (Quanta has no such types)
///   ::pg_catalog.text                 -> ::text
/// Quoted strings, quoted identifiers, dollar quotes and comments are left alone. Anything
/// else passes through unchanged.
std::string NormalizePostgresDialect(std::string_view sql);

}  // namespace quanta::ports
