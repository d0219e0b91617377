#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "governance/read_access.h"
#include "ports/http_message.h"
#include "store/product_store.h"

namespace quanta::ports {

/// How a change stream polls and paces itself. The defaults suit a node.
struct ChangeStreamOptions {
  /// How often the store's head is checked for new commits.
  std::chrono::milliseconds poll_interval{200};
  /// How long the stream may stay silent before it sends a `: heartbeat` comment, so that
  /// proxies and clients keep the connection open.
  std::chrono::milliseconds heartbeat_interval{15000};
  /// The most changed rows one event carries; a commit with more is sent with the first ones
  /// and "truncated": true (export?since=V-1&version=V has all of them).
  std::int64_t max_rows_per_event = 1000;
  /// The most commits read from the store in one query while catching up.
  std::int64_t max_versions_per_poll = 500;
};

/// Answers GET /v1/products/{domain}/{product}/datasets/{name}/changes with server-sent
/// events (text/event-stream): one event per committed version that changed the dataset,
///   id: <version>
///   event: commit
///   data: {"version", "committedAt", "changes": [{"op": "insert"|"delete", "row": {...}}],
///          "rowCount", "truncated"}
/// in version order; within a version deletes come before inserts (an upsert of an existing
/// key is a delete of the old row and an insert of the new one). Row values are typed JSON as
/// in dataset reads.
///
/// Where it starts: after the version in the Last-Event-ID header (what an EventSource sends
/// when it reconnects), else after ?since_version=N, else after the last version committed at
/// or before ?since_time=<RFC 3339>, else after the current version (new commits only).
/// Refused before the stream begins with a JSON error: 400 for a malformed parameter, 404 for
/// an unknown dataset, 422 for a start past retention or beyond the latest version.
///
/// Rows are as `access` says (DatasetGrants::AccessTo): masked columns carry their masked
/// values, and a reader who may not read the dataset is refused with 403.
///
/// The stream then polls the store's head and ends when the client leaves or the server
/// drains. The producer runs on the blocking pool. `store` must outlive the response.
HttpResponse ServeChangeStream(const HttpRequest& request, store::ProductStore& store,
                               std::string_view dataset, const governance::DatasetAccess& access,
                               ChangeStreamOptions options = {});

}  // namespace quanta::ports
