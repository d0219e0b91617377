#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quanta::ports {

/// One HTTP request as a handler sees it: already read whole (within the body limit), its
/// target split into a percent-decoded path, path parameters and query parameters.
/// Owned by the server for the duration of the handler call; copy what must outlive it.
struct HttpRequest {
  std::string method;  ///< "GET", "POST"...; HEAD requests reach GET routes as "HEAD"
  std::string target;  ///< as sent: "/v1/node?x=1"
  std::string path;    ///< percent-decoded path: "/v1/node"
  /// The path as sent, percent escapes kept ("/v1/products/a%2Fb"): what a message or a
  /// header may quote, as it holds no control character or other raw byte.
  std::string encoded_path;
  std::string route;  ///< the pattern that matched: "/v1/products/{domain}/{product}"
  std::map<std::string, std::string, std::less<>> path_params;  ///< {domain} -> "orders"
  std::vector<std::pair<std::string, std::string>> query;       ///< decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;     ///< names as sent
  std::string body;
  std::string remote_address;  ///< "127.0.0.1:53412"
  /// The principal the request signed in as, set by the server's request guard; empty when
  /// the server has no guard (an HTTP API without authentication).
  std::string principal;

  /// The first query parameter called `name`, if any ("?a" gives a present, empty value).
  std::optional<std::string> Query(std::string_view name) const;
  /// Usage error naming the first of `names` that the query gives more than once
  /// (?limit=1&limit=2): which of them the client meant is not known. Ok otherwise.
  Status CheckQueryOnce(std::span<const std::string_view> names) const;
  /// Usage error naming the first query parameter that is not among `known`, and listing
  /// them; `what` says what was asked ("the change stream of dataset orders"). A parameter
  /// nothing reads is refused rather than ignored: a misspelled one would silently ask for
  /// something else. Ok when every parameter is known.
  Status CheckQueryKnown(std::span<const std::string_view> known, std::string_view what) const;
  /// Usage error naming the first of `names` (compared without case) that the request sends
  /// as more than one header field (two Idempotency-Key lines): which of them the client meant
  /// is not known. Ok otherwise. For fields that hold one value, not comma-separated lists.
  Status CheckHeaderOnce(std::span<const std::string_view> names) const;
  /// The first header called `name`, compared without case.
  std::optional<std::string> Header(std::string_view name) const;
  /// The path parameter `name` of the route pattern; empty when the pattern has none.
  std::string PathParam(std::string_view name) const;
};

/// The producer side of a streamed response body (chunked transfer encoding, server-sent
/// events). A producer runs on the server's blocking pool and calls Write for each piece; the
/// server sends pieces as the socket drains. Thread-safe; used by one producer at a time.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  /// Queues `chunk` for the client. Blocks while the bytes queued and not yet sent exceed the
  /// server's stream buffer (backpressure). Returns false once the client has gone away or the
  /// server is closing the connection: the producer should then return promptly.
  virtual bool Write(std::string chunk) = 0;
  /// True once Write would return false.
  virtual bool Cancelled() const = 0;
  /// True once the server is shutting down: an endless producer (an event stream) should end
  /// its body now; a finite one may finish, within the server's drain deadline.
  virtual bool Draining() const = 0;
  /// Sleeps up to `timeout`, waking early when the stream is cancelled or draining. Returns
  /// true when the producer should stop (cancelled or draining). For heartbeats and polling.
  virtual bool WaitForStop(std::chrono::milliseconds timeout) = 0;
};

/// Produces a streamed body. Returning a non-ok Status before the first Write turns the
/// response into that error (JSON, with the table's HTTP status); after the first Write the
/// headers are gone, so the connection is cut without the final chunk and the client sees an
/// incomplete body rather than a silently truncated one.
using BodyProducer = std::function<Status(BodyWriter& writer)>;

/// A handler's answer: a whole body, or a producer that streams one.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
  std::string body;
  /// When set, `body` is ignored and the body is streamed with chunked transfer encoding; the
  /// status line and headers are sent with the first chunk (or the end of the body).
  BodyProducer producer;

  /// `value` serialized as the body, application/json.
  static HttpResponse Json(int status, const nlohmann::json& value);
  /// A text body with the given content type.
  static HttpResponse Text(int status, std::string body,
                           std::string content_type = "text/plain; charset=utf-8");
  /// A streamed body made by `producer` on the blocking pool.
  static HttpResponse Stream(std::string content_type, BodyProducer producer, int status = 200);
};

}  // namespace quanta::ports
