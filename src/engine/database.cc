#include "engine/database.h"

#include <duckdb.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "engine/handles.h"

namespace quanta::engine {
namespace {

// Names of the type ids; parameterised types (DECIMAL(p,s), lists, structs) are reported by
// their family only. Describe() gives full type names.
std::string TypeName(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
      return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT:
      return "TINYINT";
    case DUCKDB_TYPE_SMALLINT:
      return "SMALLINT";
    case DUCKDB_TYPE_INTEGER:
      return "INTEGER";
    case DUCKDB_TYPE_BIGINT:
      return "BIGINT";
    case DUCKDB_TYPE_HUGEINT:
      return "HUGEINT";
    case DUCKDB_TYPE_UTINYINT:
      return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT:
      return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER:
      return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT:
      return "UBIGINT";
    case DUCKDB_TYPE_FLOAT:
      return "FLOAT";
    case DUCKDB_TYPE_DOUBLE:
      return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL:
      return "DECIMAL";
    case DUCKDB_TYPE_VARCHAR:
      return "VARCHAR";
    case DUCKDB_TYPE_BLOB:
      return "BLOB";
    case DUCKDB_TYPE_DATE:
      return "DATE";
    case DUCKDB_TYPE_TIME:
      return "TIME";
    case DUCKDB_TYPE_TIMESTAMP:
      return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL:
      return "INTERVAL";
    case DUCKDB_TYPE_UUID:
      return "UUID";
    case DUCKDB_TYPE_LIST:
      return "LIST";
    case DUCKDB_TYPE_STRUCT:
      return "STRUCT";
    case DUCKDB_TYPE_MAP:
      return "MAP";
    default:
      return "OTHER";
  }
}

// DuckDB's out-of-memory message is one line of facts ("failed to allocate data of size 64.0
// MiB (64.2 MiB/95.3 MiB used)") and then paragraphs of advice to run SET memory_limit,
// threads or max_temp_directory_size, which a sandboxed or locked instance refuses. Keep the
// facts, say which limit they are about, and give the database's own advice instead.
Status OutOfMemory(std::string text, const std::string* advice) {
  if (advice == nullptr || advice->empty()) return Status::OutOfMemory("{}", text);
  bool spill = text.find("max_temp_directory_size") != std::string::npos;
  std::string facts = text.substr(0, text.find('\n'));
  while (!facts.empty() && (facts.back() == '.' || facts.back() == ' ')) facts.pop_back();
  return Status::OutOfMemory(
      "{}{}. {}", facts,
      spill ? ": the spill files reached their limit"
            : ": the memory limit leaves no room for it, and it could not be spilled",
      *advice);
}

// The cause DuckDB names when it refuses a statement on an instance it stopped
// ('... invalidated because of a previous fatal error. ...\nOriginal error: "<cause>"'), or the
// message itself, without DuckDB's advice paragraphs.
std::string FatalCause(std::string_view text) {
  constexpr std::string_view kOriginal = "Original error: \"";
  std::size_t original = text.find(kOriginal);
  if (original != std::string_view::npos) text.remove_prefix(original + kOriginal.size());
  constexpr std::string_view kClass = "FATAL Error: ";
  if (text.starts_with(kClass)) text.remove_prefix(kClass.size());
  std::string cause(text.substr(0, text.find('\n')));
  if (!cause.empty() && cause.back() == '"') cause.pop_back();
  return cause;
}

// A pg_sleep that saw its connection interrupted fails as DuckDB fails any interrupted
// statement, so that every port tells a cancel or a timeout the same way.
Status Interrupted() { return Status(ErrorCode::kQueryFailed, "INTERRUPT Error: Interrupted!"); }

}  // namespace

// Marks the statement whose own failure stopped the instance, apart from the statements that
// DuckDB refuses afterwards with "database has been invalidated ... Original error: ...".
constexpr std::string_view kOfThisStatement = " of this statement";

Status EngineStopped(std::string_view message) {
  bool this_statement = message.find("Original error:") == std::string_view::npos &&
                        message.find("has been invalidated") == std::string_view::npos;
  return Status(ErrorCode::kUnavailable,
                fmt::format("DuckDB stopped its database instance after a fatal error{} ({}); "
                            "every commit acknowledged before is kept in the store files and "
                            "their write-ahead logs: restart the node",
                            this_statement ? kOfThisStatement : "", FatalCause(message)));
}

bool StoppedTheEngine(const Status& status) {
  return status.code() == ErrorCode::kUnavailable &&
         status.message().find(kOfThisStatement) != std::string::npos;
}

