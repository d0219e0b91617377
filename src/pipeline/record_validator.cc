#include "pipeline/record_validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

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

// What a date, time or timestamp text is to its column.
enum class TimeText { kValid, kMalformed, kLeapSecond, kOffsetOutOfRange };

// HH:MM[:SS[.fraction]]; returns the length read or 0. Sets `seconds` when SS is there, and
// `leap` when it is 60, a leap second (which RFC 3339 allows, and DuckDB's types cannot hold).
std::size_t ReadTime(std::string_view text, bool* seconds, bool* leap) {
  *seconds = *leap = false;
  if (!Digits(text, 0, 2) || text.size() < 5 || text[2] != ':' || !Digits(text, 3, 2)) return 0;
  if (Number(text, 0, 2) > 23 || Number(text, 3, 2) > 59) return 0;
  std::size_t at = 5;
  if (at < text.size() && text[at] == ':') {
    if (!Digits(text, at + 1, 2) || Number(text, at + 1, 2) > 60) return 0;
    *seconds = true;
    *leap = Number(text, at + 1, 2) == 60;
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

// Z, +HH:MM, +HHMM or +HH (and the same with -); returns the length read or 0. Clears
// `in_range` for an offset beyond 23:59, which RFC 3339 does not allow (DuckDB would take
// +24:00 as a day).
std::size_t ReadZone(std::string_view text, bool* in_range) {
  *in_range = true;
  if (text.empty()) return 0;
  if (text[0] == 'Z' || text[0] == 'z') return 1;
  if (text[0] != '+' && text[0] != '-') return 0;
  if (!Digits(text, 1, 2)) return 0;
  std::size_t length = 0;
  int minutes = 0;
  if (text.size() == 3) {
    length = 3;
  } else if (text[3] == ':' && Digits(text, 4, 2)) {
    length = 6;
    minutes = Number(text, 4, 2);
  } else if (Digits(text, 3, 2)) {
    length = 5;
    minutes = Number(text, 3, 2);
  } else {
    return 0;
  }
  *in_range = Number(text, 1, 2) <= 23 && minutes <= 59;
  return length;
}

bool IsDate(std::string_view text) { return ReadDate(text) == text.size(); }

// What follows a time: nothing, or an offset that is all the rest.
TimeText CheckZone(std::string_view rest, bool leap) {
  bool in_range = true;
  if (!rest.empty() && ReadZone(rest, &in_range) != rest.size()) return TimeText::kMalformed;
  if (!in_range) return TimeText::kOffsetOutOfRange;
  return leap ? TimeText::kLeapSecond : TimeText::kValid;
}

// HH:MM:SS[.fraction], with an optional offset; the seconds may be left out when no offset
// follows (DuckDB reads 10:00 but not 10:00Z).
TimeText CheckTime(std::string_view text) {
  bool seconds = false, leap = false;
  std::size_t length = ReadTime(text, &seconds, &leap);
  if (length == 0 || (length != text.size() && !seconds)) return TimeText::kMalformed;
  return CheckZone(text.substr(length), leap);
}

// A date, or a date and a time with seconds (RFC 3339's full-time), with an optional offset.
TimeText CheckTimestamp(std::string_view text) {
  std::size_t date = ReadDate(text);
  if (date == 0) return TimeText::kMalformed;
  if (date == text.size()) return TimeText::kValid;  // a date is midnight of that day
  if (text[date] != 'T' && text[date] != 't' && text[date] != ' ') return TimeText::kMalformed;
  std::string_view rest = text.substr(date + 1);
  bool seconds = false, leap = false;
  std::size_t time = ReadTime(rest, &seconds, &leap);
  if (time == 0 || !seconds) return TimeText::kMalformed;
  return CheckZone(rest.substr(time), leap);
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

// The JSON kinds the rules tell apart. nlohmann-json reads a non-negative integer as unsigned
// and simdjson as signed when it fits; the rules treat both alike.
enum class Kind { kNull, kBoolean, kString, kInteger, kUnsigned, kFloat, kObject, kArray };

// A value parsed by nlohmann-json, as the rules read it.
class NlohmannView {
 public:
  explicit NlohmannView(const Json& value) : value_(value) {}
  Kind kind() const {
    switch (value_.type()) {
      case Json::value_t::boolean:
        return Kind::kBoolean;
      case Json::value_t::string:
        return Kind::kString;
      case Json::value_t::number_integer:
        return Kind::kInteger;
      case Json::value_t::number_unsigned:
        return Kind::kUnsigned;
      case Json::value_t::number_float:
        return Kind::kFloat;
      case Json::value_t::object:
        return Kind::kObject;
      case Json::value_t::array:
        return Kind::kArray;
      default:
        return Kind::kNull;
    }
  }
  double AsDouble() const { return value_.get<double>(); }
  std::int64_t AsInteger() const { return value_.get<std::int64_t>(); }
  std::uint64_t AsUnsigned() const { return value_.get<std::uint64_t>(); }
  std::string_view AsString() const { return value_.get_ref<const std::string&>(); }
  bool Equals(const Json& other) const { return other == value_; }
  const Json& ToJson() const { return value_; }

 private:
  const Json& value_;
};

// A value parsed by simdjson, as the rules read it.
class SimdjsonView {
 public:
  explicit SimdjsonView(simdjson::dom::element value) : value_(value) {}
  Kind kind() const {
    switch (value_.type()) {
      case simdjson::dom::element_type::BOOL:
        return Kind::kBoolean;
      case simdjson::dom::element_type::STRING:
        return Kind::kString;
      case simdjson::dom::element_type::INT64:
        return Kind::kInteger;
      case simdjson::dom::element_type::UINT64:
        return Kind::kUnsigned;
      case simdjson::dom::element_type::DOUBLE:
        return Kind::kFloat;
      case simdjson::dom::element_type::OBJECT:
        return Kind::kObject;
      case simdjson::dom::element_type::ARRAY:
        return Kind::kArray;
      default:
        return Kind::kNull;
    }
  }
  double AsDouble() const {
    switch (value_.type()) {
      case simdjson::dom::element_type::INT64:
        return static_cast<double>(value_.get_int64().value_unsafe());
      case simdjson::dom::element_type::UINT64:
        return static_cast<double>(value_.get_uint64().value_unsafe());
      default:
        return value_.get_double().value_unsafe();
    }
  }
  std::int64_t AsInteger() const { return value_.get_int64().value_unsafe(); }
  std::uint64_t AsUnsigned() const { return value_.get_uint64().value_unsafe(); }
  std::string_view AsString() const { return value_.get_string().value_unsafe(); }
  bool Equals(const Json& other) const {
    if (kind() == Kind::kString) {
      return other.is_string() && other.get_ref<const std::string&>() == AsString();
    }
    return other == ToJson();
  }
  // The same value as nlohmann-json reads it, for messages and comparisons with the contract.
  Json ToJson() const {
    return Json::parse(simdjson::minify(value_), nullptr, /*allow_exceptions=*/false);
  }

 private:
  simdjson::dom::element value_;
};

template <typename View>
std::string_view JsonKind(const View& value) {
  switch (value.kind()) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "a boolean";
    case Kind::kString:
      return "a string";
    case Kind::kInteger:
    case Kind::kUnsigned:
      return "an integer";
    case Kind::kFloat:
      return "a number";
    case Kind::kObject:
      return "an object";
    case Kind::kArray:
      return "an array";
  }
  return "a value";
}

// How many keys of a record Check compares with each other to find a repeated one; beyond,
// it hashes them.
constexpr std::size_t kKeysCompared = 64;

bool IsNumber(Kind kind) {
  return kind == Kind::kInteger || kind == Kind::kUnsigned || kind == Kind::kFloat;
}

// The value as it appears in a message, cut short.
std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

template <typename View>
std::string Shown(const View& value) {
  return Shown(value.ToJson());
}

// An integer type's range, exactly: as 128-bit bounds for the integers the JSON readers hold
// (64 bits at most; UHUGEINT's top is beyond 128 signed bits, and beyond any of them), and
// as decimal text for messages and for integers written any other way.
struct IntegerRange {
  std::string_view type;
  std::string_view min, max;
};

std::optional<IntegerRange> IntegerRangeOf(std::string_view type) {
  static constexpr IntegerRange kRanges[] = {
      {"TINYINT", "-128", "127"},
      {"SMALLINT", "-32768", "32767"},
      {"INTEGER", "-2147483648", "2147483647"},
      {"BIGINT", "-9223372036854775808", "9223372036854775807"},
      {"HUGEINT", "-170141183460469231731687303715884105728",
       "170141183460469231731687303715884105727"},
      {"UTINYINT", "0", "255"},
      {"USMALLINT", "0", "65535"},
      {"UINTEGER", "0", "4294967295"},
      {"UBIGINT", "0", "18446744073709551615"},
      {"UHUGEINT", "0", "340282366920938463463374607431768211455"},
  };
  for (const IntegerRange& range : kRanges) {
    if (range.type == type) return range;
  }
  return std::nullopt;
}

// `text` (a decimal integer, "-" then digits for a negative one) as 128 bits, clamped to
// their range.
__int128 ClampedInt128(std::string_view text) {
  constexpr __int128 kMax = static_cast<__int128>(~static_cast<unsigned __int128>(0) >> 1);
  bool negative = !text.empty() && text[0] == '-';
  __int128 value = 0;
  for (char digit : text.substr(negative ? 1 : 0)) {
    if (value > (kMax - (digit - '0')) / 10) return negative ? -kMax - 1 : kMax;
    value = value * 10 + (digit - '0');
  }
  return negative ? -value : value;
}

// Whether the decimal integer `digits` (no sign, no leading zeros) is at most `bound`'s.
bool AtMost(std::string_view digits, std::string_view bound) {
  return digits.size() != bound.size() ? digits.size() < bound.size() : digits <= bound;
}

// What a JSON number literal is as an integer, exactly: 1.0, 1e3 and 10E-1 are integers,
// 1.5 and 1.0000000000000001 are not.
struct ExactInteger {
  bool integral = false;
  bool too_large = false;  ///< more digits than any integer type holds (then not `digits`)
  bool negative = false;
  std::string digits;  ///< without sign or leading zeros; "0" for zero
};

ExactInteger ReadExactInteger(std::string_view number) {
  ExactInteger result;
  std::size_t at = 0;
  result.negative = at < number.size() && number[at] == '-';
  if (result.negative) ++at;
  std::string mantissa;
  long exponent = 0;
  for (; at < number.size() && number[at] >= '0' && number[at] <= '9'; ++at) {
    mantissa += number[at];
  }
  if (at < number.size() && number[at] == '.') {
    for (++at; at < number.size() && number[at] >= '0' && number[at] <= '9'; ++at) {
      mantissa += number[at];
      --exponent;
    }
  }
  if (at < number.size() && (number[at] == 'e' || number[at] == 'E')) {
    ++at;
    bool minus = at < number.size() && number[at] == '-';
    if (at < number.size() && (number[at] == '-' || number[at] == '+')) ++at;
    long written = 0;
    for (; at < number.size() && number[at] >= '0' && number[at] <= '9'; ++at) {
      written = std::min(written * 10 + (number[at] - '0'), 1000000L);  // far beyond any type
    }
    exponent += minus ? -written : written;
  }
  mantissa.erase(0, std::min(mantissa.find_first_not_of('0'), mantissa.size()));
  if (mantissa.empty()) {
    result.integral = true;
    result.negative = false;
    result.digits = "0";
    return result;
  }
  std::size_t last = mantissa.find_last_not_of('0');
  exponent += static_cast<long>(mantissa.size() - last - 1);
  mantissa.erase(last + 1);
  if (exponent < 0) return result;  // a fraction is left
  result.integral = true;
  if (static_cast<long>(mantissa.size()) + exponent > 40) {
    result.too_large = true;
    return result;
  }
  result.digits = mantissa + std::string(static_cast<std::size_t>(exponent), '0');
  return result;
}

// 10^n for n in 0..38, as the nearest doubles (what DuckDB compares a scaled double with).
double PowerOfTen(int n) {
  static const std::vector<double> kPowers = [] {
    std::vector<double> powers;
    for (int i = 0; i <= 38; ++i) {
      powers.push_back(std::strtod(fmt::format("1e{}", i).c_str(), nullptr));
    }
    return powers;
  }();
  return kPowers[static_cast<std::size_t>(std::clamp(n, 0, 38))];
}

// The precision and scale of DECIMAL(p,s), or nullopt for another type.
std::optional<std::pair<int, int>> DecimalOf(std::string_view type) {
  int precision = 0, scale = 0;
  char end = 0;
  if (std::sscanf(std::string(type).c_str(), "DECIMAL(%d,%d%c", &precision, &scale, &end) != 3 ||
      end != ')' || precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    return std::nullopt;
  }
  return std::make_pair(precision, scale);
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

// A record's own JSON, and the raw text of each declared top-level member (the last of a
// repeated key), read once, when a check first needs one: a number for an integer column that
// the readers hold only as a double.
class RecordValidator::RecordText {
 public:
  RecordText(std::string_view json, const std::vector<Field>& fields)
      : json_(json), fields_(fields) {}

  /// The raw text of the member for fields[index]; empty when there is none, or no JSON.
  std::string_view Of(std::size_t index) {
    if (!read_) Read();
    return index < texts_.size() ? std::string_view(texts_[index]) : std::string_view();
  }

 private:
  void Read() {
    read_ = true;
    if (json_.empty()) return;
    thread_local simdjson::ondemand::parser parser;
    simdjson::padded_string padded(json_);
    simdjson::ondemand::document document;
    simdjson::ondemand::object object;
    if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
        document.get_object().get(object) != simdjson::SUCCESS) {
      return;
    }
    std::vector<std::string> texts(fields_.size());
    for (auto member : object) {
      simdjson::ondemand::field field;
      std::string_view key;
      if (std::move(member).get(field) != simdjson::SUCCESS ||
          field.unescaped_key().get(key) != simdjson::SUCCESS) {
        return;
      }
      for (std::size_t i = 0; i < fields_.size(); ++i) {
        if (fields_[i].name != key) continue;
        std::string_view raw = field.value().raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                                raw.back() == '\r')) {
          raw.remove_suffix(1);
        }
        texts[i] = std::string(raw);
        break;
      }
    }
    texts_ = std::move(texts);
  }

  std::string_view json_;
  const std::vector<Field>& fields_;
  bool read_ = false;
  std::vector<std::string> texts_;
};

