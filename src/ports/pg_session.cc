#include "ports/pg_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "base/ascii.h"
#include "ports/pg_byte_order.h"
#include "ports/pg_dialect.h"
#include "ports/pg_result_encoding.h"
#include "ports/pg_settings.h"

namespace quanta::ports {
namespace {

// The statements the session answers itself rather than DuckDB (Prepare dispatches each); the
// rest are queries for the sandbox.
bool IsSessionCommand(std::string_view keyword) {
  static const std::set<std::string, std::less<>> kKeywords = {
      "BEGIN",   "START",   "COMMIT",  "END",      "ROLLBACK",   "ABORT", "SAVEPOINT",
      "RELEASE", "DISCARD", "LISTEN",  "UNLISTEN", "DEALLOCATE", "SET",   "RESET",
      "SHOW",    "COPY",    "DECLARE", "FETCH",    "MOVE",       "CLOSE"};
  return kKeywords.count(keyword) > 0;
}

constexpr char kSimplePortal[] = "\x01simple";
// PostgreSQL's SQLSTATEs for a statement or portal name that names nothing.
constexpr char kInvalidStatementName[] = "26000";
constexpr char kInvalidCursorName[] = "34000";

// Splits a statement into words outside quotes, for the few session commands parsed here.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        current += c;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == '=' || c == ';' || c == ',') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
      if (c == '=') words.emplace_back("=");
    } else {
      current += c;
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

// The error position (1-based; 0: none) of what DuckDB's message names, an unknown column,
// table qualifier or function, where the statement first names it.
int PositionOfNamed(const query::SandboxedStatement& statement, std::string_view message) {
  constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"Referenced column \"", "column:"},
      {"Referenced table \"", "table:"},
      {"Function with name ", "function:"},
  };
  for (const auto& [prefix, kind] : kNamed) {
    std::size_t at = message.find(prefix);
    if (at == std::string_view::npos) continue;
    at += prefix.size();
    std::size_t end = message.find_first_of("\" !(", at);
    if (end == std::string_view::npos) continue;
    const std::string wanted = std::string(kind) + AsciiLower(message.substr(at, end - at));
    for (const auto& [name, location] : statement.name_locations) {
      if (name == wanted) return static_cast<int>(location) + 1;
    }
  }
  return 0;
}

bool StartsWithWord(std::string_view message, std::string_view prefix) {
  return message.substr(0, prefix.size()) == prefix;
}

// `value` as a key of an integer key column of `type`, when DuckDB's cast to the column's type
// would give exactly that value; nullopt when it would fail or the value lies outside the type,
// which DuckDB must then answer.
std::optional<engine::RowKey> IntegerKey(const engine::ValueType& type, std::int64_t value) {
  std::int64_t low = std::numeric_limits<std::int64_t>::min();
  std::int64_t high = std::numeric_limits<std::int64_t>::max();
  switch (type.id) {
    case engine::TypeId::kTinyint:
      low = -128, high = 127;
      break;
    case engine::TypeId::kSmallint:
      low = -32768, high = 32767;
      break;
    case engine::TypeId::kInteger:
      low = std::numeric_limits<std::int32_t>::min();
      high = std::numeric_limits<std::int32_t>::max();
      break;
    case engine::TypeId::kUtinyint:
      low = 0, high = 255;
      break;
    case engine::TypeId::kUsmallint:
      low = 0, high = 65535;
      break;
    case engine::TypeId::kUinteger:
      low = 0, high = std::numeric_limits<std::uint32_t>::max();
      break;
    default:
      break;
  }
  if (value < low || value > high) return std::nullopt;
  return engine::RowKey(value);
}

// The key `text` (a text parameter or a string literal) stands for against a key column of
// `type`. For an integer column only plain digits with an optional minus: DuckDB reads more
// ("+1", " 1", "1e2"), which the statement itself then answers.
std::optional<engine::RowKey> KeyFromText(const engine::ValueType& type, std::string_view text) {
  if (type.id == engine::TypeId::kVarchar) return engine::RowKey(std::string(text));
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '+') {
    return std::nullopt;
  }
  return IntegerKey(type, value);
}

// The key a binary parameter of PostgreSQL type `oid` stands for: integers as integers, text
// and varchar as text; any other type runs as the statement.
std::optional<engine::RowKey> KeyFromBinary(const engine::ValueType& type, std::uint32_t oid,
                                            std::string_view bytes) {
  bool integer = oid == pg_oid::kInt2 || oid == pg_oid::kInt4 || oid == pg_oid::kInt8;
  bool text = oid == pg_oid::kText || oid == pg_oid::kVarchar;
  if (integer == (type.id == engine::TypeId::kVarchar) || (!integer && !text)) {
    return std::nullopt;
  }
  Result<PgValue> decoded = DecodePgValue(oid, 1, bytes);
  if (!decoded.ok()) return std::nullopt;
  if (const auto* value = std::get_if<std::int64_t>(&decoded->value)) {
    return IntegerKey(type, *value);
  }
  if (const auto* value = std::get_if<std::string>(&decoded->value)) {
    return engine::RowKey(*value);
  }
  return std::nullopt;
}

}  // namespace

std::string SqlStateFor(const Status& status) {
  const std::string& message = status.message();
  if (status.code() == ErrorCode::kQueryFailed || status.code() == ErrorCode::kInternal ||
      status.code() == ErrorCode::kIoError) {
    if (StartsWithWord(message, "Parser Error")) return "42601";
    if (StartsWithWord(message, "Catalog Error")) {
      return message.find("does not exist") != std::string::npos &&
                     message.find("Function") != std::string::npos
                 ? "42883"
                 : "42P01";
    }
    if (StartsWithWord(message, "Binder Error")) {
      if (message.find("Referenced column") != std::string::npos) return "42703";
      if (message.find("Referenced table") != std::string::npos) return "42P01";
      if (message.find("No function matches") != std::string::npos) return "42883";
      if (message.find("must appear in the GROUP BY clause") != std::string::npos) return "42803";
      if (message.find("Could not choose a best candidate") != std::string::npos) return "42725";
      if (message.find("Ambiguous reference to column") != std::string::npos) return "42702";
      return "42P18";
    }
    if (std::optional<RaisedPgError> cast = PostgresConversionError(message)) {
      return cast->sqlstate;
    }
    if (StartsWithWord(message, "Conversion Error")) return "22P02";
    if (StartsWithWord(message, "Out of Range Error")) return "22003";
    if (std::optional<RaisedPgError> raised = FindRaisedPgError(message)) return raised->sqlstate;
    if (StartsWithWord(message, "Invalid Input Error")) return "22023";
    if (message.find("Division by zero") != std::string::npos) return "22012";
    if (StartsWithWord(message, "INTERRUPT Error")) return "57014";
    if (StartsWithWord(message, "Out of Memory Error")) return "53200";
    if (StartsWithWord(message, "Permission Error")) return "42501";
    if (StartsWithWord(message, "Not implemented Error")) return "0A000";
    if (StartsWithWord(message, "Constraint Error")) return "23000";
    if (status.code() == ErrorCode::kQueryFailed) return "42000";
  }
  if (status.code() == ErrorCode::kNotFound &&
      StartsWithWord(message, "unrecognized configuration parameter")) {
    return "42704";
  }
  return std::string(InfoFor(status.code()).sqlstate);
}

PgSession::PgSession(PgBackend& backend, PgSessionOptions options)
    : backend_(backend), options_(std::move(options)), reader_(options_.limits) {
  ApplyStatementTimeout();
}

PgSession::~PgSession() = default;

void PgSession::Feed(std::string_view bytes) { reader_.Feed(bytes); }

PgSession::Step PgSession::Run(std::string* out) {
  out_ = out;
  while (phase_ != Phase::kClosed) {
    if (tls_requested_) return Step::kOutput;  // the handshake comes before anything else
    if (out_->size() >= options_.flush_bytes) return Step::kOutput;
    if (active_) {
      if (!ContinueExecution()) return Step::kOutput;
      continue;
    }
    if (simple_query_active_) {
      RunNextSimpleStatement();
      continue;
    }
    Result<std::optional<PgFrontendMessage>> next = reader_.Next();
    if (!next.ok()) {
      SendFatal(next.status());
      break;
    }
    if (!*next) return Step::kNeedInput;
    HandleMessage(std::move(**next));
  }
  return Step::kClose;
}

void PgSession::Cancel() {
  std::lock_guard lock(connection_mutex_);
  if (running_connection_ && running_.load()) {
    cancel_reason_ = 1;
    running_connection_->Interrupt();
  }
}

void PgSession::CancelForTimeout() {
  std::lock_guard lock(connection_mutex_);
  if (running_connection_ && running_.load()) {
    cancel_reason_ = 2;
    running_connection_->Interrupt();
  }
}

void PgSession::BeginRunning(engine::Connection* connection) {
  std::lock_guard lock(connection_mutex_);
  running_connection_ = connection ? connection : connection_.get();
  running_ = true;
}

void PgSession::EndRunning() {
  std::lock_guard lock(connection_mutex_);
  running_ = false;
  running_connection_ = nullptr;
}

// ---------------------------------------------------------------------------------------------
// Messages

