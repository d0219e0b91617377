#include "ports/change_stream.h"

#include <fmt/format.h>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/database.h"
#include "ports/dataset_port.h"
#include "ports/http_error.h"
#include "ports/readable_changes.h"
#include "store/clock.h"
#include "store/dataset_versions.h"

namespace quanta::ports {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

constexpr std::string_view kEventStreamType = "text/event-stream";
// The query parameters of a change stream; any other is refused rather than ignored.
constexpr std::string_view kStreamParameters[] = {"since_version", "since_time"};

// What the producer of one stream keeps between polls.
struct StreamState {
  store::ProductStore* store = nullptr;
  std::string dataset;
  std::string change_json_sql;          // one change as JSON, over the change rows called "c"
  std::vector<engine::Column> columns;  // the dataset's, for its masks
  governance::DatasetAccess access;
  std::unique_ptr<engine::Connection> connection;
  std::int64_t last_version = 0;  // every change up to this version has been sent
  std::int64_t events_sent = 0;
  ChangeStreamOptions options;
};

enum class Progress { kCaughtUp, kMore, kStopped };

Result<std::optional<std::int64_t>> ParseVersion(std::string_view what,
                                                 const std::optional<std::string>& text) {
  if (!text) return std::optional<std::int64_t>();
  std::int64_t number = 0;
  const char* end = text->data() + text->size();
  auto [stop, error] = std::from_chars(text->data(), end, number);
  if (text->empty() || error != std::errc() || stop != end || number < 0) {
    return Status::Usage("{}: '{}' is not a version number (0, 1, 2, ...)", what, *text);
  }
  return std::optional<std::int64_t>(number);
}

// The version after which the stream starts.
Result<std::int64_t> ParseStart(const HttpRequest& request, store::ProductStore& store,
                                std::string_view dataset) {
  QUANTA_ASSIGN_OR_RETURN(std::optional<std::int64_t> last_event_id,
                          ParseVersion("header Last-Event-ID", request.Header("Last-Event-ID")));
  if (last_event_id) return *last_event_id;
  QUANTA_ASSIGN_OR_RETURN(
      std::optional<std::int64_t> since_version,
      ParseVersion("query parameter since_version", request.Query("since_version")));
  if (since_version) return *since_version;
  if (std::optional<std::string> since_time = request.Query("since_time")) {
    std::optional<store::Timestamp> time = store::ParseTimestamp(*since_time);
    if (!time) {
      return Status::Usage(
          "query parameter since_time: '{}' is not an RFC 3339 time; write e.g. "
          "since_time=2026-01-01T10:00:00Z (escape a '+' offset as %2B)",
          *since_time);
    }
    QUANTA_ASSIGN_OR_RETURN(store::Snapshot snapshot,
                            store.SnapshotOf(dataset, store::AsOf::Time(*time)));
    return snapshot.version;
  }
  return store.Head().version;
}

std::string ChangeJsonSql(const store::DatasetLayout& dataset) {
  std::vector<std::string> members;
  for (const engine::Column& column : dataset.columns) {
    members.push_back(QuoteLiteral(column.name));
    members.push_back(JsonValueSql("c." + QuoteIdentifier(column.name), column.type));
  }
  return fmt::format("json_object('op', c.{}, 'row', json_object({}))",
                     QuoteIdentifier(store::kChangeKindColumn), fmt::join(members, ", "));
}

// The server-sent event for the changes of `version`, which changed `row_count` rows.
Result<std::string> CommitEvent(StreamState& state, std::int64_t version, std::int64_t row_count) {
  QUANTA_ASSIGN_OR_RETURN(store::ChangeSet changes,
                          state.store->ChangesBetween(state.dataset, version - 1, version));
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult rows,
      state.connection->Query(fmt::format(
          "SELECT {} FROM ({}) AS c ORDER BY c.{} LIMIT {}", state.change_json_sql,
          ReadableChangesSql(changes.sql, state.columns, state.access),
          QuoteIdentifier(store::kChangeKindColumn), state.options.max_rows_per_event)));
  QUANTA_ASSIGN_OR_RETURN(store::Snapshot snapshot,
                          state.store->SnapshotOf(state.dataset, store::AsOf::Version(version)));
  std::string committed_at =
      snapshot.committed_at ? nlohmann::json(store::FormatTimestamp(*snapshot.committed_at)).dump()
                            : "null";
  std::string data =
      fmt::format("{{\"version\":{},\"committedAt\":{},\"changes\":[", version, committed_at);
  for (std::size_t i = 0; i < rows.rows.size(); ++i) {
    if (i > 0) data += ',';
    data += rows.rows[i].empty() || !rows.rows[i][0] ? "null" : *rows.rows[i][0];
  }
  bool truncated = row_count > static_cast<std::int64_t>(rows.rows.size());
  data += fmt::format("],\"rowCount\":{},\"truncated\":{}", row_count, truncated);
  if (truncated) {
    data += fmt::format(
        ",\"hint\":{}",
        nlohmann::json(fmt::format("this commit changed {} rows; the event holds the first {}; "
                                   "GET export?format=parquet&since={}&version={} has all of them",
                                   row_count, rows.rows.size(), version - 1, version))
            .dump());
  }
  data += '}';
  return fmt::format("id: {}\nevent: commit\ndata: {}\n\n", version, data);
}

