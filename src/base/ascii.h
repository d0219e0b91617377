#pragma once

#include <string>
#include <string_view>

namespace quanta {

// ASCII case and blank handling for identifiers, type names and keywords, which are ASCII in
// every format Quanta reads (SQL, ODCS, Avro, JSON Schema). Bytes above 0x7F pass unchanged.

/// `text` with A-Z turned into a-z.
std::string AsciiLower(std::string_view text);
/// `text` with a-z turned into A-Z.
std::string AsciiUpper(std::string_view text);
/// `text` without leading and trailing spaces, tabs, carriage returns and newlines.
std::string_view TrimBlanks(std::string_view text);

}  // namespace quanta
