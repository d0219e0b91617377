#include "store/product_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

namespace quanta::store {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

constexpr std::string_view kFormatVersion = "1";
constexpr std::int32_t kDeadLettersPerStatement = 500;

// The store's own tables (docs/store.md). Created in one transaction with the first layout.
constexpr std::string_view kCreateSystemTablesSql = R"sql(
CREATE SCHEMA quanta;
CREATE SCHEMA history;
CREATE SCHEMA previous;
CREATE TABLE quanta.meta (key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE quanta.datasets (
  name VARCHAR NOT NULL, columns VARCHAR NOT NULL, mode VARCHAR NOT NULL, key VARCHAR NOT NULL,
  retention_seconds BIGINT, readable_from_version BIGINT NOT NULL, created_version BIGINT NOT NULL);
CREATE TABLE quanta.ports (
  port VARCHAR NOT NULL, retention_seconds BIGINT, received BIGINT NOT NULL,
  committed BIGINT NOT NULL, rejected BIGINT NOT NULL);
CREATE TABLE quanta.commits (
  version BIGINT NOT NULL, committed_at TIMESTAMPTZ NOT NULL, idempotency_key VARCHAR UNIQUE,
  summary VARCHAR NOT NULL);
CREATE TABLE quanta.offsets (
  port VARCHAR NOT NULL, "partition" INTEGER NOT NULL, "offset" BIGINT NOT NULL,
  version BIGINT NOT NULL);
CREATE TABLE quanta.dead_letters (
  version BIGINT NOT NULL, port VARCHAR NOT NULL, "offset" BIGINT, reason VARCHAR NOT NULL,
  payload BLOB NOT NULL, received_at TIMESTAMPTZ NOT NULL);
)sql";

// The idempotency keys of requests that shared a commit (a group commit), each with what its
// own request consumed. Stores of format 1 written before group commits lack it: Bootstrap adds
// it, which older readers ignore.
constexpr std::string_view kCreateRequestKeysSql = R"sql(
CREATE TABLE IF NOT EXISTS quanta.request_keys (
  idempotency_key VARCHAR NOT NULL UNIQUE, version BIGINT NOT NULL, summary VARCHAR NOT NULL);
)sql";

// The summary of the commit made with `key` (as a whole batch or as one request of a group),
// or no row; `key` is an SQL literal.
std::string FindKeySql(std::string_view key) {
  return fmt::format(
      "SELECT summary FROM quanta.commits WHERE idempotency_key = {0} UNION ALL "
      "SELECT summary FROM quanta.request_keys WHERE idempotency_key = {0} LIMIT 1",
      key);
}

constexpr std::string_view kSystemTables[] = {"meta",    "datasets",     "ports",       "commits",
                                              "offsets", "dead_letters", "request_keys"};

// Paths of the stores open in this process: DuckDB's file lock only keeps other processes out.
std::mutex open_paths_mutex;
std::set<std::string>& OpenPaths() {
  static std::set<std::string> paths;
  return paths;
}

// `text` with NUL bytes and invalid UTF-8 replaced by U+FFFD, so that it can travel in SQL.
std::string CleanText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = bytes[i];
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xE  ? 3
                         : (lead >> 3) == 0x1E ? 4
                                               : 0;
    bool valid = length > 0 && lead != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) valid = (bytes[i + k] >> 6) == 0x2;
    if (valid && length == 2) valid = lead >= 0xC2;
    if (valid && length == 3) {
      unsigned code = ((lead & 0x0F) << 12) | ((bytes[i + 1] & 0x3F) << 6) | (bytes[i + 2] & 0x3F);
      valid = code >= 0x800 && (code < 0xD800 || code > 0xDFFF);
    }
    if (valid && length == 4) {
      unsigned code = ((lead & 0x07) << 18) | ((bytes[i + 1] & 0x3F) << 12) |
                      ((bytes[i + 2] & 0x3F) << 6) | (bytes[i + 3] & 0x3F);
      valid = code >= 0x10000 && code <= 0x10FFFF;
    }
    if (!valid) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string TextLiteral(std::string_view text) { return QuoteLiteral(CleanText(text)); }

std::string HexLiteral(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "from_hex('";
  out.reserve(bytes.size() * 2 + 12);
  for (unsigned char byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xF];
  }
  return out + "')";
}

std::optional<std::int64_t> ToInt(const std::optional<std::string>& cell) {
  if (!cell) return std::nullopt;
  try {
    std::size_t used = 0;
    std::int64_t value = std::stoll(*cell, &used);
    if (used != cell->size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Runs a query whose first row's first value is an integer (a count, an INSERT's count).
Result<std::int64_t> QueryInt(engine::Connection& connection, std::string_view sql) {
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult result, connection.Query(sql));
  if (result.rows.empty() || result.rows[0].empty()) {
    return Status::Internal("expected a number from: {}", sql);
  }
  std::optional<std::int64_t> value = ToInt(result.rows[0][0]);
  if (!value) return Status::Internal("expected a number, got NULL or text, from: {}", sql);
  return *value;
}

std::string FormatDuration(std::chrono::seconds duration) {
  std::int64_t seconds = duration.count();
  if (seconds != 0 && seconds % 86400 == 0) {
    return fmt::format("{} day{}", seconds / 86400, seconds == 86400 ? "" : "s");
  }
  if (seconds != 0 && seconds % 3600 == 0) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} s", seconds);
}

std::string KeyJson(const std::vector<std::string>& key) { return nlohmann::json(key).dump(); }

std::string ColumnsJson(const std::vector<engine::Column>& columns) {
  nlohmann::json json = nlohmann::json::array();
  for (const engine::Column& column : columns) {
    json.push_back({{"name", column.name}, {"type", column.type}});
  }
  return json.dump();
}

std::string RetentionLiteral(const std::optional<std::chrono::seconds>& retention) {
  return retention ? std::to_string(retention->count()) : "NULL";
}

bool ContainsAny(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (std::string_view needle : needles) {
    if (text.find(needle) != std::string_view::npos) return true;
  }
  return false;
}

// DuckDB reports running out of memory with its own class (ErrorCode::kOutOfMemory) only when a
// statement fails; a COMMIT or CHECKPOINT that runs out of memory fails as a transaction or
// FATAL error whose text carries the buffer manager's words.
bool MentionsOutOfMemory(std::string_view text) {
  return ContainsAny(text, {"Out of Memory Error", "failed to pin block", "failed to offload",
                            "failed to allocate", "could not allocate"});
}

// DuckDB's message up to its paragraphs of advice ("Possible solutions: ... SET memory_limit"),
// which a node's locked instance refuses; the advice that applies is added by the caller.
std::string WithoutDuckdbAdvice(std::string_view text) {
  std::size_t advice = text.size();
  for (std::string_view marker : {"\n\nPossible solutions", "\nStack Trace", "\n\nSee also"}) {
    advice = std::min(advice, text.find(marker));
  }
  std::string out(text.substr(0, advice));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// A scan that makes DuckDB read (and checksum) every block of every column of `table`. The
// aggregates must be the result: DuckDB drops what a query does not return.
std::string ScanAllSql(std::string_view table) {
  return fmt::format("SELECT max(hash(COLUMNS(*))) FROM {}", table);
}

}  // namespace

