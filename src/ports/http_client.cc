#include "ports/http_client.h"

#include <fmt/format.h>
#include <strings.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace quanta::ports {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

constexpr std::size_t kQuotedBodyBytes = 200;

std::string Quote(std::string_view body) {
  std::string text(body.substr(0, kQuotedBodyBytes));
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (body.size() > kQuotedBodyBytes) text += "...";
  return text;
}

std::string Seconds(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return fmt::format("{}s", timeout.count() / 1000);
  return fmt::format("{}ms", timeout.count());
}

// The error code whose table name is `name`, if any.
std::optional<ErrorCode> CodeNamed(std::string_view name) {
  for (int i = static_cast<int>(ErrorCode::kUsage); i <= static_cast<int>(ErrorCode::kInternal);
       ++i) {
    auto code = static_cast<ErrorCode>(i);
    if (InfoFor(code).name == name) return code;
  }
  return std::nullopt;
}

ErrorCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400:
    case 405:
    case 413:
    case 431:
      return ErrorCode::kUsage;
    case 401:
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kIncompatible;
    case 422:
      return ErrorCode::kInvalidDocument;
    case 501:
      return ErrorCode::kNotSupported;
    default:
      return status >= 500 ? ErrorCode::kIoError : ErrorCode::kUsage;
  }
}

bool IsClosedByPeer(const boost::system::error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::connection_reset || error == asio::error::broken_pipe;
}

}  // namespace

Result<NodeAddress> ParseNodeUrl(std::string_view url) {
  auto fail = [&](std::string_view reason) {
    return Status::Usage(
        "'{}' is not a node URL: {}; expected http://HOST:PORT, e.g. "
        "http://127.0.0.1:7070",
        url, reason);
  };
  if (url.find("://") == std::string_view::npos) return fail("it does not start with http://");
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return fail(parsed.error().message());
  const boost::urls::url_view& view = *parsed;
  std::string scheme(view.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "https") return fail("https is not supported yet; use http");
  if (scheme != "http") return fail(fmt::format("the scheme must be http, not '{}'", scheme));
  if (!view.has_authority() || view.host().empty()) return fail("it names no host");
  if (view.has_userinfo()) return fail("user names and passwords are not supported");
  if (view.has_query() || view.has_fragment()) return fail("it must not have a query or fragment");
  NodeAddress address;
  address.host = std::string(view.host_address());  // without the brackets of an IPv6 literal
  if (view.has_port()) {
    std::string_view port = view.port();
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return fail(fmt::format("'{}' is not a port (1-65535)", port));
    }
    address.port = static_cast<std::uint16_t>(value);
  }
  address.base_path = std::string(view.encoded_path());
  while (!address.base_path.empty() && address.base_path.back() == '/') {
    address.base_path.pop_back();
  }
  address.url = std::string(url);
  while (!address.url.empty() && address.url.back() == '/') address.url.pop_back();
  return address;
}

std::optional<std::string> HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return std::nullopt;
}

Result<nlohmann::json> HttpClientResponse::JsonBody() const {
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Status::Invalid("the node answered {} with a body that is not JSON: '{}'", status,
                           Quote(body));
  }
  return value;
}

Status HttpClientResponse::ErrorStatus() const {
  if (success()) return Status::Ok();
  nlohmann::json value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded() && value.is_object() && value.contains("error") &&
      value["error"].is_object() && value["error"].contains("message") &&
      value["error"]["message"].is_string()) {
    const nlohmann::json& error = value["error"];
    std::optional<ErrorCode> code;
    if (error.contains("code") && error["code"].is_string()) {
      code = CodeNamed(error["code"].get<std::string>());
    }
    return Status(code.value_or(CodeForHttpStatus(status)), error["message"].get<std::string>());
  }
  // Every answer of a node's API carries its JSON error: this came from something else (a
  // proxy in the way, another server on that port), which the caller could not reach past.
  std::string reason(http::obsolete_reason(static_cast<http::status>(status)));
  return Status(ErrorCode::kIoError,
                fmt::format("the server answered {} {} with a body that is not a Quanta error: "
                            "'{}'; is it a Quanta node? (`quanta node` prints the URL it serves)",
                            status, reason, Quote(body)));
}

// One TCP connection and the buffer of what was read past the last response.
class HttpClient::Connection {
 public:
  Connection() : stream(io_context) {}
  asio::io_context io_context;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool used = false;  // a response was read on it already (so the node may have closed it)
};

HttpClient::HttpClient(NodeAddress address, HttpClientOptions options)
    : address_(std::move(address)), options_(options) {}

HttpClient::~HttpClient() = default;

Result<HttpClientResponse> HttpClient::Send(const HttpClientRequest& request) {
  bool reused = false;
  Result<HttpClientResponse> response = SendOnce(request, &reused);
  if (!response.ok() && reused) {
    connection_.reset();
    response = SendOnce(request, &reused);
  }
  if (!response.ok()) connection_.reset();
  return response;
}

