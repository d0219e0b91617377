#include "pipeline/product_runner.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "base/fnv1a.h"
#include "base/json_nesting.h"
#include "base/json_syntax.h"
#include "engine/database.h"
#include "model/type_mapping.h"
#include "pipeline/declared_json.h"
#include "pipeline/row_appender.h"

namespace quanta::pipeline {
namespace {

using model::Json;

// Column definitions "a" BIGINT, "b" VARCHAR of an object, for CREATE TABLE and STRUCT(...).
std::string ColumnDefinitions(const model::SchemaObject& object) {
  std::string columns;
  for (const model::Property& property : object.properties) {
    if (!property.name || property.name->empty()) continue;
    columns += (columns.empty() ? "" : ", ") + engine::QuoteIdentifier(*property.name) + " " +
               model::DuckdbTypeFor(property);
  }
  return columns;
}

// INSERT of `rows` (JSON objects holding only the object's properties) into `table`. The rows
// travel as one JSON literal cast to a list of structs, which DuckDB parses in bulk.
std::string InsertRowsSql(const std::string& table, const model::SchemaObject& object,
                          const Json& rows) {
  return fmt::format(
      "INSERT INTO {} BY NAME SELECT quanta_row.* FROM "
      "(SELECT unnest(CAST(CAST({} AS JSON) AS STRUCT({})[])) AS quanta_row)",
      engine::QuoteIdentifier(table),
      engine::QuoteLiteral(rows.dump(-1, ' ', false, Json::error_handler_t::replace)),
      ColumnDefinitions(object));
}

// A record's declared fields only, each present (null when absent), in property order: what
// DuckDB's reader makes of the record, as text that it reads whatever the record looked like.
Json DeclaredFields(Json record, const std::vector<std::string>& names) {
  Json row = Json::object();
  if (!record.is_object()) return row;
  for (const std::string& name : names) {
    auto value = record.find(name);
    row[name] = value != record.end() ? std::move(*value) : Json(nullptr);
  }
  return row;
}

// `row` (DeclaredFields) with the values the checks want loaded in their own words, as text
// for DuckDB to cast.
Json Replaced(Json row, const std::vector<std::string>& names,
              const std::vector<RecordValidator::Replacement>& replacements) {
  for (const RecordValidator::Replacement& replaced : replacements) {
    row[names[replaced.field]] = replaced.text;
  }
  return row;
}

std::string DumpRow(const Json& row) {
  return row.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// DuckDB's first line, without the statement excerpt that follows it.
std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

// DuckDB's message without its kind ("Conversion Error: "), for a reason that adds its own.
std::string WithoutErrorKind(const std::string& message) {
  std::size_t colon = message.find(": ");
  if (colon != std::string::npos && colon >= 6 && message.compare(colon - 6, 6, " Error") == 0 &&
      message.find_first_of("\"'", 0) > colon) {
    return message.substr(colon + 2);
  }
  return message;
}

// What the JSON reader said of the batch's rows in `file`, without the file's name (a path of
// the node's, which means nothing to a sender) and without the reader's advice on its own
// options, which the node sets.
std::string ReaderMessage(const std::string& message, const std::string& file) {
  std::string first = FirstLine(message);
  for (const std::string& named : {" in file \"" + file + "\"", "\"" + file + "\"", file}) {
    if (std::size_t at = first.find(named); at != std::string::npos) {
      first.replace(at, named.size(), named.front() == ' ' ? " in the batch's rows" : "the batch");
      break;
    }
  }
  return first;
}

}  // namespace

Result<std::unique_ptr<ProductRunner>> ProductRunner::Create(
    std::shared_ptr<const model::ProductFolder> folder, store::ProductStore* store) {
  QUANTA_ASSIGN_OR_RETURN(PipelinePlan plan, MakePipelinePlan(*folder));
  std::unique_ptr<ProductRunner> runner(new ProductRunner(folder, store, std::move(plan)));
  for (const model::InputPort& port : folder->product->product.input_ports) {
    if (!port.name) continue;
    const model::ContractFile* contract = folder->ContractForInputPort(*port.name);
    if (!contract) continue;  // MakePipelinePlan refused this already
    const model::SchemaObject* object = nullptr;
    std::vector<std::string> names;
    for (const model::SchemaObject& candidate : contract->contract.schema) {
      if (!candidate.name || candidate.name->empty()) continue;
      names.push_back(*candidate.name);
      if (*candidate.name == *port.name) object = &candidate;
    }
    if (!object && names.size() == 1) object = contract->contract.FindObject(names[0]);
    if (!object) {
      return Status::Invalid(
          "{}: input port '{}' has a contract with several schema objects ({}); name one of "
          "them like the port so that its records know their table",
          contract->document.file(), *port.name, JoinNames(names));
    }
    PortPlan plan_of_port;
    plan_of_port.table = *object->name;
    plan_of_port.object = object;
    plan_of_port.validator = std::make_unique<RecordValidator>(*object);
    plan_of_port.append_columns = RowAppender::ColumnsFor(plan_of_port.validator->column_types());
    runner->ports_.emplace(*port.name, std::move(plan_of_port));
  }
  return runner;
}

ProductRunner::ProductRunner(std::shared_ptr<const model::ProductFolder> folder,
                             store::ProductStore* store, PipelinePlan plan)
    : folder_(std::move(folder)), store_(store), plan_(std::move(plan)) {}

std::vector<std::string> ProductRunner::InputPorts() const {
  std::vector<std::string> names;
  for (const auto& [name, port] : ports_) names.push_back(name);
  return names;
}

const model::SchemaObject* ProductRunner::InputObject(std::string_view port) const {
  auto found = ports_.find(port);
  return found == ports_.end() ? nullptr : found->second.object;
}

Result<std::unique_ptr<engine::HeldRows>> ProductRunner::LoadBatchRows(
    engine::Connection& connection, const PortPlan& port, const AcceptedRows& rows) {
  // The rows reach DuckDB as an NDJSON file that its JSON reader loads in bulk: several times
  // faster than the same rows as one SQL literal, which the SQL parser would have to scan.
  static std::atomic<std::uint64_t> counter{0};
  std::filesystem::path file =
      store_->path().parent_path() / fmt::format(".ingest-{}-{}.ndjson", ::getpid(), counter++);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(rows.ndjson.data(), static_cast<std::streamsize>(rows.ndjson.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(file, ignored);
      return Status::IoError("{}: cannot write the batch's rows (is the disk full?)",
                             file.string());
    }
  }
  std::string columns;
  for (const model::Property& property : port.object->properties) {
    if (!property.name || property.name->empty()) continue;
    columns += (columns.empty() ? "" : ", ") + engine::QuoteLiteral(*property.name) + ": " +
               engine::QuoteLiteral(model::DuckdbTypeFor(property));
  }
  // The reader takes the declared keys of each line, fills absent ones with NULL and skips the
  // others, as the transform would see the record. Its buffers are a few times its largest
  // object, taken from the node's memory limit for every batch: sized to this batch's longest
  // row (whole MiB, at least one), not to the largest record the node accepts.
  std::size_t longest = 0;
  for (std::size_t i = 0, start = 0; i < rows.size(); start = rows.ends[i] + 1, ++i) {
    longest = std::max(longest, rows.ends[i] - start + 1);
  }
  constexpr std::size_t kMiB = 1024 * 1024;
  const std::size_t object_limit = (longest / kMiB + 1) * kMiB;
  // The reader's columns come in the order of `columns`, the port's.
  Result<std::unique_ptr<engine::HeldRows>> loaded =
      connection.Hold(fmt::format("SELECT * FROM read_ndjson({}, columns = {{{}}}, format = "
                                  "'newline_delimited', maximum_object_size = {})",
                                  engine::QuoteLiteral(file.string()), columns, object_limit));
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  if (!loaded.ok()) {
    return Status(loaded.status().code(), ReaderMessage(loaded.status().message(), file.string()));
  }
  return loaded;
}

Status ProductRunner::LoadInputs(engine::Connection& connection, const PortPlan& port,
                                 const std::vector<std::string>& loaded) {
  // Every input is a view in every batch, empty unless this port fills it, so that a
  // transform joining several inputs always binds. The port's view reads the loaded rows
  // where they are held: one request's after the other, in order (DuckDB keeps the order of a
  // UNION ALL wherever it keeps insertion order, so the last row of a key stays the last).
  std::string sql;
  for (const auto& [table, ref] : plan_.inputs) {
    std::string source;
    if (!loaded.empty() && table == port.table) {
      for (const std::string& rows : loaded) {
        source += (source.empty() ? "" : " UNION ALL ") + ("SELECT * FROM " + rows);
      }
    } else {
      for (const model::Property& property : ref.object->properties) {
        if (!property.name || property.name->empty()) continue;
        source += (source.empty() ? "SELECT " : ", ") +
                  fmt::format("CAST(NULL AS {}) AS {}", model::DuckdbTypeFor(property),
                              engine::QuoteIdentifier(*property.name));
      }
      source += " LIMIT 0";
    }
    sql += fmt::format("CREATE OR REPLACE TEMP VIEW {} AS {};\n", engine::QuoteIdentifier(table),
                       source);
  }
  return connection.Execute(sql);
}

Result<std::vector<std::pair<std::size_t, std::string>>> ProductRunner::FindUnloadableRows(
    const PortPlan& port, const AcceptedRows& rows) {
  // A scratch database, since a failed statement aborts the batch's transaction.
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Database> scratch, engine::Database::Open());
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, scratch->Connect());
  QUANTA_RETURN_IF_ERROR(
      connection->Execute(fmt::format("CREATE TABLE {} ({})", engine::QuoteIdentifier(port.table),
                                      ColumnDefinitions(*port.object))));
  const std::vector<std::string>& names = port.validator->column_names();
  const std::vector<std::string>& types = port.validator->column_types();
  const DeclaredNames declared(names.begin(), names.end());
  std::vector<std::pair<std::size_t, std::string>> failures;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Json row = DeclaredFields(ParseDeclared(rows.Row(i), declared), names);
    Status status =
        connection->Execute(InsertRowsSql(port.table, *port.object, Json::array({row})));
    if (status.ok()) continue;
    // The reason names the field: the first one that DuckDB cannot take alone.
    std::string reason = FirstLine(status.message());
    for (std::size_t field = 0; field < names.size(); ++field) {
      const Json& value = row[names[field]];
      if (value.is_null()) continue;
      Status alone = connection->Execute(InsertRowsSql(
          port.table, *port.object, Json::array({DeclaredFields({{names[field], value}}, names)})));
      if (alone.ok()) continue;
      std::string shown = value.dump(-1, ' ', false, Json::error_handler_t::replace);
      if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
      reason = fmt::format("{}: {} cannot be stored as {} ({})", names[field], shown, types[field],
                           WithoutErrorKind(FirstLine(alone.message())));
      break;
    }
    failures.emplace_back(i, std::move(reason));
  }
  return failures;
}