std::int64_t PurgeReport::Total() const {
  std::int64_t total = dead_letters_removed;
  for (const auto& [dataset, rows] : rows_removed) total += rows;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Opening

ProductStore::ProductStore(std::filesystem::path path, StoreLayout layout, StoreOptions options)
    : path_(std::move(path)), layout_(std::move(layout)), options_(std::move(options)) {}

ProductStore::~ProductStore() {
  {
    std::lock_guard lock(keyed_mutex_);
    closing_ = true;
  }
  if (keyed_builder_.joinable()) keyed_builder_.join();
  for (auto& [name, entry] : keyed_) {
    if (!entry.rows) continue;
    entry.rows->GiveUp(entry.rows->LockForWrite());  // sessions may still hold them
    options_.keyed_rows_budget->Give(entry.taken);
  }
  writer_.reset();
  reader_.reset();
  if (attached_) {
    // DETACH checkpoints the log into the file, as closing a private instance does.
    Result<std::unique_ptr<engine::Connection>> connection = database_->Connect();
    if (connection.ok()) (void)(*connection)->Execute("DETACH " + QuoteIdentifier(catalog_));
  }
  database_.reset();
  if (registered_) {
    std::lock_guard lock(open_paths_mutex);
    OpenPaths().erase(std::filesystem::absolute(path_).lexically_normal().string());
  }
}

Result<std::unique_ptr<ProductStore>> ProductStore::Open(const std::filesystem::path& path,
                                                         const StoreLayout& layout,
                                                         StoreOptions options) {
  Status valid = ValidateLayout(layout);
  if (!valid.ok()) {
    return Status::Invalid("cannot open store file {}: {}", path.string(), valid.message());
  }
  if (!options.clock) options.clock = std::make_shared<SystemClock>();
  std::unique_ptr<ProductStore> store(new ProductStore(path, layout, std::move(options)));
  QUANTA_RETURN_IF_ERROR(store->Initialize());
  return store;
}

// Also notes (StoppedEngine) when `status` is of the statement that stopped the instance.
Status ProductStore::Annotate(const Status& status) const {
  if (status.ok()) return status;
  std::string message = fmt::format("store file {}: {}", path_.string(), status.message());
  ErrorCode code = status.code();
  if (ContainsAny(status.message(), {"Corrupt database file", "checksum",
                                     "not a valid DuckDB database file", "database file is"})) {
    message +=
        "; the file is damaged: restore it from a backup, or move it aside to start the "
        "product with an empty store";
    code = ErrorCode::kIoError;
  } else if (code == ErrorCode::kUnavailable) {
    // DuckDB stops its instance after a failed checkpoint (or another fatal error) before
    // anything more is written: the file and its write-ahead log keep every commit made so far.
    if (MentionsOutOfMemory(status.message())) {
      message += " with more memory for its checkpoints";
      code = ErrorCode::kOutOfMemory;
    }
  } else if (code != ErrorCode::kOutOfMemory && MentionsOutOfMemory(status.message())) {
    message = WithoutDuckdbAdvice(message) + "; raise the memory limit";
    code = ErrorCode::kOutOfMemory;
  } else if (code == ErrorCode::kQueryFailed &&
             ContainsAny(status.message(), {"No space left on device", "Could not write file"})) {
    // A COMMIT whose log cannot be written fails as a transaction error: the disk's fault, not
    // the statement's.
    if (status.message().find("No space left on device") != std::string_view::npos) {
      message += "; the disk is full: free space or give the store more";
    }
    code = ErrorCode::kIoError;
  }
  if (engine::StoppedTheEngine(status)) {
    std::lock_guard lock(stopped_engine_mutex_);
    if (!stopped_engine_) stopped_engine_ = message;
  }
  return Status(code, std::move(message));
}

Status ProductStore::Initialize() {
  std::string key = std::filesystem::absolute(path_).lexically_normal().string();
  {
    std::lock_guard lock(open_paths_mutex);
    if (!OpenPaths().insert(key).second) {
      return Status::IoError(
          "store file {} is already open in this process; share the open ProductStore",
          path_.string());
    }
    registered_ = true;
  }

  std::filesystem::path folder = path_.parent_path();
  if (folder.empty()) folder = ".";
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return Status::IoError("cannot create the folder {} for store file {}: {}", folder.string(),
                           path_.string(), error.message());
  }
  if (std::filesystem::is_directory(path_)) {
    return Status::IoError("store file {} is a folder; give the path of a file", path_.string());
  }
  // DuckDB creates <file>.wal beside the store at the first write, so an unwritable folder
  // would only fail at the first commit; say so now.
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return Status::IoError(
        "store file {}: its folder {} is not writable ({}); give the node a data directory it "
        "can write",
        path_.string(), folder.string(), std::strerror(errno));
  }
  if (std::filesystem::exists(path_) && ::access(path_.c_str(), R_OK | W_OK) != 0) {
    return Status::IoError("store file {} cannot be read and written ({})", path_.string(),
                           std::strerror(errno));
  }

  // The file is attached to a DuckDB instance rather than opened as one, so that a node's
  // stores can share an instance and one query can join several products.
  database_ = options_.database;
  if (!database_) {
    engine::DatabaseOptions database_options;
    database_options.settings = options_.settings;
    database_options.settings["checkpoint_threshold"] = std::string(kInstanceCheckpointThreshold);
    Result<std::unique_ptr<engine::Database>> database = engine::Database::Open(database_options);
    if (!database.ok()) return Annotate(database.status());
    database_ = std::move(database).value();
  }
  catalog_ = options_.catalog.empty() ? "store:" + key : options_.catalog;
  Result<std::unique_ptr<engine::Connection>> writer = database_->Connect();
  if (!writer.ok()) return Annotate(writer.status());
  writer_ = std::move(writer).value();
  QUANTA_RETURN_IF_ERROR(DisableCheckpointInCommit());
  Status attached = writer_->Execute(
      fmt::format("ATTACH {} AS {}", QuoteLiteral(path_.string()), QuoteIdentifier(catalog_)));
  if (!attached.ok()) {
    // A statement that began before the product was undeployed (a SQL cursor, a result still
    // streaming to a slow client) keeps the old file open in the instance until it ends.
    if (attached.message().find("Unique file handle conflict") != std::string::npos) {
      return Annotate(Status(ErrorCode::kIncompatible,
                             "cannot open it: SQL statements that began before the product was "
                             "undeployed still read the file as it was (an open cursor, a "
                             "result still streaming); deploy again once they end (the "
                             "sessions holding them can CLOSE their cursors)"));
    }
    return Annotate(Status::IoError("cannot open it: {}", attached.message()));
  }
  attached_ = true;
  QUANTA_RETURN_IF_ERROR(Annotate(writer_->Execute("USE " + QuoteIdentifier(catalog_))));
  Result<std::unique_ptr<engine::Connection>> reader = Connect();
  if (!reader.ok()) return reader.status();
  reader_ = std::move(reader).value();

  // Types as DuckDB spells them ("INT" -> "INTEGER"), so that comparisons with the stored
  // tables are exact; an unknown type is reported here with its dataset and column.
  for (DatasetLayout& dataset : layout_.datasets) {
    std::string select;
    for (const engine::Column& column : dataset.columns) {
      select += select.empty() ? "SELECT " : ", ";
      select += "NULL::" + column.type + " AS " + QuoteIdentifier(column.name);
    }
    Result<std::vector<engine::Column>> described = writer_->Describe(select);
    if (!described.ok()) {
      return Status::Invalid(
          "dataset {} of store file {} has a column type DuckDB does not know: {}", dataset.name,
          path_.string(), described.status().message());
    }
    dataset.columns = std::move(described).value();
  }

  QUANTA_RETURN_IF_ERROR(Annotate(Bootstrap()));
  QUANTA_RETURN_IF_ERROR(Annotate(CheckConsistency()));
  QUANTA_RETURN_IF_ERROR(LoadCommittedOffsets());
  if (options_.open_check == OpenCheck::kFull) QUANTA_RETURN_IF_ERROR(Verify());
  return Annotate(CreateStagingTables());
}

Status ProductStore::DisableCheckpointInCommit() {
  // DuckDB renders the setting in binary units ("16.0 MiB"); kInstanceCheckpointThreshold reads
  // "888.1 PiB". Anything below a PiB is taken as a threshold a commit could reach.
  constexpr std::string_view kQuerySql = "SELECT current_setting('checkpoint_threshold')";
  auto large_enough = [&]() -> Result<bool> {
    QUANTA_ASSIGN_OR_RETURN(engine::QueryResult setting, writer_->Query(kQuerySql));
    std::string value = setting.rows.empty() ? "" : setting.rows[0][0].value_or("");
    return value.ends_with(" PiB") || value.ends_with(" EiB");
  };
  Result<bool> disabled = large_enough();
  if (!disabled.ok()) return Annotate(disabled.status());
  if (*disabled) return Status::Ok();
  Status set = writer_->Execute(fmt::format("SET GLOBAL checkpoint_threshold = {}",
                                            QuoteLiteral(kInstanceCheckpointThreshold)));
  if (set.ok()) return Status::Ok();
  return Status::Invalid(
      "store file {}: its DuckDB instance checkpoints inside COMMIT, which loses committed data "
      "when that checkpoint fails, and its checkpoint_threshold cannot be changed ({}); open the "
      "instance with checkpoint_threshold = '{}' (store::kInstanceCheckpointThreshold)",
      path_.string(), set.message(), kInstanceCheckpointThreshold);
}

Status ProductStore::CheckRoomFor(std::uintmax_t batch_bytes) const {
  std::error_code no_space_info;
  const std::filesystem::path directory = path_.parent_path();
  const std::filesystem::space_info space = std::filesystem::space(directory, no_space_info);
  if (no_space_info) return Status::Ok();  // the commit itself will say what is wrong
  const std::uintmax_t needed = 2 * batch_bytes + (std::uintmax_t{1} << 20);
  if (batch_bytes > (std::numeric_limits<std::uintmax_t>::max() >> 2) || space.available < needed) {
    return Status::IoError(
        "{}: the disk is full: {} bytes are free and the batch needs about {} for the store's "
        "log and checkpoint; nothing of it was kept, send it again once there is room",
        directory.string(), space.available, needed);
  }
  return Status::Ok();
}

std::uint64_t CheckpointLogBytesFor(std::uint64_t memory_limit_bytes) {
  constexpr std::uint64_t kLargest = 4 * kSmallestCheckpointLogBytes;
  if (memory_limit_bytes == 0) return kSmallestCheckpointLogBytes;
  return std::clamp(memory_limit_bytes / 16, kSmallestCheckpointLogBytes, kLargest);
}

void ProductStore::CheckpointIfLogIsLarge() {
  std::error_code error;
  std::uintmax_t log_bytes = std::filesystem::file_size(path_.string() + ".wal", error);
  if (error || log_bytes <= options_.checkpoint_wal_bytes) return;
  // Runs after the commit is durable, on the writer connection outside any transaction. A
  // CHECKPOINT that cannot start (another writer holds the file) changes nothing and is tried
  // again after the next commit; one that fails while writing (out of memory, disk full) is
  // FATAL for the instance, whose every later statement then fails (see Annotate), while the
  // file and its log keep every commit. Either way the commit stands.
  // Annotate notes when this checkpoint is what stopped the instance (StoppedEngine).
  (void)Annotate(writer_->Execute("CHECKPOINT " + QuoteIdentifier(catalog_)));
}

