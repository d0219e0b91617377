#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "ports/http_limits.h"
#include "ports/http_router.h"

namespace quanta::ports {

class EventLoops;

/// How to run an HttpServer.
struct HttpServerOptions {
  std::string address = "127.0.0.1";  ///< an IPv4 or IPv6 address to listen on
  std::uint16_t port = 0;             ///< 0 picks a free port; see HttpServer::port()
  int event_threads = 1;              ///< event loop threads, one io_context each (EventLoops)
  int blocking_threads = 4;           ///< threads of the pool for blocking handlers and streams
  HttpLimits limits;
};

/// What the server reports after each exchange that got a response (for metrics and logs).
struct HttpExchange {
  std::string method;
  std::string route;  ///< the matched pattern; empty when no route matched
  int status = 0;
  /// From the request's first byte until the response was handed to the socket (a whole
  /// body) or its last chunk was produced (a stream).
  std::chrono::nanoseconds duration{0};
  std::uint64_t response_bytes = 0;  ///< body bytes, without headers and chunk framing
};

/// A snapshot of the server's counters.
struct HttpServerStats {
  std::uint64_t open_connections = 0;
  std::uint64_t active_requests = 0;  ///< requests being handled or answered
  std::uint64_t accepted_connections = 0;
  std::uint64_t rejected_connections = 0;  ///< turned away with 503 (connection limit)
};

/// How a Stop went.
struct DrainOutcome {
  bool clean = true;                     ///< every connection finished before the deadline
  std::uint64_t forced_connections = 0;  ///< connections cut at the deadline
};

/// An HTTP/1.1 server (Boost.Beast) on the node's event loops (EventLoops: an io_context per
/// thread), each connection on one of them.
/// Handlers marked kBlocking and streamed bodies run on a separate blocking pool, so the event
/// loop never waits. Every limit of HttpLimits is enforced with a JSON error; a bad or hostile
/// client never stops the server serving the others.
///
/// Lifecycle: Listen (binds) -> add routes to router() -> Start -> Stop. Stop and the
/// destructor must not be called from a handler.
class HttpServer {
 public:
  /// Binds and listens on options.address:options.port, without serving yet (connections
  /// wait in the backlog). Fails (kUsage) on an address that is not an IP, (kIoError) when the
  /// port cannot be bound, naming the address and the reason.
  static Result<std::unique_ptr<HttpServer>> Listen(HttpServerOptions options);
  ~HttpServer();  ///< stops without waiting (zero drain time) if still running

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// The routes. Change them only before Start.
  HttpRouter& router();
  /// Called on an event loop thread after every exchange; must be fast and thread-safe.
  /// Set before Start.
  void SetExchangeObserver(std::function<void(const HttpExchange&)> observer);

  /// Called on the event loop for every routed request, after its header and before its body
  /// is read: a response refuses the request (authentication), nullopt lets it through and may
  /// have set the request's `principal`. Must be fast and thread-safe. Set before Start.
  void SetRequestGuard(std::function<std::optional<HttpResponse>(HttpRequest&)> guard);

  /// Starts the event loop threads, the blocking pool and accepting connections.
  Status Start();

  /// Stops: closes the listening socket, lets requests in flight finish (streams are told to
  /// drain) and closes idle connections; at `drain_timeout` cuts whatever is left. Blocks until
  /// every thread has stopped. Safe to call more than once.
  DrainOutcome Stop(std::chrono::milliseconds drain_timeout);

  /// True from the start of Stop.
  bool draining() const;
  /// The bound port (the one picked when options.port was 0).
  std::uint16_t port() const;
  /// "http://127.0.0.1:7070" ("http://[::1]:7070" for IPv6).
  std::string url() const;
  HttpServerStats stats() const;
  /// The event loops, for other ports that share them (the SQL port). They run from Start
  /// until Stop; anything posted to them must be finished before Stop.
  EventLoops& event_loops();

 private:
  class Impl;
  friend class Connection;  // the per-connection state machine in http_server.cc
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quanta::ports