// DuckDB prefixes messages with the error class ("Binder Error: ..."); that class decides
// whether the fault is the user's SQL or something else.
Status StatusFromDuckdbError(duckdb_error_type type, const char* message,
                             const std::string* out_of_memory_advice) {
  std::string text = message ? message : "unknown DuckDB error";
  if (text.find(kSleepInterrupted) != std::string::npos) return Interrupted();
  switch (type) {
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return OutOfMemory(std::move(text), out_of_memory_advice);
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_PERMISSION:
      return Status(ErrorCode::kQueryFailed, std::move(text));
    case DUCKDB_ERROR_IO:
      return Status(ErrorCode::kIoError, std::move(text));
    case DUCKDB_ERROR_FATAL:
      return EngineStopped(text);
    case DUCKDB_ERROR_INTERNAL:
      return Status(ErrorCode::kInternal, std::move(text));
    default:
      return Status(ErrorCode::kQueryFailed, std::move(text));
  }
}

Status StatusFromMessage(const char* message, const std::string* out_of_memory_advice) {
  std::string text = message ? message : "unknown DuckDB error";
  if (text.find(kSleepInterrupted) != std::string::npos) return Interrupted();
  if (text.starts_with("Out of Memory Error")) {
    return StatusFromDuckdbError(DUCKDB_ERROR_OUT_OF_MEMORY, text.c_str(), out_of_memory_advice);
  }
  if (text.starts_with("FATAL Error")) return EngineStopped(text);
  if (text.starts_with("INTERNAL Error")) return Status(ErrorCode::kInternal, std::move(text));
  if (text.starts_with("IO Error")) return Status(ErrorCode::kIoError, std::move(text));
  return Status(ErrorCode::kQueryFailed, std::move(text));
}

Status TakeFailedResult(duckdb_result* result, const std::string* out_of_memory_advice) {
  Status status = StatusFromDuckdbError(duckdb_result_error_type(result),
                                        duckdb_result_error(result), out_of_memory_advice);
  duckdb_destroy_result(result);
  std::memset(result, 0, sizeof(*result));
  return status;
}

Status ExecutePending(duckdb_pending_result pending, duckdb_result* result,
                      const std::string* out_of_memory_advice, LongStatementClaim* claim) {
  std::memset(result, 0, sizeof(*result));
  // The first pauses are short, for statements whose last task is about to end; a long one
  // (a commit compressing its row groups, a checkpoint) is looked at every 200 us at most.
  constexpr int kPollsBeforePause = 16;
  constexpr std::chrono::microseconds kFirstPause{20}, kLongestPause{200};
  int idle_polls = 0;
  std::chrono::microseconds pause = kFirstPause;
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    duckdb_pending_state state = duckdb_pending_execute_task(pending);
    if (claim) {
      auto now = std::chrono::steady_clock::now();
      claim->AddBusy(now - last);
      last = now;
    }
    if (state == DUCKDB_PENDING_RESULT_READY) break;
    if (state == DUCKDB_PENDING_ERROR) {
      // The pending result has the statement's own error; duckdb_execute_pending would wrap
      // it in "Attempting to execute an unsuccessful or closed pending query result".
      return StatusFromMessage(duckdb_pending_error(pending), out_of_memory_advice);
    }
    if (state == DUCKDB_PENDING_RESULT_NOT_READY) {  // it ran a task: there may be more
      idle_polls = 0;
      pause = kFirstPause;
      continue;
    }
    // DUCKDB_PENDING_NO_TASKS_AVAILABLE: other threads run what is left of the statement.
    if (++idle_polls <= kPollsBeforePause) {
      std::this_thread::yield();
      continue;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, kLongestPause);
  }
  if (duckdb_execute_pending(pending, result) == DuckDBSuccess) return Status::Ok();
  return TakeFailedResult(result, out_of_memory_advice);
}

