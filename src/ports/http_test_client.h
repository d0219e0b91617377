#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace quanta::ports::testing {

/// A response as a test reads it.
struct TestReply {
  int status = 0;
  std::string body;
  boost::beast::http::fields headers;
  bool keep_alive = true;
};

/// A deliberately simple HTTP/1.1 client for tests: it sends raw bytes (so tests can send
/// malformed or slow requests) and reads responses with Beast's parser, each step bounded by a
/// timeout. Test-only; not thread-safe.
class TestClient {
 public:
  /// Connects to 127.0.0.1:`port`; check connected().
  explicit TestClient(std::uint16_t port) : stream_(io_context_) {
    boost::system::error_code error;
    stream_.socket().connect(
        {boost::asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)}, error);
    connected_ = !error;
  }

  bool connected() const { return connected_; }

  /// Writes `bytes` as they are; false when the server has closed the connection.
  bool Send(std::string_view bytes) {
    boost::system::error_code error;
    boost::asio::write(stream_.socket(), boost::asio::buffer(bytes.data(), bytes.size()), error);
    return !error;
  }

  /// Sends a well-formed request.
  bool SendRequest(std::string_view method, std::string_view target, std::string_view body = {},
                   std::string_view extra_headers = {}) {
    std::string request = std::string(method) + " " + std::string(target) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + std::string(extra_headers);
    if (!body.empty() || method == "POST" || method == "PUT") {
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n";
    request += body;
    return Send(request);
  }

  /// Reads one whole response, or nothing when the connection closed or `timeout` passed.
  std::optional<TestReply> Read(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                bool head = false) {
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(boost::none);
    parser.skip(head);
    boost::system::error_code result = boost::asio::error::timed_out;
    stream_.expires_after(timeout);
    boost::beast::http::async_read(
        stream_, buffer_, parser,
        [&](const boost::system::error_code& error, std::size_t) { result = error; });
    io_context_.restart();
    io_context_.run();
    last_error_ = result;
    if (result) return std::nullopt;
    TestReply reply;
    reply.status = parser.get().result_int();
    reply.keep_alive = parser.get().keep_alive();
    reply.headers = parser.get().base();
    reply.body = std::move(parser.get().body());
    return reply;
  }

  /// Sends a request and reads its response.
  std::optional<TestReply> Request(std::string_view method, std::string_view target,
                                   std::string_view body = {},
                                   std::string_view extra_headers = {}) {
    if (!SendRequest(method, target, body, extra_headers)) return std::nullopt;
    return Read(std::chrono::seconds(10), method == "HEAD");
  }

  /// True when the server closes the connection within `timeout` (reading and dropping any
  /// bytes that arrive first).
  bool WaitForClose(std::chrono::milliseconds timeout) {
    bool closed = false;
    stream_.expires_after(timeout);
    char scratch[4096];
    std::function<void()> read_more = [&] {
      stream_.async_read_some(boost::asio::buffer(scratch),
                              [&](const boost::system::error_code& error, std::size_t) {
                                if (error == boost::beast::error::timeout) return;
                                if (error) {
                                  closed = true;
                                  return;
                                }
                                read_more();
                              });
    };
    read_more();
    io_context_.restart();
    io_context_.run();
    return closed;
  }

  /// The error of the last Read, e.g. end of stream when the server closed first.
  const boost::system::error_code& last_error() const { return last_error_; }

  boost::asio::ip::tcp::socket& socket() { return stream_.socket(); }

 private:
  boost::asio::io_context io_context_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
  boost::system::error_code last_error_;
};

}  // namespace quanta::ports::testing
