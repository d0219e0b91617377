#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "engine/prepared_query.h"
#include "ports/pg_copy.h"
#include "ports/pg_cursor.h"
#include "ports/pg_message.h"
#include "ports/pg_scram.h"
#include "ports/pg_types.h"
#include "query/consumer_sql.h"

namespace quanta::ports {

/// How a principal signs in on the SQL port.
struct PgCredentials {
  enum class Kind { kUnknown, kScram, kTrust };
  Kind kind = Kind::kUnknown;
  ScramVerifier verifier;  ///< for kScram
};

/// What a SQL session needs from the node. Thread-safe: sessions call it concurrently.
class PgBackend {
 public:
  virtual ~PgBackend() = default;
  /// How `user` authenticates; kUnknown for a user the node does not know.
  virtual PgCredentials CredentialsFor(std::string_view user) = 0;
  /// A new connection to the node's DuckDB instance, owned by the session.
  virtual Result<std::unique_ptr<engine::Connection>> Connect() = 0;
  /// The tables `user` may read, as the sandbox resolves them. Called per statement, so that a
  /// deploy is seen by the next statement.
  virtual std::unique_ptr<query::TableResolver> ResolverFor(std::string_view user) = 0;
};

/// Settings of one session.
struct PgSessionOptions {
  std::int32_t process_id = 0;  ///< BackendKeyData, for CancelRequest
  std::int32_t secret_key = 0;
  PgMessageLimits limits;
  /// Run returns to let the connection write once this much output is buffered.
  std::size_t flush_bytes = 256 * 1024;
  /// A statement running longer is cancelled (57014); zero: no limit. A session's
  /// `SET statement_timeout` may lower it, never raise it (see PgSession::statement_timeout).
  std::chrono::milliseconds statement_timeout{0};
  /// The server has a certificate: SSLRequest is answered 'S' and the connection switches to
  /// TLS (see tls_requested); without one it is answered 'N'.
  bool tls_available = false;
  /// With tls_available: the tls-server-end-point channel binding data of the server's
  /// certificate (TlsServerEndPoint), with which sessions over TLS offer SCRAM-SHA-256-PLUS;
  /// empty when the certificate has none.
  std::string tls_server_end_point;
  /// The connection is one too many: after the startup packet it gets PostgreSQL's 53300
  /// "too many clients" (answering SSLRequest first, so that libpq shows the message).
  bool too_many_clients = false;
  int max_connections = 0;  ///< for that message
  /// Cursors (DECLARE) a session may have open at once; each holds a DuckDB connection and its
  /// running query. One more is refused with 54000, naming this number.
  std::size_t max_cursors = 32;
  /// server_version as reported to clients; PostgreSQL 15's protocol and catalogs.
  std::string server_version = "15.0 (Quanta)";
};

/// One client of the SQL port: the PostgreSQL protocol v3 state machine, from the startup
/// packet through authentication to simple and extended queries, over bytes fed in and bytes
/// appended to an output buffer. It does no I/O itself; PgServer moves the bytes. Consumer
/// SQL passes the sandbox (query::SandboxConsumerSql) and runs on the session's own DuckDB
/// connection; PostgreSQL session commands (SET, SHOW, RESET, BEGIN, COMMIT, ROLLBACK,
/// DISCARD, DEALLOCATE) are answered by the session itself. SQL cursors (DECLARE, FETCH, MOVE,
/// CLOSE) read forward through a streamed result: each runs its query, sandboxed as any other,
/// on a DuckDB connection of its own, so that the session's other statements leave it open. The
/// session keeps what it prepared from each text (kStatementCacheEntries) until DISCARD ALL or
/// PLANS, DEALLOCATE ALL, or a run finds a table it reads replaced with other columns.
///
/// Not thread-safe, except Cancel: one thread at a time calls Feed and Run.
class PgSession {
 public:
  /// What the connection does after Run.
  enum class Step {
    kNeedInput,  ///< write the output (if any), then read more input and call Run again
    kOutput,     ///< write the output, then call Run again without reading
    kClose,      ///< write the output, then close the connection
  };

  PgSession(PgBackend& backend, PgSessionOptions options);
  ~PgSession();