Status RunStatements(duckdb_connection connection, const std::string& sql, duckdb_result* last,
                     const std::string* out_of_memory_advice, TaskHelpers* helpers) {
  duckdb_extracted_statements statements = nullptr;
  idx_t count = duckdb_extract_statements(connection, sql.c_str(), &statements);
  struct Destroy {
    duckdb_extracted_statements& statements;
    ~Destroy() { duckdb_destroy_extracted(&statements); }
  } destroy{statements};
  if (count == 0) {
    const char* error = duckdb_extract_statements_error(statements);
    if (error) return StatusFromMessage(error, out_of_memory_advice);
    // Blanks and comments only: DuckDB answers with an empty result, which nothing runs for.
    if (duckdb_query(connection, sql.c_str(), last) == DuckDBSuccess) return Status::Ok();
    return TakeFailedResult(last, out_of_memory_advice);
  }
  for (idx_t i = 0; i < count; ++i) {
    duckdb_prepared_statement prepared = nullptr;
    if (duckdb_prepare_extracted_statement(connection, statements, i, &prepared) != DuckDBSuccess) {
      Status status = StatusFromMessage(duckdb_prepare_error(prepared), out_of_memory_advice);
      duckdb_destroy_prepare(&prepared);
      return status;
    }
    duckdb_pending_result pending = nullptr;
    duckdb_state started = duckdb_pending_prepared(prepared, &pending);
    duckdb_destroy_prepare(&prepared);
    if (started != DuckDBSuccess) {
      Status status = StatusFromMessage(duckdb_pending_error(pending), out_of_memory_advice);
      duckdb_destroy_pending(&pending);
      return status;
    }
    duckdb_result result;
    LongStatementClaim claim(helpers);
    Status executed = ExecutePending(pending, &result, out_of_memory_advice, &claim);
    duckdb_destroy_pending(&pending);
    QUANTA_RETURN_IF_ERROR(executed);
    if (i + 1 < count) {
      duckdb_destroy_result(&result);
    } else {
      *last = result;
    }
  }
  return Status::Ok();
}