void PgSession::HandleMessage(PgFrontendMessage message) {
  if (phase_ == Phase::kStartup) {
    bool ssl = std::holds_alternative<PgSslRequest>(message);
    if (ssl || std::holds_alternative<PgGssEncRequest>(message)) {
      // Bytes sent before our answer would have been meant for inside the encryption, or were
      // put there by someone in the middle: never read them (CVE-2021-23214).
      if (reader_.buffered_bytes() > 0) {
        phase_ = Phase::kClosed;
        return;
      }
      if (ssl && options_.tls_available && !tls_done_) {
        out_->push_back('S');
        tls_requested_ = tls_done_ = true;
        return;
      }
      PgBackendWriter(out_).RefuseEncryption();
      return;
    }
    if (auto* cancel = std::get_if<PgCancelRequest>(&message)) {
      cancel_request_ = *cancel;
      phase_ = Phase::kClosed;
      return;
    }
    if (auto* startup = std::get_if<PgStartupMessage>(&message)) {
      HandleStartup(*startup);
      return;
    }
    SendFatal(Status(ErrorCode::kUsage, "expected a startup message"));
    return;
  }
  if (phase_ == Phase::kSaslInitial || phase_ == Phase::kSaslContinue) {
    if (auto* password = std::get_if<PgPasswordMessage>(&message)) {
      HandlePassword(*password);
    } else {
      SendFatal(Status(ErrorCode::kUsage,
                       fmt::format("expected a SASL response during authentication, got {}",
                                   PgMessageName(message))));
    }
    return;
  }

  // Ready: after an extended-query error everything up to Sync is skipped.
  if (std::holds_alternative<PgSync>(message)) {
    skip_until_sync_ = false;
    portals_.erase("");
    ReadyForQuery();
    return;
  }
  if (std::holds_alternative<PgTerminate>(message)) {
    phase_ = Phase::kClosed;
    return;
  }
  if (skip_until_sync_) return;
  std::visit(
      [&](auto& typed) {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, PgQuery>) {
          HandleQuery(typed);
        } else if constexpr (std::is_same_v<T, PgParse>) {
          HandleParse(typed);
        } else if constexpr (std::is_same_v<T, PgBind>) {
          HandleBind(typed);
        } else if constexpr (std::is_same_v<T, PgDescribe>) {
          HandleDescribe(typed);
        } else if constexpr (std::is_same_v<T, PgExecute>) {
          HandleExecute(typed);
        } else if constexpr (std::is_same_v<T, PgClose>) {
          HandleClose(typed);
        } else if constexpr (std::is_same_v<T, PgFlush>) {
          // Output goes out whenever Run returns; nothing is held back.
        } else if constexpr (std::is_same_v<T, PgFunctionCall>) {
          // A FunctionCall is a cycle of its own, like a simple query, not part of the
          // extended protocol: its error is followed by ReadyForQuery, and no Sync is awaited.
          SendError(Status(ErrorCode::kNotSupported,
                           "the function call interface is not supported; use a query"));
          if (in_transaction_) transaction_failed_ = true;
          ReadyForQuery();
        } else if constexpr (std::is_same_v<T, PgCopyData> || std::is_same_v<T, PgCopyDone> ||
                             std::is_same_v<T, PgCopyFail>) {
          // COPY FROM STDIN is refused before any data is asked for; stray data is ignored.
        } else {
          SendFatal(Status(ErrorCode::kUsage, fmt::format("unexpected message {} after startup",
                                                          PgMessageName(typed))));
        }
      },
      message);
}

void PgSession::HandleStartup(const PgStartupMessage& startup) {
  PgBackendWriter writer(out_);
  if ((startup.protocol >> 16) != 3) {
    SendFatal(Status(ErrorCode::kNotSupported,
                     fmt::format("unsupported frontend protocol {}.{}: the server supports 3.0",
                                 startup.protocol >> 16, startup.protocol & 0xFFFF)));
    return;
  }
  if (startup.minor_version() > 0 || !startup.ProtocolOptions().empty()) {
    writer.NegotiateProtocolVersion(0, startup.ProtocolOptions());
  }
  if (options_.too_many_clients) {
    SendFatal(Status(ErrorCode::kUsage, ""));  // replaced below with PostgreSQL's words
    return;
  }
  std::optional<std::string_view> user = startup.Parameter("user");
  if (!user || user->empty()) {
    SendFatal(Status(ErrorCode::kPermissionDenied,
                     "no PostgreSQL user name specified in startup packet"));
    return;
  }
  user_ = std::string(*user);
  std::optional<std::string_view> database = startup.Parameter("database");
  database_ = database && !database->empty() ? std::string(*database) : user_;
  for (const auto& [name, value] : startup.parameters) {
    if (name == "application_name") parameters_["application_name"] = value;
    if (name == "options") startup_options_ = value;
  }
  PgCredentials credentials = backend_.CredentialsFor(user_);
  if (credentials.kind == PgCredentials::Kind::kTrust) {
    writer.AuthenticationOk();
    CompleteStartup();
    return;
  }
  if (credentials.kind == PgCredentials::Kind::kScram) {
    scram_.emplace(credentials.verifier, user_);
  } else {
    scram_.emplace(ScramServerExchange::ForUnknownUser(user_));
  }
  // TLS is in use once an SSLRequest was answered 'S': the handshake ran before this message.
  if (tls_done_) scram_->OfferChannelBinding(options_.tls_server_end_point);
  writer.AuthenticationSasl(scram_->Mechanisms());
  phase_ = Phase::kSaslInitial;
}

void PgSession::HandlePassword(const PgPasswordMessage& message) {
  PgBackendWriter writer(out_);
  if (phase_ == Phase::kSaslInitial) {
    Result<PgSaslInitialResponse> initial = ParseSaslInitialResponse(message.body);
    if (!initial.ok()) return SendFatal(initial.status());
    Status mechanism = scram_->SelectMechanism(initial->mechanism);
    if (!mechanism.ok()) return SendFatal(mechanism);
    Result<std::string> server_first = scram_->HandleClientFirst(initial->data.value_or(""));
    if (!server_first.ok()) return SendFatal(server_first.status());
    writer.AuthenticationSaslContinue(*server_first);
    phase_ = Phase::kSaslContinue;
    return;
  }
  Result<std::string> server_final = scram_->HandleClientFinal(message.body);
  if (!server_final.ok() || !scram_->authenticated()) {
    return SendFatal(
        server_final.ok()
            ? Status(ErrorCode::kPermissionDenied,
                     fmt::format("password authentication failed for user \"{}\"", user_))
            : server_final.status());
  }
  writer.AuthenticationSaslFinal(*server_final);
  writer.AuthenticationOk();
  scram_.reset();
  CompleteStartup();
}

Status PgSession::ApplyStartupOptions() {
  if (startup_options_.empty()) return Status::Ok();
  QUANTA_ASSIGN_OR_RETURN(auto settings, ParsePgStartupOptions(startup_options_));
  for (const auto& [name, value] : settings) {
    const PgSetting* setting = FindPgSetting(name);
    if (!setting) return UnavailableSetting("SET", name);
    Result<std::string> checked = CheckPgSetting(*setting, value);
    if (!checked.ok()) {
      return Status(checked.status().code(), fmt::format("startup option -c {}={}: {}", name, value,
                                                         checked.status().message()));
    }
    parameters_[AsciiLower(setting->name)] = *checked;
  }
  ApplyStatementTimeout();
  return Status::Ok();
}

void PgSession::CompleteStartup() {
  Result<std::unique_ptr<engine::Connection>> connection = backend_.Connect();
  if (!connection.ok()) return SendFatal(connection.status());
  {
    std::lock_guard lock(connection_mutex_);
    connection_ = std::move(connection).value();
  }
  // The startup packet's options (PGOPTIONS) are SET as the session begins, under SET's rules:
  // one that cannot be honoured ends the connection, naming it, as PostgreSQL does.
  if (Status applied = ApplyStartupOptions(); !applied.ok()) return SendFatal(applied);
  phase_ = Phase::kReady;
  PgBackendWriter writer(out_);
  for (const PgSetting& setting : PgSettings()) {
    if (setting.reported)
      writer.ParameterStatus(setting.name, ShowValue(std::string(setting.name)));
  }
  writer.ParameterStatus("session_authorization", user_);
  writer.BackendKeyData(options_.process_id, options_.secret_key);
  ReadyForQuery();
}

// ---------------------------------------------------------------------------------------------
// Simple query

void PgSession::HandleQuery(const PgQuery& query) {
  std::vector<query::SqlPiece> pieces = query::SplitSql(query.sql);
  if (pieces.empty()) {
    PgBackendWriter(out_).EmptyQueryResponse();
    ReadyForQuery();
    return;
  }
  simple_statements_.assign(std::make_move_iterator(pieces.begin()),
                            std::make_move_iterator(pieces.end()));
  simple_query_text_ = query.sql;
  implicit_block_ = simple_statements_.size() > 1 && !in_transaction_;
  if (implicit_block_) BeginBlock();
  simple_query_failed_ = false;
  simple_query_syntax_checked_ = simple_statements_.size() < 2;
  simple_query_active_ = true;
}

void PgSession::DropStatementsBeforeSyntaxError() {
  for (std::size_t i = 0; i < simple_statements_.size(); ++i) {
    const std::string& text = simple_statements_[i].text;
    if (IsSessionCommand(query::LeadingKeyword(text))) continue;
    Result<bool> unparsable = query::HasSyntaxError(*connection_, NormalizePostgresDialect(text));
    // A parser that fails here fails again when the statement runs, and says so there.
    if (!unparsable.ok() || !*unparsable) continue;
    simple_statements_.erase(simple_statements_.begin(),
                             simple_statements_.begin() + static_cast<std::ptrdiff_t>(i));
    return;
  }
}

void PgSession::RunNextSimpleStatement() {
  if (simple_statements_.empty()) {
    // The implicit block ends: its cursors without HOLD close, and when it failed, those
    // declared WITH HOLD in it too. A block opened by BEGIN goes on.
    if (implicit_block_ && !in_transaction_) {
      EndBlock(!simple_query_failed_);
    }
    implicit_block_ = false;
    simple_query_active_ = false;
    portals_.erase(kSimplePortal);
    ReadyForQuery();
    return;
  }
  if (!simple_query_syntax_checked_) {
    simple_query_syntax_checked_ = true;
    DropStatementsBeforeSyntaxError();
  }
  query::SqlPiece piece = std::move(simple_statements_.front());
  simple_statements_.pop_front();
  const std::string& text = piece.text;
  if (!AllowedInFailedBlock(text)) {
    EnterErrorState();
    simple_statements_.clear();
    return;
  }
  int position = 0;
  const std::string key = StatementKey(text, {});
  Result<std::shared_ptr<Statement>> statement = CachedStatement(key);
  Portal answered;
  if (!*statement) statement = PointLookupLike(text, &answered);
  if (!*statement) {
    statement = Prepare(text, {}, &position);
    if (!statement.ok()) {
      // The position counts in the whole Query, as psql shows it (LINE 1: ... ^).
      SendError(statement.status(), QueryPosition(simple_query_text_, piece.offset, position));
      EnterErrorState();
      return;
    }
    CacheStatement(key, *statement);
    KeepPointLookup(text, *statement);
  }
  Portal& portal = portals_[kSimplePortal];
  portal = std::move(answered);
  portal.statement = *statement;
  const Statement& prepared = **statement;
  if (prepared.query) {
    portal.result_formats.assign(
        prepared.query->column_types().size(),
        prepared.kind == Statement::Kind::kCopy ? prepared.copy_format : 0);
    if (prepared.kind == Statement::Kind::kCopy)
      portal.result_formats.assign(prepared.query->column_types().size(), 0);
  }
  if (prepared.kind == Statement::Kind::kQuery) {
    SendRowDescription(prepared, portal.result_formats);
  }
  active_ = ActiveExecution{kSimplePortal, 0, true};
}

