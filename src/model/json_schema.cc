#include "model/json_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <unordered_map>
#include <utility>

namespace quanta::model {
namespace schema_internal {

enum TypeBit : unsigned {
  kNullType = 1,
  kBooleanType = 2,
  kObjectType = 4,
  kArrayType = 8,
  kNumberType = 16,
  kStringType = 32,
  kIntegerType = 64,
};

enum class Format { kNone, kDate, kDateTime, kUri, kEmail };

/// One compiled schema object. Subschemas are indexes into the node table, so that $ref cycles
/// need no ownership cycles.
struct SchemaNode {
  std::string location;  ///< JSON pointer of this schema inside the schema document
  bool always_false = false;
  unsigned types = 0;  ///< TypeBit mask; 0 when there is no `type` keyword
  bool has_const = false;
  Json constant;
  bool has_enum = false;
  std::vector<Json> enumeration;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<std::size_t> min_length, max_length, min_items, max_items;
  bool unique_items = false;
  std::shared_ptr<const std::regex> pattern;
  std::string pattern_text;
  Format format = Format::kNone;
  std::vector<std::pair<std::string, int>> properties;
  std::unordered_map<std::string, int> property_index;
  std::vector<std::string> required;
  int additional = -1;
  int unevaluated = -1;
  int items = -1;
  int ref = -1;
  int not_schema = -1;
  int if_schema = -1;
  int then_schema = -1;
  int else_schema = -1;
  std::vector<int> all_of, any_of, one_of;
};

}  // namespace schema_internal

struct JsonSchema::Compiled {
  std::vector<schema_internal::SchemaNode> nodes;  ///< nodes[0] is the root schema
};

namespace {

using schema_internal::Format;
using schema_internal::SchemaNode;
using namespace schema_internal;  // TypeBit values

// Strings longer than this are not run through a pattern: std::regex recurses per character.
constexpr std::size_t kMaxPatternInput = 1000;

// Keywords of draft 2019-09 that change what is valid but that this validator does not
// implement: a schema using them is refused rather than silently half-checked.
const std::set<std::string, std::less<>> kUnsupportedKeywords = {
    "patternProperties", "propertyNames", "dependentRequired", "dependentSchemas",
    "dependencies",      "contains",      "minContains",       "maxContains",
    "multipleOf",        "minProperties", "maxProperties",     "unevaluatedItems",
    "additionalItems",   "$recursiveRef", "$dynamicRef",
};

// ---------------------------------------------------------------------------------------------
// JSON values: equality and hashing as JSON Schema defines them (1 == 1.0; key order ignored).

bool JsonEqual(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) {
      if (a.is_number_unsigned() || b.is_number_unsigned()) {
        bool a_negative = !a.is_number_unsigned() && a.get<std::int64_t>() < 0;
        bool b_negative = !b.is_number_unsigned() && b.get<std::int64_t>() < 0;
        if (a_negative || b_negative) return a_negative && b_negative && a == b;
        return a.get<std::uint64_t>() == b.get<std::uint64_t>();
      }
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    }
    return a.get<double>() == b.get<double>();
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JsonEqual(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

std::size_t Mix(std::size_t seed, std::size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

// A hash that agrees with JsonEqual: equal values hash equally.
std::size_t JsonHash(const Json& value) {
  switch (value.type()) {
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: {
      double number = value.get<double>();
      return std::hash<double>{}(number == 0 ? 0.0 : number);
    }
    case Json::value_t::string:
      return std::hash<std::string>{}(value.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return value.get<bool>() ? 3 : 5;
    case Json::value_t::array: {
      std::size_t seed = 7;
      for (const Json& item : value) seed = Mix(seed, JsonHash(item));
      return seed;
    }
    case Json::value_t::object: {
      std::size_t sum = 11;  // order-independent: a sum of per-member hashes
      for (auto it = value.begin(); it != value.end(); ++it) {
        sum += Mix(std::hash<std::string>{}(it.key()), JsonHash(*it));
      }
      return sum;
    }
    default:
      return 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Wording.

std::string UnescapeToken(std::string token) {
  for (std::size_t p = 0; (p = token.find("~1", p)) != std::string::npos; ++p)
    token.replace(p, 2, "/");
  for (std::size_t p = 0; (p = token.find("~0", p)) != std::string::npos; ++p)
    token.replace(p, 2, "~");
  return token;
}

bool IsIndex(std::string_view token) {
  return !token.empty() && token.find_first_not_of("0123456789") == std::string_view::npos;
}

// The name a reader knows the value by: the field name, or "list[3]" for an item.
std::string Subject(std::string_view pointer) {
  if (pointer.empty()) return "the document";
  std::size_t slash = pointer.rfind('/');
  std::string last = UnescapeToken(std::string(pointer.substr(slash + 1)));
  if (!IsIndex(last)) return last;
  std::string_view parent = pointer.substr(0, slash);
  if (parent.empty()) return fmt::format("item {}", last);
  std::string parent_name = UnescapeToken(std::string(parent.substr(parent.rfind('/') + 1)));
  if (IsIndex(parent_name)) return fmt::format("item {} of {}", last, Subject(parent));
  return fmt::format("{}[{}]", parent_name, last);
}

std::string Quote(std::string_view text) {
  if (text.size() > 60) return fmt::format("'{}...'", text.substr(0, 57));
  return fmt::format("'{}'", text);
}

// A value as a reader would name it in a message: 'text', 5, true, a list, an object.
std::string ValueText(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return Quote(value.get_ref<const std::string&>());
    case Json::value_t::array:
      return "a list";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::null:
      return "empty (null)";
    default:
      return value.dump();
  }
}

// What kind of value this is, with the value itself when it is short.
std::string KindText(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return fmt::format("a string ({})", Quote(value.get_ref<const std::string&>()));
    case Json::value_t::boolean:
      return fmt::format("true/false ({})", value.dump());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return fmt::format("a number ({})", value.dump());
    case Json::value_t::array:
      return "a list";
    case Json::value_t::object:
      return "an object";
    default:
      return "empty (null)";
  }
}

// Enum and const values as a reader writes them: strings bare, others as JSON.
std::string ChoiceText(const Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string JoinAlternatives(const std::vector<std::string>& words) {
  if (words.empty()) return "";
  if (words.size() == 1) return words[0];
  std::string text;
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (i > 0) text += ", ";
    text += words[i];
  }
  return text + " or " + words.back();
}

std::string Join(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) text += separator;
    text += words[i];
  }
  return text;
}

std::vector<std::string> TypeNames(unsigned types) {
  std::vector<std::string> names;
  if (types & kObjectType) names.push_back("an object");
  if (types & kArrayType) names.push_back("a list");
  if (types & kStringType) names.push_back("a string");
  if (types & kNumberType) {
    names.push_back("a number");
  } else if (types & kIntegerType) {
    names.push_back("a whole number");
  }
  if (types & kBooleanType) names.push_back("true or false");
  if (types & kNullType) names.push_back("empty (null)");
  return names;
}

// "numbers", "strings": the plural noun for items of a single type, or "" when not one type.
std::string PluralNoun(unsigned types, std::size_t count) {
  bool one = count == 1;
  switch (types) {
    case kNumberType:
      return one ? "number" : "numbers";
    case kIntegerType:
      return one ? "whole number" : "whole numbers";
    case kStringType:
      return one ? "string" : "strings";
    case kObjectType:
      return one ? "object" : "objects";
    case kArrayType:
      return one ? "list" : "lists";
    case kBooleanType:
      return one ? "true/false value" : "true/false values";
    default:
      return one ? "item" : "items";
  }
}

// "exactly 2 numbers", "at least 1 string": the size rule of an array schema, or "".
std::string ArraySizeText(const SchemaNode& node, unsigned item_types) {
  const auto& min = node.min_items;
  const auto& max = node.max_items;
  if (min && max && *min == *max) {
    return fmt::format("exactly {} {}", *min, PluralNoun(item_types, *min));
  }
  if (min && max) return fmt::format("between {} and {} {}", *min, *max, PluralNoun(item_types, 2));
  if (min) return fmt::format("at least {} {}", *min, PluralNoun(item_types, *min));
  if (max) return fmt::format("at most {} {}", *max, PluralNoun(item_types, *max));
  return "";
}

std::size_t CodePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// ---------------------------------------------------------------------------------------------
// Formats, checked loosely: the shape a person would recognise, not every corner of the RFCs.

bool Digits(std::string_view text, std::size_t at, std::size_t count, int* value) {
  if (at + count > text.size()) return false;
  int number = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    number = number * 10 + (text[i] - '0');
  }
  *value = number;
  return true;
}

bool IsFullDate(std::string_view text) {
  int year, month, day;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  if (!Digits(text, 0, 4, &year) || !Digits(text, 5, 2, &month) || !Digits(text, 8, 2, &day)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

bool IsDateTime(std::string_view text) {
  if (text.size() < 20 || !IsFullDate(text.substr(0, 10))) return false;
  if (text[10] != 'T' && text[10] != 't') return false;
  int hour, minute, second;
  if (!Digits(text, 11, 2, &hour) || text[13] != ':' || !Digits(text, 14, 2, &minute) ||
      text[16] != ':' || !Digits(text, 17, 2, &second)) {
    return false;
  }
  if (hour > 23 || minute > 59 || second > 60) return false;
  std::size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    std::size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i >= text.size()) return false;  // the offset is required
  if ((text[i] == 'Z' || text[i] == 'z') && i + 1 == text.size()) return true;
  int offset_hour, offset_minute;
  return (text[i] == '+' || text[i] == '-') && i + 6 == text.size() &&
         Digits(text, i + 1, 2, &offset_hour) && text[i + 3] == ':' &&
         Digits(text, i + 4, 2, &offset_minute) && offset_hour < 24 && offset_minute < 60;
}

bool IsUri(std::string_view text) {
  std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = text[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' ||
           c == '^' || c == '`' || c == '{' || c == '|' || c == '}';
  });
}

bool IsEmail(std::string_view text) {
  std::size_t at = text.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= text.size()) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

// ---------------------------------------------------------------------------------------------
// Compiling.

std::optional<unsigned> TypeBitFor(std::string_view name) {
  if (name == "null") return kNullType;
  if (name == "boolean") return kBooleanType;
  if (name == "object") return kObjectType;
  if (name == "array") return kArrayType;
  if (name == "number") return kNumberType;
  if (name == "string") return kStringType;
  if (name == "integer") return kIntegerType;
  return std::nullopt;
}

std::string PercentDecode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

class Compiler {
 public:
  explicit Compiler(const Json& root) : root_(root) {}

