#include "pipeline/product_runner.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <utility>

#include "base/json_nesting.h"
#include "engine/database.h"
#include "model/type_mapping.h"

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

std::string DumpRow(const Json& row) {
  return row.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The in-memory database, attached to each store's DuckDB instance, where a batch's rows are
// loaded before its transaction opens. Nothing in it is durable or needs to be.
constexpr std::string_view kIngestDatabase = "quanta_ingest";

// DuckDB's first line, without the statement excerpt that follows it.
std::string FirstLine(const std::string& message) { return message.substr(0, message.find('\n')); }

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

Result<std::string> ProductRunner::LoadBatchTable(engine::Connection& connection,
                                                  const PortPlan& port, const AcceptedRows& rows) {
  {
    // Attached databases belong to the store's DuckDB instance, shared by its connections.
    static std::mutex attach_mutex;
    std::lock_guard lock(attach_mutex);
    QUANTA_RETURN_IF_ERROR(connection.Execute(fmt::format(
        "ATTACH IF NOT EXISTS ':memory:' AS {}", engine::QuoteIdentifier(kIngestDatabase))));
  }
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t id = counter.fetch_add(1);
  std::string table = fmt::format("{}.main.{}", engine::QuoteIdentifier(kIngestDatabase),
                                  engine::QuoteIdentifier(fmt::format("batch_{}", id)));
  QUANTA_RETURN_IF_ERROR(connection.Execute(
      fmt::format("CREATE TABLE {} ({})", table, ColumnDefinitions(*port.object))));
  // The rows reach DuckDB as an NDJSON file that its JSON reader loads in bulk: several times
  // faster than the same rows as one SQL literal, which the SQL parser would have to scan.
  std::filesystem::path file =
      store_->path().parent_path() / fmt::format(".ingest-{}-{}.ndjson", ::getpid(), id);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(rows.ndjson.data(), static_cast<std::streamsize>(rows.ndjson.size()));
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(file, ignored);
      (void)connection.Execute("DROP TABLE IF EXISTS " + table);
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
  // others, as the transform would see the record.
  Status loaded = connection.Execute(
      fmt::format("INSERT INTO {} BY NAME SELECT * FROM read_ndjson({}, columns = {{{}}}, "
                  "format = 'newline_delimited', maximum_object_size = 67108864)",
                  table, engine::QuoteLiteral(file.string()), columns));
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  if (!loaded.ok()) {
    (void)connection.Execute("DROP TABLE IF EXISTS " + table);
    return loaded;
  }
  return table;
}

Status ProductRunner::LoadInputs(engine::Connection& connection, const PortPlan& port,
                                 const std::optional<std::string>& loaded) {
  // Every input is a view in every batch, empty unless this port fills it, so that a
  // transform joining several inputs always binds. The port's view reads the loaded rows
  // where they are.
  std::string sql;
  for (const auto& [table, ref] : plan_.inputs) {
    std::string source;
    if (loaded && table == port.table) {
      source = "SELECT * FROM " + *loaded;
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
  std::vector<std::pair<std::size_t, std::string>> failures;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    Json row = DeclaredFields(Json::parse(rows.Row(i), nullptr, /*allow_exceptions=*/false),
                              port.validator->column_names());
    Status status =
        connection->Execute(InsertRowsSql(port.table, *port.object, Json::array({row})));
    if (!status.ok()) failures.emplace_back(i, FirstLine(status.message()));
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

Result<IngestOutcome> ProductRunner::Ingest(std::string_view port_name,
                                            const std::vector<std::string>& records,
                                            const std::optional<std::string>& idempotency_key) {
  auto found = ports_.find(port_name);
  if (found == ports_.end()) {
    return Status::NotFound("product has no input port '{}' (its input ports: {})", port_name,
                            JoinNames(InputPorts()));
  }
  const PortPlan& port = found->second;
  std::string port_string(port_name);

  IngestOutcome outcome;
  if (idempotency_key) {
    QUANTA_ASSIGN_OR_RETURN(std::optional<store::CommitInfo> earlier,
                            store_->FindCommit(*idempotency_key));
    if (earlier) {
      outcome.commit = *earlier;
      outcome.replayed = true;
      if (const store::PortCommit* commit = earlier->FindPort(port_name)) {
        outcome.received = commit->received;
        outcome.accepted = commit->committed;
        outcome.rejected = commit->rejected;
      }
      return outcome;
    }
  }

  // Check every record before the batch opens, so that the store's writer is held only for
  // the load, the transforms and the commit.
  struct Pending {
    std::size_t index;
    std::string reason;
  };
  std::vector<Pending> rejected;
  AcceptedRows rows;
  std::size_t total_bytes = 0;
  for (const std::string& record : records) total_bytes += record.size() + 1;
  rows.ndjson.reserve(total_bytes);
  rows.ends.reserve(records.size());
  rows.index.reserve(records.size());
  const std::vector<std::string>& names = port.validator->column_names();
  simdjson::dom::parser parser;
  RecordValidator::Fields fields;
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
      Json record = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) {
        rejected.push_back({i, "not valid JSON"});
        continue;
      }
      if (auto problem = port.validator->Check(record)) {
        rejected.push_back({i, std::move(*problem)});
        continue;
      }
      rows.Add(DumpRow(DeclaredFields(std::move(record), names)), i);
      continue;
    }
    if (auto problem = port.validator->Check(element, &fields)) {
      rejected.push_back({i, std::move(*problem)});
      continue;
    }
    // The record's own bytes go to DuckDB's reader, unless the reader would see something
    // else than the checks did: a repeated key (the reader refuses it), a line break inside
    // the record (the reader splits lines), or nested values (which the reader would have to
    // take as the nlohmann-json reading did, without repeated keys inside).
    if (fields.repeated_key || fields.nested ||
        text.find_first_of("\r\n") != std::string_view::npos) {
      Json record = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (record.is_discarded()) {  // the two readers disagree: refuse, as nlohmann-json did
        rejected.push_back({i, "not valid JSON"});
        continue;
      }
      rows.Add(DumpRow(DeclaredFields(std::move(record), names)), i);
    } else {
      rows.Add(text, i);
    }
  }

  // The rows are loaded before the batch opens, on a connection of their own, so that DuckDB
  // reads them while the previous batch commits; the writer then only copies them.
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> loader, store_->Connect());
  std::optional<std::string> loaded;
  // Dropped once the batch is done (declared before the writer, so destroyed after it).
  struct DropOnExit {
    engine::Connection& connection;
    std::optional<std::string>& table;
    ~DropOnExit() {
      if (table) (void)connection.Execute("DROP TABLE IF EXISTS " + *table);
    }
  } drop_loaded{*loader, loaded};
  if (rows.size() > 0) {
    Result<std::string> table = LoadBatchTable(*loader, port, rows);
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
      if (rows.size() > 0) table = LoadBatchTable(*loader, port, rows);
      if (!table.ok()) return table.status();
    }
    if (rows.size() > 0) loaded = *table;
  }

  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<store::BatchWriter> writer, store_->BeginBatch());
  QUANTA_RETURN_IF_ERROR(LoadInputs(writer->connection(), port, loaded));
  QUANTA_ASSIGN_OR_RETURN(std::optional<std::int64_t> last_offset, store_->Offset(port_name));
  std::int64_t first_offset = last_offset ? *last_offset + 1 : 0;

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

  std::sort(rejected.begin(), rejected.end(),
            [](const Pending& a, const Pending& b) { return a.index < b.index; });
  QUANTA_RETURN_IF_ERROR(writer->AddReceived(port_name, static_cast<std::int64_t>(records.size())));
  store::Timestamp received_at =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  for (const Pending& reject : rejected) {
    store::DeadLetter letter;
    letter.received_at = received_at;
    letter.port = port_string;
    letter.offset = first_offset + static_cast<std::int64_t>(reject.index);
    letter.reason = reject.reason;
    letter.payload = records[reject.index];
    QUANTA_RETURN_IF_ERROR(writer->AddDeadLetter(std::move(letter)));
    if (outcome.rejections.size() < kMaxReportedRejections) {
      outcome.rejections.push_back(
          {reject.index, first_offset + static_cast<std::int64_t>(reject.index), reject.reason});
    }
  }
  if (!records.empty()) {
    QUANTA_RETURN_IF_ERROR(writer->SetOffsetRange(
        port_name, first_offset, first_offset + static_cast<std::int64_t>(records.size()) - 1));
  }
  if (idempotency_key) writer->SetIdempotencyKey(*idempotency_key);
  QUANTA_ASSIGN_OR_RETURN(outcome.commit, writer->Commit());
  outcome.replayed = outcome.commit.replayed;
  if (outcome.replayed) {  // a concurrent retry with the same key committed first
    const store::PortCommit* commit = outcome.commit.FindPort(port_name);
    outcome.received = commit ? commit->received : 0;
    outcome.accepted = commit ? commit->committed : 0;
    outcome.rejected = commit ? commit->rejected : 0;
    outcome.rejections.clear();
    return outcome;
  }
  outcome.received = static_cast<std::int64_t>(records.size());
  outcome.rejected = static_cast<std::int64_t>(rejected.size());
  outcome.accepted = outcome.received - outcome.rejected;
  return outcome;
}

}  // namespace quanta::pipeline