std::optional<std::string> ProductStore::StoppedEngine() const {
  std::lock_guard lock(stopped_engine_mutex_);
  return stopped_engine_;
}

Status ProductStore::Bootstrap() {
  engine::Connection& connection = *writer_;
  QUANTA_RETURN_IF_ERROR(connection.Execute("BEGIN TRANSACTION"));
  auto fail = [&](Status status) {
    (void)connection.Execute("ROLLBACK");
    return status;
  };

  Result<std::int64_t> has_meta =
      QueryInt(connection,
               "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND "
               "schema_name = 'quanta' AND table_name = 'meta'");
  if (!has_meta.ok()) return fail(has_meta.status());
  if (*has_meta == 0) {
    Result<std::int64_t> tables =
        QueryInt(connection,
                 "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()");
    if (!tables.ok()) return fail(tables.status());
    if (*tables > 0) {
      return fail(Status::Invalid(
          "is a DuckDB database but not a Quanta store (it has tables and no quanta.meta); "
          "give the store a path of its own"));
    }
    Status created = connection.Execute(kCreateSystemTablesSql);
    if (created.ok()) {
      created = connection.Execute(fmt::format(
          "INSERT INTO quanta.meta VALUES ('format_version', {}), ('created_at', {})",
          QuoteLiteral(kFormatVersion), QuoteLiteral(FormatTimestamp(options_.clock->Now()))));
    }
    if (!created.ok()) return fail(created);
  } else {
    Result<engine::QueryResult> format =
        connection.Query("SELECT value FROM quanta.meta WHERE key = 'format_version'");
    if (!format.ok()) return fail(format.status());
    std::string found = format->rows.empty() ? "(none)" : format->rows[0][0].value_or("(none)");
    if (found != kFormatVersion) {
      return fail(Status::NotSupported(
          "has store format {} and this build reads format {}; open it with the Quanta that "
          "wrote it",
          found, kFormatVersion));
    }
  }
  if (Status keys = connection.Execute(kCreateRequestKeysSql); !keys.ok()) return fail(keys);

  Result<engine::QueryResult> stored = connection.Query(
      "SELECT name, mode, key, retention_seconds, readable_from_version FROM quanta.datasets");
  if (!stored.ok()) return fail(stored.status());
  std::map<std::string, std::vector<std::optional<std::string>>> stored_by_name;
  for (auto& row : stored->rows) stored_by_name[row[0].value_or("")] = row;

  // The lookup index of each dataset, by dataset, with the column it is on (its comment).
  Result<engine::QueryResult> indexes = connection.Query(
      "SELECT table_name, index_name, comment FROM duckdb_indexes() "
      "WHERE database_name = current_database() AND schema_name = 'history'");
  if (!indexes.ok()) return fail(indexes.status());
  std::map<std::string, std::string> indexed_column_by_dataset;
  for (auto& row : indexes->rows) {
    std::string dataset = row[0].value_or("");
    if (row[1].value_or("") == LookupIndexName(dataset)) {
      indexed_column_by_dataset[dataset] = row[2].value_or("");
    }
  }

  std::vector<std::string> problems;
  std::string statements;
  // Each in a transaction of its own: DuckDB 1.4.4 aborts the process when one transaction
  // drops an index and creates another (it writes the dropped one to the log).
  std::vector<std::string> index_changes;
  for (const DatasetLayout& dataset : layout_.datasets) {
    auto found = stored_by_name.find(dataset.name);
    std::string lookup_index = CreateLookupIndexSql(dataset);
    if (found == stored_by_name.end()) {
      statements += CreateHistoryTableSql(dataset) + ";\n";
      if (!lookup_index.empty()) statements += lookup_index + ";\n";
      statements += CreatePreviousViewSql(dataset) + ";\n";
      statements += fmt::format(
          "INSERT INTO quanta.datasets VALUES ({}, {}, {}, {}, {}, 0, "
          "(SELECT coalesce(max(version), 0) FROM quanta.commits));\n",
          QuoteLiteral(dataset.name), QuoteLiteral(ColumnsJson(dataset.columns)),
          QuoteLiteral(WriteModeName(dataset.mode)), QuoteLiteral(KeyJson(dataset.key)),
          RetentionLiteral(dataset.retention));
      datasets_[dataset.name] = DatasetState{};
      continue;
    }
    const auto& row = found->second;
    std::vector<std::string> changes;
    std::string stored_mode = row[1].value_or("");
    if (stored_mode != WriteModeName(dataset.mode)) {
      changes.push_back(
          fmt::format("mode was {} and is now {}", stored_mode, WriteModeName(dataset.mode)));
    }
    std::string stored_key = row[2].value_or("");
    if (stored_key != KeyJson(dataset.key)) {
      changes.push_back(fmt::format("key was {} and is now {}", stored_key, KeyJson(dataset.key)));
    }
    Status table = CheckDatasetTable(dataset);
    if (!table.ok()) changes.push_back(table.message());
    if (!changes.empty()) {
      problems.push_back(fmt::format("dataset {}: {}", dataset.name, fmt::join(changes, "; ")));
      continue;
    }
    if (ToInt(row[3]) != (dataset.retention
                              ? std::optional<std::int64_t>(dataset.retention->count())
                              : std::nullopt)) {
      statements +=
          fmt::format("UPDATE quanta.datasets SET retention_seconds = {} WHERE name = {};\n",
                      RetentionLiteral(dataset.retention), QuoteLiteral(dataset.name));
    }
    // A store written before lookup indexes, or a primary key moved to another column (an
    // append dataset's is free to move): the index follows the layout, after the commit.
    auto indexed = indexed_column_by_dataset.find(dataset.name);
    bool has_index = indexed != indexed_column_by_dataset.end();
    if (has_index && indexed->second != dataset.lookup_column) {
      index_changes.push_back(DropLookupIndexSql(dataset.name));
      has_index = false;
    }
    if (!has_index && !lookup_index.empty()) {
      index_changes.push_back("BEGIN; " + lookup_index + "; COMMIT");
    }
    datasets_[dataset.name] = DatasetState{ToInt(row[4]).value_or(0)};
  }
  if (!problems.empty()) {
    return fail(Status::Invalid(
        "the layout changed for data already stored: {}. The store cannot migrate a dataset "
        "yet: keep its columns, mode and key, or publish the change as a new dataset or a new "
        "major version of the output port",
        fmt::join(problems, ". ")));
  }

  Result<engine::QueryResult> ports =
      connection.Query("SELECT port, retention_seconds FROM quanta.ports");
  if (!ports.ok()) return fail(ports.status());
  std::map<std::string, std::optional<std::int64_t>> stored_ports;
  for (const auto& row : ports->rows) stored_ports[row[0].value_or("")] = ToInt(row[1]);
  for (const InputPortLayout& port : layout_.input_ports) {
    auto found = stored_ports.find(port.name);
    std::optional<std::int64_t> retention =
        port.retention ? std::optional<std::int64_t>(port.retention->count()) : std::nullopt;
    if (found == stored_ports.end()) {
      statements += fmt::format("INSERT INTO quanta.ports VALUES ({}, {}, 0, 0, 0);\n",
                                QuoteLiteral(port.name), RetentionLiteral(port.retention));
    } else if (found->second != retention) {
      statements += fmt::format("UPDATE quanta.ports SET retention_seconds = {} WHERE port = {};\n",
                                RetentionLiteral(port.retention), QuoteLiteral(port.name));
    }
  }
  if (!statements.empty()) {
    Status applied = connection.Execute(statements);
    if (!applied.ok()) return fail(applied);
  }
  QUANTA_RETURN_IF_ERROR(connection.Execute("COMMIT"));
  for (const std::string& change : index_changes) {
    if (Status changed = connection.Execute(change); !changed.ok()) {
      (void)connection.Execute("ROLLBACK");
      return changed;
    }
  }
  return Status::Ok();
}

Status ProductStore::CheckDatasetTable(const DatasetLayout& dataset) {
  Result<std::vector<engine::Column>> described =
      writer_->Describe("SELECT * FROM " + HistoryTable(dataset.name));
  if (!described.ok()) {
    return Status::Invalid("its table {} cannot be read: {}", HistoryTable(dataset.name),
                           described.status().message());
  }
  std::map<std::string, std::string> stored;
  for (const engine::Column& column : *described) {
    if (column.name.rfind(kHiddenColumnPrefix, 0) == 0) continue;
    stored[column.name] = column.type;
  }
  std::vector<std::string> changes;
  for (const engine::Column& column : dataset.columns) {
    auto found = stored.find(column.name);
    if (found == stored.end()) {
      changes.push_back(fmt::format("column {} {} is new", column.name, column.type));
    } else if (found->second != column.type) {
      changes.push_back(
          fmt::format("column {} was {} and is now {}", column.name, found->second, column.type));
    }
  }
  for (const auto& [name, type] : stored) {
    const std::string& stored_name = name;  // clang 14 cannot capture a structured binding
    bool kept =
        std::any_of(dataset.columns.begin(), dataset.columns.end(),
                    [&](const engine::Column& column) { return column.name == stored_name; });
    if (!kept) changes.push_back(fmt::format("column {} {} was removed", name, type));
  }
  if (changes.empty()) return Status::Ok();
  return Status::Invalid("{}", fmt::join(changes, "; "));
}

