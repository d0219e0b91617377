#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quanta::ports {

// Reading the values of HTTP header fields (RFC 9110 section 5.6).

/// The elements of a comma-separated field value ("gzip, chunked" -> {"gzip", "chunked"}),
/// each without the spaces and tabs around it; empty elements ("a,,b") are dropped, as
/// RFC 9110 section 5.6.1 asks of a recipient. The views point into `value`.
std::vector<std::string_view> SplitFieldList(std::string_view value);

/// The media type of a Content-Type value without its parameters, in lower case (types are
/// case-insensitive): "Application/JSON; charset=utf-8" -> "application/json". Empty when
/// `value` is empty or blank.
std::string MediaTypeOf(std::string_view value);

}  // namespace quanta::ports