void ProductRunner::AcceptedRows::Add(std::string_view row, std::size_t record_index) {
  ndjson.append(row);
  ndjson += '\n';
  ends.push_back(ndjson.size() - 1);
  index.push_back(record_index);
}

std::string_view ProductRunner::AcceptedRows::Row(std::size_t i) const {
  std::size_t start = i == 0 ? 0 : ends[i - 1] + 1;
  return std::string_view(ndjson).substr(start, ends[i] - start);
}

// A rejected record of a request, by its place in the request.
struct ProductRunner::Rejection {
  std::size_t index = 0;
  std::string reason;
};

// One request, checked and loaded, from the moment it queues for a writer turn until that
// turn answers it. Owned by the thread that called Ingest, which waits for `done`.
struct ProductRunner::QueuedBatch {
  std::string port;
  const PortPlan* plan = nullptr;
  const std::vector<std::string>* records = nullptr;
  std::optional<std::string> idempotency_key;
  std::optional<std::string> request_digest;  // RequestDigest, with an idempotency key
  std::vector<Rejection> rejected;            // by index
  std::unique_ptr<engine::HeldRows> loaded;   // its accepted rows, when it has some
  std::size_t bytes = 0;                      // of its records
  // Set by the writer turn that takes the batch; `done` under queue_mutex_.
  std::optional<Result<IngestOutcome>> outcome;
  bool done = false;
};