// ---------------------------------------------------------------------------------------------
// Extended query

void PgSession::HandleParse(const PgParse& parse) {
  std::vector<query::SqlPiece> pieces = query::SplitSql(parse.query);
  if (pieces.size() > 1) {
    SendError(
        Status(ErrorCode::kUsage, "cannot insert multiple commands into a prepared statement"));
    return EnterErrorState();
  }
  if (!parse.statement.empty() && statements_.count(parse.statement)) {
    SendError(Status(ErrorCode::kUsage,
                     fmt::format("prepared statement \"{}\" already exists", parse.statement)));
    return EnterErrorState();
  }
  int position = 0;
  const std::string text = pieces.empty() ? std::string() : pieces[0].text;
  if (!AllowedInFailedBlock(text)) return EnterErrorState();
  const std::string key = StatementKey(text, parse.parameter_types);
  Result<std::shared_ptr<Statement>> statement = CachedStatement(key);
  if (!*statement) {
    statement = Prepare(text, parse.parameter_types, &position);
    if (!statement.ok()) {
      SendError(statement.status(),
                QueryPosition(parse.query, pieces.empty() ? 0 : pieces[0].offset, position));
      return EnterErrorState();
    }
    CacheStatement(key, *statement);
  }
  statements_[parse.statement] = *statement;
  PgBackendWriter(out_).ParseComplete();
}

void PgSession::HandleBind(const PgBind& bind) {
  auto found = statements_.find(bind.statement);
  if (found == statements_.end()) {
    SendError(Status(ErrorCode::kNotFound,
                     fmt::format("prepared statement \"{}\" does not exist", bind.statement)),
              0, kInvalidStatementName);
    return EnterErrorState();
  }
  std::shared_ptr<Statement> statement = found->second;
  if (!AllowedInFailedBlock(statement->text)) return EnterErrorState();
  // Parse resolved the tables just now; a later Bind resolves them again, so that a statement
  // prepared once and run many times reads the data of each run, as in PostgreSQL.
  if (statement->kind == Statement::Kind::kQuery && statement->bound) {
    Result<std::shared_ptr<Statement>> refreshed = Refresh(bind.statement, statement);
    if (!refreshed.ok()) {
      SendError(refreshed.status());
      return EnterErrorState();
    }
    statement = *refreshed;
  }
  statement->bound = true;
  std::size_t expected = statement->query ? statement->query->parameter_count() : 0;
  if (bind.parameters.size() != expected) {
    SendError(Status(ErrorCode::kUsage,
                     fmt::format("bind message supplies {} parameters, but prepared statement "
                                 "\"{}\" requires {}",
                                 bind.parameters.size(), bind.statement, expected)));
    return EnterErrorState();
  }
  if (statement->query) {
    statement->query->ClearBindings();
    for (std::size_t i = 0; i < expected; ++i) {
      Status bound;
      if (!bind.parameters[i]) {
        bound = statement->query->BindNull(i);
      } else {
        std::uint32_t oid = i < statement->parameter_oids.size() ? statement->parameter_oids[i] : 0;
        bound =
            BindParameter(*statement->query, i, oid, bind.ParameterFormat(i), *bind.parameters[i]);
      }
      if (!bound.ok()) {
        SendError(bound);
        return EnterErrorState();
      }
    }
  }
  Portal portal;
  portal.statement = statement;
  // A FETCH's columns are its cursor's, known when it runs; DECLARE itself returns none.
  portal.requested_formats = bind.result_formats;
  std::size_t columns = statement->query && statement->kind != Statement::Kind::kDeclare
                            ? statement->query->column_types().size()
                            : 0;
  for (std::size_t c = 0; c < columns; ++c) {
    std::int16_t format = bind.ResultFormat(c);
    if (format != 0 && format != 1) {
      SendError(Status(ErrorCode::kUsage, fmt::format("unsupported format code: {}", format)));
      return EnterErrorState();
    }
    portal.result_formats.push_back(format);
  }
  // A portal's parameters are bound into its statement: the statement runs now, before the
  // next Bind can change them.
  if (statement->kind == Statement::Kind::kQuery && !AnswerFromKeptRows(portal, &bind)) {
    Status started = StartPortal(portal);
    if (!started.ok()) {
      SendStatementError(started);
      return EnterErrorState();
    }
  }
  portals_[bind.portal] = std::move(portal);
  PgBackendWriter(out_).BindComplete();
}

void PgSession::HandleDescribe(const PgDescribe& describe) {
  PgBackendWriter writer(out_);
  if (describe.kind == PgObjectKind::kStatement) {
    auto found = statements_.find(describe.name);
    if (found == statements_.end()) {
      SendError(Status(ErrorCode::kNotFound,
                       fmt::format("prepared statement \"{}\" does not exist", describe.name)),
                0, kInvalidStatementName);
      return EnterErrorState();
    }
    const Statement& statement = *found->second;
    std::vector<std::uint32_t> oids;
    if (statement.query) {
      for (std::size_t i = 0; i < statement.query->parameter_count(); ++i) {
        std::uint32_t given = i < statement.parameter_oids.size() ? statement.parameter_oids[i] : 0;
        oids.push_back(given != 0 ? given : PgTypeOf(statement.query->parameter_type(i)).oid);
      }
    }
    writer.ParameterDescription(oids);
    if (statement.kind == Statement::Kind::kQuery || statement.kind == Statement::Kind::kShow) {
      SendRowDescription(statement, {});
    } else if (auto cursor = cursors_.find(statement.fetch.name);
               statement.kind == Statement::Kind::kFetch && !statement.fetch.move &&
               cursor != cursors_.end()) {
      SendRowDescription(*cursor->second.rows.statement, {});
    } else {
      writer.NoData();
    }
    return;
  }
  auto found = portals_.find(describe.name);
  if (found == portals_.end()) {
    // A cursor is a portal too (psycopg describes its server-side cursors by name).
    if (auto cursor = cursors_.find(describe.name); cursor != cursors_.end()) {
      const Statement& declared = *cursor->second.rows.statement;
      std::vector<std::int16_t> formats(declared.column_types.size(), cursor->second.binary);
      SendRowDescription(declared, formats);
      return;
    }
    SendError(
        Status(ErrorCode::kNotFound, fmt::format("portal \"{}\" does not exist", describe.name)), 0,
        kInvalidCursorName);
    return EnterErrorState();
  }
  const Statement& statement = *found->second.statement;
  if (statement.kind == Statement::Kind::kQuery || statement.kind == Statement::Kind::kShow) {
    SendRowDescription(statement, found->second.result_formats);
  } else if (auto cursor = cursors_.find(statement.fetch.name);
             statement.kind == Statement::Kind::kFetch && !statement.fetch.move &&
             cursor != cursors_.end()) {
    // A FETCH returns its cursor's columns, in the formats its Bind asked for.
    const Statement& declared = *cursor->second.rows.statement;
    std::vector<std::int16_t> formats;
    PgBind formats_of;
    formats_of.result_formats = found->second.requested_formats;
    for (std::size_t c = 0; c < declared.column_types.size(); ++c) {
      formats.push_back(formats_of.ResultFormat(c));
    }
    SendRowDescription(declared, formats);
  } else {
    writer.NoData();
  }
}

void PgSession::HandleExecute(const PgExecute& execute) {
  auto found = portals_.find(execute.portal);
  if (found == portals_.end()) {
    SendError(
        Status(ErrorCode::kNotFound, fmt::format("portal \"{}\" does not exist", execute.portal)),
        0, kInvalidCursorName);
    return EnterErrorState();
  }
  if (found->second.finished) {
    // PostgreSQL answers an exhausted portal with an empty completion.
    const Statement& statement = *found->second.statement;
    PgBackendWriter(out_).CommandComplete(
        statement.kind == Statement::Kind::kFetch ? statement.tag + " 0" : "SELECT 0");
    return;
  }
  active_ = ActiveExecution{execute.portal, execute.max_rows > 0 ? execute.max_rows : 0, false};
}

void PgSession::HandleClose(const PgClose& close) {
  if (close.kind == PgObjectKind::kStatement) {
    statements_.erase(close.name);
  } else if (!portals_.erase(close.name)) {
    cursors_.erase(close.name);  // a cursor is a portal too
  }
  PgBackendWriter(out_).CloseComplete();
}

// ---------------------------------------------------------------------------------------------
// Preparing