// Sends an event for each version after state.last_version that changed the dataset, up to
// the head (or max_versions_per_poll versions of them).
Result<Progress> SendPending(StreamState& state, BodyWriter& writer) {
  std::int64_t head = state.store->Head().version;
  if (head <= state.last_version) return Progress::kCaughtUp;
  QUANTA_ASSIGN_OR_RETURN(store::ChangeSet changes,
                          state.store->ChangesBetween(state.dataset, state.last_version, head));
  std::string version_column = QuoteIdentifier(store::kChangeVersionColumn);
  QUANTA_ASSIGN_OR_RETURN(
      engine::QueryResult versions,
      state.connection->Query(fmt::format(
          "SELECT c.{0}, count(*) FROM ({1}) AS c GROUP BY c.{0} ORDER BY c.{0} LIMIT {2}",
          version_column, ReadableChangesSql(changes.sql, state.columns, state.access),
          state.options.max_versions_per_poll)));
  bool more =
      static_cast<std::int64_t>(versions.rows.size()) >= state.options.max_versions_per_poll;
  for (const auto& row : versions.rows) {
    std::int64_t version = std::stoll(row[0].value_or("0"));
    std::int64_t row_count = std::stoll(row[1].value_or("0"));
    QUANTA_ASSIGN_OR_RETURN(std::string event, CommitEvent(state, version, row_count));
    if (!writer.Write(std::move(event))) return Progress::kStopped;
    state.last_version = version;
    ++state.events_sent;
  }
  if (!more) state.last_version = head;
  return more ? Progress::kMore : Progress::kCaughtUp;
}

Status Produce(StreamState& state, BodyWriter& writer) {
  auto last_write = std::chrono::steady_clock::now();
  if (!writer.Write(fmt::format(": changes of dataset {} after version {}\n\n", state.dataset,
                                state.last_version))) {
    return Status::Ok();
  }
  while (!writer.Cancelled() && !writer.Draining()) {
    std::int64_t before = state.events_sent;
    QUANTA_ASSIGN_OR_RETURN(Progress progress, SendPending(state, writer));
    if (progress == Progress::kStopped) return Status::Ok();
    auto now = std::chrono::steady_clock::now();
    if (state.events_sent != before) last_write = now;
    if (progress == Progress::kMore) continue;
    if (now - last_write >= state.options.heartbeat_interval) {
      if (!writer.Write(": heartbeat\n\n")) return Status::Ok();
      last_write = now;
    }
    if (writer.WaitForStop(state.options.poll_interval)) break;
  }
  return Status::Ok();
}

Result<HttpResponse> StartStream(const HttpRequest& request, store::ProductStore& store,
                                 std::string_view dataset, const governance::DatasetAccess& access,
                                 const ChangeStreamOptions& options) {
  if (!access.readable) return access.refusal;
  const store::DatasetLayout* layout = store.layout().FindDataset(dataset);
  if (!layout) return NoSuchDataset(store.layout(), dataset);
  QUANTA_RETURN_IF_ERROR(request.CheckQueryKnown(
      kStreamParameters, fmt::format("the change stream of dataset {}", dataset)));
  QUANTA_RETURN_IF_ERROR(request.CheckQueryOnce(kStreamParameters));
  if (request.Query("since_version") && request.Query("since_time")) {
    return Status::Usage(
        "query parameters since_version and since_time: give one of them, not both");
  }
  QUANTA_ASSIGN_OR_RETURN(std::int64_t start, ParseStart(request, store, dataset));
  std::int64_t head = store.Head().version;
  if (start > head) {
    return Status::Invalid(
        "dataset {}: cannot stream changes after version {}, which does not exist yet; the "
        "latest version is {}",
        dataset, start, head);
  }
  // Refuses a start whose changes retention already removed, before the stream begins.
  QUANTA_ASSIGN_OR_RETURN(store::ChangeSet unused, store.ChangesBetween(dataset, start, head));
  (void)unused;

  auto state = std::make_shared<StreamState>();
  state->store = &store;
  state->dataset = std::string(dataset);
  state->change_json_sql = ChangeJsonSql(*layout);
  state->columns = layout->columns;
  state->access = access;
  QUANTA_ASSIGN_OR_RETURN(state->connection, store.Connect());
  state->last_version = start;
  state->options = options;
  if (state->options.max_rows_per_event < 1) state->options.max_rows_per_event = 1;
  if (state->options.max_versions_per_poll < 1) state->options.max_versions_per_poll = 1;
  HttpResponse response =
      HttpResponse::Stream(std::string(kEventStreamType),
                           [state](BodyWriter& writer) { return Produce(*state, writer); });
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace

HttpResponse ServeChangeStream(const HttpRequest& request, store::ProductStore& store,
                               std::string_view dataset, const governance::DatasetAccess& access,
                               ChangeStreamOptions options) {
  Result<HttpResponse> response = StartStream(request, store, dataset, access, options);
  if (!response.ok()) return ErrorResponse(response.status());
  return std::move(response).value();
}

}  // namespace quanta::ports
