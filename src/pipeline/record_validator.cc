#include "pipeline/record_validator.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "model/property_constraints.h"
#include "model/type_mapping.h"

namespace quanta::pipeline {
namespace {

using model::Json;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return false;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

int Number(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// YYYY-MM-DD with a real month and day; returns the length read (10) or 0.
std::size_t ReadDate(std::string_view text) {
  if (!Digits(text, 0, 4) || text.size() < 10 || text[4] != '-' || !Digits(text, 5, 2) ||
      text[7] != '-' || !Digits(text, 8, 2)) {
    return 0;
  }
  int year = Number(text, 0, 4), month = Number(text, 5, 2), day = Number(text, 8, 2);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return 0;
  int days = kDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= days ? 10 : 0;
}

// HH:MM[:SS[.fraction]]; returns the length read or 0.
std::size_t ReadTime(std::string_view text) {
  if (!Digits(text, 0, 2) || text.size() < 5 || text[2] != ':' || !Digits(text, 3, 2)) return 0;
  if (Number(text, 0, 2) > 23 || Number(text, 3, 2) > 59) return 0;
  std::size_t at = 5;
  if (at < text.size() && text[at] == ':') {
    if (!Digits(text, at + 1, 2) || Number(text, at + 1, 2) > 60) return 0;  // 60: leap second
    at += 3;
    if (at < text.size() && text[at] == '.') {
      std::size_t digits = 0;
      while (at + 1 + digits < text.size() && Digits(text, at + 1 + digits, 1)) ++digits;
      if (digits == 0) return 0;
      at += 1 + digits;
    }
  }
  return at;
}

// Z, +HH:MM, +HHMM or +HH (and the same with -); returns the length read or 0.
std::size_t ReadZone(std::string_view text) {
  if (text.empty()) return 0;
  if (text[0] == 'Z' || text[0] == 'z') return 1;
  if (text[0] != '+' && text[0] != '-') return 0;
  if (!Digits(text, 1, 2)) return 0;
  if (text.size() == 3) return 3;
  if (text[3] == ':' && Digits(text, 4, 2)) return 6;
  if (Digits(text, 3, 2)) return 5;
  return 0;
}

bool IsDate(std::string_view text) { return ReadDate(text) == text.size(); }

bool IsTime(std::string_view text) {
  std::size_t length = ReadTime(text);
  return length > 0 &&
         (length == text.size() || ReadZone(text.substr(length)) == text.size() - length);
}

bool IsTimestamp(std::string_view text) {
  std::size_t date = ReadDate(text);
  if (date == 0) return false;
  if (date == text.size()) return true;  // a date is midnight of that day
  if (text[date] != 'T' && text[date] != 't' && text[date] != ' ') return false;
  std::string_view rest = text.substr(date + 1);
  std::size_t time = ReadTime(rest);
  if (time == 0) return false;
  return time == rest.size() || ReadZone(rest.substr(time)) == rest.size() - time;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string_view JsonKind(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    default:
      return "a value";
  }
}

// The value as it appears in a message, cut short.
std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

struct IntegerRange {
  std::string_view type;
  double min, max;
};

std::optional<IntegerRange> IntegerRangeOf(std::string_view type) {
  static constexpr IntegerRange kRanges[] = {
      {"TINYINT", -128.0, 127.0},
      {"SMALLINT", -32768.0, 32767.0},
      {"INTEGER", -2147483648.0, 2147483647.0},
      {"BIGINT", -9223372036854775808.0, 9223372036854775807.0},
      {"HUGEINT", -1.7e38, 1.7e38},
      {"UTINYINT", 0.0, 255.0},
      {"USMALLINT", 0.0, 65535.0},
      {"UINTEGER", 0.0, 4294967295.0},
      {"UBIGINT", 0.0, 18446744073709551615.0},
      {"UHUGEINT", 0.0, 3.4e38},
  };
  for (const IntegerRange& range : kRanges) {
    if (range.type == type) return range;
  }
  return std::nullopt;
}

bool IsFloatType(std::string_view type) {
  return type == "DOUBLE" || type == "FLOAT" || type == "REAL" || StartsWith(type, "DECIMAL") ||
         StartsWith(type, "NUMERIC");
}

std::size_t CodePoints(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::optional<double> NumberOption(const Json& options, const char* name) {
  if (!options.is_object()) return std::nullopt;
  auto found = options.find(name);
  if (found == options.end() || !found->is_number()) return std::nullopt;
  return found->get<double>();
}

}  // namespace

RecordValidator::RecordValidator(const model::SchemaObject& object) {
  for (const model::Property& property : object.properties) {
    if (!property.name || property.name->empty()) continue;
    Field field{&property, *property.name, model::DuckdbTypeFor(property), property.IsRequired(),
                model::ValidValuesOf(property)};
    names_.push_back(field.name);
    types_.push_back(field.type);
    fields_.push_back(std::move(field));
  }
}

std::optional<std::string> RecordValidator::Check(const Json& record) const {
  if (!record.is_object()) {
    return fmt::format("a record must be a JSON object, got {}", JsonKind(record));
  }
  for (const Field& field : fields_) {
    auto found = record.find(field.name);
    if (found == record.end() || found->is_null()) {
      if (field.required) {
        return fmt::format("{}: required, but {}", field.name,
                           found == record.end() ? "missing" : "null");
      }
      continue;
    }
    if (auto problem = CheckValue(field, *found)) {
      return fmt::format("{}: {}", field.name, *problem);
    }
  }
  return std::nullopt;
}

std::optional<std::string> RecordValidator::CheckValue(const Field& field,
                                                       const Json& value) const {
  const std::string& type = field.type;
  auto expected = [&](std::string_view what) {
    return fmt::format("expected {} ({}), got {} {}", what, type, JsonKind(value), Shown(value));
  };
  auto bad_text = [&](std::string_view what) {
    return fmt::format("expected {} ({}), got {}", what, type, Shown(value));
  };

  if (auto range = IntegerRangeOf(type)) {
    if (!value.is_number()) return expected("an integer");
    double number = value.get<double>();
    if (value.is_number_float() && number != std::floor(number)) return expected("an integer");
    if (value.is_number_unsigned() ? static_cast<double>(value.get<std::uint64_t>()) > range->max
                                   : (number < range->min || number > range->max)) {
      return fmt::format("{} is out of range for {} ({} to {})", Shown(value), type, range->min,
                         range->max);
    }
  } else if (IsFloatType(type)) {
    if (!value.is_number()) return expected("a number");
  } else if (type == "BOOLEAN") {
    if (!value.is_boolean()) return expected("true or false");
  } else if (type == "DATE") {
    if (!value.is_string()) return expected("a date");
    if (!IsDate(value.get_ref<const std::string&>())) return bad_text("a date YYYY-MM-DD");
  } else if (StartsWith(type, "TIMESTAMP")) {
    if (!value.is_string()) return expected("a timestamp");
    if (!IsTimestamp(value.get_ref<const std::string&>())) {
      return bad_text("an RFC 3339 timestamp such as 2026-01-31T12:00:00Z");
    }
  } else if (StartsWith(type, "TIME")) {
    if (!value.is_string()) return expected("a time");
    if (!IsTime(value.get_ref<const std::string&>())) return bad_text("a time HH:MM:SS");
  } else if (type == "UUID") {
    if (!value.is_string()) return expected("a UUID");
    if (!IsUuid(value.get_ref<const std::string&>())) return bad_text("a UUID");
  } else if (type == "JSON") {
    // Any JSON value.
  } else if (StartsWith(type, "STRUCT") || StartsWith(type, "MAP")) {
    if (!value.is_object()) return expected("an object");
  } else if (type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0) {
    if (!value.is_array()) return expected("an array");
  } else {
    // VARCHAR, BLOB, INTERVAL and anything else DuckDB reads from text.
    if (!value.is_string()) return expected("a string");
  }

  if (field.valid_values) {
    bool listed = false;
    for (const Json& valid : *field.valid_values) listed = listed || valid == value;
    if (!listed) {
      std::string choices;
      for (const Json& valid : *field.valid_values) {
        choices += (choices.empty() ? "" : ", ") + Shown(valid);
      }
      return fmt::format("{} is not one of the allowed values ({})", Shown(value), choices);
    }
  }
  const Json& options = field.property->logical_type_options;
  if (value.is_string()) {
    std::size_t length = CodePoints(value.get_ref<const std::string&>());
    if (auto min = NumberOption(options, "minLength"); min && length < *min) {
      return fmt::format("{} is shorter than minLength {}", Shown(value), *min);
    }
    if (auto max = NumberOption(options, "maxLength"); max && length > *max) {
      return fmt::format("{} characters, more than maxLength {}", length, *max);
    }
  } else if (value.is_number()) {
    double number = value.get<double>();
    if (auto min = NumberOption(options, "minimum"); min && number < *min) {
      return fmt::format("{} is below the minimum {}", Shown(value), *min);
    }
    if (auto max = NumberOption(options, "maximum"); max && number > *max) {
      return fmt::format("{} is above the maximum {}", Shown(value), *max);
    }
    if (auto min = NumberOption(options, "exclusiveMinimum"); min && number <= *min) {
      return fmt::format("{} is not above the exclusive minimum {}", Shown(value), *min);
    }
    if (auto max = NumberOption(options, "exclusiveMaximum"); max && number >= *max) {
      return fmt::format("{} is not below the exclusive maximum {}", Shown(value), *max);
    }
  }
  return std::nullopt;
}

}  // namespace quanta::pipeline
