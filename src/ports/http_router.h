#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ports/http_message.h"

namespace quanta::ports {

/// Answers one request. Must not throw (an exception becomes a 500 and is a bug); returns an
/// error as ErrorResponse(status).
using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

/// Where a handler runs.
enum class HandlerMode {
  kEventLoop,  ///< on the event loop thread: only for work that never blocks (health, metrics)
  kBlocking,   ///< on the blocking pool: anything that waits (DuckDB queries, files, commits)
};

/// Per-route settings.
struct RouteOptions {
  HandlerMode mode = HandlerMode::kEventLoop;
  /// The route's body limit, instead of HttpLimits::max_body_bytes (e.g. larger for ingest).
  std::optional<std::uint64_t> max_body_bytes;
};

/// One registered route: a method and a path pattern whose `{name}` segments match any one
/// non-empty path segment, e.g. "/v1/products/{domain}/{product}/datasets/{name}".
struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;  ///< "v1", "{domain}"...
  HttpHandler handler;
  RouteOptions options;
};

/// The outcome of routing a request.
struct RouteMatch {
  const Route* route = nullptr;  ///< the route to run; null when none matched
  std::map<std::string, std::string, std::less<>> params;
  /// When no route matched but the path matches routes of other methods: those methods,
  /// sorted (the 405 response's Allow header). Empty means 404.
  std::vector<std::string> allowed_methods;
};

/// Maps method + path to handlers. Add every route before the server starts; Match is then
/// safe from any number of threads (the router is not changed after start).
class HttpRouter {
 public:
  /// Registers a route. Fails (kUsage) on a malformed pattern (not starting with '/', a '{'
  /// that is not a whole segment, an invalid or repeated parameter name) or when the same
  /// method already has a route of the same shape.
  Status Add(std::string method, std::string_view pattern, HttpHandler handler,
             RouteOptions options = {});

  /// Finds the route for `method` and the decoded path `segments`. A literal segment beats a
  /// parameter at the first place two patterns differ ("/products/search" wins over
  /// "/products/{id}"). HEAD falls back to GET routes.
  RouteMatch Match(std::string_view method, const std::vector<std::string>& segments) const;

  /// Every route, in the order added.
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace quanta::ports