  Result<std::vector<SchemaNode>> Run() {
    NodeFor("");
    while (!pending_.empty()) {
      auto [id, pointer] = std::move(pending_.front());
      pending_.pop_front();
      QUANTA_RETURN_IF_ERROR(Fill(id, pointer));
    }
    QUANTA_RETURN_IF_ERROR(CheckNoEndlessLoop());
    return std::move(nodes_);
  }

 private:
  // The node of the schema at `pointer`; compiled later from the work list, so that deep or
  // cyclic schemas need no recursion.
  int NodeFor(const std::string& pointer) {
    auto it = ids_.find(pointer);
    if (it != ids_.end()) return it->second;
    int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    nodes_.back().location = pointer;
    ids_.emplace(pointer, id);
    pending_.emplace_back(id, pointer);
    return id;
  }

  const Json* Resolve(const std::string& pointer) const {
    try {
      Json::json_pointer json_pointer(pointer);
      if (!root_.contains(json_pointer)) return nullptr;
      return &root_.at(json_pointer);
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  static std::string Where(const std::string& pointer) {
    return pointer.empty() ? std::string("the schema root") : fmt::format("schema {}", pointer);
  }

  Result<int> Subschema(const std::string& pointer, const Json& value) {
    if (!value.is_object() && !value.is_boolean()) {
      return Status::Invalid("{}: a schema must be an object or true/false", Where(pointer));
    }
    return NodeFor(pointer);
  }

  Result<std::size_t> Count(const std::string& pointer, const Json& value) {
    if (!value.is_number_integer() ||
        (!value.is_number_unsigned() && value.get<std::int64_t>() < 0)) {
      return Status::Invalid("{}: must be a non-negative whole number", Where(pointer));
    }
    return value.get<std::size_t>();
  }

  Status Fill(int id, const std::string& pointer) {
    const Json* schema = Resolve(pointer);
    if (schema == nullptr) return Status::Invalid("{}: not found", Where(pointer));
    SchemaNode node;
    node.location = pointer;
    if (schema->is_boolean()) {
      node.always_false = !schema->get<bool>();
      nodes_[id] = std::move(node);
      return Status::Ok();
    }
    if (!schema->is_object()) {
      return Status::Invalid("{}: a schema must be an object or true/false", Where(pointer));
    }
    for (auto it = schema->begin(); it != schema->end(); ++it) {
      const std::string& key = it.key();
      const Json& value = *it;
      std::string at = AppendPointer(pointer, key);
      if (kUnsupportedKeywords.count(key)) {
        return Status::NotSupported("{}: the keyword '{}' is not supported by Quanta's validator",
                                    Where(at), key);
      }
      if (key == "type") {
        std::vector<Json> names =
            value.is_array() ? value.get<std::vector<Json>>() : std::vector<Json>{value};
        for (const Json& name : names) {
          auto bit = name.is_string() ? TypeBitFor(name.get<std::string>()) : std::nullopt;
          if (!bit) return Status::Invalid("{}: unknown type {}", Where(at), name.dump());
          node.types |= *bit;
        }
      } else if (key == "properties") {
        if (!value.is_object()) return Status::Invalid("{}: must be an object", Where(at));
        for (auto property = value.begin(); property != value.end(); ++property) {
          std::string child = AppendPointer(at, property.key());
          QUANTA_ASSIGN_OR_RETURN(int child_id, Subschema(child, *property));
          node.property_index.emplace(property.key(), child_id);
          node.properties.emplace_back(property.key(), child_id);
        }
      } else if (key == "required") {
        if (!value.is_array()) return Status::Invalid("{}: must be a list of names", Where(at));
        for (const Json& name : value) {
          if (!name.is_string()) return Status::Invalid("{}: must be a list of names", Where(at));
          node.required.push_back(name.get<std::string>());
        }
      } else if (key == "additionalProperties") {
        QUANTA_ASSIGN_OR_RETURN(node.additional, Subschema(at, value));
      } else if (key == "unevaluatedProperties") {
        QUANTA_ASSIGN_OR_RETURN(node.unevaluated, Subschema(at, value));
      } else if (key == "items") {
        if (value.is_array()) {
          return Status::NotSupported("{}: 'items' as a list (tuple form) is not supported",
                                      Where(at));
        }
        QUANTA_ASSIGN_OR_RETURN(node.items, Subschema(at, value));
      } else if (key == "not") {
        QUANTA_ASSIGN_OR_RETURN(node.not_schema, Subschema(at, value));
      } else if (key == "if") {
        QUANTA_ASSIGN_OR_RETURN(node.if_schema, Subschema(at, value));
      } else if (key == "then") {
        QUANTA_ASSIGN_OR_RETURN(node.then_schema, Subschema(at, value));
      } else if (key == "else") {
        QUANTA_ASSIGN_OR_RETURN(node.else_schema, Subschema(at, value));
      } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
        if (!value.is_array() || value.empty()) {
          return Status::Invalid("{}: must be a non-empty list of schemas", Where(at));
        }
        std::vector<int>& list = key == "allOf"   ? node.all_of
                                 : key == "anyOf" ? node.any_of
                                                  : node.one_of;
        for (std::size_t i = 0; i < value.size(); ++i) {
          QUANTA_ASSIGN_OR_RETURN(int child_id, Subschema(AppendPointer(at, i), value[i]));
          list.push_back(child_id);
        }
      } else if (key == "$ref") {
        QUANTA_ASSIGN_OR_RETURN(node.ref, Reference(at, value));
      } else if (key == "const") {
        node.has_const = true;
        node.constant = value;
      } else if (key == "enum") {
        if (!value.is_array()) return Status::Invalid("{}: must be a list of values", Where(at));
        node.has_enum = true;
        node.enumeration = value.get<std::vector<Json>>();
      } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
                 key == "exclusiveMaximum") {
        if (!value.is_number()) return Status::Invalid("{}: must be a number", Where(at));
        double number = value.get<double>();
        (key == "minimum"            ? node.minimum
         : key == "maximum"          ? node.maximum
         : key == "exclusiveMinimum" ? node.exclusive_minimum
                                     : node.exclusive_maximum) = number;
      } else if (key == "minLength" || key == "maxLength" || key == "minItems" ||
                 key == "maxItems") {
        QUANTA_ASSIGN_OR_RETURN(std::size_t count, Count(at, value));
        (key == "minLength"   ? node.min_length
         : key == "maxLength" ? node.max_length
         : key == "minItems"  ? node.min_items
                              : node.max_items) = count;
      } else if (key == "uniqueItems") {
        if (!value.is_boolean()) return Status::Invalid("{}: must be true or false", Where(at));
        node.unique_items = value.get<bool>();
      } else if (key == "pattern") {
        if (!value.is_string()) return Status::Invalid("{}: must be a string", Where(at));
        node.pattern_text = value.get<std::string>();
        try {
          node.pattern =
              std::make_shared<const std::regex>(node.pattern_text, std::regex::ECMAScript);
        } catch (const std::regex_error& error) {
          return Status::Invalid("{}: '{}' is not a valid regular expression: {}", Where(at),
                                 node.pattern_text, error.what());
        }
      } else if (key == "format") {
        std::string name = value.is_string() ? value.get<std::string>() : "";
        node.format = name == "date"        ? Format::kDate
                      : name == "date-time" ? Format::kDateTime
                      : name == "uri"       ? Format::kUri
                      : name == "email"     ? Format::kEmail
                                            : Format::kNone;  // other formats: annotations
      }
      // Every other keyword (title, description, examples, default, deprecated, $comment,
      // $schema, $id, $defs, ...) is an annotation or a container: nothing to check.
    }
    nodes_[id] = std::move(node);
    return Status::Ok();
  }

