#include "ports/http_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "ports/body_channel.h"
#include "ports/event_loops.h"
#include "ports/http_error.h"
#include "ports/http_fields.h"
#include "ports/http_target.h"

namespace quanta::ports {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::string_view kServerName = "quanta";
// After an error response the server stops sending and reads (and drops) what the client is
// still sending for this long, so the client reads the response instead of a connection reset.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr std::size_t kFirstReadBytes = 4096;

std::string FormatDuration(std::chrono::milliseconds duration) {
  if (duration.count() % 1000 == 0) return fmt::format("{}s", duration.count() / 1000);
  return fmt::format("{}ms", duration.count());
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

bool IsHttpParseError(const error_code& error) {
  return error.category() == http::make_error_code(http::error::bad_chunk).category();
}

// The request's Transfer-Encoding (all its fields, as one list) when it is anything but
// "chunked" alone, the one transfer coding this server decodes; nullopt when there is none.
// Beast reads a body as chunked only when chunked is the last coding, and reads no body at all
// otherwise, so the bytes of a body sent with "identity" or "gzip" would be parsed as the next
// request: RFC 9112 section 6.1 has such a request refused instead.
template <typename Fields>
std::optional<std::string> UnsupportedTransferEncoding(const Fields& fields) {
  auto [begin, end] = fields.equal_range(http::field::transfer_encoding);
  if (begin == end) return std::nullopt;
  std::string value;
  for (auto field = begin; field != end; ++field) {
    if (!value.empty()) value += ", ";
    value += std::string(field->value());
  }
  std::vector<std::string_view> codings = SplitFieldList(value);
  if (codings.size() == 1 && beast::iequals(codings.front(), "chunked")) return std::nullopt;
  return value;
}

// The request's Content-Encoding when it names a coding other than identity; nullopt when it
// has none. No route decodes compressed bodies: read as they are, they were taken for records.
template <typename Fields>
std::optional<std::string> UnsupportedContentEncoding(const Fields& fields) {
  auto [begin, end] = fields.equal_range(http::field::content_encoding);
  std::string value;
  bool other_than_identity = false;
  for (auto field = begin; field != end; ++field) {
    if (!value.empty()) value += ", ";
    value += std::string(field->value());
    for (std::string_view coding : SplitFieldList(field->value())) {
      if (!beast::iequals(coding, "identity")) other_than_identity = true;
    }
  }
  if (!other_than_identity) return std::nullopt;
  return value;
}

}  // namespace

class Connection;

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerOptions options)
      : options_(std::move(options)),
        loops_(options_.event_threads),
        acceptor_(net::make_strand(loops_.First().context())),
        accept_retry_timer_(acceptor_.get_executor()) {}

  ~Impl() { Stop(std::chrono::milliseconds(0)); }

  Status Listen() {
    error_code error;
    net::ip::address address = net::ip::make_address(options_.address, error);
    if (error) {
      return Status::Usage("cannot listen on '{}': not an IP address (use e.g. 127.0.0.1 or ::1)",
                           options_.address);
    }
    tcp::endpoint endpoint(address, options_.port);
    std::string where = FormatEndpoint(endpoint);
    if (acceptor_.open(endpoint.protocol(), error) ||
        acceptor_.set_option(net::socket_base::reuse_address(true), error) ||
        acceptor_.bind(endpoint, error) ||
        acceptor_.listen(net::socket_base::max_listen_connections, error)) {
      return Status::IoError("cannot listen on {}: {}{}", where, error.message(),
                             error == net::error::address_in_use
                                 ? " (another node or program uses this port; pick another one)"
                                 : "");
    }
    port_ = acceptor_.local_endpoint().port();
    return Status::Ok();
  }

  Status Start() {
    if (started_) return Status::Usage("the HTTP server is already started");
    started_ = true;
    blocking_pool_.emplace(static_cast<std::size_t>(std::max(options_.blocking_threads, 1)));
    loops_.Start();
    net::post(acceptor_.get_executor(), [this] { Accept(); });
    return Status::Ok();
  }

  DrainOutcome Stop(std::chrono::milliseconds drain_timeout);

  std::string Url() const {
    error_code error;
    net::ip::address address = net::ip::make_address(options_.address, error);
    if (!error && address.is_v6()) return fmt::format("http://[{}]:{}", options_.address, port_);
    return fmt::format("http://{}:{}", options_.address, port_);
  }

  HttpServerStats Stats() const {
    HttpServerStats stats;
    stats.open_connections = open_connections_.load();
    stats.active_requests = active_requests_.load();
    stats.accepted_connections = accepted_connections_.load();
    stats.rejected_connections = rejected_connections_.load();
    return stats;
  }

  // Used by connections.
  const HttpServerOptions& options() const { return options_; }
  const HttpRouter& router() const { return router_; }
  bool draining() const { return draining_.load(); }
  net::thread_pool& blocking_pool() { return *blocking_pool_; }
  EventLoops& event_loops() { return loops_; }
  void Observe(const HttpExchange& exchange) {
    if (observer_) observer_(exchange);
  }
  void Unregister(std::uint64_t id, bool counted);
  std::atomic<std::uint64_t>& active_requests() { return active_requests_; }

  HttpRouter router_;
  std::function<void(const HttpExchange&)> observer_;
  std::function<std::optional<HttpResponse>(HttpRequest&)> guard_;
  std::uint16_t port_ = 0;

 private:
  void Accept();
  // Calls `action` on the strand of every live connection.
  void ForEachConnection(const std::function<void(const std::shared_ptr<Connection>&)>& action);
  bool WaitForNoConnections(Clock::time_point deadline) {
    std::unique_lock lock(registry_mutex_);
    return registry_changed_.wait_until(lock, deadline, [&] { return connections_.empty(); });
  }

  const HttpServerOptions options_;
  // The registry outlives the event loop: connections destroyed while the loop shuts down
  // unregister themselves.
  std::mutex registry_mutex_;
  std::condition_variable registry_changed_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::uint64_t next_connection_id_ = 0;
  std::atomic<std::uint64_t> open_connections_{0};
  std::atomic<std::uint64_t> active_requests_{0};
  std::atomic<std::uint64_t> accepted_connections_{0};
  std::atomic<std::uint64_t> rejected_connections_{0};
  std::atomic<bool> draining_{false};
  bool started_ = false;
  bool stopped_ = false;
  std::mutex stop_mutex_;

  EventLoops loops_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_timer_;
  std::optional<net::thread_pool> blocking_pool_;
};