Result<std::shared_ptr<PgSession::Statement>> PgSession::Prepare(
    std::string_view text, const std::vector<std::uint32_t>& parameter_oids, int* error_position) {
  auto statement = std::make_shared<Statement>();
  statement->text = std::string(text);
  statement->parameter_oids = parameter_oids;
  std::string keyword = query::LeadingKeyword(text);
  std::vector<std::string> words = Words(text);
  using Kind = Statement::Kind;
  auto command = [&](Kind kind, std::string tag) {
    statement->kind = kind;
    statement->tag = std::move(tag);
    return statement;
  };
  if (query::SplitSql(text).empty()) return command(Kind::kEmpty, "");
  if (!IsSessionCommand(keyword)) return PrepareQuery(statement, text, error_position);
  if (keyword == "BEGIN" || keyword == "START") return command(Kind::kBegin, "BEGIN");
  if (keyword == "COMMIT" || keyword == "END") return command(Kind::kCommit, "COMMIT");
  if (keyword == "ROLLBACK" || keyword == "ABORT") {
    if (words.size() >= 3 && AsciiUpper(words[1]) == "TO") {
      // ROLLBACK TO SAVEPOINT: nothing to undo, but a failed block can go on after it.
      statement->name = "TO";
      return command(Kind::kRollback, "ROLLBACK");
    }
    return command(Kind::kRollback, "ROLLBACK");
  }
  if (keyword == "SAVEPOINT") return command(Kind::kCommit, "SAVEPOINT");
  if (keyword == "RELEASE") return command(Kind::kCommit, "RELEASE");
  if (keyword == "DISCARD") {
    // DISCARD { ALL | PLANS | SEQUENCES | TEMP | TEMPORARY }
    std::string what = words.size() == 2 ? AsciiUpper(words[1]) : "";
    if (what == "TEMPORARY") what = "TEMP";
    if (what != "ALL" && what != "PLANS" && what != "SEQUENCES" && what != "TEMP") {
      return Status::Usage("DISCARD takes ALL, PLANS, SEQUENCES or TEMP");
    }
    statement->name = what;
    return command(Kind::kDiscard, "DISCARD " + what);
  }
  if (keyword == "LISTEN" || keyword == "UNLISTEN") return command(Kind::kListen, keyword);
  if (keyword == "DEALLOCATE") {
    statement->name = words.size() >= 2 ? words.back() : "";
    return command(Kind::kDeallocate, "DEALLOCATE");
  }
  if (keyword == "SET" || keyword == "RESET" || keyword == "SHOW") {
    // SET [SESSION | LOCAL] name { TO | = } value; RESET name; SHOW name.
    std::size_t at = 1;
    if (at < words.size() &&
        (AsciiUpper(words[at]) == "SESSION" || AsciiUpper(words[at]) == "LOCAL")) {
      statement->local = AsciiUpper(words[at]) == "LOCAL";
      ++at;
    }
    if (at >= words.size()) {
      return Status::Usage("{} needs the name of a setting", keyword);
    }
    statement->name = words[at];
    // SHOW TRANSACTION ISOLATION LEVEL and SET TRANSACTION ... are spelled in several words.
    if (AsciiUpper(statement->name) == "TRANSACTION" && keyword == "SHOW") {
      statement->name = "transaction_isolation";
    } else if (AsciiUpper(statement->name) == "TRANSACTION" ||
               AsciiUpper(statement->name) == "SESSION" ||
               AsciiUpper(statement->name) == "CHARACTERISTICS") {
      return command(Kind::kSet, "SET");  // isolation and read-only: always read-only here
    }
    if (AsciiUpper(statement->name) == "TIME" && at + 1 < words.size() &&
        AsciiUpper(words[at + 1]) == "ZONE") {
      statement->name = "TimeZone";
      ++at;
    }
    if (AsciiUpper(statement->name) == "ALL" && keyword != "SET") {
      return command(keyword == "SHOW" ? Kind::kShow : Kind::kReset, keyword);
    }
    // SHOW names its column, and SET and RESET their setting, as PostgreSQL spells it.
    const PgSetting* setting = FindPgSetting(statement->name);
    if (!setting) return UnavailableSetting(keyword, statement->name);
    statement->name = std::string(setting->name);
    if (keyword == "SHOW") return command(Kind::kShow, "SHOW");
    if (keyword == "RESET") return command(Kind::kReset, "RESET");
    ++at;
    if (at < words.size() && (words[at] == "=" || AsciiUpper(words[at]) == "TO")) ++at;
    if (at + 1 == words.size() &&
        (AsciiUpper(words[at]) == "DEFAULT" ||
         (setting->name == "TimeZone" && AsciiUpper(words[at]) == "LOCAL"))) {
      return command(Kind::kReset, "SET");  // SET name TO DEFAULT is RESET name
    }
    for (; at < words.size(); ++at) {
      statement->value += (statement->value.empty() ? "" : ", ") + words[at];
    }
    QUANTA_ASSIGN_OR_RETURN(statement->value, CheckPgSetting(*setting, statement->value));
    return command(Kind::kSet, "SET");
  }
  if (keyword == "COPY") return PrepareCopy(statement, error_position);
  if (keyword == "DECLARE") return PrepareDeclare(statement, error_position);
  if (keyword == "FETCH" || keyword == "MOVE") {
    QUANTA_ASSIGN_OR_RETURN(statement->fetch, ParsePgFetch(text));
    return command(Kind::kFetch, keyword);
  }
  if (keyword == "CLOSE") {
    QUANTA_ASSIGN_OR_RETURN(statement->close_cursor, ParsePgClose(text));
    return command(Kind::kCloseCursor,
                   statement->close_cursor.all ? "CLOSE CURSOR ALL" : "CLOSE CURSOR");
  }
  return Status::Internal("{} is a session command without a handler", keyword);
}

Result<std::shared_ptr<PgSession::Statement>> PgSession::PrepareQuery(
    std::shared_ptr<Statement> statement, std::string_view select, int* error_position,
    engine::Connection* connection) {
  engine::Connection& target = connection ? *connection : *connection_;
  std::unique_ptr<query::TableResolver> resolver = backend_.ResolverFor(user_);
  query::SandboxRefusal refusal;
  // Error positions refer to the text after these rewrites: `positions` points them back.
  DialectPositions positions;
  std::string text = NormalizePostgresDialect(select, &positions);
  // current_setting() reads what SHOW does: the session's settings, not the node's.
  query::SessionNames session{user_, database_, {}};
  for (const PgSetting& setting : PgSettings()) {
    session.settings.emplace_back(setting.name, ShowValue(std::string(setting.name)));
  }
  session.search_path = PgSearchPathSchemas(ShowValue("search_path"), user_);
  statement->search_path = ShowValue("search_path");
  Result<std::vector<query::SandboxedStatement>> sandboxed =
      query::SandboxConsumerSql(*connection_, text, *resolver, &refusal, session);
  if (!sandboxed.ok()) {
    *error_position = positions.OriginalPosition(static_cast<int>(refusal.position));
    return sandboxed.status();
  }
  if (sandboxed->size() != 1) {
    return Status::Usage("expected one statement, found {}", sandboxed->size());
  }
  std::string sql = (*sandboxed)[0].sql;
  statement->sandboxed = std::move((*sandboxed)[0]);
  Result<std::unique_ptr<engine::PreparedQuery>> prepared =
      engine::PreparedQuery::Prepare(target, sql);
  if (!prepared.ok()) {
    // DuckDB points into the rewritten text; point at the name in the consumer's instead.
    *error_position = positions.OriginalPosition(
        PositionOfNamed(statement->sandboxed, prepared.status().message()));
    return prepared.status();
  }
  statement->query = std::move(prepared).value();
  // A parameter DuckDB cannot type from the query (`SELECT $1`, `$1 || 'a'`, `range($1)`)
  // would take the type of each value bound to it, and the result columns with it, so that
  // the columns announced at Parse would not be the ones sent. PostgreSQL types such a
  // parameter as Parse named it, or as text: cast it so, and prepare again.
  std::vector<std::string_view> casts(statement->query->parameter_count());
  bool untyped = false;
  for (std::size_t i = 0; i < casts.size(); ++i) {
    if (statement->query->parameter_type(i).id != engine::TypeId::kOther) continue;
    std::uint32_t oid =
        i < statement->parameter_oids.size() ? statement->parameter_oids[i] : pg_oid::kUnspecified;
    casts[i] = DuckdbTypeForParameter(oid);
    // `x = ANY($1)` (DuckDB's ANY(SELECT unnest($1))) with a parameter the client left
    // untyped, as psycopg 3 sends a list of strings: PostgreSQL takes it for an array.
    if ((oid == pg_oid::kUnspecified || oid == pg_oid::kUnknown) &&
        sql.find(fmt::format("unnest(${})", i + 1)) != std::string::npos) {
      casts[i] = "VARCHAR[]";
    }
    untyped = true;
  }
  if (untyped) {
    sql = CastParameters(sql, casts);
    QUANTA_ASSIGN_OR_RETURN(statement->query, engine::PreparedQuery::Prepare(target, sql));
  }
  if (statement->query->parameter_count() > 0 && statement->query->ColumnsUnknown()) {
    // DuckDB binds a table function's arguments only with their values (range($1)), so it
    // cannot say the columns that Describe must announce. The same statement with each
    // parameter a NULL of its type can; a probe that fails leaves them unknown, and Execute
    // then refuses a result that differs from them.
    std::vector<std::string> types;
    for (std::size_t i = 0; i < statement->query->parameter_count(); ++i) {
      const engine::ValueType& type = statement->query->parameter_type(i);
      types.push_back(type.id == engine::TypeId::kOther ? std::string("VARCHAR") : type.name);
    }
    Result<std::unique_ptr<engine::PreparedQuery>> probe =
        engine::PreparedQuery::Prepare(target, ParametersAsNulls(sql, types));
    if (probe.ok() && !(*probe)->ColumnsUnknown()) statement->query->AdoptColumnsOf(**probe);
  }
  // Columns of types PostgreSQL has no counterpart for are cast in SQL, by position.
  const std::vector<engine::ValueType>& types = statement->query->column_types();
  bool cast = std::any_of(types.begin(), types.end(), NeedsCastBeforeEncoding);
  if (cast) {
    std::string columns;
    for (std::size_t c = 0; c < types.size(); ++c) {
      std::string column = fmt::format("#{}", c + 1);
      if (NeedsCastBeforeEncoding(types[c])) {
        column = fmt::format("CAST({} AS {})", column, CastTargetFor(types[c]));
      }
      columns += fmt::format("{}{} AS {}", c ? ", " : "", column,
                             engine::QuoteIdentifier(statement->query->column_names()[c]));
    }
    QUANTA_ASSIGN_OR_RETURN(
        statement->query,
        engine::PreparedQuery::Prepare(
            target, fmt::format("SELECT {} FROM ({}) AS quanta_result", columns, sql)));
  }
  statement->column_types.clear();
  for (const engine::ValueType& type : statement->query->column_types()) {
    statement->column_types.push_back(PgTypeOf(type));
  }
  statement->kind = Statement::Kind::kQuery;
  if (statement->sandboxed.point_lookup) FindKeptRows(*statement, *resolver);
  if (statement->sandboxed.constant && statement->query->parameter_count() == 0) {
    // Literals give the same row every time: DuckDB makes it once. A result of any other
    // shape (there is none) would run each time.
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultStream> stream,
                            statement->query->Execute());
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultChunk> row, stream->Next());
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultChunk> end, stream->Next());
    if (row && row->row_count() == 1 && !end && !ColumnWithNulCharacter(*row, 0)) {
      statement->constant_row = std::move(row);
    }
  }
  return statement;
}