  Result<int> Reference(const std::string& at, const Json& value) {
    if (!value.is_string()) return Status::Invalid("{}: must be a string", Where(at));
    const std::string& reference = value.get_ref<const std::string&>();
    if (reference.empty() || reference[0] != '#') {
      return Status::NotSupported(
          "{}: '{}' is not a local reference; only references like '#/$defs/Name' are supported",
          Where(at), reference);
    }
    std::string target = PercentDecode(std::string_view(reference).substr(1));
    if (!target.empty() && target[0] != '/') {
      return Status::NotSupported("{}: '{}' is not a JSON pointer reference", Where(at), reference);
    }
    const Json* resolved = Resolve(target);
    if (resolved == nullptr) {
      return Status::Invalid("{}: '{}' does not point at anything in the schema", Where(at),
                             reference);
    }
    return Subschema(target, *resolved);
  }

  // The keywords that apply a schema to the same value ($ref, allOf, anyOf, oneOf, not, if,
  // then, else) must not lead back to where they started: such a schema would apply itself to
  // the same value forever, whatever the document. Found by depth-first search, without
  // recursion.
  Status CheckNoEndlessLoop() const {
    auto same_value_children = [this](int id) {
      const SchemaNode& node = nodes_[id];
      std::vector<int> children(node.all_of);
      children.insert(children.end(), node.any_of.begin(), node.any_of.end());
      children.insert(children.end(), node.one_of.begin(), node.one_of.end());
      for (int child :
           {node.ref, node.not_schema, node.if_schema, node.then_schema, node.else_schema}) {
        if (child >= 0) children.push_back(child);
      }
      return children;
    };
    enum class Mark { kNew, kOnPath, kDone };
    std::vector<Mark> marks(nodes_.size(), Mark::kNew);
    for (int start = 0; start < static_cast<int>(nodes_.size()); ++start) {
      if (marks[start] != Mark::kNew) continue;
      // Each frame: a node and the index of its next child to visit.
      std::vector<std::pair<int, std::size_t>> path{{start, 0}};
      marks[start] = Mark::kOnPath;
      while (!path.empty()) {
        auto& [id, next] = path.back();
        std::vector<int> children = same_value_children(id);
        if (next == children.size()) {
          marks[id] = Mark::kDone;
          path.pop_back();
          continue;
        }
        int child = children[next++];
        if (marks[child] == Mark::kOnPath) {
          return Status::Invalid(
              "{}: refers back to itself (through $ref, allOf, anyOf, oneOf, not or if) without "
              "looking inside the value, so checking any document would never end",
              Where(nodes_[child].location));
        }
        if (marks[child] == Mark::kNew) {
          marks[child] = Mark::kOnPath;
          path.emplace_back(child, 0);
        }
      }
    }
    return Status::Ok();
  }