namespace {

// What tells a retry of a request from another request under the same idempotency key: its
// port and its records, in order.
std::string RequestDigest(std::string_view port, const std::vector<std::string>& records) {
  Fnv1a64 hash;
  hash.AddField(port);
  for (const std::string& record : records) hash.AddField(record);
  return fmt::format("fnv1a64:{:016x}:{}", hash.value(), records.size());
}

// The answer to a request with `digest` whose idempotency key `earlier` was committed with:
// that commit's result for a retry, and an error for other records under a used key, which
// must not look applied when they were not.
Result<IngestOutcome> ReplayOf(const store::CommitInfo& earlier, std::string_view port,
                               const std::optional<std::string>& digest) {
  if (earlier.request_digest && digest && *earlier.request_digest != *digest) {
    return Status::Invalid(
        "idempotency key '{}' was used by an earlier request (version {}) with other records or "
        "another port; nothing of this request was applied: a retry must send the same "
        "records, and a new request needs a new key",
        earlier.idempotency_key.value_or(""), earlier.version);
  }
  IngestOutcome outcome;
  outcome.commit = earlier;
  outcome.commit.replayed = true;
  outcome.replayed = true;
  if (const store::PortCommit* commit = earlier.FindPort(port)) {
    outcome.received = commit->received;
    outcome.accepted = commit->committed;
    outcome.rejected = commit->rejected;
  }
  return outcome;
}

}  // namespace

