#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace quanta::ports {

/// Where a node listens, taken from a URL such as "http://127.0.0.1:7070".
struct NodeAddress {
  std::string host;         ///< "127.0.0.1", "localhost", "::1" (without brackets)
  std::uint16_t port = 80;  ///< 80 when the URL names none
  std::string base_path;    ///< a path prefix without the trailing '/', usually empty
  std::string url;          ///< the URL as given, without a trailing '/', for messages
};

/// Parses "http://HOST[:PORT][/PREFIX]" with Boost.URL. Fails (kUsage) on anything else:
/// another scheme (https is not supported yet), a missing host, a bad port, user info, a query
/// or a fragment; the message names the URL and shows the expected form.
Result<NodeAddress> ParseNodeUrl(std::string_view url);

/// One request for HttpClient::Send.
struct HttpClientRequest {
  std::string method = "GET";
  std::string target;  ///< origin form, already escaped: "/v1/products/orders/orders?purge=true"
  std::string body;
  std::string content_type;  ///< sent as Content-Type when not empty
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers
};

/// A whole response as the client read it.
struct HttpClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// True for a 2xx status.
  bool success() const { return status >= 200 && status < 300; }
  /// The first header called `name`, compared without case.
  std::optional<std::string> Header(std::string_view name) const;
  /// The body parsed as JSON. Fails (kInvalidDocument) when it is not JSON, quoting the start
  /// of the body.
  Result<nlohmann::json> JsonBody() const;
  /// What a failed response means as a Status: the code and message of a Quanta JSON error
  /// body ({"error": {"code", "message"}}), or, for any other body, the HTTP status and the
  /// start of the body. The code comes from the error table's name when it matches one, else
  /// from the HTTP status. Ok for a 2xx response.
  Status ErrorStatus() const;
};

/// How an HttpClient waits.
struct HttpClientOptions {
  /// Each of connecting, sending the request and reading the response must finish within this.
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
};

/// A small synchronous HTTP/1.1 client (Boost.Beast) for the command line: one keep-alive
/// connection to one node, opened at the first request and reopened when the node has closed
/// it. Not thread-safe: use one client per thread.
class HttpClient {
 public:
  /// A client for `address`; connects lazily, so it cannot fail.
  explicit HttpClient(NodeAddress address, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `request` and reads the whole response, whatever its status (an HTTP error is a
  /// response, not a failure; see HttpClientResponse::ErrorStatus). Fails with kIoError when
  /// the exchange itself fails: no node listening ("no node listening at URL; start one with
  /// `quanta node`"), a host that does not resolve, a timeout, a connection cut mid-response.
  /// A request sent on a kept-alive connection that the node had already closed is sent again
  /// once on a new connection.
  Result<HttpClientResponse> Send(const HttpClientRequest& request);

  const NodeAddress& address() const { return address_; }

 private:
  class Connection;
  Result<HttpClientResponse> SendOnce(const HttpClientRequest& request, bool* reused);

  NodeAddress address_;
  HttpClientOptions options_;
  std::unique_ptr<Connection> connection_;
};

/// Parses `url_base`, sends one request on a new connection and reads the response: the
/// one-shot form of HttpClient. Fails (kUsage) on a bad URL, else as HttpClient::Send.
Result<HttpClientResponse> HttpRequestTo(const std::string& url_base,
                                         const HttpClientRequest& request,
                                         HttpClientOptions options = {});

}  // namespace quanta::ports