  const Json& root_;
  std::vector<SchemaNode> nodes_;
  std::unordered_map<std::string, int> ids_;
  std::deque<std::pair<int, std::string>> pending_;
};

// ---------------------------------------------------------------------------------------------
// Validating.

struct Finding {
  SchemaViolation violation;
  unsigned expected_types = 0;  ///< for "type" findings: what would have been accepted
};

// What applying one schema to one value found.
struct Outcome {
  std::vector<Finding> findings;
  /// Objects only: one flag per member (in member order), set when a keyword evaluated it.
  std::vector<char> evaluated;
  /// Objects only: the nodes whose `properties` applied to the value (to list allowed names).
  std::vector<int> applied;

  bool valid() const { return findings.empty(); }

  void AddAnnotations(const Outcome& other) {
    for (std::size_t i = 0; i < evaluated.size() && i < other.evaluated.size(); ++i) {
      evaluated[i] |= other.evaluated[i];
    }
    applied.insert(applied.end(), other.applied.begin(), other.applied.end());
  }
  void Add(Outcome&& other) {
    AddAnnotations(other);
    for (Finding& finding : other.findings) findings.push_back(std::move(finding));
  }
};

bool IsChildPointer(std::string_view child, std::string_view parent) {
  return child.size() > parent.size() && child.substr(0, parent.size()) == parent &&
         child[parent.size()] == '/' &&
         child.find('/', parent.size() + 1) == std::string_view::npos;
}

class Evaluator {
 public:
  Evaluator(const std::vector<SchemaNode>& nodes, const ValidationLimits& limits)
      : nodes_(nodes), limits_(limits) {}

  std::vector<SchemaViolation> Run(const Json& instance) {
    if (InstanceDepth(instance) > limits_.max_instance_depth) {
      return {
          Limit(fmt::format("the document is nested more than {} levels deep; it is not "
                            "checked further",
                            limits_.max_instance_depth))};
    }
    Outcome outcome = Eval(0, instance, "", 0);
    if (aborted_) return {abort_violation_};
    std::vector<SchemaViolation> violations;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (Finding& finding : outcome.findings) {
      SchemaViolation& v = finding.violation;
      if (seen.emplace(v.pointer, v.keyword, v.message).second) {
        violations.push_back(std::move(v));
      }
    }
    return violations;
  }

 private:
  static SchemaViolation Limit(std::string message) {
    SchemaViolation violation;
    violation.keyword = "limits";
    violation.message = std::move(message);
    return violation;
  }

  int InstanceDepth(const Json& instance) const {
    // Iterative, so that a value nested a million levels deep cannot overflow the stack here.
    int deepest = 0;
    std::vector<std::pair<const Json*, int>> stack{{&instance, 0}};
    while (!stack.empty()) {
      auto [value, depth] = stack.back();
      stack.pop_back();
      deepest = std::max(deepest, depth);
      if (deepest > limits_.max_instance_depth) break;
      if (value->is_structured()) {
        for (const Json& child : *value) stack.emplace_back(&child, depth + 1);
      }
    }
    return deepest;
  }

  bool Charge(std::size_t steps) {
    if (aborted_) return false;
    steps_ += steps;
    if (steps_ > limits_.max_steps) {
      Abort(
          fmt::format("the document is too large or too complex to check completely "
                      "(stopped after {} checks)",
                      limits_.max_steps));
      return false;
    }
    return true;
  }

  [[gnu::noinline]] void Abort(std::string message) {
    if (aborted_) return;
    aborted_ = true;
    abort_violation_ = Limit(std::move(message));
  }

  [[gnu::noinline]] static void Report(Outcome& out, std::string pointer, std::string keyword,
                                       std::string message, std::vector<std::string> choices = {},
                                       std::string found = "") {
    Finding finding;
    finding.violation.pointer = std::move(pointer);
    finding.violation.keyword = std::move(keyword);
    finding.violation.message = std::move(message);
    finding.violation.choices = std::move(choices);
    finding.violation.found = std::move(found);
    out.findings.push_back(std::move(finding));
  }

  Outcome Eval(int id, const Json& value, const std::string& pointer, int depth) {
    Outcome out;
    if (!Charge(1)) return out;
    if (depth > limits_.max_evaluation_depth) {
      Abort("the schema refers to itself too deeply to check this document");
      return out;
    }
    const SchemaNode& node = nodes_[id];
    if (value.is_object()) out.evaluated.assign(value.size(), 0);
    if (node.always_false) {
      ReportFalse(pointer, out);
      return out;
    }
    if (node.types != 0 && !TypeMatches(node.types, value)) {
      ReportType(node, value, pointer, out);
      return out;  // the other keywords would only repeat the same mistake
    }
    if (node.has_const && !JsonEqual(node.constant, value)) ReportConst(node, value, pointer, out);
    if (node.has_enum) CheckEnum(node, value, pointer, out);
    if (value.is_number()) {
      CheckNumber(node, value.get<double>(), pointer, out);
    } else if (value.is_string()) {
      CheckString(node, value.get_ref<const std::string&>(), pointer, out);
    } else if (value.is_array()) {
      CheckArray(node, value, pointer, depth, out);
    } else if (value.is_object()) {
      CheckObject(id, value, pointer, depth, out);
    }
    ApplySubschemas(node, value, pointer, depth, out);
    if (value.is_object() && node.unevaluated >= 0) {
      CheckUnevaluated(id, value, pointer, depth, out);
    }
    return out;
  }