Result<IngestOutcome> ProductRunner::Ingest(std::string_view port_name,
                                            const std::vector<std::string>& records,
                                            const std::optional<std::string>& idempotency_key) {
  auto found = ports_.find(port_name);
  if (found == ports_.end()) {
    return Status::NotFound("product has no input port '{}' (its input ports: {})", port_name,
                            JoinNames(InputPorts()));
  }
  const PortPlan& port = found->second;

  std::optional<std::string> digest;
  if (idempotency_key) {
    digest = RequestDigest(port_name, records);
    QUANTA_ASSIGN_OR_RETURN(std::optional<store::CommitInfo> earlier,
                            store_->FindCommit(*idempotency_key));
    if (earlier) return ReplayOf(*earlier, port_name, digest);
  }

  QueuedBatch batch;
  batch.port = std::string(port_name);
  batch.plan = &port;
  batch.records = &records;
  batch.idempotency_key = idempotency_key;
  batch.request_digest = digest;

  // Check every record before the batch queues, so that the store's writer is held only for
  // the transforms and the commit.
  std::vector<Rejection>& rejected = batch.rejected;
  AcceptedRows rows;
  for (const std::string& record : records) batch.bytes += record.size() + 1;
  rows.ndjson.reserve(batch.bytes);
  rows.ends.reserve(records.size());
  rows.index.reserve(records.size());
  const std::vector<std::string>& names = port.validator->column_names();
  const DeclaredNames declared(names.begin(), names.end());

  // The rows are loaded before the batch queues, on a connection of their own, so that DuckDB
  // takes them in while earlier batches commit; the writer then only copies them. They are
  // held (engine::HeldRows) until the batch is answered: the writer turn that takes it reads
  // them until then.
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> loader, store_->Connect());
  // Where the port allows it, each conforming record's values go to the batch's rows as the
  // checks parsed them (RowAppender). A value the appender cannot take as it is, or a record
  // that only nlohmann-json could read, sends the whole batch to DuckDB's JSON reader instead,
  // so that every row of a batch is read one way.
  std::unique_ptr<RowAppender> appender;
  bool read_as_ndjson = !port.append_columns.has_value();
  auto append = [&](const RecordValidator::Fields& checked) {
    if (read_as_ndjson) return;
    if (!appender) {
      appender =
          RowAppender::Open(*loader, names, port.validator->column_types(), *port.append_columns);
    }
    if (!appender->Append(checked)) read_as_ndjson = true;
  };

  simdjson::dom::parser parser;
  RecordValidator::Fields fields;
  std::vector<RecordValidator::Replacement> replacements;
  std::string padded;  // simdjson reads a little past the end: one buffer for all records
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string_view text = records[i];
    if (padded.size() < text.size() + simdjson::SIMDJSON_PADDING) {
      padded.resize(text.size() + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(padded.data(), text.data(), text.size());
    simdjson::dom::element element;
    if (parser.parse(padded.data(), text.size(), /*realloc_if_needed=*/false).get(element) !=
        simdjson::SUCCESS) {
      // simdjson refuses some JSON that nlohmann-json reads (integers beyond 64 bits): then
      // nlohmann-json decides, and its reading is what gets loaded. Deeper nesting than
      // simdjson takes is refused, since writing it back out recurses once per level.
      if (std::size_t depth = JsonNestingDepth(text); depth > kMaxJsonNesting) {
        rejected.push_back({i, fmt::format("nests arrays or objects {} levels deep; at most {} "
                                           "are accepted",
                                           depth, kMaxJsonNesting)});
        continue;
      }
      Json record = ParseDeclared(text, declared);
      if (record.is_discarded()) {
        rejected.push_back({i, DescribeInvalidJson(text)});
        continue;
      }
      if (auto problem = port.validator->Check(record, text, &replacements)) {
        rejected.push_back({i, std::move(*problem)});
        continue;
      }
      rows.Add(DumpRow(Replaced(DeclaredFields(std::move(record), names), names, replacements)), i);
      read_as_ndjson = true;
      continue;
    }
    if (auto problem = port.validator->Check(element, text, &fields)) {
      rejected.push_back({i, std::move(*problem)});
      continue;
    }
    append(fields);
    // The record's own bytes go to DuckDB's reader, unless the reader would see something
    // else than the checks did: a repeated key (the reader refuses it), a line break inside
    // the record (the reader splits lines), or nested values (which the reader would have to
    // take as the nlohmann-json reading did, without repeated keys inside), or a value the
    // checks replace.
    // (Two memchr scans: find_first_of("\r\n") calls memchr once per byte of the record.)
    if (fields.repeated_key || fields.nested || !fields.replacements.empty() ||
        std::memchr(text.data(), '\n', text.size()) != nullptr ||
        std::memchr(text.data(), '\r', text.size()) != nullptr) {
      Json record = ParseDeclared(text, declared);
      if (record.is_discarded()) {  // the two readers disagree: refuse, as nlohmann-json did
        rejected.push_back({i, DescribeInvalidJson(text)});
        read_as_ndjson = true;  // the appender took the record already
        continue;
      }
      rows.Add(
          DumpRow(Replaced(DeclaredFields(std::move(record), names), names, fields.replacements)),
          i);
    } else {
      rows.Add(text, i);
    }
  }

  if (appender && !read_as_ndjson) {
    // A cast that fails here (a date beyond DuckDB's range, say) is found row by row below.
    Result<std::unique_ptr<engine::HeldRows>> held = appender->Finish();
    if (held.ok()) {
      batch.loaded = std::move(*held);
    } else {
      read_as_ndjson = true;
    }
  }
  appender.reset();
  if (read_as_ndjson && rows.size() > 0) {
    Result<std::unique_ptr<engine::HeldRows>> table = LoadBatchRows(*loader, port, rows);
    if (!table.ok()) {
      // Some value passed the checks above but not DuckDB's cast (a date beyond DuckDB's
      // range, say). Find which rows, reject only those, and load the rest.
      QUANTA_ASSIGN_OR_RETURN(auto failures, FindUnloadableRows(port, rows));
      if (failures.empty()) return table.status();  // not the rows' fault
      AcceptedRows kept;
      std::size_t next_failure = 0;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (next_failure < failures.size() && failures[next_failure].first == i) {
          rejected.push_back({rows.index[i], failures[next_failure].second});
          ++next_failure;
          continue;
        }
        kept.Add(rows.Row(i), rows.index[i]);
      }
      rows = std::move(kept);
      // With every row rejected there is nothing to load: the batch commits its rejections.
      if (rows.size() > 0) {
        table = LoadBatchRows(*loader, port, rows);
        if (!table.ok()) return table.status();
      }
    }
    if (rows.size() > 0) batch.loaded = std::move(*table);
  }
  // Before the batch queues for a commit whose log could not be written (CheckRoomFor).
  QUANTA_RETURN_IF_ERROR(store_->CheckRoomFor(batch.bytes));
  std::sort(rejected.begin(), rejected.end(),
            [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
  return CommitQueued(batch);
}

std::size_t ProductRunner::QueuedBatches() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

// Group commit, as LevelDB's writers queue: every request queues; the one at the front takes a
// writer turn for itself and for every queued request of its port (up to a bound), in queue
// order, and answers them all; then the next one at the front takes the next turn. A request
// that finds the queue empty goes at once: nothing ever waits for a group to fill.
Result<IngestOutcome> ProductRunner::CommitQueued(QueuedBatch& batch) {
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&batch);
  queue_changed_.wait(lock, [&] { return batch.done || queue_.front() == &batch; });
  if (!batch.done) {
    // The group: the front, then the queued requests of its port, in queue order, until the
    // next would pass the bound. Requests of other ports wait for a turn of their own, since
    // a transform joining several inputs would see them together.
    std::vector<QueuedBatch*> group;
    std::size_t records = 0, bytes = 0;
    for (QueuedBatch* queued : queue_) {
      if (queued->port != batch.port) continue;
      if (!group.empty() && (records + queued->records->size() > kMaxGroupRecords ||
                             bytes + queued->bytes > kMaxGroupBytes)) {
        break;
      }
      group.push_back(queued);
      records += queued->records->size();
      bytes += queued->bytes;
    }
    lock.unlock();
    try {
      RunGroup(group);
    } catch (const std::exception& error) {  // out of memory, say: every member hears of it
      for (QueuedBatch* member : group) {
        if (!member->outcome) {
          member->outcome = Status::Internal("the batch was not committed: {}", error.what());
        }
      }
    }
    lock.lock();
    for (QueuedBatch* member : group) {
      member->done = true;
      queue_.erase(std::find(queue_.begin(), queue_.end(), member));
    }
    queue_changed_.notify_all();
  }
  return std::move(*batch.outcome);
}

