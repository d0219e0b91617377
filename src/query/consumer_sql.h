#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "engine/keyed_rows.h"

namespace quanta::query {

/// Which state of a dataset a table reference reads: the current one, or the one named by a
/// DuckDB time-travel clause, `FROM orders.orders AT (VERSION => 3)` or
/// `AT (TIMESTAMP => TIMESTAMPTZ '2026-11-30 12:00:00+00')`.
struct TableTime {
  enum class Kind { kCurrent, kVersion, kTimestamp };
  Kind kind = Kind::kCurrent;
  std::int64_t version = 0;
  std::int64_t epoch_micros = 0;  ///< for kTimestamp: microseconds since 1970, UTC

  bool operator==(const TableTime&) const = default;
};

/// Turns the tables a consumer query names into SQL that the node's DuckDB instance runs, with
/// the principal's grants, masks and row filters already applied. The node implements it over
/// its products; tests implement it over fixed tables.
class TableResolver {
 public:
  virtual ~TableResolver() = default;
  /// A SELECT of the rows of `schema`.`table` at `time`. NotFound (naming what there is) for an
  /// unknown table, PermissionDenied when the principal may not read it, Invalid for a time
  /// outside the dataset's history.
  virtual Result<std::string> Resolve(std::string_view schema, std::string_view table,
                                      const TableTime& time) = 0;
  /// The current rows of `schema`.`table` kept by key, when this reader reads them exactly as
  /// they are (no masks, no row filter); nullptr otherwise, and by default.
  virtual std::shared_ptr<const engine::KeyedRows> KeyedRowsOf(std::string_view schema,
                                                               std::string_view table) {
    (void)schema;
    (void)table;
    return nullptr;
  }
};

/// One table reference the sandbox replaced, with the resolver's answer for it.
struct ResolvedTable {
  std::string schema;
  std::string table;
  TableTime time;
  std::string sql;  ///< what the resolver answered
};

/// A statement that is a lookup by one column's value and nothing else:
/// `SELECT <columns or *> FROM <dataset> [AS alias] WHERE <column> = <$n or literal>`, with no
/// other clause, no time travel, no expression in the select list. A server may answer it from
/// the dataset's current rows kept by key (engine::KeyedRows) instead of running it, when it
/// finds the key and the types it would give exactly as the statement would.
struct PointLookup {
  std::vector<std::string> columns;  ///< the select list's column names, in order; empty for *
  std::string key_column;
  int parameter = 0;             ///< the key's $n (from 1); 0 when the key is a literal
  std::string literal;           ///< an integer literal's digits, or a string literal's text
  bool literal_is_text = false;  ///< the literal was a string ('42')
  /// For an integer literal: which of the statement's StatementSkeleton literals it is; -1
  /// when it is none of them.
  int skeleton_literal = -1;
};

/// One consumer statement that passed the sandbox.
struct SandboxedStatement {
  std::string sql;  ///< what runs: the consumer's SELECT with each dataset replaced by its SQL
  /// The tables it reads, in the order they were resolved. The rewrite depends on nothing else
  /// than the text and these answers.
  std::vector<ResolvedTable> tables;
  /// Where the consumer's text names each column, table qualifier and function (0-based byte
  /// offsets in the text given to SandboxConsumerSql), so that an error the engine reports by
  /// name (an unknown column) can point at it: "column:name", "table:alias", "function:name",
  /// names in lower case, in the order of the parse tree.
  std::vector<std::pair<std::string, std::size_t>> name_locations;
  /// When the statement is a point lookup of its one table (tables[0]).
  std::optional<PointLookup> point_lookup;
  /// The statement is a SELECT of literals only (`SELECT 1`, `SELECT 'a' AS b, NULL`), without
  /// FROM or any other clause: its one row is the same every time it runs.
  bool constant = false;
};

/// Whether `resolver` answers as before for every table `statement` reads. Then sandboxing
/// the same text again gives the same SQL, so a statement prepared from it may run again
/// without being parsed again (a deploy or a grant that changes an answer makes it false).
bool ResolvesAsBefore(const SandboxedStatement& statement, TableResolver& resolver);

/// The session a consumer statement runs in, for PostgreSQL's functions that name it:
/// current_user, session_user, user and current_role answer `user`; current_database() and
/// current_catalog answer `database`; current_schema() 'public' and current_schemas(implicit)
/// that after 'pg_catalog' when `implicit` (the schemas the catalogs list first). DuckDB's own
/// answers (duckdb, memory, main) name nothing a client can use.
struct SessionNames {
  std::string user = "quanta";
  std::string database = "quanta";
  /// The settings current_setting(name) answers, as the session reports them (name, value):
  /// those a client sees in ParameterStatus and SHOW. A name is matched without case; any other
  /// is refused, so that the node's own configuration stays out of reach.
  std::vector<std::pair<std::string, std::string>> settings;
  /// Where a table named without a schema is looked for, in order (PostgreSQL's search_path,
  /// with "$user" already replaced): the first schema that has it. Names starting with pg_ are
  /// looked for in pg_catalog first, as PostgreSQL does.
  std::vector<std::string> search_path;
};

/// Where in the consumer's text a refusal points (1-based characters, 0: the whole query), for
/// the PostgreSQL error position.
struct SandboxRefusal {
  std::size_t position = 0;
};

/// The most `name AS (...)` definitions (common table expressions and named windows) one
/// consumer statement may hold. DuckDB's parser and binder spend time and memory growing with
/// the square of their number (1000 chained CTEs take about 10 s and cannot be cancelled);
/// 256 take well under a second.
inline constexpr std::size_t kMaxNamedDefinitions = 256;

/// Checks consumer SQL and rewrites it to run safely (DESIGN.md promise 3). The text is parsed
/// by DuckDB's own parser (json_serialize_sql on `connection`); only SELECT statements pass
/// (CTEs, set operations, window functions, subqueries, VALUES). Every table it names must be
/// a dataset `resolver` knows, given as schema.table; references to a catalog, to DuckDB's or
/// PostgreSQL's internal tables and views, to table functions other than range,
/// generate_series and unnest, and to functions that reveal settings or reach files are
/// refused. Refusals are PermissionDenied (SQLSTATE 42501) for what the consumer may not
/// reach and NotSupported (0A000) for statements other than SELECT; a syntax error is Usage
/// (42601) with DuckDB's message; a statement with more than kMaxNamedDefinitions CTEs is
/// TooLarge (54000), refused before it is parsed. `refusal`, when given, receives the position.
/// `session` names the principal and database for current_user, current_database() and the like.
///
/// `connection` may be any connection; only the parser runs on it. Thread-compatible.
Result<std::vector<SandboxedStatement>> SandboxConsumerSql(engine::Connection& connection,
                                                           std::string_view sql,
                                                           TableResolver& resolver,
                                                           SandboxRefusal* refusal = nullptr,
                                                           const SessionNames& session = {});

/// Whether DuckDB's parser refuses `statement` (one statement) as a syntax error, what
/// SandboxConsumerSql would answer with Usage (42601). False for what parses, and for what it
/// refuses for other reasons: a statement other than SELECT, more named definitions than
/// kMaxNamedDefinitions (refused unparsed). Shares SandboxConsumerSql's parse cache, so that
/// checking a statement before it runs costs no second parse. Thread-compatible.
Result<bool> HasSyntaxError(engine::Connection& connection, std::string_view statement);

/// One statement of a text that may hold several, and its byte offset in that text.
struct SqlPiece {
  std::size_t offset = 0;
  std::string text;
};
/// The statements of `sql`, split at semicolons outside quotes, dollar quotes and comments;
/// blank statements (white space and comments only) are left out.
std::vector<SqlPiece> SplitSql(std::string_view sql);

/// A statement with each small integer literal (digits alone, up to 9 of them) replaced by a
/// marker, as the sandbox's caches key it, and those literals in order: statements that differ
/// only in them have the same `text` (a lookup by id sent with a new id each time). nullopt
/// when it has none, or holds what the sandbox reads as written (a backslash, `=>`).
struct StatementSkeleton {
  std::string text;
  std::vector<std::string> literals;
};
std::optional<StatementSkeleton> SkeletonOfStatement(std::string_view statement);

/// The leading keyword of `statement` in upper case ("SELECT", "INSERT", "WITH"), skipping
/// white space, comments and opening parentheses; empty when there is none.
std::string LeadingKeyword(std::string_view statement);

}  // namespace quanta::query