  /// Bytes from the client.
  void Feed(std::string_view bytes);
  /// Works through the input: may block for as long as a statement runs.
  Step Run(std::string* out);

  /// Cancels the statement running now, if any ("canceling statement due to user request").
  /// Thread-safe.
  void Cancel();
  /// Cancels the running statement for running past the statement timeout. Thread-safe.
  void CancelForTimeout();
  /// True while a statement runs (for the connection's statement timer). Thread-safe.
  bool running() const { return running_.load(); }
  /// How long a statement may run in this session (zero: no limit): the node's
  /// PgSessionOptions::statement_timeout, or the session's `SET statement_timeout` when that is
  /// shorter (its 0 means the node's). The connection arms its statement timer with it.
  /// Thread-safe.
  std::chrono::milliseconds statement_timeout() const {
    return std::chrono::milliseconds(statement_timeout_ms_.load());
  }

  /// After Run returned kClose for a CancelRequest packet: what it asked to cancel.
  const std::optional<PgCancelRequest>& cancel_request() const { return cancel_request_; }
  /// True right after Run answered an SSLRequest with 'S': the connection writes the output,
  /// runs the TLS handshake, calls TlsStarted, and then reads and writes through TLS.
  bool tls_requested() const { return tls_requested_; }
  void TlsStarted() { tls_requested_ = false; }
  /// True once the client has signed in.
  bool ready() const { return phase_ == Phase::kReady; }
  const std::string& user() const { return user_; }

 private:
  enum class Phase { kStartup, kSaslInitial, kSaslContinue, kReady, kClosed };

  // A statement as prepared: either consumer SQL for DuckDB, or a session command.
  struct Statement {
    enum class Kind {
      kQuery,
      kEmpty,
      kBegin,
      kCommit,
      kRollback,
      kSet,
      kShow,
      kReset,
      kDiscard,
      kDeallocate,
      kListen,
      kCopy,
      kDeclare,     ///< DECLARE name CURSOR FOR query: `query` is the cursor's
      kFetch,       ///< FETCH or MOVE
      kCloseCursor  ///< CLOSE name | ALL
    };
    Kind kind = Kind::kQuery;
    std::string text;  ///< as the client sent it
    std::string tag;   ///< CommandComplete tag of a command
    /// kDeclare: the connection `query` is prepared on and its cursor runs on (declared before
    /// `query`, which must not outlive it).
    std::unique_ptr<engine::Connection> own_connection;
    /// kQuery, kCopy and kDeclare. Shared by the point lookups made like another (PointLookupLike),
    /// which only describe their columns with it and are answered from kept rows.
    std::shared_ptr<engine::PreparedQuery> query;
    query::SandboxedStatement sandboxed;        ///< what `query` was prepared from
    bool bound = false;                         ///< a Bind has used it
    std::vector<PgType> column_types;           ///< how each result column is sent
    std::vector<std::uint32_t> parameter_oids;  ///< as Parse gave them, else inferred
    std::string name;                           ///< kSet, kShow, kReset, kDeallocate
    std::string value;                          ///< kSet: as SHOW is to answer it
    bool local = false;                         ///< kSet: SET LOCAL
    /// kQuery: a point lookup (query::PointLookup) that kept rows answer when they can.
    struct KeyedLookup {
      std::shared_ptr<const engine::KeyedRows> rows;
      std::vector<std::size_t> columns;   ///< the kept rows' column of each result column
      int parameter = -1;                 ///< the key's parameter (from 0); -1: `key`
      std::optional<engine::RowKey> key;  ///< a literal key
    };
    /// Shared with the portals it answers, so that a Bind that finds new kept rows for the
    /// statement leaves a portal bound earlier as it was.
    std::shared_ptr<const KeyedLookup> keyed;
    /// kQuery of literals only (query::SandboxedStatement::constant): its one row, made by
    /// DuckDB when the statement was prepared and sent again at each run.
    std::shared_ptr<const engine::ResultChunk> constant_row;
    std::string search_path;       ///< kQuery: the search_path its unqualified tables resolved on
    std::int16_t copy_format = 0;  ///< kCopy: 0 text, 2 csv, 1 binary
    PgCopyOptions copy;            ///< kCopy: how rows are written
    std::vector<bool> copy_force_quote;  ///< kCopy csv: per column, FORCE_QUOTE
    PgDeclareCursor declare;             ///< kDeclare
    PgFetchCursor fetch;                 ///< kFetch
    PgCloseCursor close_cursor;          ///< kCloseCursor
  };