void PgSession::FindKeptRows(Statement& statement, query::TableResolver& resolver) {
  const query::PointLookup& lookup = *statement.sandboxed.point_lookup;
  const query::ResolvedTable& table = statement.sandboxed.tables.at(0);
  std::shared_ptr<const engine::KeyedRows> rows = resolver.KeyedRowsOf(table.schema, table.table);
  if (!rows) return;
  // DuckDB matches names without case, as an unquoted identifier; a name the kept rows lack
  // (a column the statement's table does not have) leaves the statement to fail in DuckDB.
  auto column_named = [&](std::string_view name) -> std::optional<std::size_t> {
    for (std::size_t c = 0; c < rows->names().size(); ++c) {
      if (AsciiLower(rows->names()[c]) == AsciiLower(name)) return c;
    }
    return std::nullopt;
  };
  Statement::KeyedLookup keyed;
  keyed.rows = rows;
  if (lookup.columns.empty()) {
    for (std::size_t c = 0; c < rows->names().size(); ++c) keyed.columns.push_back(c);
  }
  for (const std::string& name : lookup.columns) {
    std::optional<std::size_t> column = column_named(name);
    if (!column) return;
    keyed.columns.push_back(*column);
  }
  // The result's columns must be the kept ones as they are, with no cast for the port between.
  const std::vector<engine::ValueType>& types = statement.query->column_types();
  if (types.size() != keyed.columns.size()) return;
  for (std::size_t c = 0; c < types.size(); ++c) {
    if (types[c].name != rows->types()[keyed.columns[c]].name) return;
  }
  if (column_named(lookup.key_column) != rows->key_column()) return;
  const engine::ValueType& key_type = rows->types()[rows->key_column()];
  if (lookup.parameter > 0) {
    if (static_cast<std::size_t>(lookup.parameter) > statement.query->parameter_count()) return;
    keyed.parameter = lookup.parameter - 1;
  } else if (lookup.literal_is_text || key_type.id != engine::TypeId::kVarchar) {
    // (An integer literal against a text key is compared as DuckDB casts it: not looked up.)
    keyed.key = KeyFromText(key_type, lookup.literal);
    if (!keyed.key) return;
  } else {
    return;
  }
  statement.keyed = std::make_shared<const Statement::KeyedLookup>(std::move(keyed));
}

bool PgSession::AnswerFromKeptRows(Portal& portal, const PgBind* bind) {
  const Statement& statement = *portal.statement;
  if (statement.constant_row && statement.kind == Statement::Kind::kQuery) {
    portal.started = true;
    portal.keyed = true;
    portal.keyed_chunk = statement.constant_row;
    portal.keyed_row = 0;
    return true;
  }
  // In a transaction block the statement reads the block's snapshot, which kept rows do not.
  if (!statement.keyed || statement.kind != Statement::Kind::kQuery || in_transaction_ ||
      implicit_block_) {
    return false;
  }
  const Statement::KeyedLookup& lookup = *statement.keyed;
  const engine::ValueType& key_type = lookup.rows->types()[lookup.rows->key_column()];
  std::optional<engine::RowKey> key = lookup.key;
  if (lookup.parameter >= 0) {
    const std::size_t index = static_cast<std::size_t>(lookup.parameter);
    if (!bind || index >= bind->parameters.size() || !bind->parameters[index]) return false;
    const std::string& value = *bind->parameters[index];
    if (bind->ParameterFormat(index) == 0) {
      key = KeyFromText(key_type, value);
    } else {
      std::uint32_t oid =
          index < statement.parameter_oids.size() ? statement.parameter_oids[index] : 0;
      key = KeyFromBinary(key_type, oid, value);
    }
  }
  if (!key) return false;
  std::optional<engine::KeyedRows::Found> found = lookup.rows->Find(*key);
  if (!found) return false;
  if (found->chunk) {
    // A text with a NUL character cannot be sent; the statement reports it as any other does.
    for (std::size_t column : lookup.columns) {
      const engine::ColumnView& values = found->chunk->Column(column);
      if (values.type().id == engine::TypeId::kVarchar && !values.IsNull(found->row) &&
          values.Text(found->row).find('\0') != std::string_view::npos) {
        return false;
      }
    }
  }
  portal.started = true;
  portal.keyed = true;
  portal.keyed_chunk = std::move(found->chunk);
  portal.keyed_row = found->row;
  portal.keyed_lookup = statement.keyed;
  return true;
}

Result<std::shared_ptr<PgSession::Statement>> PgSession::Refresh(
    const std::string& name, std::shared_ptr<Statement> statement) {
  // Same answers for the same tables: the sandbox would give the same SQL again. (A statement
  // without tables needs no resolver, which costs a look at every product.)
  if (statement->search_path == ShowValue("search_path") && statement->sandboxed.tables.empty()) {
    return statement;
  }
  std::unique_ptr<query::TableResolver> resolver = backend_.ResolverFor(user_);
  if (statement->search_path == ShowValue("search_path") &&
      query::ResolvesAsBefore(statement->sandboxed, *resolver)) {
    // Kept rows given up go with the store that kept them (a redeploy reopens it): its
    // successor's, if it keeps any, answer from now on.
    if (statement->keyed && statement->keyed->rows->given_up()) {
      statement->keyed.reset();
      FindKeptRows(*statement, *resolver);
    }
    return statement;
  }
  // A new Statement, so that portals still reading the old one keep their prepared query.
  auto fresh = std::make_shared<Statement>();
  fresh->text = statement->text;
  fresh->parameter_oids = statement->parameter_oids;
  int position = 0;
  QUANTA_ASSIGN_OR_RETURN(fresh, PrepareQuery(fresh, statement->text, &position));
  if (fresh->column_types.size() != statement->column_types.size() ||
      !std::equal(fresh->column_types.begin(), fresh->column_types.end(),
                  statement->column_types.begin(),
                  [](const PgType& a, const PgType& b) { return a.oid == b.oid; })) {
    return Status::NotSupported("{}", engine::kResultTypeChanged);
  }
  statements_[name] = fresh;
  return fresh;
}

std::string PgSession::StatementKey(std::string_view text,
                                    const std::vector<std::uint32_t>& parameter_oids) {
  std::string key(text);
  // (fmt would stop a format string at its NUL: the types were left out of the key, so a
  // text came back prepared for the parameter types of its first Parse.)
  for (std::uint32_t oid : parameter_oids) {
    key += '\0';
    key += std::to_string(oid);
  }
  return key;
}

std::shared_ptr<PgSession::Statement> PgSession::CachedStatement(const std::string& key) {
  auto found = statement_cache_.find(key);
  if (found == statement_cache_.end()) return nullptr;
  if (found->second->sandboxed.tables.empty()) return found->second;
  std::unique_ptr<query::TableResolver> resolver = backend_.ResolverFor(user_);
  if (query::ResolvesAsBefore(found->second->sandboxed, *resolver)) {
    Statement& statement = *found->second;
    if (statement.keyed && statement.keyed->rows->given_up()) {  // as in Refresh
      statement.keyed.reset();
      FindKeptRows(statement, *resolver);
    }
    return found->second;
  }
  statement_cache_.erase(found);
  return nullptr;
}

void PgSession::KeepPointLookup(std::string_view text,
                                const std::shared_ptr<Statement>& statement) {
  if (statement->kind != Statement::Kind::kQuery || !statement->keyed || !statement->keyed->key ||
      !statement->sandboxed.point_lookup ||
      statement->sandboxed.point_lookup->skeleton_literal < 0) {
    return;
  }
  std::optional<query::StatementSkeleton> skeleton =
      query::SkeletonOfStatement(NormalizePostgresDialect(text));
  if (!skeleton) return;
  if (point_lookups_.size() >= kStatementCacheEntries) point_lookups_.clear();
  point_lookups_[skeleton->text] = statement;
}

std::shared_ptr<PgSession::Statement> PgSession::PointLookupLike(std::string_view text,
                                                                 Portal* portal) {
  if (point_lookups_.empty()) return nullptr;
  std::optional<query::StatementSkeleton> skeleton =
      query::SkeletonOfStatement(NormalizePostgresDialect(text));
  if (!skeleton) return nullptr;
  auto found = point_lookups_.find(skeleton->text);
  if (found == point_lookups_.end()) return nullptr;
  const Statement& like = *found->second;
  // The texts differ only in integer literals, and the kept one's only literal is its key: the
  // sandbox would answer this one alike, with this key, while its tables resolve as they did.
  const std::size_t literal =
      static_cast<std::size_t>(like.sandboxed.point_lookup->skeleton_literal);
  if (literal >= skeleton->literals.size() || like.search_path != ShowValue("search_path")) {
    return nullptr;
  }
  std::unique_ptr<query::TableResolver> resolver = backend_.ResolverFor(user_);
  if (!query::ResolvesAsBefore(like.sandboxed, *resolver)) {
    point_lookups_.erase(found);
    return nullptr;
  }
  const engine::KeyedRows& rows = *like.keyed->rows;
  std::optional<engine::RowKey> key =
      KeyFromText(rows.types()[rows.key_column()], skeleton->literals[literal]);
  if (!key) return nullptr;
  auto statement = std::make_shared<Statement>();
  statement->text = std::string(text);
  statement->kind = Statement::Kind::kQuery;
  statement->query = like.query;
  statement->column_types = like.column_types;
  statement->search_path = like.search_path;
  auto keyed = std::make_shared<Statement::KeyedLookup>(*like.keyed);
  keyed->key = std::move(key);
  statement->keyed = std::move(keyed);
  // Its query holds the other literal: the statement exists only answered from kept rows.
  Portal attempt;
  attempt.statement = statement;
  if (!AnswerFromKeptRows(attempt, nullptr)) return nullptr;
  *portal = std::move(attempt);
  return statement;
}

void PgSession::CacheStatement(const std::string& key,
                               const std::shared_ptr<Statement>& statement) {
  if (statement->kind != Statement::Kind::kQuery && statement->kind != Statement::Kind::kCopy) {
    return;
  }
  if (statement_cache_.size() >= kStatementCacheEntries) statement_cache_.clear();
  statement_cache_[key] = statement;
}