// One client connection: reads requests one after the other (keep-alive), routes them, runs
// the handler and writes the response, enforcing the limits. Lives on its own strand; every
// member is touched only there, except what is handed to the blocking pool while the
// connection waits for it (request_ during a blocking handler, the channel of a stream).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl& server, tcp::socket socket, std::uint64_t id, bool counted)
      : server_(server),
        limits_(server.options().limits),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        id_(id),
        counted_(counted) {}

  ~Connection() {
    if (channel_) channel_->Cancel();
    server_.Unregister(id_, counted_);
  }

  net::any_io_executor executor() { return socket_.get_executor(); }

  void Start() {
    error_code error;
    tcp::endpoint remote = socket_.remote_endpoint(error);
    if (!error) remote_address_ = FormatEndpoint(remote);
    socket_.set_option(tcp::no_delay(true), error);
    if (!counted_) {
      keep_alive_ = false;
      exchange_open_ = true;
      RespondWithFault(HttpFault::kTooManyConnections,
                       fmt::format("the server already has its maximum of {} open connections "
                                   "(http.limits.maxConnections); retry later",
                                   limits_.max_connections));
      return;
    }
    WaitForRequest();
  }

  // The server is shutting down: close now if idle, else after the current response.
  void BeginDrain() {
    drain_requested_ = true;
    if (phase_ == Phase::kIdle) Close();
    if (channel_) channel_->BeginDrain();
  }

  // The drain deadline has passed: cut the connection whatever it is doing.
  void ForceClose() { Close(); }

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kStreaming, kClosing };

  // Waits for the first byte of the next request under the idle timeout.
  void WaitForRequest() {
    phase_ = Phase::kIdle;
    if (closed_) return;
    if (drain_requested_) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    // A fresh connection must send its first request as promptly as any request's bytes.
    ArmTimer(served_requests_ == 0 ? limits_.request_timeout : limits_.idle_timeout);
    socket_.async_read_some(
        buffer_.prepare(kFirstReadBytes),
        [self = shared_from_this()](const error_code& error, std::size_t bytes) {
          if (error) return self->Close();  // the client closed, or the idle timeout did
          self->buffer_.commit(bytes);
          self->ReadHeader();
        });
  }

  void ReadHeader() {
    phase_ = Phase::kReading;
    request_start_ = Clock::now();
    exchange_open_ = true;
    ++served_requests_;
    timed_out_ = false;
    request_ = HttpRequest();
    request_read_ = false;
    route_ = nullptr;
    ArmTimer(limits_.request_timeout);
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits_.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(boost::none);  // checked against the route's limit after the header
    http::async_read_header(socket_, buffer_, *parser_,
                            [self = shared_from_this()](const error_code& error, std::size_t) {
                              self->OnHeader(error);
                            });
  }

  void OnHeader(const error_code& error) {
    if (error) return OnReadError(error);
    const auto& message = parser_->get();
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    request_.remote_address = remote_address_;
    for (const auto& field : message) {
      request_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    keep_alive_ = message.keep_alive();

    if (std::optional<std::string> coding = UnsupportedTransferEncoding(message)) {
      // Where this body ends is unknown: nothing after the header can be trusted.
      keep_alive_ = false;
      return RespondWithFault(
          HttpFault::kUnsupportedTransferCoding,
          fmt::format("Transfer-Encoding '{}' is not supported: this server decodes only "
                      "'Transfer-Encoding: chunked' (alone), or a body of Content-Length bytes; "
                      "the connection is closed",
                      *coding));
    }

    Result<HttpTarget> target = ParseHttpTarget(request_.target);
    if (!target.ok()) {
      keep_alive_ = keep_alive_ && parser_->is_done();
      return RespondWithFault(HttpFault::kBadTarget, target.status().message());
    }
    request_.path = target->path;
    request_.encoded_path = target->encoded_path;
    request_.query = std::move(target->query);
    // Messages quote the path as sent: decoded, it could hold control characters or bytes that
    // are not UTF-8, which would be echoed raw.
    const std::string& sent_path = request_.encoded_path;
    RouteMatch match = server_.router().Match(request_.method, target->segments);
    route_ = match.route;
    std::uint64_t body_limit = limits_.max_body_bytes;
    if (route_ != nullptr) {
      request_.route = route_->pattern;
      request_.path_params = std::move(match.params);
      body_limit = route_->options.max_body_bytes.value_or(body_limit);
    }
    if (auto length = parser_->content_length(); length && *length > body_limit) {
      keep_alive_ = false;
      return RespondWithFault(
          HttpFault::kBodyTooLarge,
          fmt::format("the request body of {} bytes is larger than the limit of {} bytes{}",
                      *length, body_limit,
                      route_ == nullptr ? "" : fmt::format(" for {}", route_->pattern)));
    }
    if (route_ == nullptr) {
      keep_alive_ = keep_alive_ && parser_->is_done();
      if (!match.allowed_methods.empty()) {
        std::string allowed = fmt::format("{}", fmt::join(match.allowed_methods, ", "));
        HttpResponse response = ErrorResponse(HttpFault::kMethodNotAllowed,
                                              fmt::format("{} is not allowed on {}; allowed: {}",
                                                          request_.method, sent_path, allowed));
        response.headers.emplace_back("Allow", allowed);
        return WriteWhole(std::move(response));
      }
      return RespondWithFault(HttpFault::kRouteNotFound,
                              fmt::format("no route for {} {}", request_.method, sent_path));
    }
    if (server_.guard_) {
      if (std::optional<HttpResponse> refused = server_.guard_(request_)) {
        keep_alive_ = keep_alive_ && parser_->is_done();  // an unread body ends the connection
        return WriteWhole(std::move(*refused));
      }
    }
    if (!parser_->is_done()) {
      if (std::optional<std::string> coding = UnsupportedContentEncoding(message)) {
        keep_alive_ = false;  // the body is not read
        HttpResponse response = ErrorResponse(
            HttpFault::kUnsupportedMediaType,
            fmt::format("Content-Encoding '{}' is not supported: {} {} reads the body as it is "
                        "sent (identity); send it uncompressed, without Content-Encoding",
                        *coding, request_.method, route_->pattern));
        response.headers.emplace_back("Accept-Encoding", "identity");  // RFC 9110 15.5.16
        return WriteWhole(std::move(response));
      }
    }
    parser_->body_limit(body_limit);
    if (parser_->is_done()) return OnBody({});
    auto expect = message.find(http::field::expect);
    if (expect != message.end() && beast::iequals(expect->value(), "100-continue")) {
      interim_.emplace(http::status::continue_, message.version());
      return http::async_write(socket_, *interim_,
                               [self = shared_from_this()](const error_code& error, std::size_t) {
                                 if (error) return self->OnReadError(error);
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& error, std::size_t) { self->OnBody(error); });
  }

  void OnBody(const error_code& error) {
    if (error) return OnReadError(error);
    DisarmTimer();
    request_.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive();
    version_ = parser_->get().version();
    parser_.reset();
    request_read_ = true;
    Dispatch();
  }

  void OnReadError(const error_code& error) {
    if (closed_) return;
    keep_alive_ = false;
    if (timed_out_) {
      return RespondWithFault(
          HttpFault::kRequestTimeout,
          fmt::format("the request did not arrive within {} (http.limits.requestTimeout); the "
                      "connection is closed",
                      FormatDuration(limits_.request_timeout)));
    }
    if (error == http::error::header_limit) {
      return RespondWithFault(HttpFault::kHeaderTooLarge,
                              fmt::format("the request line and headers are larger than {} bytes "
                                          "(http.limits.maxHeaderBytes)",
                                          limits_.max_header_bytes));
    }
    if (error == http::error::body_limit) {
      return RespondWithFault(HttpFault::kBodyTooLarge,
                              fmt::format("the request body is larger than the limit of {} bytes",
                                          route_ != nullptr && route_->options.max_body_bytes
                                              ? *route_->options.max_body_bytes
                                              : limits_.max_body_bytes));
    }
    if (error == http::error::end_of_stream || error == http::error::partial_message ||
        !IsHttpParseError(error)) {
      return Close();  // the client went away (or a socket error): nobody to answer
    }
    RespondWithFault(HttpFault::kMalformedRequest,
                     fmt::format("malformed HTTP request: {}", error.message()));
  }

  void Dispatch() {
    phase_ = Phase::kHandling;
    in_request_ = true;
    server_.active_requests()++;
    if (route_->options.mode == HandlerMode::kBlocking) {
      net::post(server_.blocking_pool(), [self = shared_from_this()] {
        HttpResponse response = self->RunHandler();
        net::post(self->executor(), [self, response = std::move(response)]() mutable {
          self->OnHandled(std::move(response));
        });
      });
      return;
    }
    OnHandled(RunHandler());
  }

  HttpResponse RunHandler() {
    try {
      return route_->handler(request_);
    } catch (const std::exception& error) {
      return ErrorResponse(Status::Internal("the handler of {} {} failed: {}", route_->method,
                                            route_->pattern, error.what()));
    } catch (...) {
      return ErrorResponse(
          Status::Internal("the handler of {} {} failed", route_->method, route_->pattern));
    }
  }

  void OnHandled(HttpResponse response) {
    if (closed_) return FinishExchange(response.status, 0);
    if (response.producer && request_.method != "HEAD") return StartStream(std::move(response));
    WriteWhole(std::move(response));
  }

  void RespondWithFault(HttpFault fault, std::string message) {
    WriteWhole(ErrorResponse(fault, message));
  }

  bool KeepAlive() const { return keep_alive_ && !drain_requested_ && !server_.draining(); }

  template <typename Message>
  void SetCommonHeaders(Message& message, const HttpResponse& response) {
    message.set(http::field::server, kServerName);
    message.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
      // A line break in a value would end the header and start another the client did not
      // ask for; handlers quote only escaped text, and this keeps a slip from becoming one.
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        std::string flat = value;
        std::replace_if(
            flat.begin(), flat.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; },
            ' ');
        message.insert(name, flat);
      } else {
        message.insert(name, value);
      }
    }
    message.keep_alive(KeepAlive());
  }

  void WriteWhole(HttpResponse response) {
    phase_ = Phase::kWriting;
    if (closed_) return FinishExchange(response.status, 0);
    auto& message =
        whole_.emplace(static_cast<http::status>(response.status), version_ == 10 ? 10 : 11);
    SetCommonHeaders(message, response);
    message.body() = std::move(response.body);
    message.prepare_payload();
    if (request_.method == "HEAD") message.body().clear();  // keeps the Content-Length
    // Reported when handed to the socket, so a client that reads this response and then asks
    // for /metrics finds it counted.
    FinishExchange(response.status, message.body().size());
    ArmTimer(limits_.write_timeout);
    http::async_write(socket_, message,
                      [self = shared_from_this()](const error_code& error, std::size_t bytes) {
                        self->OnWholeWritten(error, bytes);
                      });
  }

  void OnWholeWritten(const error_code& error, std::size_t) {
    DisarmTimer();
    bool keep_alive = whole_->keep_alive();
    whole_.reset();
    if (error) return Close();
    if (!keep_alive) return LingeringClose();
    WaitForRequest();
  }

  // Streams a producer's chunks with chunked transfer encoding, as the socket drains.
  void StartStream(HttpResponse response) {
    phase_ = Phase::kStreaming;
    stream_response_ = std::move(response);
    headers_sent_ = false;
    stream_bytes_ = 0;
    std::weak_ptr<Connection> weak = shared_from_this();
    channel_ = std::make_shared<BodyChannel>(limits_.stream_buffer_bytes, [weak] {
      if (auto self = weak.lock()) net::post(self->executor(), [self] { self->Pump(); });
    });
    if (drain_requested_ || server_.draining()) channel_->BeginDrain();
    // The producer keeps the connection alive: while it runs, nothing else may be pending on
    // the connection (it waits for chunks), and its end must still reach Pump.
    net::post(server_.blocking_pool(), [self = shared_from_this(), channel = channel_,
                                        producer = std::move(stream_response_.producer)] {
      Status result;
      try {
        result = producer(*channel);
      } catch (const std::exception& error) {
        result = Status::Internal("the body producer failed: {}", error.what());
      } catch (...) {
        result = Status::Internal("the body producer failed");
      }
      channel->Finish(std::move(result));
    });
    Pump();
  }

  void Pump() {
    if (closed_ || writing_ || phase_ != Phase::kStreaming) return;
    BodyChannel::Batch batch = channel_->Take();
    if (!headers_sent_) {
      if (batch.finished && !batch.started && !batch.failure.ok()) {
        channel_.reset();
        return WriteWhole(ErrorResponse(batch.failure));  // nothing sent yet: a clean error
      }
      if (batch.chunks.empty() && !batch.finished) return;  // wait for the first chunk
      auto& header = stream_header_.emplace(static_cast<http::status>(stream_response_.status),
                                            version_ == 10 ? 10 : 11);
      SetCommonHeaders(header, stream_response_);
      header.set(http::field::cache_control, "no-cache");
      header.chunked(true);
      serializer_.emplace(header);
      writing_ = true;
      ArmTimer(limits_.write_timeout);
      http::async_write_header(socket_, *serializer_,
                               [self = shared_from_this(), batch = std::move(batch)](
                                   const error_code& error, std::size_t bytes) mutable {
                                 self->DisarmTimer();
                                 self->writing_ = false;
                                 if (error) return self->AbortStream();
                                 self->headers_sent_ = true;
                                 self->WriteBatch(std::move(batch));
                               });
      return;
    }
    WriteBatch(std::move(batch));
  }

  void WriteBatch(BodyChannel::Batch batch) {
    if (closed_) return;
    if (!batch.chunks.empty()) {
      in_flight_ = std::move(batch.chunks);
      std::vector<net::const_buffer> buffers;
      std::size_t total = 0;
      for (const std::string& chunk : in_flight_) {
        buffers.emplace_back(chunk.data(), chunk.size());
        total += chunk.size();
      }
      writing_ = true;
      ArmTimer(limits_.write_timeout);
      net::async_write(
          socket_, http::make_chunk(buffers),
          [self = shared_from_this(), total](const error_code& error, std::size_t bytes) {
            self->DisarmTimer();
            self->writing_ = false;
            self->in_flight_.clear();
            if (error) return self->AbortStream();
            self->stream_bytes_ += total;
            self->channel_->Sent(total);
            self->Pump();
          });
      return;
    }
    if (!batch.finished) return;  // the channel wakes Pump when more arrives
    if (!batch.failure.ok()) {
      // The headers are gone: cut the body so the client sees it incomplete, not truncated.
      std::fprintf(stderr, "quanta http: stream of %s %s failed after it started: %s\n",
                   request_.method.c_str(), request_.target.c_str(),
                   batch.failure.ToString().c_str());
      return AbortStream();
    }
    FinishExchange(stream_response_.status, stream_bytes_);
    writing_ = true;
    ArmTimer(limits_.write_timeout);
    net::async_write(socket_, http::make_chunk_last(),
                     [self = shared_from_this()](const error_code& error, std::size_t) {
                       self->DisarmTimer();
                       self->writing_ = false;
                       bool keep_alive = self->stream_header_->keep_alive();
                       self->EndStream();
                       if (error) return self->Close();
                       if (!keep_alive) return self->LingeringClose();
                       self->WaitForRequest();
                     });
  }

  void EndStream() {
    FinishExchange(stream_response_.status, stream_bytes_);
    serializer_.reset();
    stream_header_.reset();
    channel_.reset();
  }

  void AbortStream() {
    if (channel_) channel_->Cancel();
    EndStream();
    Close();
  }

  // Reports the exchange once and releases its place among the active requests.
  void FinishExchange(int status, std::size_t bytes) {
    if (!exchange_open_) return;
    exchange_open_ = false;
    HttpExchange exchange;
    exchange.method = request_.method;
    exchange.route = route_ != nullptr ? route_->pattern : std::string();
    exchange.status = status;
    exchange.duration = Clock::now() - request_start_;
    exchange.response_bytes = bytes;
    if (in_request_) {
      in_request_ = false;
      server_.active_requests()--;
    }
    server_.Observe(exchange);
  }

  // Ends a connection after its last response. When the whole request was read, closes at
  // once. Otherwise (an error answered before the body arrived) stops sending, then reads and
  // drops what the client still sends for a short while, so that it reads our response
  // instead of a connection reset.
  void LingeringClose() {
    phase_ = Phase::kClosing;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    if (request_read_ && buffer_.size() == 0) return Close();
    ArmTimer(std::min(kLingerTime, limits_.request_timeout));
    Discard();
  }

  void Discard() {
    discard_.resize(64 * 1024);
    socket_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](const error_code& error, std::size_t) {
                              if (error) return self->Close();
                              self->Discard();
                            });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    DisarmTimer();
    if (channel_) {
      channel_->Cancel();
      FinishExchange(stream_response_.status, stream_bytes_);
    }
    if (phase_ == Phase::kIdle || phase_ == Phase::kReading) exchange_open_ = false;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  void ArmTimer(std::chrono::milliseconds duration) {
    std::uint64_t generation = ++timer_generation_;
    timer_.expires_after(duration);
    timer_.async_wait([self = shared_from_this(), generation](const error_code& error) {
      if (error || generation != self->timer_generation_ || self->closed_) return;
      self->OnTimeout();
    });
  }

  void DisarmTimer() {
    ++timer_generation_;
    timer_.cancel();
  }

  void OnTimeout() {
    if (phase_ == Phase::kReading) {
      // Slow client: stop reading, then answer 408 from the read's completion.
      timed_out_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      return;
    }
    Close();  // idle, a client that stopped reading, or the end of lingering
  }

  HttpServer::Impl& server_;
  const HttpLimits& limits_;
  tcp::socket socket_;
  net::steady_timer timer_;
  const std::uint64_t id_;
  const bool counted_;
  std::string remote_address_;

  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> interim_;
  HttpRequest request_;
  const Route* route_ = nullptr;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  Clock::time_point request_start_ = Clock::now();
  std::uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool closed_ = false;
  bool drain_requested_ = false;
  bool request_read_ = false;   // the current request was read to its end
  bool in_request_ = false;     // dispatched to a handler, counted in active requests
  bool exchange_open_ = false;  // a request began and its exchange is not reported yet
  std::uint64_t served_requests_ = 0;
  std::vector<char> discard_;

  std::optional<http::response<http::string_body>> whole_;

  HttpResponse stream_response_;
  std::shared_ptr<BodyChannel> channel_;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::vector<std::string> in_flight_;
  bool headers_sent_ = false;
  bool writing_ = false;
  std::size_t stream_bytes_ = 0;
};

