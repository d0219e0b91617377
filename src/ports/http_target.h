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
  std::string path;                   ///< "/v1/products/orders/x"
  std::vector<std::string> segments;  ///< {"v1", "products", "orders/x"}: "%2F" stays inside
  std::vector<std::pair<std::string, std::string>> query;
};

/// Parses an origin-form target. Fails (kUsage) when it is not one: an absolute URL, "*",
/// a bad percent escape, a character that must be escaped.
Result<HttpTarget> ParseHttpTarget(std::string_view target);

}  // namespace quanta::ports