Result<HttpClientResponse> HttpClient::SendOnce(const HttpClientRequest& request, bool* reused) {
  const std::string what = fmt::format("{} {}{}", request.method, address_.url, request.target);
  *reused = false;
  if (connection_ == nullptr) {
    auto connection = std::make_unique<Connection>();
    asio::ip::tcp::resolver resolver(connection->io_context);
    boost::system::error_code resolve_error = asio::error::timed_out;
    asio::ip::tcp::resolver::results_type endpoints;
    resolver.async_resolve(
        address_.host, std::to_string(address_.port),
        [&](const boost::system::error_code& error, asio::ip::tcp::resolver::results_type results) {
          resolve_error = error;
          endpoints = std::move(results);
        });
    connection->io_context.run_for(options_.timeout);
    if (!connection->io_context.stopped()) {
      resolver.cancel();
      connection->io_context.run();
      resolve_error = asio::error::timed_out;
    }
    if (resolve_error) {
      return Status::IoError(
          "cannot find the node's host '{}' of {} ({}); check --node or "
          "QUANTA_NODE",
          address_.host, address_.url, resolve_error.message());
    }
    boost::system::error_code connect_error = asio::error::timed_out;
    connection->stream.expires_after(options_.timeout);
    connection->stream.async_connect(endpoints, [&](const boost::system::error_code& error,
                                                    const auto&) { connect_error = error; });
    connection->io_context.restart();
    connection->io_context.run();
    if (connect_error == asio::error::connection_refused) {
      return Status::IoError(
          "no node listening at {}; start one with `quanta node`, or point --node (or "
          "QUANTA_NODE) at a running one",
          address_.url);
    }
    if (connect_error == beast::error::timeout) {
      return Status::IoError("could not connect to the node at {} within {}", address_.url,
                             Seconds(options_.timeout));
    }
    if (connect_error) {
      return Status::IoError("could not connect to the node at {}: {}", address_.url,
                             connect_error.message());
    }
    connection_ = std::move(connection);
  } else {
    *reused = connection_->used;
  }
  Connection& connection = *connection_;

  http::request<http::string_body> message;
  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    message.method_string(request.method);
  } else {
    message.method(verb);
  }
  message.target(address_.base_path + request.target);
  message.version(11);
  std::string host = address_.host.find(':') == std::string::npos
                         ? address_.host
                         : fmt::format("[{}]", address_.host);  // an IPv6 literal
  message.set(http::field::host, fmt::format("{}:{}", host, address_.port));
  message.set(http::field::user_agent, "quanta-cli");
  if (!request.content_type.empty()) message.set(http::field::content_type, request.content_type);
  for (const auto& [name, value] : request.headers) message.set(name, value);
  message.body() = request.body;
  message.prepare_payload();

  boost::system::error_code write_error = asio::error::timed_out;
  connection.stream.expires_after(options_.timeout);
  http::async_write(
      connection.stream, message,
      [&](const boost::system::error_code& error, std::size_t) { write_error = error; });
  connection.io_context.restart();
  connection.io_context.run();
  if (write_error == beast::error::timeout) {
    *reused = false;
    return Status::IoError("{}: the node did not take the request within {}", what,
                           Seconds(options_.timeout));
  }
  // A node may answer (413, for one) and close before it has read the whole body: read its
  // answer even when writing failed.

  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.header_limit(1024 * 1024);
  parser.skip(request.method == "HEAD");
  boost::system::error_code read_error = asio::error::timed_out;
  connection.stream.expires_after(options_.timeout);
  http::async_read(
      connection.stream, connection.buffer, parser,
      [&](const boost::system::error_code& error, std::size_t) { read_error = error; });
  connection.io_context.restart();
  connection.io_context.run();
  if (read_error && (parser.got_some() || !IsClosedByPeer(read_error))) {
    // Only a connection the node had closed before answering may carry the request again.
    *reused = false;
  }
  if (read_error == beast::error::timeout) {
    return Status::IoError("{}: no answer from the node within {}", what,
                           Seconds(options_.timeout));
  }
  if (read_error) {
    if (write_error && !IsClosedByPeer(write_error)) {
      return Status::IoError("{}: sending the request failed: {}", what, write_error.message());
    }
    if (IsClosedByPeer(read_error) && !parser.got_some()) {
      return Status::IoError("{}: the node closed the connection without answering", what);
    }
    return Status::IoError("{}: the node's answer was cut short ({})", what, read_error.message());
  }

  HttpClientResponse response;
  http::response<http::string_body>& reply = parser.get();
  response.status = reply.result_int();
  for (const auto& field : reply.base()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(reply.body());
  if (!reply.keep_alive() || write_error) {
    connection_.reset();
  } else {
    connection.used = true;
  }
  return response;
}

Result<HttpClientResponse> HttpRequestTo(const std::string& url_base,
                                         const HttpClientRequest& request,
                                         HttpClientOptions options) {
  QUANTA_ASSIGN_OR_RETURN(NodeAddress address, ParseNodeUrl(url_base));
  HttpClient client(std::move(address), options);
  return client.Send(request);
}

}  // namespace quanta::ports