  // A bound statement, possibly half read (Execute with a row limit).
  struct Portal {
    std::shared_ptr<Statement> statement;
    std::vector<std::int16_t> result_formats;  ///< one per column
    std::unique_ptr<engine::ResultStream> stream;
    std::unique_ptr<engine::ResultChunk> chunk;
    std::size_t chunk_row = 0;
    std::int64_t rows_sent = 0;
    bool started = false;
    bool finished = false;
    /// Answered without running (AnswerFromKeptRows) instead of from `stream`: its row, if any,
    /// with the chunk's column of each result column (nullptr: the same).
    bool keyed = false;
    std::shared_ptr<const engine::ResultChunk> keyed_chunk;
    std::size_t keyed_row = 0;
    std::shared_ptr<const Statement::KeyedLookup> keyed_lookup;  ///< its columns; null: the same
    std::string copy_prefix;  ///< binary COPY's header, sent with the first row
    /// kFetch: the result formats Bind asked for (resolved against the cursor's columns when
    /// the FETCH runs), what it does, and the rows it has passed unseen so far.
    std::vector<std::int16_t> requested_formats;
    PgForwardFetch fetch_plan;
    std::int64_t fetch_skipped = 0;
  };

  // An open SQL cursor: the DECLARE statement (which owns the connection its query runs on)
  // and its rows, read as far as the FETCHes went (rows.rows_sent rows passed).
  struct Cursor {
    Portal rows;
    bool binary = false;
    bool hold = false;
    bool declared_in_block = false;  ///< declared in the transaction block still open
  };

  // Where a result being sent goes when the output buffer fills.
  struct ActiveExecution {
    std::string portal;      ///< key in portals_, or "\x01simple" for a simple query's statement
    std::int64_t limit = 0;  ///< rows this Execute may still send; 0: all
    bool simple = false;
  };

  void HandleMessage(PgFrontendMessage message);
  void HandleStartup(const PgStartupMessage& startup);
  void HandlePassword(const PgPasswordMessage& message);
  void CompleteStartup();
  void HandleQuery(const PgQuery& query);
  void HandleParse(const PgParse& parse);
  void HandleBind(const PgBind& bind);
  void HandleDescribe(const PgDescribe& describe);
  void HandleExecute(const PgExecute& execute);
  void HandleClose(const PgClose& close);