void ProductRunner::RunGroup(const std::vector<QueuedBatch*>& group) {
  Status status = ApplyGroup(group);
  if (status.ok()) return;
  if (group.size() == 1) {
    group.front()->outcome = status;
    return;
  }
  // Something of the group failed: a transform on one request's rows, or the commit. Each
  // request runs again alone, so that only a request whose own rows fail hears of it.
  for (QueuedBatch* member : group) {
    Status alone = ApplyGroup({member});
    if (!alone.ok()) member->outcome = alone;
  }
}

Status ProductRunner::ApplyGroup(const std::vector<QueuedBatch*>& group) {
  const std::string& port_name = group.front()->port;
  const PortPlan& port = *group.front()->plan;
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<store::BatchWriter> writer, store_->BeginBatch());

  // A request whose key was committed since it was checked (a retry that raced it), or whose
  // key an earlier request of the group carries, is answered as a replay, not applied. The
  // writer is held, so no commit can take a key from now until this one ends.
  std::vector<std::string> keys;
  for (const QueuedBatch* member : group) {
    if (member->idempotency_key) keys.push_back(*member->idempotency_key);
  }
  std::map<std::string, store::CommitInfo> earlier;
  if (!keys.empty()) {
    QUANTA_ASSIGN_OR_RETURN(earlier, writer->FindCommits(keys));
  }
  std::vector<QueuedBatch*> applied;
  std::map<std::string, QueuedBatch*, std::less<>> applied_by_key;
  std::vector<std::pair<QueuedBatch*, const store::CommitInfo*>> replays;
  std::vector<std::pair<QueuedBatch*, QueuedBatch*>> repeats;  // a request, the one it repeats
  for (QueuedBatch* member : group) {
    if (member->idempotency_key) {
      const std::string& key = *member->idempotency_key;
      if (auto found = earlier.find(key); found != earlier.end()) {
        replays.emplace_back(member, &found->second);
        continue;
      }
      if (auto first = applied_by_key.find(key); first != applied_by_key.end()) {
        repeats.emplace_back(member, first->second);
        continue;
      }
      applied_by_key.emplace(key, member);
    }
    applied.push_back(member);
  }
  auto answer_replays = [&] {
    for (auto& [member, info] : replays) {
      member->outcome = ReplayOf(*info, port_name, member->request_digest);
    }
  };
  if (applied.empty()) {
    writer->Abort();
    answer_replays();
    return Status::Ok();
  }

  std::vector<std::string> tables;
  for (const QueuedBatch* member : applied) {
    if (member->loaded) tables.push_back(member->loaded->source());
  }
  QUANTA_RETURN_IF_ERROR(LoadInputs(writer->connection(), port, tables));
  QUANTA_ASSIGN_OR_RETURN(std::optional<std::int64_t> last_offset, store_->Offset(port_name));
  std::int64_t first_offset = last_offset ? *last_offset + 1 : 0;

  // One run of each transform over the union of the group's rows: what one larger batch would
  // give, since a micro-batch transform does not see where batches begin and end.
  for (const DatasetPlan& dataset : plan_.datasets) {
    // The last dataset's rows, when appended, go straight to its table: no later transform
    // of this batch reads previous."<dataset>", which would show them.
    bool last = &dataset == &plan_.datasets.back();
    Result<std::int64_t> staged =
        last && !dataset.upsert
            ? writer->AppendRows(dataset.name, TransformBody(dataset.transform_sql))
            : writer->StageRows(dataset.name, TransformBody(dataset.transform_sql));
    if (!staged.ok()) {
      writer->Abort();
      return Status::Invalid("the transform of dataset '{}' ({}) failed on this batch: {}",
                             dataset.name, dataset.transform_path.filename().string(),
                             FirstLine(staged.status().message()));
    }
  }

  // Each request takes the next offsets of the port, in queue order, and keeps its own counts.
  store::Timestamp received_at =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::vector<store::PortCommit> consumed;
  std::int64_t next_offset = first_offset;
  for (const QueuedBatch* member : applied) {
    auto received = static_cast<std::int64_t>(member->records->size());
    auto rejected = static_cast<std::int64_t>(member->rejected.size());
    store::PortCommit own{port_name, received, received - rejected, rejected, {}};
    if (received > 0) own.offsets.push_back({0, next_offset, next_offset + received - 1});
    for (const Rejection& reject : member->rejected) {
      store::DeadLetter letter;
      letter.received_at = received_at;
      letter.port = port_name;
      letter.offset = next_offset + static_cast<std::int64_t>(reject.index);
      letter.reason = reject.reason;
      letter.payload = (*member->records)[reject.index];
      QUANTA_RETURN_IF_ERROR(writer->AddDeadLetter(std::move(letter)));
    }
    next_offset += received;
    consumed.push_back(std::move(own));
  }
  QUANTA_RETURN_IF_ERROR(writer->AddReceived(port_name, next_offset - first_offset));
  if (next_offset > first_offset) {
    QUANTA_RETURN_IF_ERROR(writer->SetOffsetRange(port_name, first_offset, next_offset - 1));
  }
  if (applied.size() == 1) {
    // A lone request's key names the whole commit, as it always has.
    if (applied.front()->idempotency_key) {
      writer->SetIdempotencyKey(*applied.front()->idempotency_key, applied.front()->request_digest);
    }
  } else {
    for (std::size_t i = 0; i < applied.size(); ++i) {
      if (!applied[i]->idempotency_key) continue;
      QUANTA_RETURN_IF_ERROR(writer->AddRequestKey(*applied[i]->idempotency_key, consumed[i],
                                                   applied[i]->request_digest));
    }
  }
  QUANTA_ASSIGN_OR_RETURN(store::CommitInfo info, writer->Commit());

  if (info.replayed) {  // a lone request whose key a concurrent retry committed first
    applied.front()->outcome = ReplayOf(info, port_name, applied.front()->request_digest);
  } else {
    for (std::size_t i = 0; i < applied.size(); ++i) {
      QueuedBatch& member = *applied[i];
      IngestOutcome outcome;
      outcome.commit = info;
      outcome.commit.idempotency_key = member.idempotency_key;
      outcome.commit.request_digest = member.request_digest;
      outcome.commit.ports = {consumed[i]};
      outcome.received = consumed[i].received;
      outcome.accepted = consumed[i].committed;
      outcome.rejected = consumed[i].rejected;
      std::int64_t first = consumed[i].offsets.empty() ? 0 : consumed[i].offsets[0].first;
      for (const Rejection& reject : member.rejected) {
        if (outcome.rejections.size() == kMaxReportedRejections) break;
        outcome.rejections.push_back(
            {reject.index, first + static_cast<std::int64_t>(reject.index), reject.reason});
      }
      member.outcome = std::move(outcome);
    }
  }
  for (auto& [member, first] : repeats) {
    if (member->request_digest != first->request_digest) {
      member->outcome = ReplayOf(first->outcome->value().commit, port_name, member->request_digest);
      continue;
    }
    IngestOutcome outcome = first->outcome->value();  // applied, so answered above
    outcome.replayed = true;
    outcome.commit.replayed = true;
    outcome.rejections.clear();  // as a replay from the store: they are in the dead letters
    member->outcome = std::move(outcome);
  }
  answer_replays();
  return Status::Ok();
}

}  // namespace quanta::pipeline