Status ProductStore::CheckConsistency() {
  engine::Connection& connection = *writer_;
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult commits,
      connection.Query("SELECT count(*), coalesce(max(version), 0), epoch_us(max(committed_at)) "
                       "FROM quanta.commits"));
  std::int64_t count = ToInt(commits.rows[0][0]).value_or(-1);
  std::int64_t latest = ToInt(commits.rows[0][1]).value_or(-1);
  if (count != latest) {
    return Status::IoError(
        "the commit log is inconsistent: {} commits but the latest version is {}", count, latest);
  }
  CommitHead head;
  head.version = latest;
  if (std::optional<std::int64_t> micros = ToInt(commits.rows[0][2])) {
    head.committed_at = FromUnixMicros(*micros);
  }
  for (std::string_view table : kSystemTables) {
    if (table == "commits") continue;
    QUANTA_RETURN_IF_ERROR(connection.Execute(ScanAllSql("quanta." + std::string(table))));
  }
  for (const DatasetLayout& dataset : layout_.datasets) {
    QUANTA_ASSIGN_OR_RETURN(engine::QueryResult versions,
                            connection.Query(fmt::format(
                                "SELECT coalesce(max({0}), 0), coalesce(max({1}), 0) FROM {2}",
                                QuoteIdentifier(kFromVersionColumn),
                                QuoteIdentifier(kToVersionColumn), HistoryTable(dataset.name))));
    std::int64_t highest =
        std::max(ToInt(versions.rows[0][0]).value_or(0), ToInt(versions.rows[0][1]).value_or(0));
    if (highest > head.version) {
      return Status::IoError(
          "dataset {} holds rows of version {} but the commit log ends at version {}", dataset.name,
          highest, head.version);
    }
  }
  std::lock_guard lock(head_mutex_);
  head_ = head;
  return Status::Ok();
}

Status ProductStore::LoadCommittedOffsets() {
  Result<engine::QueryResult> offsets =
      writer_->Query("SELECT port, \"partition\", \"offset\" FROM quanta.offsets");
  if (!offsets.ok()) return Annotate(offsets.status());
  for (const auto& row : offsets->rows) {
    committed_offsets_[{row[0].value_or(""),
                        static_cast<std::int32_t>(ToInt(row[1]).value_or(0))}] =
        ToInt(row[2]).value_or(0);
  }
  return Status::Ok();
}

Status ProductStore::Verify() {
  std::lock_guard lock(reader_mutex_);
  std::vector<std::string> tables;
  for (std::string_view table : kSystemTables) tables.push_back("quanta." + std::string(table));
  for (const DatasetLayout& dataset : layout_.datasets)
    tables.push_back(HistoryTable(dataset.name));
  for (const std::string& table : tables) {
    Status scanned = reader_->Execute(ScanAllSql(table));
    if (!scanned.ok()) return Annotate(scanned);
  }
  // The idempotency keys' index is read only by lookups.
  return Annotate(reader_->Execute(
      "SELECT count(*) FROM quanta.commits WHERE idempotency_key = 'index check'"));
}

