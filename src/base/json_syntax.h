#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace quanta {

/// Where and why a text is not one JSON value.
struct JsonSyntaxError {
  std::size_t offset = 0;  ///< the byte, from 0, where reading stopped (the size: at the end)
  std::string reason;      ///< "invalid literal", "unexpected end of input; expected '}'", ...
};

/// The first place where `text` stops being one JSON value (RFC 8259: UTF-8, no NaN or
/// Infinity, no lone surrogate escapes, nothing after the value but blanks), or nullopt when
/// it is one. The reason holds none of the text's own bytes, so it is valid UTF-8 whatever the
/// text. Reads without building the value: time linear in the text, memory in its nesting.
std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text);

/// "not valid JSON at byte 12: invalid literal" (or "... at its end (byte 40): ...") for a
/// text that is not one JSON value; "not valid JSON" should it turn out to be one.
std::string DescribeInvalidJson(std::string_view text);

}  // namespace quanta