  // Helpers that only word findings are kept out of line: the functions that recurse (Eval,
  // CheckArray, CheckObject, CheckUnevaluated, Apply*) must keep small stack frames, since a
  // deeply nested document recurses through them hundreds of times.

  [[gnu::noinline]] static void ReportFalse(const std::string& pointer, Outcome& out) {
    Report(out, pointer, "false", fmt::format("{} is not allowed here", Subject(pointer)));
    out.findings.back().violation.names_field = true;
  }

  [[gnu::noinline]] static void ReportConst(const SchemaNode& node, const Json& value,
                                            const std::string& pointer, Outcome& out) {
    Report(out, pointer, "const",
           fmt::format("{} must be {} (found {})", Subject(pointer),
                       node.constant.is_string() ? Quote(node.constant.get<std::string>())
                                                 : node.constant.dump(),
                       ValueText(value)),
           {ChoiceText(node.constant)}, value.is_string() ? value.get<std::string>() : "");
  }

  static bool TypeMatches(unsigned types, const Json& value) {
    switch (value.type()) {
      case Json::value_t::null:
        return types & kNullType;
      case Json::value_t::boolean:
        return types & kBooleanType;
      case Json::value_t::object:
        return types & kObjectType;
      case Json::value_t::array:
        return types & kArrayType;
      case Json::value_t::string:
        return types & kStringType;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned:
        return types & (kNumberType | kIntegerType);
      case Json::value_t::number_float: {
        if (types & kNumberType) return true;
        double number = value.get<double>();
        return (types & kIntegerType) && std::isfinite(number) && std::floor(number) == number;
      }
      default:
        return false;
    }
  }

  [[gnu::noinline]] void ReportType(const SchemaNode& node, const Json& value,
                                    const std::string& pointer, Outcome& out) {
    std::string expected = JoinAlternatives(TypeNames(node.types));
    if (node.types == kArrayType && node.items >= 0) {
      std::string size = ArraySizeText(node, nodes_[node.items].types);
      if (!size.empty()) expected = "a list of " + size;
    }
    Report(out, pointer, "type",
           fmt::format("{} must be {}, not {}", Subject(pointer), expected, KindText(value)));
    out.findings.back().expected_types = node.types;
  }

  [[gnu::noinline]] void CheckEnum(const SchemaNode& node, const Json& value,
                                   const std::string& pointer, Outcome& out) {
    for (const Json& allowed : node.enumeration) {
      if (JsonEqual(allowed, value)) return;
    }
    std::vector<std::string> choices;
    for (const Json& allowed : node.enumeration) choices.push_back(ChoiceText(allowed));
    Report(out, pointer, "enum",
           fmt::format("{} must be one of: {} (found {})", Subject(pointer), Join(choices, ", "),
                       ValueText(value)),
           choices, value.is_string() ? value.get<std::string>() : value.dump());
  }

  static std::string NumberText(double number) {
    if (std::floor(number) == number && std::fabs(number) < 1e15) {
      return fmt::format("{}", static_cast<long long>(number));
    }
    return fmt::format("{}", number);
  }

  [[gnu::noinline]] static void CheckNumber(const SchemaNode& node, double number,
                                            const std::string& pointer, Outcome& out) {
    std::string subject = Subject(pointer);
    if (node.minimum && number < *node.minimum) {
      Report(out, pointer, "minimum",
             fmt::format("{} must be at least {} (found {})", subject, NumberText(*node.minimum),
                         NumberText(number)));
    }
    if (node.exclusive_minimum && number <= *node.exclusive_minimum) {
      Report(out, pointer, "exclusiveMinimum",
             fmt::format("{} must be greater than {} (found {})", subject,
                         NumberText(*node.exclusive_minimum), NumberText(number)));
    }
    if (node.maximum && number > *node.maximum) {
      Report(out, pointer, "maximum",
             fmt::format("{} must be at most {} (found {})", subject, NumberText(*node.maximum),
                         NumberText(number)));
    }
    if (node.exclusive_maximum && number >= *node.exclusive_maximum) {
      Report(out, pointer, "exclusiveMaximum",
             fmt::format("{} must be less than {} (found {})", subject,
                         NumberText(*node.exclusive_maximum), NumberText(number)));
    }
  }

  [[gnu::noinline]] static void CheckString(const SchemaNode& node, const std::string& text,
                                            const std::string& pointer, Outcome& out) {
    std::string subject = Subject(pointer);
    if (node.min_length || node.max_length) {
      std::size_t length = CodePoints(text);
      if (node.min_length && length < *node.min_length) {
        Report(out, pointer, "minLength",
               *node.min_length == 1
                   ? fmt::format("{} must not be empty", subject)
                   : fmt::format("{} must be at least {} characters long (found {})", subject,
                                 *node.min_length, length));
      }
      if (node.max_length && length > *node.max_length) {
        Report(out, pointer, "maxLength",
               fmt::format("{} must be at most {} characters long (found {})", subject,
                           *node.max_length, length));
      }
    }
    if (node.pattern) {
      if (text.size() > kMaxPatternInput) {
        Report(out, pointer, "pattern",
               fmt::format("{} is too long ({} characters) to check against its expected form "
                           "{}; at most {} are checked",
                           subject, text.size(), node.pattern_text, kMaxPatternInput));
      } else if (!std::regex_search(text, *node.pattern)) {
        Report(out, pointer, "pattern",
               fmt::format("{} {} does not have the expected form (pattern {})", subject,
                           Quote(text), node.pattern_text),
               {}, text);
      }
    }
    switch (node.format) {
      case Format::kDate:
        if (!IsFullDate(text)) {
          Report(out, pointer, "format",
                 fmt::format("{} {} is not a valid date (expected YYYY-MM-DD, e.g. 2026-01-31)",
                             subject, Quote(text)));
        }
        break;
      case Format::kDateTime:
        if (!IsDateTime(text)) {
          Report(out, pointer, "format",
                 fmt::format("{} {} is not a valid date and time (expected RFC 3339, e.g. "
                             "2026-01-31T12:00:00Z)",
                             subject, Quote(text)));
        }
        break;
      case Format::kUri:
        if (!IsUri(text)) {
          Report(out, pointer, "format",
                 fmt::format("{} {} is not a valid URI (expected scheme:rest, e.g. "
                             "https://example.com/path)",
                             subject, Quote(text)));
        }
        break;
      case Format::kEmail:
        if (!IsEmail(text)) {
          Report(out, pointer, "format",
                 fmt::format("{} {} is not a valid email address", subject, Quote(text)));
        }
        break;
      case Format::kNone:
        break;
    }
  }