RecordValidator::RecordValidator(const model::SchemaObject& object) {
  for (const model::Property& property : object.properties) {
    if (!property.name || property.name->empty()) continue;
    Field field;
    field.name = *property.name;
    field.type = model::DuckdbTypeFor(property);
    field.required = property.IsRequired();
    field.valid_values = model::ValidValuesOf(property);
    const std::string& type = field.type;
    if (auto range = IntegerRangeOf(type)) {
      field.shape = Shape::kInteger;
      field.integer_min = range->min;
      field.integer_max = range->max;
      field.integer_min_128 = ClampedInt128(range->min);
      field.integer_max_128 = ClampedInt128(range->max);
    } else if (IsFloatType(type)) {
      field.shape = Shape::kNumber;
      if (auto decimal = DecimalOf(type)) {
        field.decimal_digits = decimal->first - decimal->second;
        field.decimal_scale = decimal->second;
      }
    } else if (type == "BOOLEAN") {
      field.shape = Shape::kBoolean;
    } else if (type == "DATE") {
      field.shape = Shape::kDate;
    } else if (StartsWith(type, "TIMESTAMP")) {
      field.shape = Shape::kTimestamp;
    } else if (StartsWith(type, "TIME")) {
      field.shape = Shape::kTime;
    } else if (type == "UUID") {
      field.shape = Shape::kUuid;
    } else if (type == "JSON") {
      field.shape = Shape::kAny;
    } else if (StartsWith(type, "STRUCT") || StartsWith(type, "MAP")) {
      field.shape = Shape::kObject;
    } else if (type.size() > 2 && type.compare(type.size() - 2, 2, "[]") == 0) {
      field.shape = Shape::kArray;
    } else {
      // VARCHAR, BLOB, INTERVAL and anything else DuckDB reads from text.
      field.shape = Shape::kString;
    }
    const Json& options = property.logical_type_options;
    field.min_length = NumberOption(options, "minLength");
    field.max_length = NumberOption(options, "maxLength");
    field.minimum = NumberOption(options, "minimum");
    field.maximum = NumberOption(options, "maximum");
    field.exclusive_minimum = NumberOption(options, "exclusiveMinimum");
    field.exclusive_maximum = NumberOption(options, "exclusiveMaximum");
    names_.push_back(field.name);
    types_.push_back(field.type);
    fields_.push_back(std::move(field));
  }
}