int QueryResult::ColumnIndex(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Database::Database(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) {
    return Status::Internal("DuckDB could not allocate a configuration");
  }
  // Every thread of the instance is external: DuckDB starts none, a statement runs on the
  // thread that runs it, and TaskHelpers join long ones (engine/task_helpers.h).
  std::map<std::string, std::string> settings = options.settings;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (auto given = settings.find("threads"); given != settings.end()) {
    threads = std::max(1, std::atoi(given->second.c_str()));
  }
  settings["threads"] = std::to_string(threads);
  settings.try_emplace("external_threads", std::to_string(threads));
  for (const auto& [name, value] : settings) {
    if (duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      return Status::Invalid("DuckDB rejected the setting {}={}", name, value);
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->out_of_memory_advice = options.out_of_memory_advice;
  char* error = nullptr;
  const char* path = options.path.empty() ? nullptr : options.path.c_str();
  duckdb_state state = duckdb_open_ext(path, &handle->database, config, &error);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    Status status = Status::IoError("cannot open database {}: {}",
                                    options.path.empty() ? ":memory:" : options.path,
                                    error ? error : "unknown error");
    if (error) duckdb_free(error);
    return status;
  }
  duckdb_connection setup = nullptr;
  if (duckdb_connect(handle->database, &setup) != DuckDBSuccess) {
    return Status::Internal("DuckDB could not open a connection");
  }
  Status registered = RegisterSleepFunction(setup, &handle->interrupts);
  if (registered.ok()) registered = RegisterHeldRowsFunction(setup, &handle->held_rows);
  duckdb_disconnect(&setup);
  QUANTA_RETURN_IF_ERROR(registered);
  if (settings["external_threads"] == settings["threads"]) {
    handle->helpers = std::make_unique<TaskHelpers>(handle->database, threads - 1);
  }
  return std::unique_ptr<Database>(new Database(std::move(handle)));
}

int Database::HelperThreads() const { return handle_->helpers ? handle_->helpers->count() : 0; }

int Database::HelpedStatements() const {
  return handle_->helpers ? handle_->helpers->long_statements() : 0;
}

Status Database::CheckRunning() {
  Result<std::unique_ptr<Connection>> connection = Connect();
  Status status = connection.ok() ? (*connection)->Execute("SELECT 1") : connection.status();
  return status.code() == ErrorCode::kUnavailable ? status : Status::Ok();
}

Result<std::unique_ptr<Connection>> Database::Connect() {
  auto handle = std::make_unique<Connection::Handle>();
  handle->out_of_memory_advice = &handle_->out_of_memory_advice;
  if (duckdb_connect(handle_->database, &handle->connection) != DuckDBSuccess) {
    return Status::Internal("DuckDB could not open a connection");
  }
  duckdb_client_context context = nullptr;
  duckdb_connection_get_client_context(handle->connection, &context);
  handle->id = duckdb_client_context_get_connection_id(context);
  duckdb_destroy_client_context(&context);
  handle->interrupts = &handle_->interrupts;
  handle->held_rows = &handle_->held_rows;
  handle->helpers = handle_->helpers.get();
  return std::unique_ptr<Connection>(new Connection(std::move(handle)));
}

Connection::Connection(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
Connection::~Connection() = default;

void Connection::Interrupt() {
  handle_->interrupts->Add(handle_->id);  // before DuckDB's flag: pg_sleep looks at the count
  duckdb_interrupt(handle_->connection);
}

Status Connection::Execute(std::string_view sql) {
  duckdb_result result;
  QUANTA_RETURN_IF_ERROR(RunStatements(handle_->connection, std::string(sql), &result,
                                       handle_->out_of_memory_advice, handle_->helpers));
  duckdb_destroy_result(&result);
  return Status::Ok();
}

namespace {

// Whether the result accessors that Query reads with give a value of `type` as text. For the
// others (UUID, TIMESTAMP WITH TIME ZONE, lists, structs, enums, ...) they answer NULL, and a
// UUID column makes them read past the columns after it.
bool ReadableAsText(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_INTERVAL:
    case DUCKDB_TYPE_SQLNULL:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<QueryResult> Connection::Query(std::string_view sql) {
  duckdb_result result;
  std::string text(sql);
  QUANTA_RETURN_IF_ERROR(RunStatements(handle_->connection, text, &result,
                                       handle_->out_of_memory_advice, handle_->helpers));
  QueryResult output;
  idx_t column_count = duckdb_column_count(&result);
  std::string as_text;  // the select list that reads every column as text
  bool all_readable = true;
  std::vector<std::string> unreadable;  // names of the columns that need the cast
  for (idx_t c = 0; c < column_count; ++c) {
    duckdb_type type = duckdb_column_type(&result, c);
    output.columns.push_back({duckdb_column_name(&result, c), TypeName(type)});
    all_readable = all_readable && ReadableAsText(type);
    if (!ReadableAsText(type)) unreadable.push_back(output.columns.back().name);
    as_text += fmt::format("{}{} AS {}", c == 0 ? "" : ", ",
                           ReadableAsText(type) ? fmt::format("#{}", c + 1)
                                                : fmt::format("CAST(#{} AS VARCHAR)", c + 1),
                           QuoteIdentifier(output.columns.back().name));
  }
  if (!all_readable) {
    // Read the query again through a cast to text: DuckDB's own text of each value, as for the
    // other types. Only a SELECT can be read so: a statement with RETURNING such columns has
    // run once, and then fails here (cast them in its RETURNING list instead).
    duckdb_destroy_result(&result);
    while (!text.empty() &&
           (text.back() == ';' || isspace(static_cast<unsigned char>(text.back())))) {
      text.pop_back();
    }
    std::string wrapped = fmt::format("SELECT {} FROM ({}) AS quanta_query", as_text, text);
    Status reread = RunStatements(handle_->connection, wrapped, &result,
                                  handle_->out_of_memory_advice, handle_->helpers);
    if (!reread.ok()) {
      if (!reread.message().starts_with("Parser Error")) return reread;
      return Status::Internal(
          "the statement ran, but its result has columns that can be read only from a query "
          "({}): cast them to VARCHAR in its RETURNING list",
          fmt::join(unreadable, ", "));
    }
  }
  // The deprecated row accessors read every chunk of a materialized result; fine for the
  // small results this class is meant for.
  idx_t row_count = duckdb_row_count(&result);
  output.rows.reserve(row_count);
  for (idx_t r = 0; r < row_count; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(column_count);
    for (idx_t c = 0; c < column_count; ++c) {
      if (duckdb_value_is_null(&result, c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* value = duckdb_value_varchar(&result, c, r);
      row.emplace_back(value ? std::string(value) : std::string());
      if (value) duckdb_free(value);
    }
    output.rows.push_back(std::move(row));
  }
  duckdb_destroy_result(&result);
  return output;
}

Result<std::vector<Column>> Connection::Describe(std::string_view select_sql) {
  std::string body(select_sql);
  // Trailing semicolons would end the DESCRIBE early.
  while (!body.empty() &&
         (body.back() == ';' || isspace(static_cast<unsigned char>(body.back())))) {
    body.pop_back();
  }
  QUANTA_ASSIGN_OR_RETURN(QueryResult described, Query("DESCRIBE " + body));
  int name = described.ColumnIndex("column_name");
  int type = described.ColumnIndex("column_type");
  if (name < 0 || type < 0) return Status::Internal("DESCRIBE returned unexpected columns");
  std::vector<Column> columns;
  for (const auto& row : described.rows) {
    columns.push_back({row[name].value_or(""), row[type].value_or("")});
  }
  return columns;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string QuoteLiteral(std::string_view text) {
  // DuckDB takes a statement as a C string: a NUL inside a literal would end the statement
  // there ("unterminated quoted string"). Each NUL becomes chr(0) between two literals.
  std::string quoted = "'";
  bool has_nul = false;
  for (char c : text) {
    if (c == '\0') {
      quoted += "' || chr(0) || '";
      has_nul = true;
      continue;
    }
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  quoted += "'";
  return has_nul ? "(" + quoted + ")" : quoted;
}

}  // namespace quanta::engine