  [[gnu::noinline]] void CheckArray(const SchemaNode& node, const Json& value,
                                    const std::string& pointer, int depth, Outcome& out) {
    std::size_t size = value.size();
    bool too_few = node.min_items && size < *node.min_items;
    bool too_many = node.max_items && size > *node.max_items;
    if (too_few || too_many) ReportArraySize(node, size, too_few, pointer, out);
    if (node.unique_items && size > 1) CheckUnique(value, pointer, out);
    if (node.items >= 0) {
      for (std::size_t i = 0; i < size && !aborted_; ++i) {
        Outcome item = Eval(node.items, value[i], AppendPointer(pointer, i), depth + 1);
        for (Finding& finding : item.findings) out.findings.push_back(std::move(finding));
      }
    }
  }

  [[gnu::noinline]] void ReportArraySize(const SchemaNode& node, std::size_t size, bool too_few,
                                         const std::string& pointer, Outcome& out) {
    unsigned item_types = node.items >= 0 ? nodes_[node.items].types : 0;
    std::string rule = too_few ? fmt::format("at least {} {}", *node.min_items,
                                             PluralNoun(item_types, *node.min_items))
                               : fmt::format("at most {} {}", *node.max_items,
                                             PluralNoun(item_types, *node.max_items));
    if (node.min_items && node.max_items && *node.min_items == *node.max_items) {
      rule = ArraySizeText(node, item_types);
    }
    Report(out, pointer, too_few ? "minItems" : "maxItems",
           fmt::format("{} must hold {} (it holds {})", Subject(pointer), rule, size));
  }

  [[gnu::noinline]] void CheckUnique(const Json& value, const std::string& pointer, Outcome& out) {
    if (!Charge(value.size())) return;
    std::vector<std::pair<std::size_t, std::size_t>> hashes;  // (hash, index)
    hashes.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) hashes.emplace_back(JsonHash(value[i]), i);
    std::sort(hashes.begin(), hashes.end());
    // The first repeated item in document order, and the earlier item it repeats.
    std::optional<std::pair<std::size_t, std::size_t>> repeat;
    for (std::size_t start = 0; start < hashes.size();) {
      std::size_t end = start + 1;
      while (end < hashes.size() && hashes[end].first == hashes[start].first) ++end;
      for (std::size_t later = start + 1; later < end; ++later) {
        for (std::size_t earlier = start; earlier < later; ++earlier) {
          std::size_t a = hashes[earlier].second, b = hashes[later].second;
          if (JsonEqual(value[a], value[b]) && (!repeat || b < repeat->first)) {
            repeat = std::make_pair(b, a);
            break;
          }
        }
      }
      start = end;
    }
    if (!repeat) return;
    Report(out, AppendPointer(pointer, repeat->first), "uniqueItems",
           fmt::format("{} must not hold the same value twice: {} is at positions {} and {}",
                       Subject(pointer), ValueText(value[repeat->first]), repeat->second,
                       repeat->first));
  }

  [[gnu::noinline]] void CheckObject(int id, const Json& value, const std::string& pointer,
                                     int depth, Outcome& out) {
    const SchemaNode& node = nodes_[id];
    if (!node.properties.empty()) out.applied.push_back(id);
    std::size_t index = 0;
    for (auto it = value.begin(); it != value.end() && !aborted_; ++it, ++index) {
      const std::string& key = it.key();
      auto property = node.property_index.find(key);
      int schema = -1;
      if (property != node.property_index.end()) {
        schema = property->second;
      } else if (node.additional >= 0) {
        schema = node.additional;
        if (nodes_[schema].always_false) {
          out.evaluated[index] = 1;
          ReportAdditional(node, key, pointer, out);
          continue;
        }
      } else {
        continue;
      }
      out.evaluated[index] = 1;
      Outcome child = Eval(schema, *it, AppendPointer(pointer, key), depth + 1);
      for (Finding& finding : child.findings) out.findings.push_back(std::move(finding));
    }
    for (const std::string& name : node.required) {
      if (!value.contains(name)) ReportMissing(name, pointer, out);
    }
  }

  [[gnu::noinline]] void ReportAdditional(const SchemaNode& node, const std::string& key,
                                          const std::string& pointer, Outcome& out) {
    std::vector<std::string> allowed;
    for (const auto& [name, unused] : node.properties) allowed.push_back(name);
    ReportNotAllowed(key, pointer, "additionalProperties", allowed, "", out);
  }

  [[gnu::noinline]] static void ReportMissing(const std::string& name, const std::string& pointer,
                                              Outcome& out) {
    Report(out, pointer, "required", fmt::format("missing required field '{}'", name), {name},
           name);
  }

  [[gnu::noinline]] void ReportNotAllowed(const std::string& key, const std::string& pointer,
                                          std::string keyword, std::vector<std::string> allowed,
                                          const std::string& condition, Outcome& out) {
    std::string message =
        condition.empty()
            ? fmt::format("'{}' is not allowed here (allowed: {})", key, Join(allowed, ", "))
            : fmt::format("'{}' is allowed here only when {}", key, condition);
    if (condition.empty() && allowed.empty()) {
      message = fmt::format("'{}' is not allowed here (no fields are allowed)", key);
    }
    // A field that is right in another case is no typo: no other names to suggest then.
    if (!condition.empty()) allowed.clear();
    Report(out, AppendPointer(pointer, key), std::move(keyword), std::move(message),
           std::move(allowed), key);
    out.findings.back().violation.names_field = true;
  }

  [[gnu::noinline]] void CheckUnevaluated(int id, const Json& value, const std::string& pointer,
                                          int depth, Outcome& out) {
    const SchemaNode& node = nodes_[id];
    std::size_t index = 0;
    for (auto it = value.begin(); it != value.end() && !aborted_; ++it, ++index) {
      if (out.evaluated[index]) continue;
      out.evaluated[index] = 1;
      if (nodes_[node.unevaluated].always_false) {
        ReportUnevaluated(id, it.key(), pointer, out);
        continue;
      }
      Outcome child = Eval(node.unevaluated, *it, AppendPointer(pointer, it.key()), depth + 1);
      for (Finding& finding : child.findings) out.findings.push_back(std::move(finding));
    }
  }

  [[gnu::noinline]] void ReportUnevaluated(int id, const std::string& key,
                                           const std::string& pointer, Outcome& out) {
    // Allowed: the fields declared by every schema that applied to this object.
    std::vector<std::string> allowed;
    std::set<std::string> seen;
    for (int applied : out.applied) {
      for (const auto& [name, unused] : nodes_[applied].properties) {
        if (seen.insert(name).second) allowed.push_back(name);
      }
    }
    std::string condition;
    if (!seen.count(key)) condition = ConditionFor(id, key);
    ReportNotAllowed(key, pointer, "unevaluatedProperties", allowed, condition, out);
  }