template <typename View>
std::optional<std::string> RecordValidator::CheckPresence(const Field& field, const View* value,
                                                          RecordText* text,
                                                          std::string* replacement) const {
  if (!value || value->kind() == Kind::kNull) {
    if (field.required) {
      return fmt::format("{}: required, but {}", field.name, !value ? "missing" : "null");
    }
    return std::nullopt;
  }
  if (auto problem = CheckValue(field, *value, text, replacement)) {
    return fmt::format("{}: {}", field.name, *problem);
  }
  return std::nullopt;
}

std::optional<std::string> RecordValidator::Check(const Json& record, std::string_view text,
                                                  std::vector<Replacement>* replacements) const {
  if (replacements) replacements->clear();
  if (!record.is_object()) {
    return fmt::format("a record must be a JSON object, got {}", JsonKind(NlohmannView(record)));
  }
  RecordText record_text(text, fields_);
  std::string replacement;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    auto found = record.find(fields_[i].name);
    std::optional<NlohmannView> value;
    if (found != record.end()) value.emplace(*found);
    replacement.clear();
    if (auto problem =
            CheckPresence(fields_[i], value ? &*value : nullptr, &record_text, &replacement)) {
      return problem;
    }
    if (!replacement.empty() && replacements) replacements->push_back({i, replacement});
  }
  return std::nullopt;
}

