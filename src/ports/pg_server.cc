#include "ports/pg_server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "ports/event_loops.h"

namespace quanta::ports {
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

class PgConnection;

// A session run this short is expected to be as short next time (PgServerOptions::inline_runs).
constexpr std::chrono::microseconds kQuickRun{500};

// How often a running statement's client is looked at for a hang-up (PgConnection::Watch).
constexpr std::chrono::seconds kPeerCheckInterval{1};
// How often the watchdog looks at the runs going on, and how often when none is: the
// granularity of the statement timeout.
constexpr std::chrono::milliseconds kWatchWhileRunning{10};
constexpr std::chrono::milliseconds kWatchWhileIdle{100};

class PgServer::Impl : public std::enable_shared_from_this<PgServer::Impl> {
 public:
  Impl(EventLoops& loops, PgServerOptions options, PgBackend& backend)
      : loops_(loops),
        options_(std::move(options)),
        backend_(backend),
        acceptor_(net::make_strand(loops.First().context())),
        pool_(static_cast<std::size_t>(std::max(options_.worker_threads, 1))),
        random_(std::random_device{}()) {}

  Status Listen() {
    if (!options_.tls_certificate_file.empty() || !options_.tls_key_file.empty()) {
      QUANTA_RETURN_IF_ERROR(LoadTls());
    }
    error_code error;
    net::ip::address address = net::ip::make_address(options_.address, error);
    if (error) {
      return Status::Usage("cannot listen for SQL on '{}': not an IP address", options_.address);
    }
    tcp::endpoint endpoint(address, options_.port);
    if (acceptor_.open(endpoint.protocol(), error) ||
        acceptor_.set_option(net::socket_base::reuse_address(true), error) ||
        acceptor_.bind(endpoint, error) ||
        acceptor_.listen(net::socket_base::max_listen_connections, error)) {
      return Status::IoError("cannot listen for SQL on {}:{}: {}", options_.address, options_.port,
                             error.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  void Start() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
    watchdog_ = std::thread([this] { WatchRuns(); });
  }

  ~Impl() { StopWatchdog(); }

  Status LoadTls() {
    if (options_.tls_certificate_file.empty() || options_.tls_key_file.empty()) {
      return Status::Usage("the SQL port's TLS needs both a certificate and a key file");
    }
    tls_.emplace(net::ssl::context::tls_server);
    tls_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                      net::ssl::context::no_tlsv1_1);
    error_code error;
    tls_->use_certificate_chain_file(options_.tls_certificate_file, error);
    if (error) {
      return Status::IoError("{}: cannot be read as a PEM certificate: {}",
                             options_.tls_certificate_file, error.message());
    }
    tls_->use_private_key_file(options_.tls_key_file, net::ssl::context::pem, error);
    if (error) {
      return Status::IoError("{}: cannot be read as the PEM private key of {}: {}",
                             options_.tls_key_file, options_.tls_certificate_file, error.message());
    }
    // The channel binding data of the certificate the handshake presents, for
    // SCRAM-SHA-256-PLUS; a certificate without it (Ed25519) still serves plain SCRAM.
    X509* certificate = SSL_CTX_get0_certificate(tls_->native_handle());
    int der_length = certificate ? i2d_X509(certificate, nullptr) : -1;
    if (der_length <= 0) {
      return Status::IoError("{}: OpenSSL holds no certificate after loading it",
                             options_.tls_certificate_file);
    }
    std::string der(static_cast<std::size_t>(der_length), '\0');
    auto* cursor = reinterpret_cast<unsigned char*>(der.data());
    i2d_X509(certificate, &cursor);
    Result<std::string> end_point = TlsServerEndPoint(der);
    if (end_point.ok()) {
      tls_server_end_point_ = *std::move(end_point);
    } else {
      std::fprintf(stderr, "quanta sql: %s: %s; SCRAM-SHA-256-PLUS is not offered\n",
                   options_.tls_certificate_file.c_str(), end_point.status().message().c_str());
    }
    return Status::Ok();
  }

  void Stop(std::chrono::milliseconds drain_timeout);
  // One thread watches every connection's run (PgConnection::Watch): a timer armed and
  // cancelled per run cost each round trip two timer operations and two more handlers, each
  // of which could wake another event thread.
  void WatchRuns();
  void StopWatchdog() {
    {
      std::lock_guard lock(watch_mutex_);
      watch_stop_ = true;
    }
    watch_wake_.notify_all();
    // Stop (which ~PgServer calls) joins it, so the last reference to the server is never dropped
    // on it.
    if (watchdog_.joinable()) watchdog_.join();
  }

  void Accept();
  void Unregister(std::int32_t process_id);
  void CancelBackend(std::int32_t process_id, std::int32_t secret_key);

  EventLoops& loops_;
  const PgServerOptions options_;
  PgBackend& backend_;
  tcp::acceptor acceptor_;
  std::optional<net::ssl::context> tls_;  // with a certificate configured
  std::string tls_server_end_point_;      // its channel binding data; empty: none
  net::thread_pool pool_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> accepted_{0}, rejected_{0}, cancels_{0}, hangups_{0};
  std::atomic<int> watched_runs_{0};  // runs PgConnection::Watch looks at now

  std::thread watchdog_;
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;  // guarded by watch_mutex_

  std::mutex mutex_;
  std::condition_variable changed_;
  struct Registered {
    std::weak_ptr<PgConnection> connection;
    bool counted = false;  // counts against max_connections
  };
  std::map<std::int32_t, Registered> connections_;  // by process id
  int sessions_ = 0;                                // connections counted

  std::int32_t next_process_id_ = 1000;
  std::mt19937 random_;  // secret keys; guarded by mutex_
  bool stopped_ = false;
};

// One client: reads its bytes, runs its session on the worker pool or inline, writes what it
// answers. Its handlers run on its event loop's thread (or on the loop's rescuer while an
// inline run holds that thread: then only handlers that see working_ and leave); the session
// runs on one thread at a time.
class PgConnection : public std::enable_shared_from_this<PgConnection> {
 public:
  PgConnection(std::shared_ptr<PgServer::Impl> server, EventLoops::Loop& loop, tcp::socket socket,
               PgSessionOptions options)
      : server_(std::move(server)),
        loop_(loop),
        socket_(std::move(socket)),
        idle_timer_(socket_.get_executor()),
        process_id_(options.process_id),
        secret_key_(options.secret_key),
        session_(server_->backend_, std::move(options)) {}