Result<std::shared_ptr<PgSession::Statement>> PgSession::PrepareCopy(
    std::shared_ptr<Statement> statement, int* error_position) {
  QUANTA_ASSIGN_OR_RETURN(PgCopyCommand copy, ParsePgCopy(statement->text));
  statement->copy = std::move(copy.options);
  using Format = PgCopyOptions::Format;
  statement->copy_format = statement->copy.format == Format::kBinary ? 1
                           : statement->copy.format == Format::kCsv  ? 2
                                                                     : 0;
  const std::string source = std::move(copy.select);
  QUANTA_ASSIGN_OR_RETURN(statement, PrepareQuery(statement, source, error_position));
  statement->kind = Statement::Kind::kCopy;
  // FORCE_QUOTE's columns, by name as PostgreSQL matches them (unquoted: without case).
  const std::vector<std::string>& names = statement->query->column_names();
  statement->copy_force_quote.assign(names.size(), statement->copy.force_quote_all);
  for (const std::string& wanted : statement->copy.force_quote) {
    bool quoted = wanted.size() > 1 && wanted.front() == '"';
    std::string name = quoted ? wanted.substr(1, wanted.size() - 2) : wanted;
    bool found = false;
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (quoted ? names[c] == name : AsciiLower(names[c]) == AsciiLower(name)) {
        statement->copy_force_quote[c] = found = true;
      }
    }
    if (!found) {
      std::string columns;
      for (const std::string& column : names) columns += (columns.empty() ? "" : ", ") + column;
      return Status::Usage(
          "COPY FORCE_QUOTE column \"{}\" is not a column of the COPY; its "
          "columns are {}",
          name, columns);
    }
  }
  return statement;
}

Result<std::shared_ptr<PgSession::Statement>> PgSession::PrepareDeclare(
    std::shared_ptr<Statement> statement, int* error_position) {
  QUANTA_ASSIGN_OR_RETURN(statement->declare, ParsePgDeclare(statement->text));
  if (statement->declare.scroll) {
    return Status::NotSupported(
        "DECLARE ... SCROLL CURSOR is not supported: Quanta's cursors stream their rows and read "
        "forward only; declare it without SCROLL (or NO SCROLL) and FETCH forward");
  }
  // The cursor's query runs on a connection of its own, so that the session's other
  // statements, which run on the session's connection, leave its streamed result open. It is
  // sandboxed exactly as any other consumer query.
  QUANTA_ASSIGN_OR_RETURN(statement->own_connection, backend_.Connect());
  const std::string query = statement->declare.query;
  Result<std::shared_ptr<Statement>> prepared =
      PrepareQuery(statement, query, error_position, statement->own_connection.get());
  if (!prepared.ok()) {
    if (*error_position > 0) {
      *error_position += static_cast<int>(statement->declare.query_offset);
    }
    return prepared.status();
  }
  statement->kind = Statement::Kind::kDeclare;
  statement->tag = "DECLARE CURSOR";
  return statement;
}

// ---------------------------------------------------------------------------------------------
// Running

Status PgSession::StartPortal(Portal& portal) {
  portal.started = true;
  cancel_reason_ = 0;
  BeginRunning(portal.statement->own_connection.get());
  Result<std::unique_ptr<engine::ResultStream>> stream = portal.statement->query->Execute();
  EndRunning();
  if (!stream.ok()) {
    if (stream.status().message().starts_with(engine::kResultTypeChanged)) {
      // Its text is prepared afresh the next time it comes; a named statement stays as it is
      // until it is prepared again, as in PostgreSQL.
      std::erase_if(statement_cache_,
                    [&](const auto& entry) { return entry.second == portal.statement; });
    }
    return stream.status();
  }
  portal.stream = std::move(stream).value();
  return Status::Ok();
}

bool PgSession::ContinueExecution() {
  auto found = portals_.find(active_->portal);
  if (found == portals_.end()) {
    active_.reset();
    return true;
  }
  Portal& portal = found->second;
  Statement& statement = *portal.statement;
  bool simple = active_->simple;
  if (statement.kind == Statement::Kind::kFetch) return ContinueFetch(portal, simple);
  if (statement.kind != Statement::Kind::kQuery && statement.kind != Statement::Kind::kCopy) {
    RunCommand(portal, simple);
    active_.reset();
    return true;
  }
  PgBackendWriter writer(out_);
  auto fail = [&](const Status& status) {
    SendStatementError(status);
    portal.finished = true;
    active_.reset();
    EnterErrorState();
    if (simple) simple_statements_.clear();
  };
  if (!portal.started && !AnswerFromKeptRows(portal, nullptr)) {
    Status started = StartPortal(portal);
    if (!started.ok()) {
      fail(started);
      return true;
    }
  }
  if (statement.kind == Statement::Kind::kCopy && portal.rows_sent == 0 && !portal.chunk) {
    bool binary = statement.copy_format == 1;
    std::vector<std::int16_t> formats(statement.query->column_types().size(), binary ? 1 : 0);
    writer.CopyOutResponse(binary ? 1 : 0, formats);
    if (binary) {
      // PGCOPY signature, flags, header extension length: sent in front of the first row, as
      // PostgreSQL does (psycopg reads a row from the header's message).
      portal.copy_prefix.assign("PGCOPY\n\xff\r\n\0", 11);
      AppendInt32(portal.copy_prefix, 0);
      AppendInt32(portal.copy_prefix, 0);
    } else if (statement.copy.header) {
      std::string header;
      const auto& names = statement.query->column_names();
      for (std::size_t c = 0; c < names.size(); ++c) {
        if (c) header += statement.copy.delimiter;
        header += names[c];
      }
      writer.CopyData(header + "\n");
    }
  }
  if (portal.keyed && portal.keyed_chunk) {
    SendDataRow(statement, *portal.keyed_chunk, portal.keyed_row, portal.result_formats,
                portal.keyed_lookup ? &portal.keyed_lookup->columns : nullptr);
    portal.keyed_chunk.reset();
    ++portal.rows_sent;
  }
  while (!portal.keyed) {
    if (!portal.chunk || portal.chunk_row >= portal.chunk->row_count()) {
      if (Status fetched = FetchChunk(portal); !fetched.ok()) {
        fail(fetched);
        return true;
      }
      if (!portal.chunk) break;
      continue;
    }
    const engine::ResultChunk& chunk = *portal.chunk;
    std::size_t row = portal.chunk_row++;
    if (std::optional<std::size_t> column = ColumnWithNulCharacter(chunk, row)) {
      fail(NulCharacterError(statement.query->column_names()[*column], portal.rows_sent + 1));
      return true;
    }
    if (statement.kind == Statement::Kind::kCopy) {
      SendCopyRow(portal, chunk, row);
    } else {
      SendDataRow(statement, chunk, row, portal.result_formats);
    }
    ++portal.rows_sent;
    if (active_->limit > 0 && --active_->limit == 0) {
      // Execute's row limit reached: the portal stays open for the next Execute.
      if (portal.chunk_row < portal.chunk->row_count()) {
        writer.PortalSuspended();
        active_.reset();
        return true;
      }
      // The rest may be empty; look ahead one chunk to know whether the portal is done.
      if (Status fetched = FetchChunk(portal); !fetched.ok()) {
        fail(fetched);
        return true;
      }
      if (portal.chunk) {
        writer.PortalSuspended();
        active_.reset();
        return true;
      }
      break;
    }
    if (out_->size() >= options_.flush_bytes) return false;
  }
  portal.finished = true;
  if (statement.kind == Statement::Kind::kCopy) {
    if (statement.copy_format == 1) {
      std::string trailer = std::move(portal.copy_prefix);
      AppendInt16(trailer, -1);
      writer.CopyData(trailer);
    }
    writer.CopyDone();
    writer.CommandComplete(fmt::format("COPY {}", portal.rows_sent));
  } else {
    writer.CommandComplete(fmt::format("SELECT {}", portal.rows_sent));
  }
  portal.stream.reset();
  active_.reset();
  if (simple) {
    portal.chunk.reset();
  }
  return true;
}

void PgSession::SendDataRow(const Statement& statement, const engine::ResultChunk& chunk,
                            std::size_t row, const std::vector<std::int16_t>& formats,
                            const std::vector<std::size_t>* chunk_columns) {
  PgBackendWriter writer(out_);
  const std::size_t columns = statement.column_types.size();
  writer.BeginDataRow(static_cast<std::int16_t>(columns));
  for (std::size_t c = 0; c < columns; ++c) {
    const engine::ColumnView& column = chunk.Column(chunk_columns ? (*chunk_columns)[c] : c);
    if (column.IsNull(row)) {
      writer.AddNull();
      continue;
    }
    EncodeValue(column, row, statement.column_types[c], formats[c], writer.BeginValue());
    writer.EndValue();
  }
  writer.EndDataRow();
}

Result<bool> PgSession::NextRow(Portal& portal) {
  while (!portal.finished && (!portal.chunk || portal.chunk_row >= portal.chunk->row_count())) {
    QUANTA_RETURN_IF_ERROR(FetchChunk(portal));
    if (!portal.chunk) {
      portal.finished = true;
      portal.stream.reset();  // the query is done: its connection is free again
    }
  }
  return !portal.finished;
}

void PgSession::DeclareCursor(const std::shared_ptr<Statement>& statement_pointer) {
  const Statement& statement = *statement_pointer;
  PgBackendWriter writer(out_);
  const PgDeclareCursor& declare = statement.declare;
  if (cursors_.count(declare.name)) {
    SendError(Status::Usage("cursor \"{}\" already exists", declare.name), 0, "42P03");
    return EnterErrorState();
  }
  if (!declare.hold && !in_transaction_ && !implicit_block_) {
    SendError(Status::Usage("DECLARE CURSOR can only be used in transaction blocks (run BEGIN "
                            "first, or declare it WITH HOLD)"),
              0, "25P01");
    return EnterErrorState();
  }
  if (cursors_.size() >= options_.max_cursors) {
    SendError(Status::TooLarge("too many open cursors: this session has {}, the most the node "
                               "allows; CLOSE one (or CLOSE ALL) before declaring another",
                               cursors_.size()),
              0, "54000");
    return EnterErrorState();
  }
  // The cursor keeps the statement, and so its connection and prepared query, while open.
  Cursor cursor;
  cursor.rows.statement = statement_pointer;
  cursor.binary = declare.binary;
  cursor.hold = declare.hold;
  cursor.declared_in_block = in_transaction_ || implicit_block_;
  if (Status started = StartPortal(cursor.rows); !started.ok()) {
    SendStatementError(started);
    return EnterErrorState();
  }
  cursors_.emplace(declare.name, std::move(cursor));
  writer.CommandComplete(statement.tag);
}