  // Prepares one statement of consumer SQL or a session command; errors are user errors.
  /// PostgreSQL parses a whole Query before it runs any of it: when a statement of several
  /// has a syntax error, the ones before it are dropped, so that it fails first and nothing
  /// runs. Statements this class reads itself (SET, BEGIN, FETCH, COPY, ...) are not checked.
  void DropStatementsBeforeSyntaxError();
  Result<std::shared_ptr<Statement>> Prepare(std::string_view text,
                                             const std::vector<std::uint32_t>& parameter_oids,
                                             int* error_position);
  // Sandboxes `select` and prepares it on `connection` (the session's when null).
  Result<std::shared_ptr<Statement>> PrepareQuery(std::shared_ptr<Statement> statement,
                                                  std::string_view select, int* error_position,
                                                  engine::Connection* connection = nullptr);
  Result<std::shared_ptr<Statement>> PrepareCopy(std::shared_ptr<Statement> statement,
                                                 int* error_position);
  // The statement named `name` with its tables resolved again, as PostgreSQL plans a prepared
  // statement against the data of its execution: the same statement when they still resolve
  // to the same SQL, else a new one prepared from it (kept under `name`).
  Result<std::shared_ptr<Statement>> Refresh(const std::string& name,
                                             std::shared_ptr<Statement> statement);
  // Statements by their text and parameter types (StatementKey), prepared once: a client that
  // sends the same text again, in a simple query or an unnamed Parse, skips parsing and
  // planning while its tables resolve as they did.
  static std::string StatementKey(std::string_view text,
                                  const std::vector<std::uint32_t>& parameter_oids);
  // The statement prepared earlier under `key`, when its tables still resolve as they did;
  // else nullptr.
  std::shared_ptr<Statement> CachedStatement(const std::string& key);
  // Keeps a SELECT or COPY for the next time its key comes.
  void CacheStatement(const std::string& key, const std::shared_ptr<Statement>& statement);
  // A simple query's point lookup with an integer literal key (`WHERE id = 42`) is kept by the
  // text with its integer literals as markers (query::SkeletonOfStatement), so that the same
  // lookup of another id skips sandboxing and preparing: PointLookupLike makes it from the kept
  // one and answers it from kept rows in `portal`; nullptr when it cannot (no such statement
  // kept, its tables resolve otherwise now, the rows cannot answer), and the text is then
  // prepared as any other.
  void KeepPointLookup(std::string_view text, const std::shared_ptr<Statement>& statement);
  std::shared_ptr<Statement> PointLookupLike(std::string_view text, Portal* portal);
  // Few: each holds a DuckDB prepared statement, and a node has many sessions.
  static constexpr std::size_t kStatementCacheEntries = 16;
  // Runs the next statement of a simple query.
  void RunNextSimpleStatement();
  // Sends rows of `portal`; false when it stopped because the output is full.
  bool ContinueExecution();
  Status StartPortal(Portal& portal);
  // The lookup of `statement` from its table's kept rows, when it is a point lookup they hold.
  void FindKeptRows(Statement& statement, query::TableResolver& resolver);
  // Answers `portal`'s point lookup from kept rows, with the key of `bind`'s parameters (or the
  // statement's literal), or a statement of literals with its row: true when it did, and the
  // portal need not run; false when the statement must run in DuckDB (no kept rows, rows not
  // ready, a key that DuckDB would cast in a way the lookup cannot follow, inside a
  // transaction block).
  bool AnswerFromKeptRows(Portal& portal, const PgBind* bind);
  // The portal's next chunk (nullptr at the end), with the statement marked running meanwhile.
  Status FetchChunk(Portal& portal);
  void RunCommand(Portal& portal, bool describe_rows);
  // Marks a statement running on `connection` (for Cancel and the statement timer), and done.
  void BeginRunning(engine::Connection* connection);
  void EndRunning();
  Result<std::shared_ptr<Statement>> PrepareDeclare(std::shared_ptr<Statement> statement,
                                                    int* error_position);
  // DECLARE: runs the cursor's query and keeps its stream; errors are sent.
  void DeclareCursor(const std::shared_ptr<Statement>& statement);
  // Sends (or, for MOVE, passes) rows of a FETCH portal's cursor; false when it stopped
  // because the output is full.
  bool ContinueFetch(Portal& portal, bool simple);
  // Makes `portal`'s current row available (fetching a chunk when needed): false at the end.
  Result<bool> NextRow(Portal& portal);
  // One DataRow of `statement`'s result.
  void SendDataRow(const Statement& statement, const engine::ResultChunk& chunk, std::size_t row,
                   const std::vector<std::int16_t>& formats,
                   const std::vector<std::size_t>* columns = nullptr);
  // True when, in a failed transaction block, `text` may still run (COMMIT, ROLLBACK); else
  // sends 25P02 and returns false.
  bool AllowedInFailedBlock(std::string_view text);
  void SendRowDescription(const Statement& statement, const std::vector<std::int16_t>& formats);
  void SendCopyRow(Portal& portal, const engine::ResultChunk& chunk, std::size_t row);
  std::string ShowValue(const std::string& name) const;
  // Sets `name` to `value`, or back to its default without one (every setting when `name` is
  // empty), and sends ParameterStatus for the reported settings that changed. `local` (SET
  // LOCAL) lasts until the transaction block ends.
  void ChangeSetting(const std::string& name, const std::optional<std::string>& value,
                     bool local = false);
  // Runs `change` on the settings and sends ParameterStatus for the reported ones it changed.
  void ChangeSettings(const std::function<void()>& change);
  // A transaction block begins (BEGIN, or a Query of several statements): its SETs are undone
  // if it rolls back. Nothing when one has begun already.
  void BeginBlock();
  // The block ends, as in PostgreSQL: cursors without HOLD close (on rollback also those
  // declared in the block), SET LOCAL values end, and the SETs of a block that rolled back
  // are undone.
  void EndBlock(bool committed);
  // Why `command` (SET, RESET, SHOW) of a setting the session does not answer is refused.
  Status UnavailableSetting(std::string_view command, std::string_view name);
  // SETs what the startup packet's options ask for, before the session is ready.
  Status ApplyStartupOptions();
  // Sets statement_timeout_ms_ from the node's timeout and the session's setting.
  void ApplyStatementTimeout();

