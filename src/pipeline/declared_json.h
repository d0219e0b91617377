#pragma once

#include <string_view>
#include <unordered_set>

#include "model/yaml_document.h"

namespace quanta::pipeline {

/// The top-level keys a port's records may have that the checks and the transform read.
using DeclaredNames = std::unordered_set<std::string_view>;

/// `text` read as nlohmann-json reads it (numbers, strings and errors alike), keeping of a
/// top-level object only the members `declared` names: all that the checks and the rows loaded
/// read. In every object a repeated key keeps its first place and its last value, and keys keep
/// the order they were sent in. Discarded (is_discarded()) when `text` is not JSON.
///
/// Takes time in proportion to `text`, however many keys an object has: an ordered object
/// compares each new key with every key before it, which made an object of 200000 keys inside
/// a JSON or STRUCT field cost the square of that. Recurses not at all, so the caller need not
/// bound the nesting. Thread-safe.
model::Json ParseDeclared(std::string_view text, const DeclaredNames& declared);

}  // namespace quanta::pipeline