std::optional<std::string> RecordValidator::Check(simdjson::dom::element record,
                                                  std::string_view text, Fields* fields) const {
  if (record.type() != simdjson::dom::element_type::OBJECT) {
    return fmt::format("a record must be a JSON object, got {}", JsonKind(SimdjsonView(record)));
  }
  Fields local;
  Fields& seen = fields ? *fields : local;
  seen.values.assign(fields_.size(), std::nullopt);
  seen.repeated_key = false;
  seen.nested = false;
  seen.replacements.clear();
  // Most records have few keys: comparing each with the ones before it is cheaper than
  // hashing, which only a record with many keys needs (each key once, so that the time grows
  // with the record, not with its square).
  std::string_view keys[kKeysCompared];
  std::size_t key_count = 0;
  std::unordered_set<std::string_view> many_keys;
  simdjson::dom::object object = record.get_object().value_unsafe();
  for (simdjson::dom::key_value_pair member : object) {
    if (key_count < kKeysCompared) {
      for (std::size_t k = 0; k < key_count && !seen.repeated_key; ++k) {
        seen.repeated_key = keys[k] == member.key;
      }
      keys[key_count++] = member.key;
    } else if (!seen.repeated_key) {
      if (many_keys.empty()) many_keys.insert(keys, keys + key_count);
      seen.repeated_key = !many_keys.insert(member.key).second;
    }
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].name == member.key) {
        seen.values[i] = member.value;  // a repeated key: the last value counts
        break;
      }
    }
  }
  RecordText record_text(text, fields_);
  std::string replacement;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    std::optional<SimdjsonView> value;
    if (seen.values[i]) {
      value.emplace(*seen.values[i]);
      Kind kind = value->kind();
      seen.nested = seen.nested || kind == Kind::kObject || kind == Kind::kArray;
    }
    replacement.clear();
    if (auto problem =
            CheckPresence(fields_[i], value ? &*value : nullptr, &record_text, &replacement)) {
      return problem;
    }
    if (!replacement.empty()) seen.replacements.push_back({i, replacement});
  }
  return std::nullopt;
}

