#pragma once

#include <cstddef>
#include <optional>
#include <span>
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

/// Content negotiation over an Accept value (RFC 9110 section 12.5.1): the index of the offer
/// (a media type such as "application/json", in lower case) that `accept` prefers. Each offer
/// takes the q-value of the most specific range that matches it (type/subtype, then type/*,
/// then */*; q=1 when not given); the highest q wins, a tie goes to the offer whose range comes
/// first in `accept`, then to the earlier offer. q=0 means "not acceptable", and so does an
/// offer no range matches. nullopt when no offer is acceptable; 0, the first offer, when
/// `accept` is absent or blank. Elements that are not a media range, or whose q is not a
/// number from 0 to 1, are skipped.
std::optional<std::size_t> NegotiateMediaType(const std::optional<std::string>& accept,
                                              std::span<const std::string_view> offers);

}  // namespace quanta::ports