void HttpServer::Impl::Accept() {
  auto strand = net::make_strand(loops_.Next().context());  // the next connection's loop
  acceptor_.async_accept(strand, [this](const error_code& error, tcp::socket socket) {
    if (error) {
      if (error == net::error::operation_aborted || !acceptor_.is_open()) return;
      // Out of file descriptors or similar: wait a moment instead of spinning.
      accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
      accept_retry_timer_.async_wait([this](const error_code& wait_error) {
        if (!wait_error && acceptor_.is_open()) Accept();
      });
      return;
    }
    if (draining_.load()) {
      error_code ignored;
      socket.close(ignored);
      return;
    }
    bool counted = open_connections_.load() < options_.limits.max_connections;
    (counted ? accepted_connections_ : rejected_connections_)++;
    if (counted) open_connections_++;
    std::shared_ptr<Connection> connection;
    {
      std::lock_guard lock(registry_mutex_);
      std::uint64_t id = next_connection_id_++;
      connection = std::make_shared<Connection>(*this, std::move(socket), id, counted);
      connections_[id] = connection;
    }
    net::dispatch(connection->executor(), [connection] { connection->Start(); });
    Accept();
  });
}

void HttpServer::Impl::Unregister(std::uint64_t id, bool counted) {
  {
    std::lock_guard lock(registry_mutex_);
    connections_.erase(id);
    if (counted) open_connections_--;
  }
  registry_changed_.notify_all();
}