Status ProductStore::CreateStagingTables() {
  for (const DatasetLayout& dataset : layout_.datasets) {
    std::string name = "_quanta_staged_" + dataset.name;
    std::string columns;
    for (const engine::Column& column : dataset.columns) {
      if (!columns.empty()) columns += ", ";
      columns += QuoteIdentifier(column.name) + " " + column.type;
    }
    QUANTA_RETURN_IF_ERROR(writer_->Execute(
        fmt::format("CREATE OR REPLACE TEMP TABLE {} ({})", QuoteIdentifier(name), columns)));
    staging_tables_[dataset.name] = "temp.main." + QuoteIdentifier(name);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Writing

Result<std::unique_ptr<BatchWriter>> ProductStore::BeginBatch() {
  std::unique_lock lock(writer_mutex_);
  QUANTA_RETURN_IF_ERROR(Annotate(writer_->Execute("BEGIN TRANSACTION")));
  Result<std::int64_t> transaction = QueryInt(*writer_, "SELECT txid_current()");
  if (!transaction.ok()) {
    (void)writer_->Execute("ROLLBACK");
    return Annotate(transaction.status());
  }
  return std::unique_ptr<BatchWriter>(new BatchWriter(this, std::move(lock), *transaction));
}

void ProductStore::Advance(const CommitInfo& info) {
  std::lock_guard lock(head_mutex_);
  head_.version = info.version;
  head_.committed_at = info.committed_at;
}

CommitHead ProductStore::Head() const {
  std::lock_guard lock(head_mutex_);
  return head_;
}

Result<std::optional<CommitInfo>> ProductStore::FindCommit(std::string_view idempotency_key) {
  std::lock_guard lock(reader_mutex_);
  Result<engine::QueryResult> found = reader_->Query(FindKeySql(TextLiteral(idempotency_key)));
  if (!found.ok()) return Annotate(found.status());
  if (found->rows.empty()) return std::optional<CommitInfo>();
  nlohmann::json summary =
      nlohmann::json::parse(found->rows[0][0].value_or(""), nullptr, /*allow_exceptions=*/false);
  Result<CommitInfo> info = CommitInfoFromJson(summary);
  if (!info.ok()) return Annotate(info.status());
  info->replayed = true;
  return std::optional<CommitInfo>(std::move(info).value());
}

Result<PurgeReport> ProductStore::Purge(Timestamp now) {
  std::lock_guard lock(writer_mutex_);
  engine::Connection& connection = *writer_;
  QUANTA_RETURN_IF_ERROR(Annotate(connection.Execute("BEGIN TRANSACTION")));
  PurgeReport report;
  std::map<std::string, std::int64_t> readable_from;
  auto run = [&]() -> Status {
    for (const DatasetLayout& dataset : layout_.datasets) {
      if (!dataset.retention) continue;
      Timestamp cutoff = now - *dataset.retention;
      QUANTA_ASSIGN_OR_RETURN(
          std::int64_t last_before,
          QueryInt(connection,
                   "SELECT coalesce(max(version), 0) FROM quanta.commits WHERE committed_at < " +
                       TimestampSqlLiteral(cutoff)));
      std::int64_t removed = 0;
      if (last_before > 0) {
        QUANTA_ASSIGN_OR_RETURN(
            removed,
            QueryInt(connection, fmt::format("DELETE FROM {0} WHERE {1} IS NOT NULL AND "
                                             "{1} <= {2}",
                                             HistoryTable(dataset.name),
                                             QuoteIdentifier(kToVersionColumn), last_before)));
      }
      report.rows_removed[dataset.name] = removed;
      std::int64_t previous;
      {
        std::lock_guard head_lock(head_mutex_);
        previous = datasets_[dataset.name].readable_from_version;
      }
      if (last_before > previous) {
        readable_from[dataset.name] = last_before;
        QUANTA_RETURN_IF_ERROR(connection.Execute(
            fmt::format("UPDATE quanta.datasets SET readable_from_version = {} WHERE name = {}",
                        last_before, QuoteLiteral(dataset.name))));
      }
    }
    for (const InputPortLayout& port : layout_.input_ports) {
      if (!port.retention) continue;
      QUANTA_ASSIGN_OR_RETURN(
          std::int64_t removed,
          QueryInt(
              connection,
              fmt::format("DELETE FROM quanta.dead_letters WHERE port = {} AND received_at < {}",
                          QuoteLiteral(port.name), TimestampSqlLiteral(now - *port.retention))));
      report.dead_letters_removed += removed;
    }
    return connection.Execute("COMMIT");
  };
  Status status = run();
  if (!status.ok()) {
    (void)connection.Execute("ROLLBACK");
    return Annotate(status);
  }
  {
    std::lock_guard head_lock(head_mutex_);
    for (const auto& [dataset, version] : readable_from) {
      datasets_[dataset].readable_from_version = version;
    }
  }
  CheckpointIfLogIsLarge();
  return report;
}

// ---------------------------------------------------------------------------------------------
// Reading

Result<const DatasetLayout*> ProductStore::FindDataset(std::string_view dataset) const {
  if (const DatasetLayout* found = layout_.FindDataset(dataset)) return found;
  std::vector<std::string> names;
  for (const DatasetLayout& known : layout_.datasets) names.push_back(known.name);
  return Status::NotFound("product store {} has no dataset {}; its datasets are: {}",
                          path_.filename().string(), dataset, fmt::join(names, ", "));
}

Result<std::int64_t> ProductStore::VersionAt(Timestamp time, bool inclusive) {
  std::lock_guard lock(reader_mutex_);
  return QueryInt(*reader_, fmt::format("SELECT coalesce(max(version), 0) FROM quanta.commits "
                                        "WHERE committed_at {} {}",
                                        inclusive ? "<=" : "<", TimestampSqlLiteral(time)));
}

Result<std::int64_t> ProductStore::EarliestReadableVersion(const DatasetLayout& dataset,
                                                           Timestamp now) {
  std::int64_t earliest;
  {
    std::lock_guard lock(head_mutex_);
    earliest = datasets_[dataset.name].readable_from_version;
  }
  if (dataset.retention) {
    QUANTA_ASSIGN_OR_RETURN(std::int64_t at_horizon, VersionAt(now - *dataset.retention, true));
    earliest = std::max(earliest, at_horizon);
  }
  return earliest;
}

Result<Snapshot> ProductStore::SnapshotOf(std::string_view name, const AsOf& as_of) {
  QUANTA_ASSIGN_OR_RETURN(const DatasetLayout* dataset, FindDataset(name));
  CommitHead head = Head();
  Timestamp now = options_.clock->Now();
  std::int64_t version = head.version;
  if (as_of.kind == AsOf::Kind::kVersion) {
    if (as_of.version < 0) {
      return Status::Invalid("dataset {}: version {} is not a version; versions count from 0", name,
                             as_of.version);
    }
    if (as_of.version > head.version) {
      return Status::Invalid("dataset {}: version {} does not exist yet; the latest version is {}",
                             name, as_of.version, head.version);
    }
    version = as_of.version;
  } else if (as_of.kind == AsOf::Kind::kTime) {
    if (as_of.time > now) {
      return Status::Invalid("dataset {}: as of {} is in the future; the store's time is {}", name,
                             FormatTimestamp(as_of.time), FormatTimestamp(now));
    }
    if (dataset->retention && as_of.time < now - *dataset->retention) {
      return Status::Invalid(
          "dataset {}: as of {} is older than its retention of {}; the oldest readable time "
          "is {}",
          name, FormatTimestamp(as_of.time), FormatDuration(*dataset->retention),
          FormatTimestamp(now - *dataset->retention));
    }
    QUANTA_ASSIGN_OR_RETURN(version, VersionAt(as_of.time, true));
  }
  QUANTA_ASSIGN_OR_RETURN(std::int64_t earliest, EarliestReadableVersion(*dataset, now));
  if (version < earliest) {
    return Status::Invalid(
        "dataset {}: version {} is older than its retention{}; the earliest readable version "
        "is {}",
        name, version,
        dataset->retention ? " of " + FormatDuration(*dataset->retention) : std::string(),
        earliest);
  }
  Snapshot snapshot{dataset->name, version, std::nullopt, SnapshotSql(*dataset, version),
                    SnapshotSql(*dataset, version, catalog_)};
  if (version > 0) {
    std::lock_guard lock(reader_mutex_);
    Result<std::int64_t> micros =
        QueryInt(*reader_,
                 fmt::format("SELECT epoch_us(committed_at) FROM quanta.commits WHERE version = {}",
                             version));
    if (!micros.ok()) return Annotate(micros.status());
    snapshot.committed_at = FromUnixMicros(*micros);
  }
  return snapshot;
}

Result<std::string> ProductStore::CurrentQualifiedSql(std::string_view name) const {
  QUANTA_ASSIGN_OR_RETURN(const DatasetLayout* dataset, FindDataset(name));
  return CurrentSql(*dataset, catalog_);
}

Result<ChangeSet> ProductStore::ChangesBetween(std::string_view name, std::int64_t after_version,
                                               std::int64_t up_to_version) {
  QUANTA_ASSIGN_OR_RETURN(const DatasetLayout* dataset, FindDataset(name));
  CommitHead head = Head();
  if (after_version < 0 || after_version > up_to_version) {
    return Status::Invalid("dataset {}: changes after version {} up to version {} is not a range",
                           name, after_version, up_to_version);
  }
  if (up_to_version > head.version) {
    return Status::Invalid("dataset {}: version {} does not exist yet; the latest version is {}",
                           name, up_to_version, head.version);
  }
  QUANTA_ASSIGN_OR_RETURN(std::int64_t earliest,
                          EarliestReadableVersion(*dataset, options_.clock->Now()));
  if (after_version < earliest) {
    return Status::Invalid(
        "dataset {}: changes after version {} are no longer complete (retention removed history "
        "before version {}); start from a snapshot at version {} or later",
        name, after_version, earliest, earliest);
  }
  return ChangeSet{dataset->name, after_version, up_to_version,
                   ChangesSql(*dataset, after_version, up_to_version)};
}

const std::vector<engine::Column>& DeadLetterColumns() {
  static const std::vector<engine::Column> columns = {{"version", "BIGINT"},
                                                      {"port", "VARCHAR"},
                                                      {"offset", "BIGINT"},
                                                      {"reason", "VARCHAR"},
                                                      {"payload", "VARCHAR"},
                                                      {"payload_bytes", "BLOB"},
                                                      {"received_at", "TIMESTAMP WITH TIME ZONE"}};
  return columns;
}

namespace {

// The dead letters' SELECT over `table`; each column as DeadLetterColumns() names it.
std::string DeadLettersFrom(std::string_view table) {
  return fmt::format(
      "SELECT version, port, \"offset\", reason, try(decode(payload)) AS payload, "
      "payload AS payload_bytes, received_at FROM {}",
      table);
}

}  // namespace

std::string ProductStore::DeadLettersSql() { return DeadLettersFrom("quanta.dead_letters"); }

Result<std::string> ProductStore::DeadLettersQualifiedSql(const AsOf& as_of) {
  const std::string all =
      DeadLettersFrom(fmt::format("{}.quanta.dead_letters", QuoteIdentifier(catalog_)));
  CommitHead head = Head();
  std::int64_t version = head.version;
  if (as_of.kind == AsOf::Kind::kCurrent) return all;
  if (as_of.kind == AsOf::Kind::kVersion) {
    if (as_of.version < 0) {
      return Status::Invalid("dead letters: version {} is not a version; versions count from 0",
                             as_of.version);
    }
    if (as_of.version > head.version) {
      return Status::Invalid(
          "dead letters: version {} does not exist yet; the latest version is {}", as_of.version,
          head.version);
    }
    version = as_of.version;
  } else {
    Timestamp now = options_.clock->Now();
    if (as_of.time > now) {
      return Status::Invalid("dead letters: as of {} is in the future; the store's time is {}",
                             FormatTimestamp(as_of.time), FormatTimestamp(now));
    }
    QUANTA_ASSIGN_OR_RETURN(version, VersionAt(as_of.time, true));
  }
  return fmt::format("{} WHERE version <= {}", all, version);
}

Result<std::unique_ptr<engine::Connection>> ProductStore::Connect() {
  Result<std::unique_ptr<engine::Connection>> connection = database_->Connect();
  if (!connection.ok()) return Annotate(connection.status());
  QUANTA_RETURN_IF_ERROR(Annotate((*connection)->Execute("USE " + QuoteIdentifier(catalog_))));
  return connection;
}

Result<engine::QueryResult> ProductStore::Query(std::string_view sql) {
  std::lock_guard lock(reader_mutex_);
  Result<engine::QueryResult> result = reader_->Query(sql);
  if (!result.ok()) return Annotate(result.status());
  return result;
}

Result<engine::QueryResult> ProductStore::ReadDataset(std::string_view dataset, const AsOf& as_of,
                                                      std::string_view order_by) {
  QUANTA_ASSIGN_OR_RETURN(Snapshot snapshot, SnapshotOf(dataset, as_of));
  std::string sql = snapshot.sql;
  if (!order_by.empty()) sql = fmt::format("{} ORDER BY {}", sql, order_by);
  return Query(sql);
}

Result<engine::QueryResult> ProductStore::ReadChanges(std::string_view dataset,
                                                      std::int64_t after_version,
                                                      std::int64_t up_to_version) {
  QUANTA_ASSIGN_OR_RETURN(ChangeSet changes, ChangesBetween(dataset, after_version, up_to_version));
  return Query(changes.sql);
}

Result<std::vector<CommittedOffset>> ProductStore::Offsets() {
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult result,
      Query("SELECT port, \"partition\", \"offset\", version FROM quanta.offsets ORDER BY ALL"));
  std::vector<CommittedOffset> offsets;
  for (const auto& row : result.rows) {
    offsets.push_back({row[0].value_or(""), static_cast<std::int32_t>(ToInt(row[1]).value_or(0)),
                       ToInt(row[2]).value_or(0), ToInt(row[3]).value_or(0)});
  }
  return offsets;
}

Result<std::optional<std::int64_t>> ProductStore::Offset(std::string_view port,
                                                         std::int32_t partition) {
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult result,
      Query(fmt::format(
          "SELECT \"offset\" FROM quanta.offsets WHERE port = {} AND \"partition\" = {}",
          TextLiteral(port), partition)));
  if (result.rows.empty()) return std::optional<std::int64_t>();
  return ToInt(result.rows[0][0]);
}

