#pragma once

#include <cstddef>
#include <string_view>

namespace quanta {

/// The most arrays and objects that any JSON text may nest here: simdjson's limit. Deeper
/// text is refused before it reaches code that recurses once per level (nlohmann-json's
/// writer), so that a hostile body cannot exhaust a thread's stack.
inline constexpr std::size_t kMaxJsonNesting = 1024;

/// The deepest nesting of arrays and objects in `json`, brackets inside strings not counted.
/// Reads any bytes; does not check that they are JSON.
std::size_t JsonNestingDepth(std::string_view json);

}  // namespace quanta
