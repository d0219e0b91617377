#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quanta::ports {

/// Rewrites the PostgreSQL spellings that DuckDB's parser does not take, as PostgreSQL
/// clients send them in their catalog queries (psql's \d, JDBC's metadata), into DuckDB's:
///   OPERATOR(pg_catalog.~)            -> ~
///   COLLATE pg_catalog.default        -> (dropped)
///   x::pg_catalog.regtype, ::regclass -> x::VARCHAR (Quanta has no such types)
///   'name'::pg_catalog.regproc        -> 'name'::regproc (the sandbox answers the lookup)
///   ::pg_catalog.text                 -> ::text
///   CAST(x AS pg_catalog.text)        -> CAST(x AS text), AS regtype and friends AS VARCHAR
///   'name'::regclass                  -> the relation's OID, or PostgreSQL's 42P01 error
///   '\x0102'::bytea, bytea 'a\000'  -> '\x01\x02'::bytea, 'a\x00'::BLOB (PostgreSQL's formats)
/// Quoted strings, quoted identifiers, dollar quotes and comments are left alone. Anything
/// else passes through unchanged.
std::string NormalizePostgresDialect(std::string_view sql);

/// Where the text NormalizePostgresDialect wrote came from, to point errors into the
/// client's own text: pairs of (offset in the rewritten text, offset in the original) from
/// which the two run alike, in order.
class DialectPositions {
 public:
  /// The original offset of `rewritten` (0-based); an offset inside a rewritten spelling
  /// falls inside the original spelling.
  std::size_t Original(std::size_t rewritten) const;
  /// 1-based positions (0: none), as error positions count.
  int OriginalPosition(int rewritten) const;

 private:
  friend std::string NormalizePostgresDialect(std::string_view, DialectPositions*);
  std::vector<std::pair<std::size_t, std::size_t>> anchors_{{0, 0}};
};
/// The same, noting in `positions` where each part of the result came from.
std::string NormalizePostgresDialect(std::string_view sql, DialectPositions* positions);

/// An error that the rewritten SQL raises as PostgreSQL would, with its SQLSTATE: DuckDB's
/// error() with a message that FindRaisedPgError reads back.
inline constexpr std::string_view kRaisedPgErrorMark = "quanta-pg-error:";
/// error() of `message`, a text that is not SQL.
std::string RaisePgError(std::string_view sqlstate, std::string_view message);
/// error() of the message that the SQL expression `message_sql` makes.
std::string RaisePgErrorOf(std::string_view sqlstate, std::string_view message_sql);
struct RaisedPgError {
  std::string sqlstate;
  std::string message;  ///< as PostgreSQL words it, without DuckDB's "Invalid Input Error: "
};
/// The error that RaisePgError raised, when DuckDB's `message` is one.
std::optional<RaisedPgError> FindRaisedPgError(std::string_view message);

/// DuckDB's failed cast of a text ("Conversion Error: Could not convert string 'x' to INT32")
/// in PostgreSQL's words and SQLSTATE: `invalid input syntax for type integer: "x"` (22P02),
/// or `value "99999999999" is out of range for type integer` (22003) for a whole number that
/// does not fit. Nothing for other messages and for types PostgreSQL spells otherwise.
std::optional<RaisedPgError> PostgresConversionError(std::string_view message);

/// A DuckDB error message as PostgreSQL's ErrorResponse fields. The message is the first line
/// without DuckDB's class ("Binder Error: "), which the SQLSTATE tells; DuckDB's advice ("Did
/// you mean "sum"?", "Candidate bindings: ...", "Either add it to the GROUP BY list ...")
/// becomes the hint and any other line (the candidate functions of an ambiguous call) the
/// detail. The statement excerpt DuckDB appends ("LINE 1: ...") is dropped: the error position
/// points there instead. A message that is not DuckDB's is the message as it is.
struct PgErrorText {
  std::string message;
  std::string detail;
  std::string hint;
};
PgErrorText SplitDuckdbError(std::string_view message);

/// Writes each parameter $n of `sql` as CAST($n AS types[n - 1]) where that type is not empty,
/// so that DuckDB knows its type from the start, as PostgreSQL does for a parameter that Parse
/// typed or that nothing types (text). Quoted strings and identifiers are left alone; `sql`
/// is SQL as DuckDB renders it (no comments or dollar quotes). Each type must be a DuckDB type
/// name that the caller chose, never text from a client.
std::string CastParameters(std::string_view sql, const std::vector<std::string_view>& types);

/// Writes each parameter $n of `sql` as CAST(NULL AS types[n - 1]): the same statement without
/// parameters, for DuckDB to tell its result columns where it cannot with them (a table
/// function such as range($1) binds its arguments only with their values). Each type must be
/// a DuckDB type name that the caller chose.
std::string ParametersAsNulls(std::string_view sql, const std::vector<std::string>& types);

/// The DuckDB type that a parameter of PostgreSQL type `oid` is cast to when DuckDB cannot
/// tell its type from the query: that of the OID where DuckDB has the same type, else VARCHAR
/// (PostgreSQL's own choice for a parameter of unknown type is text).
std::string_view DuckdbTypeForParameter(std::uint32_t oid);

}  // namespace quanta::ports