bool PgSession::ContinueFetch(Portal& portal, bool simple) {
  const Statement& statement = *portal.statement;
  const PgFetchCursor& fetch = statement.fetch;
  PgBackendWriter writer(out_);
  auto cursor_at = cursors_.find(fetch.name);
  auto fail = [&](const Status& status, std::string_view sqlstate) {
    if (sqlstate.empty()) {
      SendStatementError(status);
    } else {
      SendError(status, 0, sqlstate);
    }
    portal.finished = true;
    active_.reset();
    EnterErrorState();
    if (simple) simple_statements_.clear();
    return true;
  };
  if (!portal.started) {
    portal.started = true;
    if (transaction_failed_) {
      return fail(Status::Usage("current transaction is aborted, commands ignored until end of "
                                "transaction block"),
                  "25P02");
    }
    if (cursor_at == cursors_.end()) {
      return fail(Status::NotFound("cursor \"{}\" does not exist", fetch.name), kInvalidCursorName);
    }
    Result<PgForwardFetch> plan = PlanForwardFetch(fetch, cursor_at->second.rows.rows_sent);
    if (!plan.ok()) return fail(plan.status(), kCursorCannotScanBackward);
    portal.fetch_plan = *plan;
    const Statement& declared = *cursor_at->second.rows.statement;
    PgBind formats_of;
    formats_of.result_formats =
        simple ? std::vector<std::int16_t>{cursor_at->second.binary} : portal.requested_formats;
    portal.result_formats.clear();
    for (std::size_t c = 0; c < declared.column_types.size(); ++c) {
      portal.result_formats.push_back(formats_of.ResultFormat(c));
    }
    if (simple && !fetch.move) SendRowDescription(declared, portal.result_formats);
  }
  if (cursor_at == cursors_.end()) {
    return fail(Status::NotFound("cursor \"{}\" does not exist", fetch.name), kInvalidCursorName);
  }
  Portal& rows = cursor_at->second.rows;
  const Statement& declared = *rows.statement;
  const PgForwardFetch& plan = portal.fetch_plan;
  auto drop_cursor = [&](const Status& status) {
    // A cursor whose query failed cannot go on, as in PostgreSQL.
    Status copy = status;
    cursors_.erase(cursor_at);
    return fail(copy, "");
  };
  while (portal.fetch_skipped < plan.skip) {
    Result<bool> more = NextRow(rows);
    if (!more.ok()) return drop_cursor(more.status());
    if (!*more) break;
    ++rows.chunk_row;
    ++rows.rows_sent;
    ++portal.fetch_skipped;
  }
  while (plan.all || portal.rows_sent < plan.rows) {
    Result<bool> more = NextRow(rows);
    if (!more.ok()) return drop_cursor(more.status());
    if (!*more) break;
    const engine::ResultChunk& chunk = *rows.chunk;
    std::size_t row = rows.chunk_row++;
    ++rows.rows_sent;
    ++portal.rows_sent;
    if (!fetch.move) {
      if (std::optional<std::size_t> column = ColumnWithNulCharacter(chunk, row)) {
        return drop_cursor(
            NulCharacterError(declared.query->column_names()[*column], rows.rows_sent));
      }
      SendDataRow(declared, chunk, row, portal.result_formats);
      if (active_->limit > 0 && --active_->limit == 0) {
        // Execute's row limit: the FETCH goes on at the next Execute, if it has rows left.
        bool wanted = plan.all || portal.rows_sent < plan.rows;
        Result<bool> left = wanted ? NextRow(rows) : Result<bool>(false);
        if (!left.ok()) return drop_cursor(left.status());
        if (*left) {
          writer.PortalSuspended();
          active_.reset();
          return true;
        }
        break;
      }
    }
    if (out_->size() >= options_.flush_bytes) return false;
  }
  portal.finished = true;
  writer.CommandComplete(fmt::format("{} {}", statement.tag, portal.rows_sent));
  active_.reset();
  return true;
}

bool PgSession::AllowedInFailedBlock(std::string_view text) {
  if (!transaction_failed_) return true;
  std::string keyword = query::LeadingKeyword(text);
  if (keyword == "COMMIT" || keyword == "END" || keyword == "ROLLBACK" || keyword == "ABORT") {
    return true;
  }
  SendError(Status::Usage("current transaction is aborted, commands ignored until end of "
                          "transaction block"),
            0, "25P02");
  return false;
}

Status PgSession::FetchChunk(Portal& portal) {
  BeginRunning(portal.statement->own_connection.get());
  Result<std::unique_ptr<engine::ResultChunk>> chunk = portal.stream->Next();
  EndRunning();
  if (!chunk.ok()) return chunk.status();
  portal.chunk = std::move(chunk).value();
  portal.chunk_row = 0;
  return Status::Ok();
}

void PgSession::RunCommand(Portal& portal, bool describe_rows) {
  Statement& statement = *portal.statement;
  PgBackendWriter writer(out_);
  using Kind = Statement::Kind;
  if (transaction_failed_ && statement.kind != Kind::kRollback &&
      !(statement.kind == Kind::kCommit && statement.tag == "COMMIT")) {
    SendError(Status(ErrorCode::kUsage,
                     "current transaction is aborted, commands ignored until "
                     "end of transaction block"),
              0, "25P02");
    return EnterErrorState();
  }
  switch (statement.kind) {
    case Kind::kEmpty:
      writer.EmptyQueryResponse();
      return;
    case Kind::kBegin:
      if (in_transaction_) {
        PgErrorFields warning;
        warning.severity = "WARNING";
        warning.sqlstate = "25001";
        warning.message = "there is already a transaction in progress";
        writer.NoticeResponse(warning);
      }
      BeginBlock();
      in_transaction_ = true;
      break;
    case Kind::kCommit:
    case Kind::kRollback:
      if (statement.kind == Kind::kRollback && statement.name == "TO") {
        // ROLLBACK TO SAVEPOINT: the block goes on, usable again after an error.
        if (!in_transaction_) {
          SendError(Status::Usage("ROLLBACK TO SAVEPOINT can only be used in transaction blocks"),
                    0, "25P01");
          return EnterErrorState();
        }
        transaction_failed_ = false;
        break;
      }
      if (statement.tag == "COMMIT" || statement.tag == "ROLLBACK") {
        if (transaction_failed_ && statement.tag == "COMMIT") {
          // A failed block cannot commit: it rolls back, and says so.
          EndBlock(false);
          writer.CommandComplete("ROLLBACK");
          in_transaction_ = transaction_failed_ = false;
          return;
        }
        if (!in_transaction_) {
          PgErrorFields warning;
          warning.severity = "WARNING";
          warning.sqlstate = "25P01";
          warning.message = "there is no transaction in progress";
          writer.NoticeResponse(warning);
        }
        // Ends the block, or the implicit one of a Query of several statements.
        if (in_transaction_ || implicit_block_) {
          EndBlock(statement.tag == "COMMIT");
        }
        in_transaction_ = transaction_failed_ = false;
      }
      break;
    case Kind::kDeclare:
      return DeclareCursor(portal.statement);
    case Kind::kCloseCursor:
      if (statement.close_cursor.all) {
        cursors_.clear();
      } else if (!cursors_.erase(statement.close_cursor.name)) {
        SendError(Status::NotFound("cursor \"{}\" does not exist", statement.close_cursor.name), 0,
                  kInvalidCursorName);
        return EnterErrorState();
      }
      break;
    case Kind::kSet:
      // SET TRANSACTION and SET SESSION CHARACTERISTICS name nothing: always read-only here.
      if (statement.name.empty()) break;
      if (statement.local && !in_transaction_ && !implicit_block_) {
        PgErrorFields warning;  // PostgreSQL's words: the SET has no effect
        warning.severity = "WARNING";
        warning.sqlstate = "25P01";
        warning.message = "SET LOCAL can only be used in transaction blocks";
        writer.NoticeResponse(warning);
        break;
      }
      ChangeSetting(statement.name, statement.value, statement.local);
      break;
    case Kind::kReset:
      if (AsciiUpper(statement.name) == "ALL") {
        ChangeSetting({}, std::nullopt);
      } else {
        ChangeSetting(statement.name, std::nullopt);
      }
      break;
    case Kind::kShow: {
      std::vector<std::pair<std::string, std::string>> rows;
      if (AsciiUpper(statement.name) == "ALL") {
        for (const PgSetting& setting : PgSettings()) {
          rows.emplace_back(std::string(setting.name), ShowValue(std::string(setting.name)));
        }
      } else {
        rows.emplace_back(statement.name, ShowValue(statement.name));
      }
      if (describe_rows) {
        std::vector<PgFieldDescription> fields;
        PgFieldDescription field;
        field.name = rows.size() == 1 ? rows[0].first : "name";
        field.type_oid = 25;
        fields.push_back(field);
        if (rows.size() > 1) {
          field.name = "setting";
          fields.push_back(field);
        }
        writer.RowDescription(fields);
      }
      for (const auto& [name, value] : rows) {
        if (rows.size() == 1) {
          writer.DataRow({std::string_view(value)});
        } else {
          writer.DataRow({std::string_view(name), std::string_view(value)});
        }
      }
      writer.CommandComplete(fmt::format("SHOW"));
      return;
    }
    case Kind::kDiscard:
      // PLANS: what the session prepared; ALL: that and every setting, statement and portal.
      // The session has no sequences or temporary tables.
      if (statement.name == "PLANS" || statement.name == "ALL") statement_cache_.clear();
      if (statement.name != "ALL") break;
      ChangeSetting({}, std::nullopt);
      statements_.clear();
      cursors_.clear();
      for (auto it = portals_.begin(); it != portals_.end();) {
        it = it->first == kSimplePortal ? std::next(it) : portals_.erase(it);
      }
      break;
    case Kind::kDeallocate:
      if (AsciiUpper(statement.name) == "ALL") {
        // What the session prepared from texts goes too: a pooler resets a session this way
        // before the next client, which should not run on the plans of the last one.
        statements_.clear();
        statement_cache_.clear();
      } else if (!statements_.erase(statement.name)) {
        SendError(Status::NotFound("prepared statement \"{}\" does not exist", statement.name), 0,
                  kInvalidStatementName);
        return EnterErrorState();
      }
      break;
    default:
      break;
  }
  writer.CommandComplete(statement.tag);
}

