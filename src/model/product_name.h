#pragma once

#include <string_view>

namespace quanta::model {

/// What a product's domain and name must be, for messages and --help. Both become folder
/// names on a node, SQL schema names and parts of URLs, so they stay within one safe alphabet.
inline constexpr std::string_view kProductNameRule =
    "1 to 64 characters of a-z, 0-9, '-' and '_', starting with a letter or a digit";

/// True when `name` follows kProductNameRule. The one rule that init, lint and the node apply.
bool IsProductName(std::string_view name);

}  // namespace quanta::model