Result<StoreStatus> ProductStore::ReadStatus() {
  StoreStatus status;
  status.path = path_;
  status.head = Head();
  std::error_code error;
  for (const std::filesystem::path& file :
       {path_, std::filesystem::path(path_.string() + ".wal")}) {
    std::uintmax_t size = std::filesystem::file_size(file, error);
    if (!error) status.file_bytes += size;
  }
  Timestamp now = options_.clock->Now();
  for (const DatasetLayout& dataset : layout_.datasets) {
    DatasetStatus out;
    out.name = dataset.name;
    out.mode = dataset.mode;
    out.retention = dataset.retention;
    QUANTA_ASSIGN_OR_RETURN(
        engine::QueryResult counts,
        Query(fmt::format("SELECT count(*) FILTER (WHERE {} IS NULL), count(*) FROM {}",
                          QuoteIdentifier(kToVersionColumn), HistoryTable(dataset.name))));
    out.current_rows = ToInt(counts.rows[0][0]).value_or(0);
    out.row_versions = ToInt(counts.rows[0][1]).value_or(0);
    // The last commit that wrote to the dataset either added a row version or closed one.
    QUANTA_ASSIGN_OR_RETURN(
        engine::QueryResult latest,
        Query(fmt::format("SELECT c.version, epoch_us(c.committed_at) FROM quanta.commits c "
                          "WHERE c.version = (SELECT greatest(max({}), max({})) FROM {})",
                          QuoteIdentifier(kFromVersionColumn), QuoteIdentifier(kToVersionColumn),
                          HistoryTable(dataset.name))));
    if (!latest.rows.empty()) {
      out.latest_version = ToInt(latest.rows[0][0]);
      if (std::optional<std::int64_t> micros = ToInt(latest.rows[0][1])) {
        out.latest_commit_at = FromUnixMicros(*micros);
      }
    }
    QUANTA_ASSIGN_OR_RETURN(out.earliest_readable_version, EarliestReadableVersion(dataset, now));
    status.datasets.push_back(std::move(out));
  }
  QUANTA_ASSIGN_OR_RETURN(std::vector<CommittedOffset> offsets, Offsets());
  QUANTA_ASSIGN_OR_RETURN(engine::QueryResult ports,
                          Query("SELECT p.port, p.received, p.committed, p.rejected, "
                                "(SELECT count(*) FROM quanta.dead_letters d WHERE d.port = "
                                "p.port) FROM quanta.ports p"));
  for (const InputPortLayout& port : layout_.input_ports) {
    PortStatus out;
    out.name = port.name;
    for (const auto& row : ports.rows) {
      if (row[0] != port.name) continue;
      out.received = ToInt(row[1]).value_or(0);
      out.committed = ToInt(row[2]).value_or(0);
      out.rejected = ToInt(row[3]).value_or(0);
      out.dead_letters = ToInt(row[4]).value_or(0);
    }
    for (const CommittedOffset& offset : offsets) {
      if (offset.port == port.name) out.offsets.push_back(offset);
    }
    status.ports.push_back(std::move(out));
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Keyed rows

std::shared_ptr<const engine::KeyedRows> ProductStore::KeyedRowsOf(std::string_view name) {
  if (!options_.keyed_rows_budget) return nullptr;
  Result<const DatasetLayout*> dataset = FindDataset(name);
  if (!dataset.ok() || (*dataset)->lookup_column.empty()) return nullptr;
  std::lock_guard lock(keyed_mutex_);
  if (auto found = keyed_.find(name); found != keyed_.end()) return found->second.rows;
  if (closing_) return nullptr;
  KeyedEntry& entry = keyed_[std::string(name)];
  entry.dataset = *dataset;
  // The columns' types as results give them: prepared, not run.
  std::unique_ptr<engine::PreparedQuery> probe;
  {
    std::lock_guard reader(reader_mutex_);
    Result<std::unique_ptr<engine::PreparedQuery>> prepared = engine::PreparedQuery::Prepare(
        *reader_, fmt::format("SELECT {} FROM {}", ColumnList(**dataset),
                              HistoryTable((*dataset)->name, catalog_)));
    if (!prepared.ok()) return nullptr;
    probe = std::move(prepared).value();
  }
  const std::vector<engine::ValueType>& types = probe->column_types();
  std::size_t key = 0;
  while (key < (*dataset)->columns.size() &&
         (*dataset)->columns[key].name != (*dataset)->lookup_column) {
    ++key;
  }
  if (key == types.size() || !engine::KeyedRows::CanKey(types[key]) ||
      !engine::KeyedRows::CanHold(types)) {
    return nullptr;
  }
  entry.rows = std::make_shared<engine::KeyedRows>(probe->column_names(), types, key,
                                                   (*dataset)->mode == WriteMode::kUpsert);
  QueueKeyedBuild(entry.dataset->name);
  return entry.rows;
}

void ProductStore::QueueKeyedBuild(const std::string& dataset) {
  if (closing_) return;
  if (std::find(keyed_pending_.begin(), keyed_pending_.end(), dataset) == keyed_pending_.end()) {
    keyed_pending_.push_back(dataset);
  }
  if (keyed_building_) return;
  if (keyed_builder_.joinable()) keyed_builder_.join();  // done with its last dataset
  keyed_building_ = true;
  keyed_builder_ = std::thread([this] { BuildKeyedRows(); });
}

void ProductStore::BuildKeyedRows() {
  while (true) {
    KeyedEntry* entry = nullptr;
    {
      std::lock_guard lock(keyed_mutex_);
      if (keyed_pending_.empty() || closing_) {
        keyed_building_ = false;
        return;
      }
      entry = &keyed_.at(keyed_pending_.front());
      keyed_pending_.erase(keyed_pending_.begin());
    }
    BuildKeyedRowsOf(*entry);
  }
}

void ProductStore::BuildKeyedRowsOf(KeyedEntry& entry) {
  // Holding the writer, no commit runs: the rows read are those of the head version.
  std::unique_lock writer(writer_mutex_);
  std::uint64_t room = 0;
  {
    // A rebuild's rows take the place of those held now.
    std::lock_guard lock(keyed_mutex_);
    const engine::MemoryBudget& budget = *options_.keyed_rows_budget;
    room = budget.limit() - std::min(budget.limit(), budget.taken() - entry.taken);
  }
  std::unique_ptr<engine::PreparedQuery> query;
  Result<std::vector<std::unique_ptr<engine::ResultChunk>>> chunks = ReadKeyedChunks(
      *entry.dataset, fmt::format("{} IS NULL", QuoteIdentifier(kToVersionColumn)), room, &query);
  std::lock_guard lock(keyed_mutex_);
  auto rows = entry.rows->LockForWrite();
  if (!chunks.ok() || !entry.rows->Replace(std::move(chunks).value(), Head().version, rows).ok()) {
    entry.rows->GiveUp(rows);
  }
  rows.unlock();
  SettleKeyedBytes(entry);
}

bool ProductStore::SettleKeyedBytes(KeyedEntry& entry) {
  engine::MemoryBudget& budget = *options_.keyed_rows_budget;
  const std::uint64_t now = entry.rows->bytes();
  if (now <= entry.taken) {
    budget.Give(entry.taken - now);
    entry.taken = now;
    return true;
  }
  if (budget.TryTake(now - entry.taken)) {
    entry.taken = now;
    return true;
  }
  entry.rows->GiveUp(entry.rows->LockForWrite());
  budget.Give(entry.taken);
  entry.taken = 0;
  return false;
}

Result<std::vector<std::unique_ptr<engine::ResultChunk>>> ProductStore::ReadKeyedChunks(
    const DatasetLayout& dataset, std::string_view where, std::uint64_t most_bytes,
    std::unique_ptr<engine::PreparedQuery>* query) {
  QUANTA_ASSIGN_OR_RETURN(
      *query, engine::PreparedQuery::Prepare(
                  *writer_, fmt::format("SELECT {} FROM {} WHERE {}", ColumnList(dataset),
                                        HistoryTable(dataset.name, catalog_), where)));
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultStream> stream, (*query)->Execute());
  std::vector<std::unique_ptr<engine::ResultChunk>> chunks;
  std::uint64_t bytes = 0;
  while (true) {
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::ResultChunk> chunk, stream->Next());
    if (!chunk) break;
    bytes += engine::KeyedRows::ChunkBytes(*chunk);
    if (bytes > most_bytes) {
      return Status::TooLarge("the current rows of {} take more than {} bytes", dataset.name,
                              most_bytes);
    }
    chunks.push_back(std::move(chunk));
    std::lock_guard lock(keyed_mutex_);
    if (closing_) return Status(ErrorCode::kUnavailable, "the store is closing");
  }
  return chunks;
}

// ---------------------------------------------------------------------------------------------
// BatchWriter

BatchWriter::BatchWriter(ProductStore* store, std::unique_lock<std::mutex> lock,
                         std::int64_t transaction)
    : store_(store), lock_(std::move(lock)), transaction_(transaction) {}

BatchWriter::~BatchWriter() {
  if (!done_) Finish(/*rollback=*/true);
}

engine::Connection& BatchWriter::connection() { return *store_->writer_; }

Result<std::string> BatchWriter::StagingTable(std::string_view dataset) const {
  QUANTA_ASSIGN_OR_RETURN(const DatasetLayout* found, store_->FindDataset(dataset));
  return store_->staging_tables_.at(found->name);
}

