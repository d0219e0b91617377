#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "ports/pg_message.h"
#include "ports/pg_session.h"

namespace quanta::ports {

class EventLoops;
class PgConnection;

/// How to run the SQL port.
struct PgServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0 picks a free port; see PgServer::port()
  /// Sessions beyond this many are refused with SQLSTATE 53300 ("too many clients").
  int max_connections = 100;
  /// Threads that run statements (DuckDB does the heavy lifting with its own threads).
  int worker_threads = 4;
  /// Whether a session whose last run took at most half a millisecond runs its next one on
  /// the event loop thread that read it, sparing two thread hops. The run holds its loop
  /// (EventLoops::Loop::Hold): one that turns out long has the loop's other connections served
  /// by a helper thread after EventLoops::kRescueAfter. false: always a worker.
  bool inline_runs = false;
  /// A client that has not finished signing in by then is disconnected.
  std::chrono::milliseconds startup_timeout{60'000};
  /// A signed-in client that sends nothing for this long is disconnected (57P05); 0: never.
  std::chrono::milliseconds idle_timeout{0};
  /// A statement running longer is cancelled (57014); 0: no limit.
  std::chrono::milliseconds statement_timeout{0};
  PgMessageLimits limits;
  /// PEM files of the server's certificate (chain) and private key. When both are set, an
  /// SSLRequest is answered 'S' and the session runs over TLS (1.2 or later); otherwise 'N'.
  std::string tls_certificate_file;
  std::string tls_key_file;
};

/// Counters for /metrics.
struct PgServerStats {
  std::uint64_t open_connections = 0;
  std::uint64_t accepted_connections = 0;
  std::uint64_t rejected_connections = 0;  ///< beyond max_connections
  std::uint64_t cancel_requests = 0;
  std::uint64_t client_hangups = 0;  ///< clients that hung up while a statement of theirs ran
};

/// The SQL output port: PostgreSQL's frontend/backend protocol v3 over TCP, on the event loops
/// shared with the node's other ports, each connection on one of them. Each connection is a
/// PgSession; its statements run on the server's worker pool, or on its event loop's thread
/// when they are expected to be quick (PgServerOptions::inline_runs), and its output is
/// written as it is produced, so a slow client holds only a bounded buffer. CancelRequest
/// cancels the statement of the session it names.
///
/// Lifecycle: Listen -> Start -> Stop (before the event loops stop).
class PgServer {
 public:
  /// Binds options.address:options.port on `event_loops`, which must outlive the server.
  /// Fails (kUsage) for an address that is not an IP, (kIoError) when the port cannot be bound
  /// or the TLS certificate or key cannot be read, naming the file.
  static Result<std::unique_ptr<PgServer>> Listen(EventLoops& event_loops, PgServerOptions options,
                                                  PgBackend& backend);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  /// Starts accepting connections.
  void Start();
  /// Stops accepting, cancels running statements, tells idle clients the server is shutting
  /// down (57P01) and closes every connection, waiting at most `drain_timeout` for running
  /// statements. Safe to call more than once.
  void Stop(std::chrono::milliseconds drain_timeout);

  std::uint16_t port() const;
  /// "postgresql://127.0.0.1:5433".
  std::string url() const;
  PgServerStats stats() const;

 private:
  class Impl;
  friend class PgConnection;  // the per-connection state machine in pg_server.cc
  explicit PgServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace quanta::ports