  // An ErrorResponse; `sqlstate` overrides the one SqlStateFor gives.
  void SendError(const Status& status, int position = 0, std::string_view sqlstate = {});
  // PostgreSQL's error position (1-based, in characters) of the 1-based byte `position` of
  // the statement that starts at byte `offset` of `text`; 0 stays 0 (no position).
  static int QueryPosition(std::string_view text, std::size_t offset, int position);
  // The error of a statement that failed while running: cancels and timeouts as PostgreSQL
  // words them (57014).
  void SendStatementError(const Status& status);
  void SendFatal(const Status& status);
  void EnterErrorState();
  void ReadyForQuery();
  PgTransactionStatus TransactionStatus() const;

  PgBackend& backend_;
  const PgSessionOptions options_;
  PgFrontendReader reader_;
  std::string* out_ = nullptr;
  std::string copy_value_;  // one COPY value in text form, reused from row to row
  Phase phase_ = Phase::kStartup;
  std::optional<PgCancelRequest> cancel_request_;
  bool tls_requested_ = false;
  bool tls_done_ = false;

  std::string user_;
  std::string database_;  // as the startup message named it; PostgreSQL's default: the user
  std::optional<ScramServerExchange> scram_;
  using Parameters = std::map<std::string, std::string, std::less<>>;
  Parameters parameters_;        // session settings (SHOW), by lower-case name
  Parameters local_parameters_;  // SET LOCAL in the current block: they win over parameters_
  std::optional<Parameters> block_parameters_;  // parameters_ when the block began
  std::string startup_options_;                 // the startup packet's options (PGOPTIONS)

  std::unique_ptr<engine::Connection> connection_;
  std::mutex connection_mutex_;  // guards connection_ against Cancel from another thread
  // The connection a statement runs on now: connection_ or a cursor's (guarded by the mutex).
  engine::Connection* running_connection_ = nullptr;
  std::atomic<bool> running_{false};
  std::atomic<int> cancel_reason_{0};                  // 0 none, 1 user, 2 timeout
  std::atomic<std::int64_t> statement_timeout_ms_{0};  // statement_timeout()

  std::map<std::string, std::shared_ptr<Statement>, std::less<>> statements_;
  std::map<std::string, Portal, std::less<>> portals_;
  bool skip_until_sync_ = false;  // an extended-query error: discard until Sync
  bool in_transaction_ = false;
  bool transaction_failed_ = false;

  std::deque<query::SqlPiece> simple_statements_;  // statements of a Query not yet run
  std::string simple_query_text_;                  // the whole Query, for error positions
  // A Query of several statements outside BEGIN runs as one implicit transaction block, as in
  // PostgreSQL: a cursor without HOLD may be declared in it and lasts until the Query ends.
  bool implicit_block_ = false;
  bool simple_query_failed_ = false;
  bool simple_query_syntax_checked_ = false;  // see DropStatementsBeforeSyntaxError
  std::unordered_map<std::string, std::shared_ptr<Statement>> statement_cache_;  // by key
  // Point lookups by skeleton text (KeepPointLookup); at most kStatementCacheEntries.
  std::unordered_map<std::string, std::shared_ptr<Statement>> point_lookups_;
  bool simple_query_active_ = false;
  std::optional<ActiveExecution> active_;
  // Open cursors by name; declared after everything their statements use.
  std::map<std::string, Cursor, std::less<>> cursors_;
};

/// The SQLSTATE for a failed consumer statement: PostgreSQL's code for DuckDB's error class
/// (syntax 42601, unknown table 42P01, unknown column 42703, cast 22P02, out of range 22003,
/// division by zero 22012, interrupted 57014, memory 53200), else the error table's.
std::string SqlStateFor(const Status& status);

}  // namespace quanta::ports