template <typename View>
std::optional<std::string> RecordValidator::CheckValue(const Field& field, const View& value,
                                                       RecordText* text,
                                                       std::string* replacement) const {
  const std::string& type = field.type;
  const Kind kind = value.kind();
  auto expected = [&](std::string_view what) {
    return fmt::format("expected {} ({}), got {} {}", what, type, JsonKind(value), Shown(value));
  };
  auto bad_text = [&](std::string_view what) {
    return fmt::format("expected {} ({}), got {}", what, type, Shown(value));
  };
  auto offset_out_of_range = [&] {
    return fmt::format("{} has an offset beyond -23:59 to +23:59 (RFC 3339), for {}", Shown(value),
                       type);
  };
  auto leap_second = [&] {
    return fmt::format("{} is a leap second (:60), which {} cannot hold; send :59 instead",
                       Shown(value), type);
  };

  switch (field.shape) {
    case Shape::kInteger: {
      if (!IsNumber(kind)) return expected("an integer");
      auto out_of_range = [&](std::string_view shown) {
        return fmt::format("{} is out of range for {} ({} to {})", shown, type, field.integer_min,
                           field.integer_max);
      };
      if (kind == Kind::kInteger || kind == Kind::kUnsigned) {
        __int128 number = kind == Kind::kInteger ? static_cast<__int128>(value.AsInteger())
                                                 : static_cast<__int128>(value.AsUnsigned());
        if (number < field.integer_min_128 || number > field.integer_max_128) {
          return out_of_range(Shown(value));
        }
        break;
      }
      // Written with a fraction or an exponent, or beyond 64 bits: the readers hold a double,
      // which may not be the number written (1.0000000000000001 reads as 1), so its digits
      // decide, and what gets loaded is the integer they spell exactly.
      std::string written(text->Of(static_cast<std::size_t>(&field - fields_.data())));
      if (written.empty()) {  // no text to read it from: the double, where it is exact
        double number = value.AsDouble();
        if (number != std::floor(number) || std::fabs(number) > 9007199254740992.0) {
          return expected("an integer");
        }
        written = fmt::format("{:.0f}", number);
      }
      std::string shown = written.size() > 60 ? written.substr(0, 57) + "..." : written;
      ExactInteger exact = ReadExactInteger(written);
      if (!exact.integral) {
        return fmt::format("expected an integer ({}), got a number {}", type, shown);
      }
      bool in_range =
          !exact.too_large &&
          (exact.negative ? field.integer_min[0] == '-' &&
                                AtMost(exact.digits, std::string_view(field.integer_min).substr(1))
                          : AtMost(exact.digits, field.integer_max));
      if (!in_range) return out_of_range(shown);
      *replacement = (exact.negative ? "-" : "") + exact.digits;
      break;
    }
    case Shape::kNumber: {
      if (!IsNumber(kind)) return expected("a number");
      double number = value.AsDouble();
      if (field.decimal_digits) {
        // As DuckDB casts a double: scaled by 10^scale, rounded, then within 10^precision.
        int scale = *field.decimal_scale;
        if (!(std::fabs(std::round(number * PowerOfTen(scale))) <
              PowerOfTen(*field.decimal_digits + scale))) {
          std::string largest = std::string(std::max(*field.decimal_digits, 1),
                                            *field.decimal_digits > 0 ? '9' : '0') +
                                (scale > 0 ? "." + std::string(scale, '9') : "");
          return fmt::format("{} is out of range for {} (-{} to {})", Shown(value), type, largest,
                             largest);
        }
      } else if ((type == "FLOAT" || type == "REAL") &&
                 std::fabs(number) > std::numeric_limits<float>::max()) {
        return fmt::format("{} is out of range for {} (-{} to {})", Shown(value), type,
                           std::numeric_limits<float>::max(), std::numeric_limits<float>::max());
      }
      break;
    }
    case Shape::kBoolean:
      if (kind != Kind::kBoolean) return expected("true or false");
      break;
    case Shape::kDate:
      if (kind != Kind::kString) return expected("a date");
      if (!IsDate(value.AsString())) return bad_text("a date YYYY-MM-DD");
      break;
    case Shape::kTimestamp:
      if (kind != Kind::kString) return expected("a timestamp");
      switch (CheckTimestamp(value.AsString())) {
        case TimeText::kValid:
          break;
        case TimeText::kMalformed:
          return bad_text("an RFC 3339 timestamp such as 2026-01-31T12:00:00Z");
        case TimeText::kLeapSecond:
          return leap_second();
        case TimeText::kOffsetOutOfRange:
          return offset_out_of_range();
      }
      {
        // RFC 3339 allows t and z in lower case; DuckDB reads them only in capitals.
        std::string_view text = value.AsString();
        if (text.find_first_of("tz") != std::string_view::npos) {
          replacement->assign(text);
          for (char& c : *replacement) {
            if (c == 't' || c == 'z') c = static_cast<char>(c - 'a' + 'A');
          }
        }
      }
      break;
    case Shape::kTime:
      if (kind != Kind::kString) return expected("a time");
      switch (CheckTime(value.AsString())) {
        case TimeText::kValid:
          break;
        case TimeText::kMalformed:
          return bad_text("a time HH:MM:SS");
        case TimeText::kLeapSecond:
          return leap_second();
        case TimeText::kOffsetOutOfRange:
          return offset_out_of_range();
      }
      break;
    case Shape::kUuid:
      if (kind != Kind::kString) return expected("a UUID");
      if (!IsUuid(value.AsString())) return bad_text("a UUID");
      break;
    case Shape::kAny:
      break;
    case Shape::kObject:
      if (kind != Kind::kObject) return expected("an object");
      break;
    case Shape::kArray:
      if (kind != Kind::kArray) return expected("an array");
      break;
    case Shape::kString:
      if (kind != Kind::kString) return expected("a string");
      break;
  }

  if (field.valid_values) {
    bool listed = false;
    for (const Json& valid : *field.valid_values) listed = listed || value.Equals(valid);
    if (!listed) {
      std::string choices;
      for (const Json& valid : *field.valid_values) {
        choices += (choices.empty() ? "" : ", ") + Shown(valid);
      }
      return fmt::format("{} is not one of the allowed values ({})", Shown(value), choices);
    }
  }
  if (kind == Kind::kString && (field.min_length || field.max_length)) {
    std::size_t length = CodePoints(value.AsString());
    if (field.min_length && length < *field.min_length) {
      return fmt::format("{} is shorter than minLength {}", Shown(value), *field.min_length);
    }
    if (field.max_length && length > *field.max_length) {
      return fmt::format("{} characters, more than maxLength {}", length, *field.max_length);
    }
  } else if (IsNumber(kind)) {
    double number = value.AsDouble();
    if (field.minimum && number < *field.minimum) {
      return fmt::format("{} is below the minimum {}", Shown(value), *field.minimum);
    }
    if (field.maximum && number > *field.maximum) {
      return fmt::format("{} is above the maximum {}", Shown(value), *field.maximum);
    }
    if (field.exclusive_minimum && number <= *field.exclusive_minimum) {
      return fmt::format("{} is not above the exclusive minimum {}", Shown(value),
                         *field.exclusive_minimum);
    }
    if (field.exclusive_maximum && number >= *field.exclusive_maximum) {
      return fmt::format("{} is not below the exclusive maximum {}", Shown(value),
                         *field.exclusive_maximum);
    }
  }
  return std::nullopt;
}

}  // namespace quanta::pipeline