void PgSession::SendRowDescription(const Statement& statement,
                                   const std::vector<std::int16_t>& formats) {
  PgBackendWriter writer(out_);
  if (statement.kind == Statement::Kind::kShow) {
    PgFieldDescription field;
    field.name = AsciiUpper(statement.name) == "ALL" ? "name" : statement.name;
    field.type_oid = 25;
    writer.RowDescription({field});
    return;
  }
  std::vector<PgFieldDescription> fields;
  const auto& names = statement.query->column_names();
  const auto& types = statement.query->column_types();
  for (std::size_t c = 0; c < types.size(); ++c) {
    fields.push_back(
        FieldFor(names[c], statement.column_types[c], c < formats.size() ? formats[c] : 0));
  }
  writer.RowDescription(fields);
}

void PgSession::SendCopyRow(Portal& portal, const engine::ResultChunk& chunk, std::size_t row) {
  const Statement& statement = *portal.statement;
  PgBackendWriter writer(out_);
  std::string& line = writer.BeginCopyData();
  if (!portal.copy_prefix.empty()) {
    line += portal.copy_prefix;
    portal.copy_prefix.clear();
  }
  if (statement.copy_format == 1) {
    // A tuple: the field count, then each field's length (-1 for NULL) and binary value.
    AppendInt16(line, static_cast<std::int16_t>(chunk.column_count()));
    for (std::size_t c = 0; c < chunk.column_count(); ++c) {
      const engine::ColumnView& column = chunk.Column(c);
      if (column.IsNull(row)) {
        AppendInt32(line, -1);
        continue;
      }
      std::size_t length_at = line.size();
      AppendInt32(line, 0);
      EncodeValue(column, row, statement.column_types[c], 1, line);
      PatchInt32(line, length_at, static_cast<std::int32_t>(line.size() - length_at - 4));
    }
    writer.EndCopyData();
    return;
  }
  const bool csv = statement.copy_format == 2;
  const PgCopyOptions& options = statement.copy;
  const char delimiter = options.delimiter;
  // Which bytes need care: text format escapes them with a backslash, csv quotes the value.
  auto special = [&](char ch) {
    return ch == delimiter || ch == '\n' || ch == '\r' ||
           (csv ? ch == options.quote : (ch == '\\' || ch == '\t'));
  };
  std::string& value = copy_value_;
  for (std::size_t c = 0; c < chunk.column_count(); ++c) {
    if (c) line += delimiter;
    const engine::ColumnView& column = chunk.Column(c);
    if (column.IsNull(row)) {
      line += options.null;
      continue;
    }
    value.clear();
    EncodeValue(column, row, statement.column_types[c], 0, value);
    std::size_t first = 0;
    while (first < value.size() && !special(value[first])) ++first;
    // In csv a value spelled as the NULL string is quoted, so that it reads back as a value.
    bool quote =
        csv && (first < value.size() || statement.copy_force_quote[c] || value == options.null);
    if (first == value.size() && !quote) {
      line += value;  // the common case: nothing to escape or quote
      continue;
    }
    if (csv) {
      line += options.quote;
      for (char ch : value) {
        if (ch == options.quote || ch == options.escape) line += options.escape;
        line += ch;
      }
      line += options.quote;
      continue;
    }
    line.append(value, 0, first);
    for (std::size_t i = first; i < value.size(); ++i) {
      char ch = value[i];
      switch (ch) {
        case '\\':
          line += "\\\\";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        case '\t':
          line += "\\t";
          break;
        default:
          if (ch == delimiter) line += '\\';
          line += ch;
      }
    }
  }
  line += '\n';
  writer.EndCopyData();
}

void PgSession::ApplyStatementTimeout() {
  std::chrono::milliseconds timeout = options_.statement_timeout;
  if (std::string value = ShowValue("statement_timeout"); !value.empty()) {
    Result<std::chrono::milliseconds> session = ParseStatementTimeout(value);
    if (session.ok() && session->count() > 0 && (timeout.count() == 0 || *session < timeout)) {
      timeout = *session;
    }
  }
  statement_timeout_ms_ = timeout.count();
}

std::string PgSession::ShowValue(const std::string& name) const {
  const std::string key = AsciiLower(name);
  if (key == "server_version") return options_.server_version;
  if (auto local = local_parameters_.find(key); local != local_parameters_.end()) {
    return local->second;
  }
  auto found = parameters_.find(key);
  if (found != parameters_.end()) return found->second;
  const PgSetting* setting = FindPgSetting(name);
  return setting ? std::string(setting->value) : std::string();
}

void PgSession::ChangeSetting(const std::string& name, const std::optional<std::string>& value,
                              bool local) {
  ChangeSettings([&] {
    if (name.empty()) {
      parameters_.clear();
      local_parameters_.clear();
    } else if (local) {
      local_parameters_[AsciiLower(name)] = *value;
    } else {
      // A plain SET or RESET after SET LOCAL in the same block outlasts the block.
      const std::string key = AsciiLower(name);
      local_parameters_.erase(key);
      if (value) {
        parameters_[key] = *value;
      } else {
        parameters_.erase(key);
      }
    }
  });
}

void PgSession::ChangeSettings(const std::function<void()>& change) {
  std::vector<std::string> before;
  for (const PgSetting& setting : PgSettings())
    before.push_back(ShowValue(std::string(setting.name)));
  change();
  ApplyStatementTimeout();
  PgBackendWriter writer(out_);
  std::span<const PgSetting> settings = PgSettings();
  for (std::size_t i = 0; i < settings.size(); ++i) {
    std::string now = ShowValue(std::string(settings[i].name));
    if (now == before[i]) continue;
    // Unqualified table names resolve on the search path: what was prepared on the old one
    // is prepared again.
    if (settings[i].name == "search_path") statement_cache_.clear();
    // PostgreSQL reports a change of these, as at startup (application_name for psql's
    // prompt, DateStyle for drivers that parse dates).
    if (settings[i].reported) writer.ParameterStatus(settings[i].name, now);
  }
}

void PgSession::BeginBlock() {
  if (!block_parameters_) block_parameters_ = parameters_;
}

void PgSession::EndBlock(bool committed) {
  for (auto it = cursors_.begin(); it != cursors_.end();) {
    Cursor& cursor = it->second;
    if (!cursor.hold || (!committed && cursor.declared_in_block)) {
      it = cursors_.erase(it);
      continue;
    }
    cursor.declared_in_block = false;
    ++it;
  }
  if (!block_parameters_ && local_parameters_.empty()) return;
  ChangeSettings([&] {
    if (!committed && block_parameters_) parameters_ = std::move(*block_parameters_);
    local_parameters_.clear();
  });
  block_parameters_.reset();
}

Status PgSession::UnavailableSetting(std::string_view command, std::string_view name) {
  Status status = UnavailablePgSetting(name);
  if (status.code() != ErrorCode::kNotFound || command != "SET" || !connection_) return status;
  // DuckDB's own settings (SET threads, SET memory_limit) are the node's to choose.
  Result<engine::QueryResult> duckdb = connection_->Query(fmt::format(
      "SELECT 1 FROM duckdb_settings() WHERE name = {}", engine::QuoteLiteral(AsciiLower(name))));
  if (duckdb.ok() && !duckdb->rows.empty()) {
    return Status::NotSupported(
        "SET {}: the engine's settings are fixed by the node; the SQL port takes PostgreSQL's "
        "session settings (application_name, DateStyle, extra_float_digits, search_path, "
        "statement_timeout)",
        name);
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Errors and readiness

void PgSession::SendError(const Status& status, int position, std::string_view sqlstate) {
  PgErrorFields fields;
  fields.severity = "ERROR";
  fields.sqlstate = sqlstate.empty() ? SqlStateFor(status) : std::string(sqlstate);
  if (std::optional<RaisedPgError> raised = FindRaisedPgError(status.message())) {
    fields.message = std::move(raised->message);
  } else if (std::optional<RaisedPgError> cast = PostgresConversionError(status.message())) {
    fields.message = std::move(cast->message);
  } else {
    PgErrorText text = SplitDuckdbError(status.message());
    fields.message = std::move(text.message);
    fields.detail = std::move(text.detail);
    fields.hint = std::move(text.hint);
  }
  fields.position = position;
  PgBackendWriter(out_).ErrorResponse(fields);
}

void PgSession::SendStatementError(const Status& status) {
  if (SqlStateFor(status) != "57014") return SendError(status);
  SendError(Status(status.code(), cancel_reason_.load() == 2
                                      ? fmt::format("canceling statement due to statement "
                                                    "timeout ({} ms)",
                                                    statement_timeout().count())
                                      : std::string("canceling statement due to user request")),
            0, "57014");
}

void PgSession::SendFatal(const Status& status) {
  PgErrorFields fields;
  fields.severity = "FATAL";
  if (options_.too_many_clients && phase_ == Phase::kStartup) {
    fields.sqlstate = "53300";
    fields.message = fmt::format("sorry, too many clients already (the node allows {})",
                                 options_.max_connections);
    PgBackendWriter(out_).ErrorResponse(fields);
    phase_ = Phase::kClosed;
    return;
  }
  fields.sqlstate = SqlStateFor(status);
  if (status.code() == ErrorCode::kPermissionDenied && phase_ != Phase::kReady) {
    fields.sqlstate = status.message().find("password") != std::string::npos ? "28P01" : "28000";
  }
  fields.message = status.message();
  PgBackendWriter(out_).ErrorResponse(fields);
  phase_ = Phase::kClosed;
}

int PgSession::QueryPosition(std::string_view text, std::size_t offset, int position) {
  if (position <= 0) return 0;
  std::size_t end = std::min(text.size(), offset + static_cast<std::size_t>(position) - 1);
  int characters = 1;
  for (std::size_t i = 0; i < end; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++characters;  // not a UTF-8 tail
  }
  return characters;
}

void PgSession::EnterErrorState() {
  // In a simple query, the statements after the one that failed do not run.
  if (simple_query_active_) {
    simple_statements_.clear();
    simple_query_failed_ = true;
  } else {
    skip_until_sync_ = true;
  }
  if (in_transaction_) transaction_failed_ = true;
}

PgTransactionStatus PgSession::TransactionStatus() const {
  if (!in_transaction_) return PgTransactionStatus::kIdle;
  return transaction_failed_ ? PgTransactionStatus::kFailed : PgTransactionStatus::kInTransaction;
}

void PgSession::ReadyForQuery() { PgBackendWriter(out_).ReadyForQuery(TransactionStatus()); }

}  // namespace quanta::ports