  std::int32_t secret_key() const { return secret_key_; }

  // On the watchdog's thread, every few milliseconds while a run goes on: cancels its statement
  // once it has run past the statement timeout, and, every second of it, looks at whether the
  // client hung up. PostgreSQL's statement_timeout and client_connection_check_interval (always
  // on): a client that hung up (psql killed, a driver's socket closed) gets its statement
  // cancelled rather than left to hold a worker and its memory for an answer nobody reads.
  void Watch(std::chrono::steady_clock::time_point now) {
    const std::int64_t started_ns = run_started_ns_.load();
    if (started_ns == 0) return;
    const auto started =
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(started_ns));
    if (const std::uint64_t run = runs_.load(); run != watched_run_) {
      watched_run_ = run;
      timed_out_ = false;
      next_peer_check_ = started + kPeerCheckInterval;
    }
    const std::chrono::milliseconds timeout = session_.statement_timeout();
    if (!timed_out_ && timeout.count() > 0 && now - started >= timeout) {
      timed_out_ = true;
      session_.CancelForTimeout();
    }
    if (now >= next_peer_check_) {
      next_peer_check_ = now + kPeerCheckInterval;
      if (PeerHungUp()) {
        if (!peer_gone_.exchange(true)) ++server_->hangups_;
        session_.Cancel();  // and each later statement of the run, a second apart
      }
    }
  }
  PgSession& session() { return session_; }

  void Start() {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // Writes from a worker (WriteFromWorker) must never block it.
    socket_.non_blocking(true, ignored);
    socket_fd_ = socket_.native_handle();
    ArmIdleTimer(server_->options_.startup_timeout);
    Read();
  }