  // ---- applicators: $ref, allOf, anyOf, oneOf, not, if/then/else ----

  [[gnu::noinline]] void ApplySubschemas(const SchemaNode& node, const Json& value,
                                         const std::string& pointer, int depth, Outcome& out) {
    // Annotations of a failing $ref or allOf member are kept: the document is invalid already,
    // and dropping them would add an "is not allowed" error for every field it declares.
    if (node.ref >= 0) out.Add(EvalReference(node.ref, value, pointer, depth));
    for (int member : node.all_of) out.Add(Eval(member, value, pointer, depth + 1));
    if (!node.any_of.empty()) ApplyAnyOf(node.any_of, value, pointer, depth, out);
    if (!node.one_of.empty()) ApplyOneOf(node.one_of, value, pointer, depth, out);
    if (node.not_schema >= 0) ApplyNot(node.not_schema, value, pointer, depth, out);
    if (node.if_schema >= 0) ApplyIf(node, value, pointer, depth, out);
  }

  [[gnu::noinline]] void ApplyIf(const SchemaNode& node, const Json& value,
                                 const std::string& pointer, int depth, Outcome& out) {
    Outcome condition = Eval(node.if_schema, value, pointer, depth + 1);
    if (condition.valid()) {
      out.AddAnnotations(condition);
      if (node.then_schema >= 0) out.Add(Eval(node.then_schema, value, pointer, depth + 1));
    } else if (node.else_schema >= 0) {
      out.Add(Eval(node.else_schema, value, pointer, depth + 1));
    }
  }

  // A $ref target applied to a value always gives the same outcome, so it is computed once:
  // alternatives that each refer to the same definition (anyOf of recursive shapes) then cost
  // time linear in the document rather than exponential in its depth.
  [[gnu::noinline]] Outcome EvalReference(int id, const Json& value, const std::string& pointer,
                                          int depth) {
    auto key = std::make_pair(id, &value);
    auto cached = memo_.find(key);
    if (cached != memo_.end()) {
      if (!Charge(1)) return {};
      return cached->second;
    }
    Outcome outcome = Eval(id, value, pointer, depth + 1);
    if (!aborted_) memo_.emplace(key, outcome);
    return outcome;
  }

  [[gnu::noinline]] std::vector<Outcome> EvalAll(const std::vector<int>& branches,
                                                 const Json& value, const std::string& pointer,
                                                 int depth) {
    std::vector<Outcome> outcomes;
    outcomes.reserve(branches.size());
    for (int branch : branches) outcomes.push_back(Eval(branch, value, pointer, depth + 1));
    return outcomes;
  }

  [[gnu::noinline]] void ApplyAnyOf(const std::vector<int>& branches, const Json& value,
                                    const std::string& pointer, int depth, Outcome& out) {
    std::vector<Outcome> outcomes = EvalAll(branches, value, pointer, depth);
    if (aborted_) return;
    bool any_valid = false;
    for (const Outcome& outcome : outcomes) {
      if (outcome.valid()) {
        any_valid = true;
        out.AddAnnotations(outcome);
      }
    }
    if (!any_valid) ReportClosest(std::move(outcomes), value, pointer, out);
  }

  [[gnu::noinline]] void ApplyOneOf(const std::vector<int>& branches, const Json& value,
                                    const std::string& pointer, int depth, Outcome& out) {
    std::vector<Outcome> outcomes = EvalAll(branches, value, pointer, depth);
    if (aborted_) return;
    std::vector<std::size_t> valid;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      if (outcomes[i].valid()) valid.push_back(i);
    }
    if (valid.empty()) {
      ReportClosest(std::move(outcomes), value, pointer, out);
      return;
    }
    for (std::size_t i : valid) out.AddAnnotations(outcomes[i]);
    if (valid.size() > 1) ReportSeveralMatch(branches, valid, value, pointer, out);
  }

  // Several alternatives of a oneOf match. When each is told apart by a field it requires,
  // name those fields.
  [[gnu::noinline]] void ReportSeveralMatch(const std::vector<int>& branches,
                                            const std::vector<std::size_t>& valid,
                                            const Json& value, const std::string& pointer,
                                            Outcome& out) {
    std::vector<std::string> names;
    for (std::size_t i : valid) {
      std::vector<std::string> required = RequiredOf(branches[i]);
      std::vector<std::string> present;
      for (const std::string& name : required) {
        if (value.is_object() && value.contains(name)) present.push_back(name);
      }
      if (present.empty()) {
        names.clear();
        break;
      }
      names.push_back(Join(present, " and "));
    }
    if (!names.empty()) {
      Report(out, pointer, "oneOf",
             fmt::format("only one of {} may be given here", JoinAlternatives(names)), names);
    } else {
      Report(out, pointer, "oneOf",
             fmt::format("{} matches {} of the allowed forms; it must match exactly one",
                         Subject(pointer), valid.size()));
    }
  }

  // The fields a schema requires directly or through $ref/allOf (not through conditions).
  std::vector<std::string> RequiredOf(int id) const {
    std::vector<std::string> names;
    std::vector<int> stack{id};
    std::set<int> visited;
    while (!stack.empty()) {
      int current = stack.back();
      stack.pop_back();
      if (!visited.insert(current).second) continue;
      const SchemaNode& node = nodes_[current];
      names.insert(names.end(), node.required.begin(), node.required.end());
      if (node.ref >= 0) stack.push_back(node.ref);
      stack.insert(stack.end(), node.all_of.begin(), node.all_of.end());
    }
    return names;
  }

  [[gnu::noinline]] void ApplyNot(int id, const Json& value, const std::string& pointer, int depth,
                                  Outcome& out) {
    Outcome inner = Eval(id, value, pointer, depth + 1);
    if (!aborted_ && inner.valid()) ReportNot(id, value, pointer, out);
  }

  [[gnu::noinline]] void ReportNot(int id, const Json& value, const std::string& pointer,
                                   Outcome& out) {
    const SchemaNode& node = nodes_[id];
    // `not: {required: [x]}` is how a schema forbids a field: say so about that field.
    if (!node.required.empty() && node.properties.empty() && node.types == 0 && value.is_object()) {
      for (const std::string& name : node.required) {
        Report(out, AppendPointer(pointer, name), "not",
               fmt::format("'{}' is not allowed here", name), {}, name);
        out.findings.back().violation.names_field = true;
      }
      return;
    }
    Report(out, pointer, "not",
           fmt::format("{} has a form that the standard forbids here", Subject(pointer)));
  }