Result<std::int64_t> BatchWriter::StageRows(std::string_view dataset, std::string_view select_sql) {
  if (done_) return Status::Usage("this batch was already committed or aborted");
  QUANTA_ASSIGN_OR_RETURN(std::string staging, StagingTable(dataset));
  Result<std::int64_t> staged =
      QueryInt(*store_->writer_, fmt::format("INSERT INTO {} BY NAME {}", staging, select_sql));
  if (!staged.ok()) {
    return Status(staged.status().code(),
                  fmt::format("dataset {}: the rows to stage do not fit its columns: {}", dataset,
                              staged.status().message()));
  }
  return staged;
}

Result<std::int64_t> BatchWriter::AppendRows(std::string_view dataset,
                                             std::string_view select_sql) {
  if (done_) return Status::Usage("this batch was already committed or aborted");
  QUANTA_ASSIGN_OR_RETURN(const DatasetLayout* found, store_->FindDataset(dataset));
  if (found->mode != WriteMode::kAppend) {
    return Status::Usage("dataset {} is upserted: stage its rows with StageRows", dataset);
  }
  // The writer's lock is held from BeginBatch to the end of the batch, so no other commit
  // can take this version; Commit checks it all the same.
  std::int64_t version = store_->Head().version + 1;
  Result<std::int64_t> appended = QueryInt(
      *store_->writer_,
      fmt::format("INSERT INTO {} BY NAME SELECT quanta_rows.*, {} AS {} FROM ({}) AS quanta_rows",
                  HistoryTable(found->name), version, QuoteIdentifier(kFromVersionColumn),
                  select_sql));
  if (!appended.ok()) {
    return Status(appended.status().code(),
                  fmt::format("dataset {}: the rows to append do not fit its columns: {}", dataset,
                              appended.status().message()));
  }
  appended_[found->name] += *appended;
  appended_version_ = version;
  return appended;
}

Status BatchWriter::CheckPort(std::string_view port) const {
  if (store_->layout_.FindInputPort(port)) return Status::Ok();
  std::vector<std::string> names;
  for (const InputPortLayout& known : store_->layout_.input_ports) names.push_back(known.name);
  return Status::NotFound("product store {} has no input port {}; its input ports are: {}",
                          store_->path_.filename().string(), port, fmt::join(names, ", "));
}

Status BatchWriter::AddReceived(std::string_view port, std::int64_t count) {
  QUANTA_RETURN_IF_ERROR(CheckPort(port));
  if (count < 0)
    return Status::Invalid("input port {}: received count {} is negative", port, count);
  ports_[std::string(port)].received += count;
  return Status::Ok();
}

Status BatchWriter::AddDeadLetter(DeadLetter dead_letter) {
  QUANTA_RETURN_IF_ERROR(CheckPort(dead_letter.port));
  ports_[dead_letter.port].rejected += 1;
  dead_letters_.push_back(std::move(dead_letter));
  return Status::Ok();
}

Status BatchWriter::SetOffset(std::string_view port, std::int64_t offset, std::int32_t partition) {
  QUANTA_RETURN_IF_ERROR(CheckPort(port));
  auto& offsets = ports_[std::string(port)].offsets;
  auto found = offsets.find(partition);
  if (found == offsets.end()) {
    offsets[partition] = OffsetRange{partition, offset, offset};
  } else {
    found->second.first = std::min(found->second.first, offset);
    found->second.last = std::max(found->second.last, offset);
  }
  return Status::Ok();
}

Status BatchWriter::SetOffsetRange(std::string_view port, std::int64_t first, std::int64_t last,
                                   std::int32_t partition) {
  if (first > last) {
    return Status::Invalid("input port {} partition {}: offset range {}..{} is empty", port,
                           partition, first, last);
  }
  QUANTA_RETURN_IF_ERROR(SetOffset(port, first, partition));
  return SetOffset(port, last, partition);
}

void BatchWriter::SetIdempotencyKey(std::string key, std::optional<std::string> request_digest) {
  idempotency_key_ = std::move(key);
  request_digest_ = std::move(request_digest);
}

Status BatchWriter::AddRequestKey(std::string key, PortCommit consumed,
                                  std::optional<std::string> request_digest) {
  QUANTA_RETURN_IF_ERROR(CheckPort(consumed.port));
  if (consumed.committed + consumed.rejected != consumed.received) {
    return Status::Invalid(
        "input port {}: the request with idempotency key {} counts {} received but {} committed "
        "and {} rejected",
        consumed.port, key, consumed.received, consumed.committed, consumed.rejected);
  }
  if (!request_keys_.emplace(key, RequestKey{std::move(consumed), std::move(request_digest)})
           .second) {
    return Status::Invalid("idempotency key {} is given to two requests of one batch", key);
  }
  return Status::Ok();
}

Result<std::map<std::string, CommitInfo>> BatchWriter::FindCommits(
    const std::vector<std::string>& keys) {
  if (done_) return Status::Usage("this batch was already committed or aborted");
  std::map<std::string, CommitInfo> found;
  if (keys.empty()) return found;
  std::string list;
  for (const std::string& key : keys) list += (list.empty() ? "" : ", ") + TextLiteral(key);
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult rows,
      store_->writer_->Query(fmt::format(
          "SELECT idempotency_key, summary FROM quanta.commits WHERE idempotency_key IN ({0}) "
          "UNION ALL SELECT idempotency_key, summary FROM quanta.request_keys WHERE "
          "idempotency_key IN ({0})",
          list)));
  for (const auto& row : rows.rows) {
    nlohmann::json summary =
        nlohmann::json::parse(row[1].value_or(""), nullptr, /*allow_exceptions=*/false);
    Result<CommitInfo> info = CommitInfoFromJson(summary);
    if (!info.ok()) return store_->Annotate(info.status());
    info->replayed = true;
    // A key stored in quanta.commits names its whole commit; keep the key it was asked by.
    info->idempotency_key = row[0];
    found.emplace(row[0].value_or(""), std::move(info).value());
  }
  return found;
}

void BatchWriter::Abort() {
  if (!done_) Finish(/*rollback=*/true);
}

void BatchWriter::Finish(bool rollback) {
  if (rollback) (void)store_->writer_->Execute("ROLLBACK");
  done_ = true;
  if (lock_.owns_lock()) lock_.unlock();
}

Result<CommitInfo> BatchWriter::Commit() {
  if (done_) return Status::Usage("this batch was already committed or aborted");
  Result<CommitInfo> result = CommitInTransaction();
  if (!result.ok()) {
    Finish(/*rollback=*/true);
    return store_->Annotate(Status(result.status().code(),
                                   "the batch was not committed: " + result.status().message()));
  }
  if (result->replayed) {
    Finish(/*rollback=*/true);
    return result;
  }
  // The rows this version makes current, for each dataset's keyed rows: read in the batch's
  // transaction, applied under their write lock, which is held across the COMMIT so that a
  // lookup never answers an older state than a statement started after it sees.
  struct KeyedChange {
    std::shared_ptr<engine::KeyedRows> rows;
    std::unique_ptr<engine::PreparedQuery> query;  // the chunks' columns point into it
    Result<std::vector<std::unique_ptr<engine::ResultChunk>>> chunks = Status::Internal("unread");
    std::unique_lock<std::shared_mutex> lock;
  };
  std::vector<KeyedChange> keyed;
  std::vector<const DatasetLayout*> keyed_datasets;
  {
    std::lock_guard lock(store_->keyed_mutex_);
    for (auto& [name, entry] : store_->keyed_) {
      if (entry.rows && entry.rows->ready()) {
        keyed.push_back({entry.rows, nullptr, Status::Internal("unread"), {}});
        keyed_datasets.push_back(entry.dataset);
      }
    }
  }
  for (std::size_t i = 0; i < keyed.size(); ++i) {
    keyed[i].chunks = store_->ReadKeyedChunks(
        *keyed_datasets[i],
        fmt::format("{} = {}", QuoteIdentifier(kFromVersionColumn), result->version),
        std::numeric_limits<std::uint64_t>::max(), &keyed[i].query);
  }
  for (KeyedChange& change : keyed) change.lock = change.rows->LockForWrite();
  Status committed = store_->writer_->Execute("COMMIT");
  for (KeyedChange& change : keyed) {
    if (committed.ok() &&
        (!change.chunks.ok() ||
         !change.rows->Apply(std::move(change.chunks).value(), result->version, change.lock)
              .ok())) {
      change.rows->GiveUp(change.lock);
    }
    change.lock.unlock();
  }
  if (!committed.ok()) {
    Finish(/*rollback=*/true);
    return store_->Annotate(
        Status(committed.code(), "the batch was not committed: " + committed.message()));
  }
  if (!keyed.empty()) {
    std::lock_guard lock(store_->keyed_mutex_);
    for (auto& [name, entry] : store_->keyed_) {
      if (!entry.rows || !entry.rows->ready() || !store_->SettleKeyedBytes(entry)) continue;
      // A chunk stays while any of its rows is current, and a small commit's chunk takes the
      // room of 2048 rows: rebuilt into full chunks once they could hold twice the current
      // rows and two chunks more.
      if (entry.rows->capacity_rows() > 2 * entry.rows->current_rows() + 4096) {
        store_->QueueKeyedBuild(name);
      }
    }
  }
  for (const PortCommit& port : result->ports) {
    for (const OffsetRange& range : port.offsets) {
      store_->committed_offsets_[{port.port, range.partition}] = range.last;
    }
  }
  store_->Advance(*result);
  store_->CheckpointIfLogIsLarge();
  Finish(/*rollback=*/false);
  return result;
}