  // From any thread: ends the connection (the server is stopping).
  void Shutdown() {
    if (working_) session_.Cancel();  // now, even a run that holds the loop (inline)
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      self->shutting_down_ = true;
      if (self->working_) {
        self->session_.Cancel();
        return;  // closes when the session's work returns
      }
      if (self->session_.ready()) {
        std::string out;
        PgErrorFields fields;
        fields.severity = "FATAL";
        fields.sqlstate = "57P01";
        fields.message = "terminating connection due to administrator command";
        PgBackendWriter(&out).ErrorResponse(fields);
        self->WriteThenClose(std::move(out));
      } else {
        self->Close();
      }
    });
  }

 private:
  // Reads and writes go through TLS once the session switched to it.
  template <typename Handler>
  void ReadSome(Handler handler) {
    if (tls_) return tls_->async_read_some(net::buffer(read_buffer_), std::move(handler));
    socket_.async_read_some(net::buffer(read_buffer_), std::move(handler));
  }
  template <typename Handler>
  void WriteAll(Handler handler) {
    if (tls_) return net::async_write(*tls_, net::buffer(writing_), std::move(handler));
    net::async_write(socket_, net::buffer(writing_), std::move(handler));
  }

  void Read() {
    if (closed_) return;
    ReadSome([self = shared_from_this()](error_code error, std::size_t n) {
      if (error) return self->Close();
      if (self->session_.ready()) self->ArmIdleTimer(self->server_->options_.idle_timeout);
      self->session_.Feed(std::string_view(self->read_buffer_.data(), n));
      self->Work();
    });
  }

  // After the 'S' answer to an SSLRequest: the handshake, then the session goes on in TLS.
  void StartTls() {
    tls_.emplace(socket_, *server_->tls_);
    tls_->async_handshake(net::ssl::stream_base::server,
                          [self = shared_from_this()](error_code error) {
                            if (error) return self->Close();  // a client that gave up on TLS
                            self->session_.TlsStarted();
                            self->Work();
                          });
  }

  void Work() {
    if (closed_) return;
    working_ = true;
    ++runs_;
    if (session_.ready()) {
      // The watchdog's to look at from now on (Watch).
      watched_ = true;
      ++server_->watched_runs_;
      run_started_ns_ =
          std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
    }
    // A session whose last run was quick runs again on this event thread, which it holds
    // meanwhile (a run that turns out long has the loop's other connections served by a
    // helper): the answer then leaves without two thread hops, which are most of a short
    // statement's cost. Everything else goes to the worker pool.
    if (server_->options_.inline_runs && last_run_quick_ && loop_.Hold()) {
      std::string out;
      PgSession::Step step = RunSession(out);
      loop_.Release();  // the loop is this thread's alone again: the socket is ours
      return AfterWork(step, std::move(out));
    }
    net::post(server_->pool_, [self = shared_from_this()] {
      std::string out;
      PgSession::Step step = self->RunSession(out);
      net::post(self->socket_.get_executor(), [self, step, out = std::move(out)]() mutable {
        self->AfterWork(step, std::move(out));
      });
    });
  }

  // On a worker or, inline, on the loop; while working_ keeps the connection's own handlers off
  // the session and the socket. Leaves what the socket did not take now in `out`.
  PgSession::Step RunSession(std::string& out) {
    auto started = std::chrono::steady_clock::now();
    PgSession::Step step;
    try {
      step = session_.Run(&out);
    } catch (const std::exception& error) {
      // A bug in a session must not take the node down: end this connection only.
      std::fprintf(stderr, "quanta sql: internal error in a session: %s\n", error.what());
      PgErrorFields fields;
      fields.severity = "FATAL";
      fields.message = fmt::format("internal error: {}", error.what());
      PgBackendWriter(&out).ErrorResponse(fields);
      step = PgSession::Step::kClose;
    }
    last_run_quick_ = session_.ready() && std::chrono::steady_clock::now() - started <= kQuickRun;
    if (step != PgSession::Step::kClose) WriteFromWorker(out);
    return step;
  }

  // On the worker, while working_ keeps the connection's handlers off the socket: sends what
  // the socket takes now and leaves the rest in `out` for the loop. The answer leaves without
  // waiting for the loop's thread to wake, which is most of a short statement's latency.
  void WriteFromWorker(std::string& out) {
    if (tls_ || out.empty()) return;
    std::size_t sent = 0;
    while (sent < out.size()) {
      error_code error;
      std::size_t n = socket_.write_some(net::buffer(out.data() + sent, out.size() - sent), error);
      if (error) break;  // would block, or a failure that the strand's write will report
      sent += n;
    }
    out.erase(0, sent);
  }

  // True when the client closed its end or the connection failed. POLLRDHUP sees a hang-up
  // even behind bytes the client sent and the session has not read yet (a pipeline).
  bool PeerHungUp() const {
    pollfd watched{socket_fd_, POLLRDHUP, 0};
    if (::poll(&watched, 1, 0) != 1) return false;
    return (watched.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }

  void AfterWork(PgSession::Step step, std::string out) {
    working_ = false;
    if (watched_) {
      watched_ = false;
      run_started_ns_ = 0;
      --server_->watched_runs_;
    }
    // A client that hung up gets no answer: its statement was cancelled for it.
    if (peer_gone_) return Close();
    if (step == PgSession::Step::kClose && session_.cancel_request()) {
      const PgCancelRequest& request = *session_.cancel_request();
      server_->CancelBackend(request.process_id, request.secret_key);
    }
    if (shutting_down_ && step != PgSession::Step::kClose) {
      PgErrorFields fields;
      fields.severity = "FATAL";
      fields.sqlstate = "57P01";
      fields.message = "terminating connection due to administrator command";
      PgBackendWriter(&out).ErrorResponse(fields);
      step = PgSession::Step::kClose;
    }
    if (session_.ready() && idle_timer_armed_for_startup_) {
      ArmIdleTimer(server_->options_.idle_timeout);
    }
    auto next = [self = shared_from_this(), step] {
      if (step == PgSession::Step::kClose) return self->Close();
      if (self->session_.tls_requested()) return self->StartTls();
      if (step == PgSession::Step::kOutput) return self->Work();
      self->Read();
    };
    if (out.empty()) return next();
    writing_ = std::move(out);
    WriteAll([self = shared_from_this(), next](error_code error, std::size_t) {
      if (error) return self->Close();
      next();
    });
  }

  void WriteThenClose(std::string out) {
    writing_ = std::move(out);
    WriteAll([self = shared_from_this()](error_code, std::size_t) { self->EndTls(); });
  }

  // Over TLS, a close_notify before the socket closes: without it the client's TLS library
  // reports a truncated stream ("EOF detected") instead of the message sent before it. The
  // client gets a second to answer; then the socket closes anyway.
  void EndTls() {
    if (!tls_ || closed_) return Close();
    idle_timer_.expires_after(std::chrono::seconds(1));
    idle_timer_.async_wait([self = shared_from_this()](error_code) { self->Close(); });
    tls_->async_shutdown([self = shared_from_this()](error_code) { self->Close(); });
  }

  void ArmIdleTimer(std::chrono::milliseconds timeout) {
    idle_timer_armed_for_startup_ = !session_.ready();
    idle_timer_.cancel();
    if (timeout.count() <= 0) return;
    idle_timer_.expires_after(timeout);
    idle_timer_.async_wait([self = shared_from_this(), timeout](error_code error) {
      if (error || self->closed_ || self->working_) return;
      std::string out;
      PgErrorFields fields;
      fields.severity = "FATAL";
      bool signed_in = self->session_.ready();
      fields.sqlstate = signed_in ? "57P05" : "08006";
      fields.message =
          signed_in
              ? fmt::format("terminating connection due to idle-session timeout ({} ms)",
                            timeout.count())
              : fmt::format("canceling authentication due to timeout ({} ms)", timeout.count());
      PgBackendWriter(&out).ErrorResponse(fields);
      self->WriteThenClose(std::move(out));
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    server_->Unregister(process_id_);
  }

  std::shared_ptr<PgServer::Impl> server_;
  EventLoops::Loop& loop_;
  tcp::socket socket_;
  std::optional<net::ssl::stream<tcp::socket&>> tls_;
  net::steady_timer idle_timer_;
  int socket_fd_ = -1;  // for the hang-up check, which runs on the watchdog
  std::atomic<bool> peer_gone_{false};
  const std::int32_t process_id_;
  const std::int32_t secret_key_;
  PgSession session_;
  std::array<char, 16 * 1024> read_buffer_;
  std::string writing_;
  std::atomic<bool> working_{false};
  std::atomic<std::uint64_t> runs_{0};  // Work() calls, for Watch
  // When the run Watch looks at began (steady clock, ns); 0 while there is none.
  std::atomic<std::int64_t> run_started_ns_{0};
  bool watched_ = false;  // this run counts in watched_runs_; on the loop
  // The watchdog's own: the run it last looked at, whether it cancelled it for its timeout,
  // and when to look at its client next.
  std::uint64_t watched_run_ = 0;
  bool timed_out_ = false;
  std::chrono::steady_clock::time_point next_peer_check_;
  bool last_run_quick_ = false;  // written by a run, read by the next Work()
  bool closed_ = false;
  std::atomic<bool> shutting_down_{false};  // set by Shutdown's handler, maybe on the rescuer
  bool idle_timer_armed_for_startup_ = false;
};

void PgServer::Impl::Accept() {
  EventLoops::Loop& loop = loops_.Next();
  acceptor_.async_accept(
      loop.context(), [self = shared_from_this(), &loop](error_code error, tcp::socket socket) {
        if (error) {
          if (error == net::error::operation_aborted || self->stopping_) return;
          return self->Accept();  // a failed accept (too many files) must not stop the port
        }
        PgSessionOptions options;
        options.limits = self->options_.limits;
        options.statement_timeout = self->options_.statement_timeout;
        options.max_connections = self->options_.max_connections;
        options.tls_available = self->tls_.has_value();
        options.tls_server_end_point = self->tls_server_end_point_;
        std::shared_ptr<PgConnection> connection;
        {
          std::lock_guard lock(self->mutex_);
          // One too many is still read up to its startup packet, then refused with 53300,
          // as PostgreSQL does; it holds no statement worker meanwhile.
          options.too_many_clients = self->sessions_ >= self->options_.max_connections;
          if (!options.too_many_clients) ++self->sessions_;
          options.process_id = self->next_process_id_++;
          options.secret_key = static_cast<std::int32_t>(self->random_());
          connection = std::make_shared<PgConnection>(self, loop, std::move(socket), options);
          self->connections_[options.process_id] = {connection, !options.too_many_clients};
        }
        if (options.too_many_clients) {
          ++self->rejected_;
        } else {
          ++self->accepted_;
        }
        connection->Start();
        self->Accept();
      });
}

void PgServer::Impl::WatchRuns() {
  std::vector<std::shared_ptr<PgConnection>> running;
  while (true) {
    {
      std::unique_lock lock(watch_mutex_);
      watch_wake_.wait_for(lock, watched_runs_.load() > 0 ? kWatchWhileRunning : kWatchWhileIdle,
                           [&] { return watch_stop_; });
      if (watch_stop_) return;
    }
    if (watched_runs_.load() == 0) continue;
    {
      std::lock_guard lock(mutex_);
      for (auto& [id, registered] : connections_) {
        if (auto connection = registered.connection.lock())
          running.push_back(std::move(connection));
      }
    }
    const auto now = std::chrono::steady_clock::now();
    for (const auto& connection : running) connection->Watch(now);
    running.clear();  // (a connection closed meanwhile may end here, off its loop)
  }
}

void PgServer::Impl::Unregister(std::int32_t process_id) {
  std::lock_guard lock(mutex_);
  auto found = connections_.find(process_id);
  if (found == connections_.end()) return;
  if (found->second.counted) --sessions_;
  connections_.erase(found);
  changed_.notify_all();
}

void PgServer::Impl::CancelBackend(std::int32_t process_id, std::int32_t secret_key) {
  ++cancels_;
  std::shared_ptr<PgConnection> target;
  {
    std::lock_guard lock(mutex_);
    auto found = connections_.find(process_id);
    if (found != connections_.end()) target = found->second.connection.lock();
  }
  // A wrong key is ignored without a word, as PostgreSQL does.
  if (target && target->secret_key() == secret_key) target->session().Cancel();
}

void PgServer::Impl::Stop(std::chrono::milliseconds drain_timeout) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<PgConnection>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, registered] : connections_) {
      if (auto connection = registered.connection.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) connection->Shutdown();
  live.clear();
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, drain_timeout, [&] { return connections_.empty(); });
  lock.unlock();
  StopWatchdog();
  pool_.join();
}

PgServer::PgServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
PgServer::~PgServer() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<PgServer>> PgServer::Listen(EventLoops& event_loops, PgServerOptions options,
                                                   PgBackend& backend) {
  auto impl = std::make_shared<Impl>(event_loops, std::move(options), backend);
  QUANTA_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<PgServer>(new PgServer(std::move(impl)));
}

void PgServer::Start() { impl_->Start(); }
void PgServer::Stop(std::chrono::milliseconds drain_timeout) { impl_->Stop(drain_timeout); }
std::uint16_t PgServer::port() const { return impl_->port_; }
std::string PgServer::url() const {
  return fmt::format("postgresql://{}:{}", impl_->options_.address, impl_->port_);
}
PgServerStats PgServer::stats() const {
  PgServerStats stats;
  {
    std::lock_guard lock(impl_->mutex_);
    stats.open_connections = static_cast<std::uint64_t>(impl_->sessions_);
  }
  stats.accepted_connections = impl_->accepted_;
  stats.rejected_connections = impl_->rejected_;
  stats.cancel_requests = impl_->cancels_;
  stats.client_hangups = impl_->hangups_;
  return stats;
}

}  // namespace quanta::ports