  // Every alternative of an anyOf/oneOf failed. Rather than list the errors of each, report the
  // alternative that came closest: one whose type fits, that no discriminator (a `const` or
  // `enum` field such as `type`) rules out, with the fewest errors at the value itself.
  [[gnu::noinline]] void ReportClosest(std::vector<Outcome> outcomes, const Json& value,
                                       const std::string& pointer, Outcome& out) {
    auto wrong_type = [&](const Outcome& outcome) {
      return std::any_of(outcome.findings.begin(), outcome.findings.end(), [&](const Finding& f) {
        return f.violation.keyword == "type" && f.violation.pointer == pointer;
      });
    };
    // 1. No alternative accepts this type of value: one message naming the types that fit.
    if (std::all_of(outcomes.begin(), outcomes.end(), wrong_type)) {
      unsigned types = 0;
      for (const Outcome& outcome : outcomes) {
        for (const Finding& finding : outcome.findings) {
          if (finding.violation.keyword == "type" && finding.violation.pointer == pointer) {
            types |= finding.expected_types;
          }
        }
      }
      Report(out, pointer, "type",
             fmt::format("{} must be {}, not {}", Subject(pointer),
                         JoinAlternatives(TypeNames(types)), KindText(value)));
      out.findings.back().expected_types = types;
      return;
    }
    // 2. Each alternative that fits the type only misses required fields: "needs one of".
    std::vector<std::string> needs;  // per alternative: "'a'" or "'a' and 'b'"
    std::vector<std::string> names;  // every field name, bare
    bool only_missing = true;
    for (const Outcome& outcome : outcomes) {
      if (wrong_type(outcome)) continue;
      std::vector<std::string> missing;
      for (const Finding& finding : outcome.findings) {
        if (finding.violation.keyword != "required" || finding.violation.pointer != pointer) {
          only_missing = false;
          break;
        }
        missing.push_back("'" + finding.violation.found + "'");
        names.push_back(finding.violation.found);
      }
      if (!only_missing) break;
      needs.push_back(Join(missing, " and "));
    }
    if (only_missing && needs.size() > 1) {
      Report(out, pointer, "required",
             fmt::format("missing one of the fields {}", JoinAlternatives(needs)), names);
      for (Outcome& outcome : outcomes) out.AddAnnotations(outcome);
      return;
    }
    // 3. The closest alternative.
    auto score = [&](const Outcome& outcome) {
      int discriminator = 0;
      std::size_t at_value = 0;
      for (const Finding& finding : outcome.findings) {
        const SchemaViolation& v = finding.violation;
        if ((v.keyword == "const" || v.keyword == "enum") &&
            (v.pointer == pointer || IsChildPointer(v.pointer, pointer))) {
          discriminator = 1;
        }
        if (v.pointer == pointer) ++at_value;
      }
      return std::make_tuple(wrong_type(outcome) ? 1 : 0, discriminator, at_value,
                             outcome.findings.size());
    };
    std::size_t best = 0;
    for (std::size_t i = 1; i < outcomes.size(); ++i) {
      if (score(outcomes[i]) < score(outcomes[best])) best = i;
    }
    out.Add(std::move(outcomes[best]));
  }

  // ---- wording for fields that apply only under a condition ----

  // "logicalType is array": what the `if` schema `id` tests, when it tests field values.
  std::string DescribeCondition(int id, int budget = 8) const {
    if (budget <= 0) return "";
    const SchemaNode& node = nodes_[id];
    std::vector<std::string> parts;
    for (const auto& [name, child_id] : node.properties) {
      const SchemaNode& child = nodes_[child_id];
      if (child.has_const) {
        parts.push_back(fmt::format("{} is {}", name, ChoiceText(child.constant)));
      } else if (child.has_enum) {
        std::vector<std::string> values;
        for (const Json& allowed : child.enumeration) values.push_back(ChoiceText(allowed));
        parts.push_back(fmt::format("{} is {}", name, JoinAlternatives(values)));
      } else if (std::find(node.required.begin(), node.required.end(), name) !=
                 node.required.end()) {
        parts.push_back(fmt::format("{} is given", name));
      }
    }
    if (parts.empty() && !node.any_of.empty()) {
      for (int branch : node.any_of) {
        std::string text = DescribeCondition(branch, budget - 1);
        if (text.empty()) return "";
        parts.push_back(text);
      }
      return Join(parts, " or ");
    }
    return Join(parts, " and ");
  }

  // When `name` is declared only in a `then` of the schema `id` (or what it applies), the
  // condition under which it is allowed; "" when there is none or it cannot be worded.
  std::string ConditionFor(int id, const std::string& name) const {
    std::vector<std::pair<int, std::string>> queue{{id, ""}};
    std::set<int> visited;
    for (std::size_t next = 0; next < queue.size() && next < 10'000; ++next) {
      auto [current, condition] = queue[next];
      if (!visited.insert(current).second) continue;
      const SchemaNode& node = nodes_[current];
      if (!condition.empty() && node.property_index.count(name)) return condition;
      if (node.ref >= 0) queue.emplace_back(node.ref, condition);
      for (int member : node.all_of) queue.emplace_back(member, condition);
      if (node.if_schema >= 0 && node.then_schema >= 0) {
        std::string test = DescribeCondition(node.if_schema);
        if (!test.empty()) queue.emplace_back(node.then_schema, test);
      }
    }
    return "";
  }

  struct KeyHash {
    std::size_t operator()(const std::pair<int, const Json*>& key) const {
      return Mix(std::hash<const Json*>{}(key.second), static_cast<std::size_t>(key.first));
    }
  };

  const std::vector<SchemaNode>& nodes_;
  const ValidationLimits& limits_;
  std::unordered_map<std::pair<int, const Json*>, Outcome, KeyHash> memo_;
  std::size_t steps_ = 0;
  bool aborted_ = false;
  SchemaViolation abort_violation_;
};

}  // namespace

Result<JsonSchema> JsonSchema::Compile(const Json& schema) {
  try {
    Compiler compiler(schema);
    QUANTA_ASSIGN_OR_RETURN(std::vector<SchemaNode> nodes, compiler.Run());
    auto compiled = std::make_shared<Compiled>();
    compiled->nodes = std::move(nodes);
    return JsonSchema(std::move(compiled));
  } catch (const std::exception& error) {
    return Status::Invalid("the schema cannot be compiled: {}", error.what());
  }
}

std::vector<SchemaViolation> JsonSchema::Validate(const Json& instance,
                                                  const ValidationLimits& limits) const {
  try {
    Evaluator evaluator(compiled_->nodes, limits);
    return evaluator.Run(instance);
  } catch (const std::exception& error) {
    SchemaViolation violation;
    violation.keyword = "limits";
    violation.message = fmt::format("the document could not be checked: {}", error.what());
    return {violation};
  }
}

}  // namespace quanta::model
