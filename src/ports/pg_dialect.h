#pragma once

#include <string>
#include <string_view>

namespace quanta::ports {

/// Rewrites the PostgreSQL spellings that DuckDB's parser does not take, as PostgreSQL
/// clients send them in their catalog queries (psql's \d, JDBC's metadata), into DuckDB's:
///   OPERATOR(pg_catalog.~)            -> ~
///   COLLATE pg_catalog.default        -> (dropped)
///   x::pg_catalog.regtype, ::regclass -> x::VARCHAR (Quanta has no such types)
///   'name'::pg_catalog.regproc        -> 'name'::regproc (the sandbox answers the lookup)
///   ::pg_catalog.text                 -> ::text
///   CAST(x AS pg_catalog.text)        -> CAST(x AS text), AS regtype and friends AS VARCHAR
/// Quoted strings, quoted identifiers, dollar quotes and comments are left alone. Anything
/// else passes through unchanged.
std::string NormalizePostgresDialect(std::string_view sql);

}  // namespace quanta::ports