// Every statement costs DuckDB a parse, a plan and a pipeline, and every table written in a
// transaction costs it fresh column buffers, so a commit asks one question (is the
// transaction ours, what was staged, was the key committed before), runs the UPDATE of each
// upsert dataset (its count is needed), and sends all other writes in one batch to as few
// tables as it can: what a commit did per dataset and port lives in its summary only.
Result<CommitInfo> BatchWriter::CommitInTransaction() {
  engine::Connection& connection = *store_->writer_;
  const StoreLayout& layout = store_->layout_;
  std::string probe = "SELECT txid_current()";
  for (const DatasetLayout& dataset : layout.datasets) {
    const std::string& staging = store_->staging_tables_.at(dataset.name);
    probe += ", (SELECT count(*) FROM " + staging + ")";
    if (dataset.mode == WriteMode::kUpsert) {
      probe += ", (" + CountNullKeysSql(dataset, staging) + ")";
      probe += ", (" + CountStagedKeysSql(dataset, staging) + ")";
    }
  }
  if (!request_keys_.empty()) {
    std::string keys;
    for (const auto& [key, consumed] : request_keys_) {
      keys += (keys.empty() ? "" : ", ") + TextLiteral(key);
    }
    probe += fmt::format(
        ", (SELECT count(*) FROM quanta.commits WHERE idempotency_key IN ({0})) + (SELECT "
        "count(*) FROM quanta.request_keys WHERE idempotency_key IN ({0}))",
        keys);
  }
  if (idempotency_key_) probe += ", (" + FindKeySql(TextLiteral(*idempotency_key_)) + ")";
  Result<engine::QueryResult> probed = connection.Query(probe);
  if (!probed.ok() || probed->rows.size() != 1 || ToInt(probed->rows[0][0]) != transaction_) {
    return Status::Internal(
        "the batch's transaction ended before Commit (a COMMIT or ROLLBACK ran through "
        "connection()); nothing of the batch was stored: run it again{}",
        probed.ok() ? "" : " (" + probed.status().message() + ")");
  }
  const std::vector<std::optional<std::string>>& answers = probed->rows[0];
  if (!request_keys_.empty()) {
    std::size_t at = answers.size() - (idempotency_key_ ? 2 : 1);
    if (ToInt(answers[at]).value_or(1) != 0) {
      return Status::Invalid(
          "a request of the batch carries an idempotency key that was committed before; "
          "leave such requests out of the batch (BatchWriter::FindCommits finds them)");
    }
  }
  if (idempotency_key_ && answers.back()) {
    nlohmann::json summary =
        nlohmann::json::parse(*answers.back(), nullptr, /*allow_exceptions=*/false);
    QUANTA_ASSIGN_OR_RETURN(CommitInfo info, CommitInfoFromJson(summary));
    info.replayed = true;
    return info;
  }

  CommitHead head = store_->Head();
  CommitInfo info;
  info.version = head.version + 1;
  if (appended_version_ && *appended_version_ != info.version) {
    return Status::Internal(
        "rows were appended as version {} but the batch commits as version {}; nothing of the "
        "batch was stored: run it again",
        *appended_version_, info.version);
  }
  info.committed_at = store_->options_.clock->Now();
  if (head.committed_at && *head.committed_at > info.committed_at) {
    info.committed_at = *head.committed_at;  // the clock went back: keep times in order
  }
  info.idempotency_key = idempotency_key_;
  info.request_digest = request_digest_;

  std::string writes;
  std::size_t answer = 1;
  for (const DatasetLayout& dataset : layout.datasets) {
    const std::string& staging = store_->staging_tables_.at(dataset.name);
    std::int64_t staged = ToInt(answers[answer++]).value_or(0);
    std::int64_t null_keys = 0, keys = 0;
    if (dataset.mode == WriteMode::kUpsert) {
      null_keys = ToInt(answers[answer++]).value_or(0);
      keys = ToInt(answers[answer++]).value_or(0);
    }
    auto appended = appended_.find(dataset.name);
    std::int64_t written = appended == appended_.end() ? 0 : appended->second;
    if (staged == 0 && written == 0) continue;
    if (staged == 0) {  // appended only: already in the dataset's table
      info.datasets.push_back(DatasetCommit{dataset.name, written, 0});
      continue;
    }
    if (null_keys > 0) {
      return Status::Invalid(
          "dataset {}: {} of {} rows have no value in a key column ({}); every upserted row "
          "needs its whole key",
          dataset.name, null_keys, staged, fmt::join(dataset.key, ", "));
    }
    DatasetCommit commit{dataset.name, staged + written, 0};
    std::vector<std::string> statements =
        ApplyStagedSql(dataset, staging, info.version, store_->options_.upsert_method);
    if (dataset.mode == WriteMode::kAppend) {
      writes += statements[0] + ";\n";
    } else if (store_->options_.upsert_method == UpsertMethod::kMerge) {
      QUANTA_ASSIGN_OR_RETURN(std::int64_t changed, QueryInt(connection, statements[0]));
      commit.rows_inserted = keys;
      commit.rows_closed = changed - keys;
    } else {
      QUANTA_ASSIGN_OR_RETURN(commit.rows_closed, QueryInt(connection, statements[0]));
      commit.rows_inserted = keys;
      writes += statements[1] + ";\n";
    }
    writes += "DELETE FROM " + staging + ";\n";
    info.datasets.push_back(std::move(commit));
  }
  AppendDeadLetters(info.version, writes);
  QUANTA_RETURN_IF_ERROR(AppendPorts(info.version, info, writes));
  for (const auto& [key, request_key] : request_keys_) {
    CommitInfo request;
    request.version = info.version;
    request.committed_at = info.committed_at;
    request.idempotency_key = key;
    request.request_digest = request_key.request_digest;
    request.datasets = info.datasets;
    request.ports = {request_key.consumed};
    writes +=
        fmt::format("INSERT INTO quanta.request_keys VALUES ({}, {}, {});\n", TextLiteral(key),
                    info.version, QuoteLiteral(CommitInfoToJson(request).dump()));
  }
  writes += fmt::format("INSERT INTO quanta.commits VALUES ({}, {}, {}, {});\n", info.version,
                        TimestampSqlLiteral(info.committed_at),
                        idempotency_key_ ? TextLiteral(*idempotency_key_) : std::string("NULL"),
                        QuoteLiteral(CommitInfoToJson(info).dump()));
  QUANTA_RETURN_IF_ERROR(connection.Execute(writes));
  return info;
}

void BatchWriter::AppendDeadLetters(std::int64_t version, std::string& sql) const {
  std::int32_t in_statement = 0;
  for (const DeadLetter& dead_letter : dead_letters_) {
    sql += in_statement == 0 ? "INSERT INTO quanta.dead_letters VALUES " : ", ";
    sql += fmt::format("({}, {}, {}, {}, {}, {})", version, QuoteLiteral(dead_letter.port),
                       dead_letter.offset ? std::to_string(*dead_letter.offset) : "NULL",
                       TextLiteral(dead_letter.reason), HexLiteral(dead_letter.payload),
                       TimestampSqlLiteral(dead_letter.received_at));
    if (++in_statement == kDeadLettersPerStatement) {
      sql += ";\n";
      in_statement = 0;
    }
  }
  if (in_statement > 0) sql += ";\n";
}

Status BatchWriter::AppendPorts(std::int64_t version, CommitInfo& info, std::string& sql) const {
  const auto& committed = store_->committed_offsets_;
  for (const auto& [port, batch] : ports_) {
    if (batch.rejected > batch.received) {
      return Status::Invalid(
          "input port {}: {} records were rejected but only {} were received in this batch; "
          "count every record read (rejected ones too) with AddReceived",
          port, batch.rejected, batch.received);
    }
    PortCommit commit{port, batch.received, batch.received - batch.rejected, batch.rejected, {}};
    for (const auto& [partition, range] : batch.offsets) {
      auto found = committed.find({port, partition});
      if (found != committed.end() && range.first <= found->second) {
        return Status::Invalid(
            "input port {} partition {}: offsets {}..{} overlap what was committed already (up "
            "to {}); committing them again would apply records twice: resume at offset {}",
            port, partition, range.first, range.last, found->second, found->second + 1);
      }
      if (found == committed.end()) {
        sql += fmt::format("INSERT INTO quanta.offsets VALUES ({}, {}, {}, {});\n",
                           QuoteLiteral(port), partition, range.last, version);
      } else {
        sql += fmt::format(
            "UPDATE quanta.offsets SET \"offset\" = {}, version = {} WHERE port = {} AND "
            "\"partition\" = {};\n",
            range.last, version, QuoteLiteral(port), partition);
      }
      commit.offsets.push_back(range);
    }
    sql += fmt::format(
        "UPDATE quanta.ports SET received = received + {}, committed = committed + {}, "
        "rejected = rejected + {} WHERE port = {};\n",
        commit.received, commit.committed, commit.rejected, QuoteLiteral(port));
    info.ports.push_back(std::move(commit));
  }
  return Status::Ok();
}

}  // namespace quanta::store
