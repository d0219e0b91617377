#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace quanta::ports {

/// A request target ("/v1/products/orders%2Fx?limit=10&as_of=2026-01-01") taken apart with
/// Boost.URL: the decoded path, its decoded segments and the decoded query parameters in order
/// ('+' in the query means a space, as browsers and HTML forms send it).
struct HttpTarget {
  std::string path;  ///< "/v1/products/orders/x"
  /// The path as sent, its percent escapes kept ("/v1/products/orders%2Fx"): what a message
  /// may quote, since the parser allows no control character or other raw byte in it.
  std::string encoded_path;
  std::vector<std::string> segments;  ///< {"v1", "products", "orders/x"}: "%2F" stays inside
  std::vector<std::pair<std::string, std::string>> query;
};

/// Parses an origin-form target ("/v1/node?x=1"), or an absolute-form one
/// ("http://host:7070/v1/node?x=1", RFC 9112 section 3.2.2), of which only the path ("/" when
/// empty) and query are kept. Fails (kUsage) for anything else: "*", an authority alone, a
/// scheme other than http and https, an http URL without a host, a bad percent escape, a
/// character that must be escaped.
Result<HttpTarget> ParseHttpTarget(std::string_view target);

}  // namespace quanta::ports