void HttpServer::Impl::ForEachConnection(
    const std::function<void(const std::shared_ptr<Connection>&)>& action) {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(registry_mutex_);
    for (auto& [id, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) {
    net::post(connection->executor(), [connection, action] { action(connection); });
  }
}

DrainOutcome HttpServer::Impl::Stop(std::chrono::milliseconds drain_timeout) {
  std::lock_guard stop_lock(stop_mutex_);
  DrainOutcome outcome;
  if (!started_ || stopped_) return outcome;
  stopped_ = true;
  draining_ = true;
  Clock::time_point deadline = Clock::now() + drain_timeout;
  net::post(acceptor_.get_executor(), [this] {
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_timer_.cancel();
  });
  ForEachConnection(
      [](const std::shared_ptr<Connection>& connection) { connection->BeginDrain(); });
  if (!WaitForNoConnections(deadline)) {
    outcome.clean = false;
    {
      std::lock_guard lock(registry_mutex_);
      outcome.forced_connections = connections_.size();
    }
    ForEachConnection(
        [](const std::shared_ptr<Connection>& connection) { connection->ForceClose(); });
  }
  // Producers and blocking handlers see their connection cancelled and return; wait for them
  // while the event loop still runs, so that what they post back finds it alive.
  blocking_pool_->join();
  WaitForNoConnections(Clock::now() + std::chrono::seconds(5));
  loops_.Stop();
  return outcome;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Listen(HttpServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  QUANTA_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpRouter& HttpServer::router() { return impl_->router_; }

void HttpServer::SetExchangeObserver(std::function<void(const HttpExchange&)> observer) {
  impl_->observer_ = std::move(observer);
}

void HttpServer::SetRequestGuard(std::function<std::optional<HttpResponse>(HttpRequest&)> guard) {
  impl_->guard_ = std::move(guard);
}

Status HttpServer::Start() { return impl_->Start(); }

DrainOutcome HttpServer::Stop(std::chrono::milliseconds drain_timeout) {
  return impl_->Stop(drain_timeout);
}

bool HttpServer::draining() const { return impl_->draining(); }

std::uint16_t HttpServer::port() const { return impl_->port_; }

std::string HttpServer::url() const { return impl_->Url(); }

HttpServerStats HttpServer::stats() const { return impl_->Stats(); }

EventLoops& HttpServer::event_loops() { return impl_->event_loops(); }

}  // namespace quanta::ports
