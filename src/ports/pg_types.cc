#include "ports/pg_types.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "base/ascii.h"
#include "ports/pg_byte_order.h"

namespace quanta::ports {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr std::int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr std::int64_t kMicrosPerDay = 24 * kMicrosPerHour;
constexpr std::int32_t kDateInfinity = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t kDateMinusInfinity = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kTimestampInfinity = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kTimestampMinusInfinity = std::numeric_limits<std::int64_t>::min();

// ---- the type table ------------------------------------------------------------------------

constexpr PgType Scalar(std::uint32_t oid, std::string_view name, std::int16_t size,
                        std::uint32_t array_oid) {
  return PgType{oid, name, size, -1, array_oid, 0, PgValueSource::kPrimitive};
}
constexpr PgType Array(std::uint32_t oid, std::string_view name, std::uint32_t element_oid) {
  return PgType{oid, name, -1, -1, 0, element_oid, PgValueSource::kPrimitive};
}

constexpr PgType kTypes[] = {
    Scalar(pg_oid::kBool, "bool", 1, pg_oid::kBoolArray),
    Scalar(pg_oid::kBytea, "bytea", -1, pg_oid::kByteaArray),
    Scalar(pg_oid::kInt8, "int8", 8, pg_oid::kInt8Array),
    Scalar(pg_oid::kInt2, "int2", 2, pg_oid::kInt2Array),
    Scalar(pg_oid::kInt4, "int4", 4, pg_oid::kInt4Array),
    Scalar(pg_oid::kText, "text", -1, pg_oid::kTextArray),
    Scalar(pg_oid::kJson, "json", -1, pg_oid::kJsonArray),
    Scalar(pg_oid::kFloat4, "float4", 4, pg_oid::kFloat4Array),
    Scalar(pg_oid::kFloat8, "float8", 8, pg_oid::kFloat8Array),
    Scalar(pg_oid::kVarchar, "varchar", -1, pg_oid::kVarcharArray),
    Scalar(pg_oid::kDate, "date", 4, pg_oid::kDateArray),
    Scalar(pg_oid::kTime, "time", 8, pg_oid::kTimeArray),
    Scalar(pg_oid::kTimestamp, "timestamp", 8, pg_oid::kTimestampArray),
    Scalar(pg_oid::kTimestampTz, "timestamptz", 8, pg_oid::kTimestampTzArray),
    Scalar(pg_oid::kInterval, "interval", 16, pg_oid::kIntervalArray),
    Scalar(pg_oid::kNumeric, "numeric", -1, pg_oid::kNumericArray),
    Scalar(pg_oid::kUuid, "uuid", 16, pg_oid::kUuidArray),
    Scalar(pg_oid::kJsonb, "jsonb", -1, pg_oid::kJsonbArray),
    Array(pg_oid::kBoolArray, "_bool", pg_oid::kBool),
    Array(pg_oid::kByteaArray, "_bytea", pg_oid::kBytea),
    Array(pg_oid::kInt8Array, "_int8", pg_oid::kInt8),
    Array(pg_oid::kInt2Array, "_int2", pg_oid::kInt2),
    Array(pg_oid::kInt4Array, "_int4", pg_oid::kInt4),
    Array(pg_oid::kTextArray, "_text", pg_oid::kText),
    Array(pg_oid::kJsonArray, "_json", pg_oid::kJson),
    Array(pg_oid::kFloat4Array, "_float4", pg_oid::kFloat4),
    Array(pg_oid::kFloat8Array, "_float8", pg_oid::kFloat8),
    Array(pg_oid::kVarcharArray, "_varchar", pg_oid::kVarchar),
    Array(pg_oid::kDateArray, "_date", pg_oid::kDate),
    Array(pg_oid::kTimeArray, "_time", pg_oid::kTime),
    Array(pg_oid::kTimestampArray, "_timestamp", pg_oid::kTimestamp),
    Array(pg_oid::kTimestampTzArray, "_timestamptz", pg_oid::kTimestampTz),
    Array(pg_oid::kIntervalArray, "_interval", pg_oid::kInterval),
    Array(pg_oid::kNumericArray, "_numeric", pg_oid::kNumeric),
    Array(pg_oid::kUuidArray, "_uuid", pg_oid::kUuid),
    Array(pg_oid::kJsonbArray, "_jsonb", pg_oid::kJsonb),
};

PgType TypeWithOid(std::uint32_t oid) {
  for (const PgType& type : kTypes) {
    if (type.oid == oid) return type;
  }
  return PgType{};
}

// DuckDB type names (and their aliases) without arguments -> PostgreSQL type.
struct NamedType {
  std::string_view duckdb;
  std::uint32_t oid;
  std::int32_t modifier = -1;
  PgValueSource source = PgValueSource::kPrimitive;
};
constexpr NamedType kDuckdbTypes[] = {
    {"BOOLEAN", pg_oid::kBool},
    {"BOOL", pg_oid::kBool},
    {"LOGICAL", pg_oid::kBool},
    {"TINYINT", pg_oid::kInt2},
    {"INT1", pg_oid::kInt2},
    {"SMALLINT", pg_oid::kInt2},
    {"INT2", pg_oid::kInt2},
    {"SHORT", pg_oid::kInt2},
    {"INTEGER", pg_oid::kInt4},
    {"INT", pg_oid::kInt4},
    {"INT4", pg_oid::kInt4},
    {"SIGNED", pg_oid::kInt4},
    {"BIGINT", pg_oid::kInt8},
    {"INT8", pg_oid::kInt8},
    {"LONG", pg_oid::kInt8},
    // Unsigned types take the next wider signed type, so every value fits.
    {"UTINYINT", pg_oid::kInt2},
    {"USMALLINT", pg_oid::kInt4},
    {"UINTEGER", pg_oid::kInt8},
    {"UBIGINT", pg_oid::kNumeric, NumericTypmod(20, 0)},
    {"HUGEINT", pg_oid::kNumeric, NumericTypmod(39, 0)},
    {"INT128", pg_oid::kNumeric, NumericTypmod(39, 0)},
    {"UHUGEINT", pg_oid::kNumeric, NumericTypmod(39, 0), PgValueSource::kDecimalText},
    {"VARINT", pg_oid::kNumeric, -1, PgValueSource::kDecimalText},
    {"BIGNUM", pg_oid::kNumeric, -1, PgValueSource::kDecimalText},
    {"FLOAT", pg_oid::kFloat4},
    {"FLOAT4", pg_oid::kFloat4},
    {"REAL", pg_oid::kFloat4},
    {"DOUBLE", pg_oid::kFloat8},
    {"FLOAT8", pg_oid::kFloat8},
    {"VARCHAR", pg_oid::kText},
    {"TEXT", pg_oid::kText},
    {"STRING", pg_oid::kText},
    {"CHAR", pg_oid::kText},
    {"BPCHAR", pg_oid::kText},
    {"BLOB", pg_oid::kBytea},
    {"BYTEA", pg_oid::kBytea},
    {"BINARY", pg_oid::kBytea},
    {"VARBINARY", pg_oid::kBytea},
    {"DATE", pg_oid::kDate},
    {"TIME", pg_oid::kTime},
    {"TIMESTAMP", pg_oid::kTimestamp},
    {"DATETIME", pg_oid::kTimestamp},
    {"TIMESTAMP_US", pg_oid::kTimestamp},
    {"TIMESTAMP_S", pg_oid::kTimestamp},
    {"TIMESTAMP_MS", pg_oid::kTimestamp},
    {"TIMESTAMP_NS", pg_oid::kTimestamp},
    {"TIMESTAMP WITH TIME ZONE", pg_oid::kTimestampTz},
    {"TIMESTAMPTZ", pg_oid::kTimestampTz},
    {"INTERVAL", pg_oid::kInterval},
    {"UUID", pg_oid::kUuid},
    {"JSON", pg_oid::kJson},
};

PgType WithSource(PgType type, std::int32_t modifier, PgValueSource source) {
  type.modifier = modifier;
  type.source = source;
  return type;
}

// ---- small text helpers --------------------------------------------------------------------

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// A short quote of a bad value for an error message.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string quoted = "\"";
  for (char c : text.substr(0, kMax)) {
    if (static_cast<unsigned char>(c) < 0x20) {
      quoted += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      quoted += c;
    }
  }
  quoted += text.size() > kMax ? "...\"" : "\"";
  return quoted;
}

Status BadText(std::string_view type, std::string_view text, std::string_view reason) {
  return Status::Invalid("invalid input for type {}: {} ({})", type, Quote(text), reason);
}

Status BadBinary(std::string_view type, std::string_view reason) {
  return Status::Invalid("invalid binary value for type {}: {}", type, reason);
}

Status CheckLength(std::string_view type, std::string_view bytes, std::size_t expected) {
  if (bytes.size() == expected) return Status::Ok();
  return BadBinary(type,
                   fmt::format("{} bytes where the binary form has {}", bytes.size(), expected));
}

// ---- calendar ------------------------------------------------------------------------------

struct CivilDate {
  std::int64_t year;  // astronomical: 0 is 1 BC
  int month;
  int day;
};

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2;
  std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  std::int64_t year_of_era = year - era * 400;
  std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t day_of_era = days - era * 146097;
  std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  std::int64_t shifted_month = (5 * day_of_year + 2) / 153;
  int day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  int month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  return CivilDate{year_of_era + era * 400 + (month <= 2), month, day};
}

bool IsLeapYear(std::int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

std::int64_t FloorDivide(std::int64_t a, std::int64_t b) {
  std::int64_t quotient = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
}

// `value` in exactly `width` digits, zero-padded (value < 10^width). Per value of a result of
// millions of rows, fmt's format strings cost more than the digits themselves.
void AppendPadded(std::int64_t value, int width, std::string& out) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

// "YYYY-MM-DD" without the era; returns whether the year is BC.
bool AppendCivilDate(std::int64_t days, std::string& out) {
  CivilDate date = CivilFromDays(days);
  bool bc = date.year <= 0;
  std::int64_t year = bc ? 1 - date.year : date.year;
  if (year < 10000) {
    AppendPadded(year, 4, out);
  } else {
    char digits[24];
    auto result = std::to_chars(digits, digits + sizeof(digits), year);
    out.append(digits, result.ptr);
  }
  out.push_back('-');
  AppendPadded(date.month, 2, out);
  out.push_back('-');
  AppendPadded(date.day, 2, out);
  return bc;
}

// "HH:MM:SS" plus ".ffffff" without trailing zeros when there is a fraction.
void AppendClock(std::int64_t micros_of_day, std::string& out) {
  std::int64_t seconds = micros_of_day / kMicrosPerSecond;
  std::int64_t fraction = micros_of_day % kMicrosPerSecond;
  std::int64_t hours = seconds / 3600;
  if (hours < 100) {
    AppendPadded(hours, 2, out);
  } else {  // never for a time of day (at most 24:00:00); kept exact for any input
    char digits[24];
    auto result = std::to_chars(digits, digits + sizeof(digits), hours);
    out.append(digits, result.ptr);
  }
  out.push_back(':');
  AppendPadded(seconds / 60 % 60, 2, out);
  out.push_back(':');
  AppendPadded(seconds % 60, 2, out);
  if (fraction != 0) {
    int length = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --length;
    }
    out.push_back('.');
    AppendPadded(fraction, length, out);
  }
}

void AppendTimestamp(std::int64_t micros, bool with_zone, std::string& out) {
  if (micros == kTimestampInfinity) {
    out += "infinity";
    return;
  }
  if (micros <= -kTimestampInfinity) {
    out += "-infinity";
    return;
  }
  std::int64_t days = FloorDivide(micros, kMicrosPerDay);
  bool bc = AppendCivilDate(days, out);
  out.push_back(' ');
  AppendClock(micros - days * kMicrosPerDay, out);
  if (with_zone) out += "+00";
  if (bc) out += " BC";
}

// ---- numbers -------------------------------------------------------------------------------

// The decimal digits of |value|.
std::string MagnitudeDigits(__int128 value) {
  unsigned __int128 magnitude =
      value < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(value)
                : static_cast<unsigned __int128>(value);
  char buffer[48];
  int at = sizeof(buffer);
  do {
    buffer[--at] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  } while (magnitude != 0);
  return std::string(buffer + at, sizeof(buffer) - at);
}

// numeric_send from a sign, integer digits and fraction digits (ASCII, no sign or point).
void AppendNumericDigits(bool negative, std::string_view integer, std::string_view fraction,
                         std::string& out) {
  while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
  std::vector<std::int16_t> groups;
  groups.reserve((integer.size() + fraction.size()) / 4 + 2);
  std::size_t lead = (4 - integer.size() % 4) % 4;  // zeros padding the integer part left
  std::int16_t group = 0;
  std::size_t filled = lead;
  auto push = [&](char digit) {
    group = static_cast<std::int16_t>(group * 10 + (digit - '0'));
    if (++filled == 4) {
      groups.push_back(group);
      group = 0;
      filled = 0;
    }
  };
  for (char digit : integer) push(digit);
  int weight = static_cast<int>((integer.size() + lead) / 4) - 1;
  for (char digit : fraction) push(digit);
  while (filled != 0) push('0');
  std::size_t first = 0;
  while (first < groups.size() && groups[first] == 0) {
    ++first;
    --weight;
  }
  std::size_t last = groups.size();
  while (last > first && groups[last - 1] == 0) --last;
  bool zero = first == last;
  AppendInt16(out, static_cast<std::int16_t>(last - first));
  AppendInt16(out, static_cast<std::int16_t>(zero ? 0 : weight));
  AppendInt16(out, static_cast<std::int16_t>(negative && !zero ? 0x4000 : 0));
  AppendInt16(out, static_cast<std::int16_t>(fraction.size()));
  for (std::size_t i = first; i < last; ++i) AppendInt16(out, groups[i]);
}

// Significant digits and decimal exponent of a finite float as std::to_chars writes them in
// scientific notation: shortest when `precision` is negative, else `precision` + 1 digits.
template <typename Float>
void DecimalDigits(Float value, int precision, bool& negative, std::string& digits, int& exponent) {
  char buffer[64];
  auto result = precision < 0 ? std::to_chars(buffer, buffer + sizeof(buffer), value,
                                              std::chars_format::scientific)
                              : std::to_chars(buffer, buffer + sizeof(buffer), value,
                                              std::chars_format::scientific, precision);
  std::string_view text(buffer, result.ptr - buffer);
  negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::size_t e = text.find('e');
  digits.clear();
  for (char c : text.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'), text.data() + text.size(), exponent);
}

// Whether the decimal digits * 10^(exponent - digits + 1) lie exactly halfway between |value|
// and a neighbouring float. PostgreSQL's shortest-digits search (Ryu) excludes such ties, so
// it writes more digits there than the shortest that reads back. Ties need an integer at or
// above 2^(mantissa bits); those below 2^127 are checked exactly, which covers every tie with
// at most 17 significant digits but a few beyond 10^38.
template <typename Float>
bool IsHalfwayDecimal(Float value, std::string_view digits, int exponent) {
  constexpr int kMantissaBits = std::numeric_limits<Float>::digits;
  Float magnitude = std::fabs(value);
  if (magnitude < std::ldexp(Float{1}, kMantissaBits) || magnitude >= std::ldexp(Float{1}, 127)) {
    return false;
  }
  int zeros = exponent - static_cast<int>(digits.size()) + 1;
  if (zeros < 0 || exponent > 38) return false;
  unsigned __int128 decimal = 0;
  for (char c : digits) decimal = decimal * 10 + static_cast<unsigned>(c - '0');
  for (int i = 0; i < zeros; ++i) decimal *= 10;
  auto exact = static_cast<unsigned __int128>(magnitude);
  int binary_exponent = std::ilogb(magnitude);
  unsigned __int128 half_ulp = static_cast<unsigned __int128>(1)
                               << (binary_exponent - kMantissaBits);
  // Just below a power of two the floats are twice as dense.
  bool power_of_two = std::ldexp(Float{1}, binary_exponent) == magnitude;
  unsigned __int128 half_ulp_below = power_of_two ? half_ulp / 2 : half_ulp;
  return decimal == exact + half_ulp || decimal == exact - half_ulp_below;
}

// PostgreSQL's float output (float4out / float8out with extra_float_digits 1): the shortest
// digits that read back exactly (and are not a halfway tie, see above), in %g layout with the
// type's digit count as the switch to exponent notation.
template <typename Float>
void AppendFloatText(Float value, int exponent_switch, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  bool negative = false;
  std::string digits;
  int exponent = 0;
  DecimalDigits(value, -1, negative, digits, exponent);
  if (IsHalfwayDecimal(value, digits, exponent)) {
    constexpr int kMaxDigits = std::numeric_limits<Float>::max_digits10;
    for (int count = static_cast<int>(digits.size()) + 1; count <= kMaxDigits; ++count) {
      DecimalDigits(value, count - 1, negative, digits, exponent);
      while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
      if (!IsHalfwayDecimal(value, digits, exponent)) break;
    }
  }
  if (negative) out.push_back('-');
  if (exponent < -4 || exponent >= exponent_switch) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    fmt::format_to(std::back_inserter(out), "e{}{:02}", exponent < 0 ? '-' : '+',
                   std::abs(exponent));
  } else if (exponent >= 0) {
    std::size_t integer_digits = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
      out += digits;
      out.append(integer_digits - digits.size(), '0');
    } else {
      out.append(digits, 0, integer_digits);
      out.push_back('.');
      out.append(digits, integer_digits);
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  }
}

// A decimal numeral split into its parts: [-+]digits[.digits].
struct DecimalParts {
  bool negative = false;
  std::string_view integer;
  std::string_view fraction;
};
std::optional<DecimalParts> SplitDecimal(std::string_view text) {
  DecimalParts parts;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    parts.negative = text.front() == '-';
    text.remove_prefix(1);
  }
  std::size_t point = text.find('.');
  parts.integer = text.substr(0, point);
  if (point != std::string_view::npos) parts.fraction = text.substr(point + 1);
  if (parts.integer.empty() && parts.fraction.empty()) return std::nullopt;
  for (char c : parts.integer) {
    if (!IsDigit(c)) return std::nullopt;
  }
  for (char c : parts.fraction) {
    if (!IsDigit(c)) return std::nullopt;
  }
  return parts;
}

// ---- clock parsing -------------------------------------------------------------------------

// "H:MM", "H:MM:SS", "H:MM:SS.ffffff" (hours of any width) as microseconds; fractions beyond
// microseconds are rounded half up.
std::optional<std::int64_t> ParseClock(std::string_view text, std::int64_t max_hours) {
  std::size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  std::int64_t hours = 0;
  for (char c : text.substr(0, colon)) {
    if (!IsDigit(c)) return std::nullopt;
    hours = hours * 10 + (c - '0');
    if (hours > max_hours) return std::nullopt;
  }
  std::string_view rest = text.substr(colon + 1);
  auto two_digits = [](std::string_view part) -> std::optional<int> {
    if (part.size() != 2 || !IsDigit(part[0]) || !IsDigit(part[1])) return std::nullopt;
    return (part[0] - '0') * 10 + (part[1] - '0');
  };
  std::optional<int> minutes = two_digits(rest.substr(0, 2));
  if (!minutes || *minutes > 59) return std::nullopt;
  rest.remove_prefix(2);
  std::int64_t micros = hours * kMicrosPerHour + *minutes * kMicrosPerMinute;
  if (rest.empty()) return micros;
  if (rest.front() != ':') return std::nullopt;
  rest.remove_prefix(1);
  std::optional<int> seconds = two_digits(rest.substr(0, 2));
  if (!seconds || *seconds > 60) return std::nullopt;
  rest.remove_prefix(2);
  micros += *seconds * kMicrosPerSecond;
  if (rest.empty()) return micros;
  if (rest.front() != '.' || rest.size() < 2) return std::nullopt;
  rest.remove_prefix(1);
  std::int64_t fraction = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (!IsDigit(rest[i])) return std::nullopt;
    if (i < 6) fraction = fraction * 10 + (rest[i] - '0');
  }
  for (std::size_t i = rest.size(); i < 6; ++i) fraction *= 10;
  if (rest.size() > 6 && rest[6] >= '5') ++fraction;
  return micros + fraction;
}

// "YYYY-MM-DD" at the start of `text`; consumes it. Returns days since 1970 (astronomical year).
std::optional<std::int64_t> ParseCivilDate(std::string_view& text, bool bc) {
  std::size_t dash = text.find('-', 1);
  if (dash == std::string_view::npos || dash > 7) return std::nullopt;
  std::int64_t year = 0;
  for (char c : text.substr(0, dash)) {
    if (!IsDigit(c)) return std::nullopt;
    year = year * 10 + (c - '0');
  }
  std::string_view rest = text.substr(dash + 1);
  if (rest.size() < 5 || !IsDigit(rest[0]) || !IsDigit(rest[1]) || rest[2] != '-' ||
      !IsDigit(rest[3]) || !IsDigit(rest[4])) {
    return std::nullopt;
  }
  int month = (rest[0] - '0') * 10 + (rest[1] - '0');
  int day = (rest[3] - '0') * 10 + (rest[4] - '0');
  if (bc) {
    if (year == 0) return std::nullopt;  // there is no year 0 BC
    year = 1 - year;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  text = rest.substr(5);
  return DaysFromCivil(year, month, day);
}

// Removes a trailing " BC" / " AD" era; returns whether it was BC.
bool TakeEra(std::string_view& text) {
  if (text.size() > 3 && IsBlank(text[text.size() - 3])) {
    std::string_view era = text.substr(text.size() - 2);
    if (EqualsIgnoringCase(era, "BC") || EqualsIgnoringCase(era, "AD")) {
      text = Trim(text.substr(0, text.size() - 3));
      return EqualsIgnoringCase(era, "BC");
    }
  }
  return false;
}

// ---- interval parsing ----------------------------------------------------------------------

// Accumulates interval fields with PostgreSQL's spilling of fractions to smaller units.
struct IntervalSum {
  long double months = 0;
  long double days = 0;
  long double micros = 0;

  void Add(long double value, std::string_view unit_months_days_micros, long double scale) {
    if (unit_months_days_micros == "months") {
      long double whole = std::trunc(value * scale);
      months += whole;
      AddDays((value * scale - whole) * 30);
    } else if (unit_months_days_micros == "days") {
      AddDays(value * scale);
    } else {
      micros += value * scale;
    }
  }
  void AddDays(long double value) {
    long double whole = std::trunc(value);
    days += whole;
    micros += (value - whole) * kMicrosPerDay;
  }
};

struct IntervalUnit {
  std::string_view name;
  std::string_view field;  // "months", "days" or "micros"
  long double scale;
};
constexpr IntervalUnit kIntervalUnits[] = {
    {"microsecond", "micros", 1},
    {"microseconds", "micros", 1},
    {"us", "micros", 1},
    {"usec", "micros", 1},
    {"usecs", "micros", 1},
    {"millisecond", "micros", 1e3},
    {"milliseconds", "micros", 1e3},
    {"ms", "micros", 1e3},
    {"msec", "micros", 1e3},
    {"msecs", "micros", 1e3},
    {"second", "micros", 1e6},
    {"seconds", "micros", 1e6},
    {"s", "micros", 1e6},
    {"sec", "micros", 1e6},
    {"secs", "micros", 1e6},
    {"minute", "micros", 6e7},
    {"minutes", "micros", 6e7},
    {"m", "micros", 6e7},
    {"min", "micros", 6e7},
    {"mins", "micros", 6e7},
    {"hour", "micros", 3.6e9},
    {"hours", "micros", 3.6e9},
    {"h", "micros", 3.6e9},
    {"hr", "micros", 3.6e9},
    {"hrs", "micros", 3.6e9},
    {"day", "days", 1},
    {"days", "days", 1},
    {"d", "days", 1},
    {"week", "days", 7},
    {"weeks", "days", 7},
    {"w", "days", 7},
    {"month", "months", 1},
    {"months", "months", 1},
    {"mon", "months", 1},
    {"mons", "months", 1},
    {"year", "months", 12},
    {"years", "months", 12},
    {"y", "months", 12},
    {"yr", "months", 12},
    {"yrs", "months", 12},
    {"decade", "months", 120},
    {"decades", "months", 120},
    {"century", "months", 1200},
    {"centuries", "months", 1200},
    {"millennium", "months", 12000},
    {"millennia", "months", 12000},
};

const IntervalUnit* FindIntervalUnit(std::string_view name) {
  for (const IntervalUnit& unit : kIntervalUnits) {
    if (EqualsIgnoringCase(unit.name, name)) return &unit;
  }
  return nullptr;
}

std::optional<long double> ParseSignedNumber(std::string_view text) {
  std::optional<DecimalParts> parts = SplitDecimal(text);
  if (!parts) return std::nullopt;
  long double value = 0;
  for (char c : parts->integer) value = value * 10 + (c - '0');
  long double scale = 0.1L;
  for (char c : parts->fraction) {
    value += (c - '0') * scale;
    scale /= 10;
  }
  return parts->negative ? -value : value;
}

Result<PgInterval> FinishInterval(const IntervalSum& sum, bool negate, std::string_view text) {
  long double sign = negate ? -1 : 1;
  long double months = std::trunc(sum.months) * sign;
  long double days = std::trunc(sum.days) * sign;
  long double micros = std::round(sum.micros) * sign;
  if (std::fabs(months) > std::numeric_limits<std::int32_t>::max() ||
      std::fabs(days) > std::numeric_limits<std::int32_t>::max() ||
      micros > static_cast<long double>(std::numeric_limits<std::int64_t>::max()) ||
      micros < static_cast<long double>(std::numeric_limits<std::int64_t>::min())) {
    return BadText("interval", text, "a field is out of range");
  }
  return PgInterval{static_cast<std::int32_t>(months), static_cast<std::int32_t>(days),
                    static_cast<std::int64_t>(micros)};
}

Result<PgInterval> ParseIsoInterval(std::string_view original, std::string_view text) {
  IntervalSum sum;
  bool in_time = false;
  bool any = false;
  std::size_t at = 1;  // after 'P'
  while (at < text.size()) {
    if (text[at] == 'T' || text[at] == 't') {
      if (in_time) return BadText("interval", original, "a second 'T'");
      in_time = true;
      ++at;
      continue;
    }
    std::size_t start = at;
    while (at < text.size() &&
           (IsDigit(text[at]) || text[at] == '.' || text[at] == '-' || text[at] == '+')) {
      ++at;
    }
    if (at == start || at >= text.size()) {
      return BadText("interval", original, "ISO 8601 needs a number before each designator");
    }
    std::optional<long double> value = ParseSignedNumber(text.substr(start, at - start));
    if (!value) return BadText("interval", original, "a number is malformed");
    char designator = static_cast<char>(text[at] & ~0x20);  // upper case
    ++at;
    any = true;
    if (!in_time && designator == 'Y') {
      sum.Add(*value, "months", 12);
    } else if (!in_time && designator == 'M') {
      sum.Add(*value, "months", 1);
    } else if (!in_time && designator == 'W') {
      sum.Add(*value, "days", 7);
    } else if (!in_time && designator == 'D') {
      sum.Add(*value, "days", 1);
    } else if (in_time && designator == 'H') {
      sum.Add(*value, "micros", 3.6e9);
    } else if (in_time && designator == 'M') {
      sum.Add(*value, "micros", 6e7);
    } else if (in_time && designator == 'S') {
      sum.Add(*value, "micros", 1e6);
    } else {
      return BadText("interval", original,
                     fmt::format("'{}' is no ISO 8601 designator here", text[at - 1]));
    }
  }
  if (!any) return BadText("interval", original, "ISO 8601 interval without fields");
  return FinishInterval(sum, false, original);
}

// ---- arrays --------------------------------------------------------------------------------

bool NeedsArrayQuotes(std::string_view element) {
  if (element.empty() || EqualsIgnoringCase(element, "NULL")) return true;
  for (char c : element) {
    if (c == '"' || c == '\\' || c == '{' || c == '}' || c == ',' || IsBlank(c)) return true;
  }
  return false;
}

Status CheckUtf8For(std::string_view type, std::string_view bytes) {
  Status status = CheckUtf8(bytes);
  if (status.ok()) return status;
  return Status::Invalid("invalid input for type {}: {}", type, status.message());
}

}  // namespace

// ---- the type table ------------------------------------------------------------------------

Result<PgType> PgTypeForDuckdb(std::string_view duckdb_type) {
  std::string name = AsciiUpper(TrimBlanks(duckdb_type));
  if (name.empty()) return Status::Invalid("DuckDB type name is empty");
  if (name.back() == ']') {
    std::size_t open = name.rfind('[');
    if (open == std::string::npos || open == 0) {
      return Status::Invalid("DuckDB type {}: a ']' without its '['", Quote(duckdb_type));
    }
    QUANTA_ASSIGN_OR_RETURN(PgType element,
                            PgTypeForDuckdb(std::string_view(name).substr(0, open)));
    // Nested lists may be ragged, which PostgreSQL arrays cannot be; they travel as json.
    if (element.element_oid != 0 || element.source == PgValueSource::kJsonText) {
      return WithSource(TypeWithOid(pg_oid::kJson), -1, PgValueSource::kJsonText);
    }
    PgType array = TypeWithOid(element.array_oid);
    array.source = element.source;
    return array;
  }
  std::string_view base = name;
  std::string_view arguments;
  std::size_t paren = name.find('(');
  if (paren != std::string::npos) {
    base = TrimBlanks(std::string_view(name).substr(0, paren));
    arguments = std::string_view(name).substr(paren);
  }
  if (base == "STRUCT" || base == "MAP" || base == "UNION") {
    return WithSource(TypeWithOid(pg_oid::kJson), -1, PgValueSource::kJsonText);
  }
  if (base == "DECIMAL" || base == "NUMERIC") {
    int precision = 18;
    int scale = 3;
    if (!arguments.empty()) {
      int read = 0;
      if (std::sscanf(std::string(arguments).c_str(), " ( %d , %d ) %n", &precision, &scale,
                      &read) != 2 ||
          read != static_cast<int>(arguments.size())) {
        if (std::sscanf(std::string(arguments).c_str(), " ( %d ) %n", &precision, &read) != 1 ||
            read != static_cast<int>(arguments.size())) {
          return Status::Invalid("DuckDB type {}: DECIMAL takes (precision, scale)",
                                 Quote(duckdb_type));
        }
        scale = 0;
      }
    }
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      return Status::Invalid("DuckDB type {}: precision must be 1 to 38 and scale 0 to precision",
                             Quote(duckdb_type));
    }
    return WithSource(TypeWithOid(pg_oid::kNumeric), NumericTypmod(precision, scale),
                      PgValueSource::kPrimitive);
  }
  for (const NamedType& named : kDuckdbTypes) {
    if (named.duckdb == base) {
      return WithSource(TypeWithOid(named.oid), named.modifier, named.source);
    }
  }
  // ENUM, BIT, TIME WITH TIME ZONE, "NULL" and anything newer: DuckDB's text of the value.
  return WithSource(TypeWithOid(pg_oid::kText), -1, PgValueSource::kVarcharText);
}

std::optional<PgType> PgTypeForOid(std::uint32_t oid) {
  for (const PgType& type : kTypes) {
    if (type.oid == oid) return type;
  }
  return std::nullopt;
}

// ---- text encoders -------------------------------------------------------------------------

void AppendBoolText(bool value, std::string& out) { out.push_back(value ? 't' : 'f'); }

void AppendIntegerText(std::int64_t value, std::string& out) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void AppendFloat4Text(float value, std::string& out) { AppendFloatText(value, 6, out); }

void AppendFloat8Text(double value, std::string& out) { AppendFloatText(value, 15, out); }

void AppendNumericText(__int128 unscaled, int scale, std::string& out) {
  unsigned __int128 magnitude =
      unscaled < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(unscaled)
                   : static_cast<unsigned __int128>(unscaled);
  // Digits from the right, the point placed `scale` digits in; at least one digit before it.
  char buffer[96];
  int at = sizeof(buffer);
  int written = 0;
  const int fraction_digits = std::max(scale, 0);
  do {
    if (fraction_digits > 0 && written == fraction_digits) buffer[--at] = '.';
    buffer[--at] = static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
    ++written;
  } while ((magnitude != 0 || written <= fraction_digits) && at > 1);
  if (unscaled < 0) out.push_back('-');
  out.append(buffer + at, sizeof(buffer) - static_cast<std::size_t>(at));
}

void AppendByteaText(std::string_view bytes, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + 2 + bytes.size() * 2);
  out += "\\x";
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 15]);
  }
}

void AppendDateText(std::int32_t days_since_1970, std::string& out) {
  if (days_since_1970 == kDateInfinity) {
    out += "infinity";
    return;
  }
  if (days_since_1970 <= -kDateInfinity) {
    out += "-infinity";
    return;
  }
  if (AppendCivilDate(days_since_1970, out)) out += " BC";
}

void AppendTimeText(std::int64_t micros, std::string& out) { AppendClock(micros, out); }

void AppendTimestampText(std::int64_t micros_since_1970, std::string& out) {
  AppendTimestamp(micros_since_1970, false, out);
}

void AppendTimestampTzText(std::int64_t micros_since_1970, std::string& out) {
  AppendTimestamp(micros_since_1970, true, out);
}

void AppendIntervalText(const PgInterval& value, std::string& out) {
  // PostgreSQL's EncodeInterval for IntervalStyle postgres.
  std::int64_t years = value.months / 12;
  std::int64_t months = value.months % 12;
  std::int64_t hours = value.micros / kMicrosPerHour;
  std::int64_t rest = value.micros % kMicrosPerHour;
  std::int64_t minutes = rest / kMicrosPerMinute;
  rest %= kMicrosPerMinute;
  std::int64_t seconds = rest / kMicrosPerSecond;
  std::int64_t fraction = rest % kMicrosPerSecond;
  bool is_zero = true;
  bool is_before = false;
  auto part = [&](std::int64_t amount, std::string_view unit) {
    if (amount == 0) return;
    fmt::format_to(std::back_inserter(out), "{}{}{} {}{}", is_zero ? "" : " ",
                   is_before && amount > 0 ? "+" : "", amount, unit, amount != 1 ? "s" : "");
    is_before = amount < 0;
    is_zero = false;
  };
  part(years, "year");
  part(months, "mon");
  part(value.days, "day");
  if (is_zero || hours != 0 || minutes != 0 || seconds != 0 || fraction != 0) {
    bool minus = hours < 0 || minutes < 0 || seconds < 0 || fraction < 0;
    fmt::format_to(std::back_inserter(out), "{}{}{:02}:{:02}:{:02}", is_zero ? "" : " ",
                   minus ? "-" : (is_before ? "+" : ""),
                   static_cast<std::uint64_t>(hours < 0 ? -hours : hours),
                   minutes < 0 ? -minutes : minutes, seconds < 0 ? -seconds : seconds);
    if (fraction != 0) {
      char digits[7];
      fmt::format_to(digits, "{:06}", fraction < 0 ? -fraction : fraction);
      int length = 6;
      while (digits[length - 1] == '0') --length;
      out.push_back('.');
      out.append(digits, length);
    }
  }
}

void AppendUuidText(const PgUuid& value, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[value[i] >> 4]);
    out.push_back(kHex[value[i] & 15]);
  }
}

void AppendArrayText(std::span<const std::optional<std::string_view>> elements, std::string& out) {
  out.push_back('{');
  bool first = true;
  for (const auto& element : elements) {
    if (!first) out.push_back(',');
    first = false;
    if (!element) {
      out += "NULL";
    } else if (!NeedsArrayQuotes(*element)) {
      out += *element;
    } else {
      out.push_back('"');
      for (char c : *element) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
      }
      out.push_back('"');
    }
  }
  out.push_back('}');
}

// ---- binary encoders -----------------------------------------------------------------------

void AppendBoolBinary(bool value, std::string& out) { out.push_back(value ? 1 : 0); }

void AppendInt2Binary(std::int16_t value, std::string& out) { AppendInt16(out, value); }

void AppendInt4Binary(std::int32_t value, std::string& out) { AppendInt32(out, value); }

void AppendInt8Binary(std::int64_t value, std::string& out) { AppendInt64(out, value); }

void AppendFloat4Binary(float value, std::string& out) {
  AppendInt32(out, static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(value)));
}

void AppendFloat8Binary(double value, std::string& out) {
  AppendInt64(out, static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(value)));
}

void AppendNumericBinary(__int128 unscaled, int scale, std::string& out) {
  std::string digits = MagnitudeDigits(unscaled);
  if (scale < 0) scale = 0;
  auto fraction_digits = static_cast<std::size_t>(scale);
  if (digits.size() <= fraction_digits) digits.insert(0, fraction_digits + 1 - digits.size(), '0');
  std::string_view view = digits;
  AppendNumericDigits(unscaled < 0, view.substr(0, digits.size() - fraction_digits),
                      view.substr(digits.size() - fraction_digits), out);
}

Status AppendNumericBinaryFromText(std::string_view decimal, std::string& out) {
  std::optional<DecimalParts> parts = SplitDecimal(Trim(decimal));
  // numeric's limits: 131072 digits before the point, 16383 after.
  if (!parts || parts->integer.size() > 131072 || parts->fraction.size() > 16383) {
    return BadText("numeric", decimal, "a decimal numeral such as -123.45 is expected");
  }
  AppendNumericDigits(parts->negative, parts->integer.empty() ? "0" : parts->integer,
                      parts->fraction, out);
  return Status::Ok();
}

void AppendDateBinary(std::int32_t days_since_1970, std::string& out) {
  std::int32_t days;
  if (days_since_1970 == kDateInfinity) {
    days = kDateInfinity;
  } else if (days_since_1970 <= -kDateInfinity) {
    days = kDateMinusInfinity;
  } else {
    days = days_since_1970 - kPgEpochDays;
  }
  AppendInt32(out, days);
}

void AppendTimeBinary(std::int64_t micros, std::string& out) { AppendInt64(out, micros); }

void AppendTimestampBinary(std::int64_t micros_since_1970, std::string& out) {
  std::int64_t micros;
  if (micros_since_1970 == kTimestampInfinity) {
    micros = kTimestampInfinity;
  } else if (micros_since_1970 < kTimestampMinusInfinity + kPgEpochMicros + 1) {
    micros = kTimestampMinusInfinity;  // -infinity, and anything too early to shift
  } else {
    micros = micros_since_1970 - kPgEpochMicros;
  }
  AppendInt64(out, micros);
}

void AppendIntervalBinary(const PgInterval& value, std::string& out) {
  AppendInt64(out, value.micros);
  AppendInt32(out, value.days);
  AppendInt32(out, value.months);
}

void AppendUuidBinary(const PgUuid& value, std::string& out) {
  out.append(reinterpret_cast<const char*>(value.data()), value.size());
}

void AppendArrayBinary(std::uint32_t element_oid,
                       std::span<const std::optional<std::string_view>> elements,
                       std::string& out) {
  bool has_null = false;
  for (const auto& element : elements) has_null |= !element.has_value();
  AppendInt32(out, elements.empty() ? 0 : 1);
  AppendInt32(out, has_null ? 1 : 0);
  AppendInt32(out, static_cast<std::int32_t>(element_oid));
  if (elements.empty()) return;
  AppendInt32(out, static_cast<std::int32_t>(elements.size()));
  AppendInt32(out, 1);  // lower bound
  for (const auto& element : elements) {
    if (!element) {
      AppendInt32(out, -1);
      continue;
    }
    AppendInt32(out, static_cast<std::int32_t>(element->size()));
    out += *element;
  }
}

// ---- decoders ------------------------------------------------------------------------------

Status CheckUtf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte < 0x80) {
      if (byte == 0) return Status::Invalid("a NUL byte at byte {} is not allowed in text", i);
      ++i;
      continue;
    }
    std::size_t length;
    std::uint32_t code;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
      code = byte & 0x1F;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      code = byte & 0x0F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      code = byte & 0x07;
    } else {
      return Status::Invalid("byte 0x{:02x} at byte {} does not start a UTF-8 character", byte, i);
    }
    if (i + length > bytes.size()) {
      return Status::Invalid("the UTF-8 character at byte {} is cut off by the end", i);
    }
    for (std::size_t j = 1; j < length; ++j) {
      auto next = static_cast<unsigned char>(bytes[i + j]);
      if ((next & 0xC0) != 0x80) {
        return Status::Invalid("the UTF-8 character at byte {} is malformed", i);
      }
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10FFFF)) ||
        (code >= 0xD800 && code <= 0xDFFF)) {
      return Status::Invalid("the UTF-8 character at byte {} is overlong or a surrogate", i);
    }
    i += length;
  }
  return Status::Ok();
}

Result<bool> DecodeBoolText(std::string_view text) {
  std::string value = AsciiLower(Trim(text));
  auto prefix_of = [&](std::string_view word, std::size_t min_length) {
    return value.size() >= min_length && value.size() <= word.size() &&
           word.substr(0, value.size()) == value;
  };
  if (prefix_of("true", 1) || prefix_of("yes", 1) || value == "on" || value == "1") return true;
  if (prefix_of("false", 1) || prefix_of("no", 1) || prefix_of("off", 2) || value == "0") {
    return false;
  }
  return BadText("boolean", text, "true, false, yes, no, on, off, 1 or 0 is expected");
}

Result<bool> DecodeBoolBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("boolean", bytes, 1));
  if (bytes[0] != 0 && bytes[0] != 1) return BadBinary("boolean", "the byte is neither 0 nor 1");
  return bytes[0] == 1;
}

Result<std::int64_t> DecodeIntegerText(std::string_view text, int bits) {
  std::string_view type = bits == 16 ? "smallint" : bits == 32 ? "integer" : "bigint";
  std::string_view value = Trim(text);
  if (!value.empty() && value.front() == '+') value.remove_prefix(1);
  std::int64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error == std::errc::invalid_argument || end != value.data() + value.size()) {
    return BadText(type, text, "a whole number is expected");
  }
  std::int64_t limit = bits == 16 ? 32767 : bits == 32 ? 2147483647 : 0;
  if (error == std::errc::result_out_of_range ||
      (limit != 0 && (number > limit || number < -limit - 1))) {
    return BadText(type, text, fmt::format("out of range for {} bits", bits));
  }
  return number;
}

Result<std::int64_t> DecodeIntegerBinary(std::string_view bytes, int bits) {
  std::string_view type = bits == 16 ? "smallint" : bits == 32 ? "integer" : "bigint";
  QUANTA_RETURN_IF_ERROR(CheckLength(type, bytes, static_cast<std::size_t>(bits / 8)));
  if (bits == 16) return std::int64_t{LoadInt16(bytes.data())};
  if (bits == 32) return std::int64_t{LoadInt32(bytes.data())};
  return LoadInt64(bytes.data());
}

Result<double> DecodeFloatText(std::string_view text) {
  std::string_view value = Trim(text);
  bool negative = false;
  std::string_view magnitude = value;
  if (!magnitude.empty() && (magnitude.front() == '-' || magnitude.front() == '+')) {
    negative = magnitude.front() == '-';
    magnitude.remove_prefix(1);
  }
  if (EqualsIgnoringCase(magnitude, "infinity") || EqualsIgnoringCase(magnitude, "inf")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (EqualsIgnoringCase(magnitude, "nan")) return std::numeric_limits<double>::quiet_NaN();
  double number = 0;
  auto [end, error] = std::from_chars(magnitude.data(), magnitude.data() + magnitude.size(), number,
                                      std::chars_format::general);
  if (magnitude.empty() || error == std::errc::invalid_argument ||
      end != magnitude.data() + magnitude.size() ||
      !(IsDigit(magnitude[0]) || magnitude[0] == '.')) {
    return BadText("double precision", text, "a number such as 1.5, -2e10 or NaN is expected");
  }
  if (error == std::errc::result_out_of_range) {
    return BadText("double precision", text, "out of range");
  }
  return negative ? -number : number;
}

Result<double> DecodeFloatBinary(std::string_view bytes, int bits) {
  if (bits == 32) {
    QUANTA_RETURN_IF_ERROR(CheckLength("real", bytes, 4));
    return static_cast<double>(
        std::bit_cast<float>(static_cast<std::uint32_t>(LoadInt32(bytes.data()))));
  }
  QUANTA_RETURN_IF_ERROR(CheckLength("double precision", bytes, 8));
  return std::bit_cast<double>(static_cast<std::uint64_t>(LoadInt64(bytes.data())));
}

Result<PgNumeric> DecodeNumericText(std::string_view text) {
  std::string_view value = Trim(text);
  std::string_view magnitude = value;
  if (!magnitude.empty() && (magnitude.front() == '-' || magnitude.front() == '+')) {
    magnitude.remove_prefix(1);
  }
  if (EqualsIgnoringCase(value, "nan")) return PgNumeric{"NaN"};
  if (EqualsIgnoringCase(magnitude, "infinity") || EqualsIgnoringCase(magnitude, "inf")) {
    return PgNumeric{value.front() == '-' ? "-Infinity" : "Infinity"};
  }
  std::string_view mantissa = value;
  std::size_t e = value.find_first_of("eE");
  if (e != std::string_view::npos) {
    mantissa = value.substr(0, e);
    std::string_view exponent = value.substr(e + 1);
    if (!exponent.empty() && (exponent.front() == '-' || exponent.front() == '+')) {
      exponent.remove_prefix(1);
    }
    bool digits = !exponent.empty() && exponent.size() < 10;
    for (char c : exponent) digits = digits && IsDigit(c);
    if (!digits) return BadText("numeric", text, "the exponent is malformed");
  }
  std::optional<DecimalParts> parts = SplitDecimal(mantissa);
  if (!parts) return BadText("numeric", text, "a number such as -123.45 or 1e10 is expected");
  return PgNumeric{std::string(value)};
}

Result<PgNumeric> DecodeNumericBinary(std::string_view bytes) {
  if (bytes.size() < 8) return BadBinary("numeric", "fewer than the 8 header bytes");
  std::int16_t count = LoadInt16(bytes.data());
  std::int16_t weight = LoadInt16(bytes.data() + 2);
  auto sign = static_cast<std::uint16_t>(LoadInt16(bytes.data() + 4));
  std::int16_t scale = LoadInt16(bytes.data() + 6);
  if (count < 0) return BadBinary("numeric", "a negative digit count");
  QUANTA_RETURN_IF_ERROR(CheckLength("numeric", bytes, 8 + 2 * static_cast<std::size_t>(count)));
  if (sign == 0xC000) return PgNumeric{"NaN"};
  if (sign == 0xD000) return PgNumeric{"Infinity"};
  if (sign == 0xF000) return PgNumeric{"-Infinity"};
  if (sign != 0 && sign != 0x4000) {
    return BadBinary("numeric", fmt::format("sign field 0x{:04x} is not a sign", sign));
  }
  if (scale < 0 || scale > 0x3FFF) return BadBinary("numeric", "display scale out of range");
  std::vector<int> digits(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < digits.size(); ++i) {
    digits[i] = LoadInt16(bytes.data() + 8 + 2 * i);
    if (digits[i] < 0 || digits[i] > 9999) {
      return BadBinary("numeric", fmt::format("digit {} is {}, not 0 to 9999", i + 1, digits[i]));
    }
  }
  auto digit = [&](int index) { return index >= 0 && index < count ? digits[index] : 0; };
  std::string text;
  if (sign == 0x4000) text.push_back('-');
  if (weight < 0) {
    text.push_back('0');
  } else {
    for (int i = 0; i <= weight; ++i) {
      if (i == 0) {
        fmt::format_to(std::back_inserter(text), "{}", digit(i));
      } else {
        fmt::format_to(std::back_inserter(text), "{:04}", digit(i));
      }
    }
  }
  if (scale > 0) {
    text.push_back('.');
    std::string fraction;
    for (int i = weight + 1; static_cast<int>(fraction.size()) < scale; ++i) {
      fmt::format_to(std::back_inserter(fraction), "{:04}", digit(i));
    }
    text.append(fraction, 0, static_cast<std::size_t>(scale));
  }
  return PgNumeric{std::move(text)};
}

Result<std::string> DecodeByteaText(std::string_view text) {
  std::string bytes;
  if (text.starts_with("\\x")) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 2; i < text.size();) {
      if (IsBlank(text[i])) {
        ++i;
        continue;
      }
      int high = nibble(text[i]);
      int low = i + 1 < text.size() ? nibble(text[i + 1]) : -1;
      if (high < 0 || low < 0) {
        return BadText("bytea", text,
                       fmt::format("character {} does not start a pair of hex digits", i + 1));
      }
      bytes.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
    return bytes;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      bytes.push_back(text[i]);
    } else if (i + 1 < text.size() && text[i + 1] == '\\') {
      bytes.push_back('\\');
      ++i;
    } else if (i + 3 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '3' &&
               text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
               text[i + 3] <= '7') {
      bytes.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                        (text[i + 3] - '0')));
      i += 3;
    } else {
      return BadText("bytea", text,
                     fmt::format("the backslash at character {} is neither \\\\ nor \\ and three "
                                 "octal digits",
                                 i + 1));
    }
  }
  return bytes;
}

Result<std::int32_t> DecodeDateText(std::string_view text) {
  std::string_view value = Trim(text);
  if (EqualsIgnoringCase(value, "infinity")) return kDateInfinity;
  if (EqualsIgnoringCase(value, "-infinity")) return kDateMinusInfinity;
  if (EqualsIgnoringCase(value, "epoch")) return 0;
  bool bc = TakeEra(value);
  std::optional<std::int64_t> days = ParseCivilDate(value, bc);
  if (days && !value.empty() && (IsBlank(value.front()) || value.front() == 'T')) {
    // A time of day or a UTC offset after the date is read and dropped, as PostgreSQL does;
    // pgjdbc sends dates as "2024-02-29 +00".
    Result<std::int64_t> timestamp = DecodeTimestampText(text, false);
    if (!timestamp.ok()) {
      return BadText("date", text, "a date, optionally with a time or UTC offset, is expected");
    }
    return static_cast<std::int32_t>(FloorDivide(*timestamp, kMicrosPerDay));
  }
  if (!days || !value.empty()) {
    return BadText("date", text, "a date such as 2024-02-29 (ISO year-month-day) is expected");
  }
  // PostgreSQL's range: 4714-11-24 BC (Julian day 0) up to 5874898-01-01.
  if (*days < -2'440'588 || *days >= 2'145'042'906) return BadText("date", text, "out of range");
  return static_cast<std::int32_t>(*days);
}

Result<std::int32_t> DecodeDateBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("date", bytes, 4));
  std::int32_t days = LoadInt32(bytes.data());
  if (days == kDateInfinity || days == kDateMinusInfinity) return days;
  if (days > kDateInfinity - kPgEpochDays) return BadBinary("date", "out of range");
  return days + kPgEpochDays;
}

Result<std::int64_t> DecodeTimeText(std::string_view text) {
  std::optional<std::int64_t> micros = ParseClock(Trim(text), 24);
  if (!micros || *micros > kMicrosPerDay) {
    return BadText("time", text, "a time of day such as 13:45:06.5 is expected");
  }
  return *micros;
}

Result<std::int64_t> DecodeTimeBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("time", bytes, 8));
  std::int64_t micros = LoadInt64(bytes.data());
  if (micros < 0 || micros > kMicrosPerDay) return BadBinary("time", "not within one day");
  return micros;
}

Result<std::int64_t> DecodeTimestampText(std::string_view text, bool with_time_zone) {
  std::string_view type = with_time_zone ? "timestamp with time zone" : "timestamp";
  std::string_view value = Trim(text);
  if (EqualsIgnoringCase(value, "infinity")) return kTimestampInfinity;
  if (EqualsIgnoringCase(value, "-infinity")) return kTimestampMinusInfinity;
  if (EqualsIgnoringCase(value, "epoch")) return 0;
  bool bc = TakeEra(value);
  std::optional<std::int64_t> days = ParseCivilDate(value, bc);
  auto bad = [&] {
    return BadText(type, text, "a timestamp such as 2024-02-29 13:45:06.5+00 is expected");
  };
  if (!days) return bad();
  std::int64_t micros_of_day = 0;
  std::int64_t offset_micros = 0;
  if (!value.empty()) {
    if (value.front() != ' ' && value.front() != 'T' && value.front() != 't') return bad();
    value = Trim(value.substr(1));
    // The zone starts at the first '+', '-' or 'Z' after the clock.
    std::size_t zone = value.find_first_of("+-Zz");
    std::string_view clock = Trim(value.substr(0, zone));
    // A date with only an offset ("2024-02-29 +00", as pgjdbc sends dates) is its midnight.
    std::optional<std::int64_t> parsed =
        clock.empty() && zone != std::string_view::npos ? 0 : ParseClock(clock, 24);
    if (!parsed || *parsed > kMicrosPerDay) return bad();
    micros_of_day = *parsed;
    if (zone != std::string_view::npos) {
      std::string_view offset = value.substr(zone);
      if (offset == "Z" || offset == "z") {
        offset_micros = 0;
      } else {
        int sign = offset.front() == '-' ? -1 : 1;
        offset.remove_prefix(1);
        std::string digits;
        for (char c : offset) {
          if (c != ':') digits.push_back(c);
        }
        bool numeric = !digits.empty();
        for (char c : digits) numeric = numeric && IsDigit(c);
        if (!numeric || (digits.size() != 2 && digits.size() != 4 && digits.size() != 6)) {
          return BadText(type, text, "the UTC offset must look like +02, -05:30 or +0530");
        }
        int hours = std::stoi(digits.substr(0, 2));
        int minutes = digits.size() >= 4 ? std::stoi(digits.substr(2, 2)) : 0;
        int seconds = digits.size() == 6 ? std::stoi(digits.substr(4, 2)) : 0;
        if (hours > 15 || minutes > 59 || seconds > 59) {
          return BadText(type, text, "the UTC offset is out of range");
        }
        offset_micros = sign * (hours * kMicrosPerHour + minutes * kMicrosPerMinute +
                                seconds * kMicrosPerSecond);
      }
    }
  }
  // From PostgreSQL's first day, 4714-11-24 BC (Julian day 0), to the last microsecond that
  // fits 64 bits counted from 1970 (DuckDB's limit, in 294247; PostgreSQL's is 294276).
  std::int64_t micros = 0;
  if (*days < -2'440'588 || __builtin_mul_overflow(*days, kMicrosPerDay, &micros) ||
      __builtin_add_overflow(micros, micros_of_day, &micros) ||
      (with_time_zone && __builtin_sub_overflow(micros, offset_micros, &micros)) ||
      micros == kTimestampInfinity) {
    return BadText(type, text, "out of range");
  }
  return micros;
}

Result<std::int64_t> DecodeTimestampBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("timestamp", bytes, 8));
  std::int64_t micros = LoadInt64(bytes.data());
  if (micros == kTimestampInfinity || micros == kTimestampMinusInfinity) return micros;
  if (micros > kTimestampInfinity - kPgEpochMicros) return BadBinary("timestamp", "out of range");
  return micros + kPgEpochMicros;
}

Result<PgInterval> DecodeIntervalText(std::string_view text) {
  std::string_view value = Trim(text);
  if (!value.empty() && value.front() == '@') value = Trim(value.substr(1));
  if (value.empty()) return BadText("interval", text, "it is empty");
  if (value.front() == 'P' || value.front() == 'p') return ParseIsoInterval(text, value);
  std::vector<std::string_view> tokens;
  for (std::size_t at = 0; at < value.size();) {
    while (at < value.size() && IsBlank(value[at])) ++at;
    std::size_t start = at;
    while (at < value.size() && !IsBlank(value[at])) ++at;
    if (at > start) tokens.push_back(value.substr(start, at - start));
  }
  bool ago = !tokens.empty() && EqualsIgnoringCase(tokens.back(), "ago");
  if (ago) tokens.pop_back();
  if (tokens.empty()) return BadText("interval", text, "no fields");
  IntervalSum sum;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    std::string_view token = tokens[i];
    if (token.find(':') != std::string_view::npos) {
      long double sign = 1;
      if (token.front() == '-' || token.front() == '+') {
        sign = token.front() == '-' ? -1 : 1;
        token.remove_prefix(1);
      }
      std::optional<std::int64_t> micros = ParseClock(token, 2'562'047'788);
      if (!micros) return BadText("interval", text, fmt::format("{} is no H:MM:SS time", token));
      sum.micros += sign * static_cast<long double>(*micros);
      continue;
    }
    std::size_t unit_start = 0;
    while (unit_start < token.size() && (IsDigit(token[unit_start]) || token[unit_start] == '.' ||
                                         token[unit_start] == '-' || token[unit_start] == '+')) {
      ++unit_start;
    }
    std::optional<long double> number = ParseSignedNumber(token.substr(0, unit_start));
    if (!number) {
      return BadText("interval", text, fmt::format("\"{}\" is where a number was expected", token));
    }
    std::string_view unit_name = token.substr(unit_start);
    if (unit_name.empty() && i + 1 < tokens.size() &&
        tokens[i + 1].find(':') == std::string_view::npos && !IsDigit(tokens[i + 1][0]) &&
        tokens[i + 1][0] != '-' && tokens[i + 1][0] != '+') {
      unit_name = tokens[++i];
    }
    if (unit_name.empty()) {  // a bare number counts seconds, as in PostgreSQL
      sum.Add(*number, "micros", 1e6);
      continue;
    }
    const IntervalUnit* unit = FindIntervalUnit(unit_name);
    if (unit == nullptr) {
      return BadText("interval", text, fmt::format("\"{}\" is no interval unit", unit_name));
    }
    sum.Add(*number, unit->field, unit->scale);
  }
  return FinishInterval(sum, ago, text);
}

Result<PgInterval> DecodeIntervalBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("interval", bytes, 16));
  return PgInterval{LoadInt32(bytes.data() + 12), LoadInt32(bytes.data() + 8),
                    LoadInt64(bytes.data())};
}

Result<PgUuid> DecodeUuidText(std::string_view text) {
  std::string_view value = Trim(text);
  if (value.size() >= 2 && value.front() == '{' && value.back() == '}') {
    value = value.substr(1, value.size() - 2);
  }
  PgUuid uuid{};
  std::size_t nibbles = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '-' && nibbles % 4 == 0 && nibbles > 0 && nibbles < 32 && value[i - 1] != '-') {
      continue;
    }
    int nibble = c >= '0' && c <= '9'   ? c - '0'
                 : c >= 'a' && c <= 'f' ? c - 'a' + 10
                 : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                        : -1;
    if (nibble < 0 || nibbles >= 32) {
      return BadText("uuid", text, "32 hex digits such as a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    }
    uuid[nibbles / 2] =
        static_cast<std::uint8_t>(uuid[nibbles / 2] | (nibbles % 2 == 0 ? nibble << 4 : nibble));
    ++nibbles;
  }
  if (nibbles != 32 || value.back() == '-') {
    return BadText("uuid", text, "32 hex digits such as a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  }
  return uuid;
}

Result<PgUuid> DecodeUuidBinary(std::string_view bytes) {
  QUANTA_RETURN_IF_ERROR(CheckLength("uuid", bytes, 16));
  PgUuid uuid;
  std::memcpy(uuid.data(), bytes.data(), 16);
  return uuid;
}

Result<std::vector<std::optional<std::string>>> DecodeArrayText(std::string_view text) {
  std::string_view value = Trim(text);
  if (!value.empty() && value.front() == '[') {
    return Status::NotSupported("array {}: explicit bounds ([1:3]=...) are not supported",
                                Quote(text));
  }
  if (value.size() < 2 || value.front() != '{' || value.back() != '}') {
    return BadText("array", text, "an array literal such as {1,2,NULL} is expected");
  }
  std::vector<std::optional<std::string>> elements;
  std::string_view body = value.substr(1, value.size() - 2);
  if (Trim(body).empty()) return elements;
  std::size_t at = 0;
  while (true) {
    while (at < body.size() && IsBlank(body[at])) ++at;
    std::string element;
    bool quoted = false;
    bool escaped = false;
    if (at < body.size() && body[at] == '"') {
      quoted = true;
      ++at;
      while (true) {
        if (at >= body.size()) return BadText("array", text, "a quoted element is not closed");
        char c = body[at++];
        if (c == '"') break;
        if (c == '\\') {
          if (at >= body.size()) return BadText("array", text, "a backslash ends the array");
          c = body[at++];
        }
        element.push_back(c);
      }
      while (at < body.size() && IsBlank(body[at])) ++at;
    } else {
      std::size_t trailing_blank_start = std::string::npos;
      while (at < body.size() && body[at] != ',') {
        char c = body[at++];
        if (c == '{' || c == '}') {
          return Status::NotSupported(
              "array {}: only one-dimensional arrays are supported (a '{{' or '}}' inside)",
              Quote(text));
        }
        if (c == '"') return BadText("array", text, "a quote in the middle of an element");
        if (c == '\\') {
          if (at >= body.size()) return BadText("array", text, "a backslash ends the array");
          c = body[at++];
          escaped = true;
          trailing_blank_start = std::string::npos;
          element.push_back(c);
          continue;
        }
        if (IsBlank(c)) {
          if (trailing_blank_start == std::string::npos) trailing_blank_start = element.size();
        } else {
          trailing_blank_start = std::string::npos;
        }
        element.push_back(c);
      }
      if (trailing_blank_start != std::string::npos) element.resize(trailing_blank_start);
      if (element.empty() && !escaped) return BadText("array", text, "an element is empty");
    }
    if (!quoted && !escaped && EqualsIgnoringCase(element, "NULL")) {
      elements.emplace_back(std::nullopt);
    } else {
      elements.emplace_back(std::move(element));
    }
    if (at >= body.size()) break;
    if (body[at] != ',') return BadText("array", text, "elements must be separated by ','");
    ++at;
  }
  return elements;
}

Result<std::vector<std::optional<std::string>>> DecodeArrayBinary(std::string_view bytes,
                                                                  std::uint32_t element_oid) {
  if (bytes.size() < 12) return BadBinary("array", "fewer than the 12 header bytes");
  std::int32_t dimensions = LoadInt32(bytes.data());
  std::int32_t flags = LoadInt32(bytes.data() + 4);
  auto oid = static_cast<std::uint32_t>(LoadInt32(bytes.data() + 8));
  if (flags != 0 && flags != 1) return BadBinary("array", "the flags field is neither 0 nor 1");
  if (oid != element_oid) {
    return BadBinary("array",
                     fmt::format("the elements are of type OID {}, not {}", oid, element_oid));
  }
  std::vector<std::optional<std::string>> elements;
  if (dimensions == 0) {
    if (bytes.size() != 12) return BadBinary("array", "bytes after an empty array");
    return elements;
  }
  if (dimensions != 1) {
    return Status::NotSupported("array of {} dimensions: only one-dimensional arrays are supported",
                                dimensions);
  }
  if (bytes.size() < 20) return BadBinary("array", "the dimension is cut off");
  std::int32_t count = LoadInt32(bytes.data() + 12);
  std::size_t at = 20;
  if (count < 0 || static_cast<std::size_t>(count) > (bytes.size() - at) / 4) {
    return BadBinary("array",
                     fmt::format("{} elements cannot fit in {} bytes", count, bytes.size()));
  }
  elements.reserve(static_cast<std::size_t>(count));
  for (std::int32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 4)
      return BadBinary("array", fmt::format("element {} is cut off", i + 1));
    std::int32_t length = LoadInt32(bytes.data() + at);
    at += 4;
    if (length == -1) {
      elements.emplace_back(std::nullopt);
      continue;
    }
    if (length < 0 || static_cast<std::size_t>(length) > bytes.size() - at) {
      return BadBinary("array",
                       fmt::format("element {} has length {} beyond the value", i + 1, length));
    }
    elements.emplace_back(std::string(bytes.substr(at, static_cast<std::size_t>(length))));
    at += static_cast<std::size_t>(length);
  }
  if (at != bytes.size()) return BadBinary("array", "bytes after the last element");
  return elements;
}

Result<PgValue> DecodePgValue(std::uint32_t oid, std::int16_t format, std::string_view bytes) {
  if (format != 0 && format != 1) {
    return Status::ProtocolViolation("format code {} is neither 0 (text) nor 1 (binary)", format);
  }
  bool text = format == 0;
  switch (oid) {
    case pg_oid::kBool: {
      QUANTA_ASSIGN_OR_RETURN(bool value, text ? DecodeBoolText(bytes) : DecodeBoolBinary(bytes));
      return PgValue{value};
    }
    case pg_oid::kInt2:
    case pg_oid::kInt4:
    case pg_oid::kInt8: {
      int bits = oid == pg_oid::kInt2 ? 16 : oid == pg_oid::kInt4 ? 32 : 64;
      QUANTA_ASSIGN_OR_RETURN(std::int64_t value, text ? DecodeIntegerText(bytes, bits)
                                                       : DecodeIntegerBinary(bytes, bits));
      return PgValue{value};
    }
    case pg_oid::kFloat4:
    case pg_oid::kFloat8: {
      QUANTA_ASSIGN_OR_RETURN(double value,
                              text ? DecodeFloatText(bytes)
                                   : DecodeFloatBinary(bytes, oid == pg_oid::kFloat4 ? 32 : 64));
      return PgValue{value};
    }
    case pg_oid::kNumeric: {
      QUANTA_ASSIGN_OR_RETURN(PgNumeric value,
                              text ? DecodeNumericText(bytes) : DecodeNumericBinary(bytes));
      return PgValue{std::move(value)};
    }
    case pg_oid::kBytea: {
      if (!text) return PgValue{PgBytes{std::string(bytes)}};
      QUANTA_ASSIGN_OR_RETURN(std::string value, DecodeByteaText(bytes));
      return PgValue{PgBytes{std::move(value)}};
    }
    case pg_oid::kDate: {
      QUANTA_ASSIGN_OR_RETURN(std::int32_t days,
                              text ? DecodeDateText(bytes) : DecodeDateBinary(bytes));
      return PgValue{PgDate{days}};
    }
    case pg_oid::kTime: {
      QUANTA_ASSIGN_OR_RETURN(std::int64_t micros,
                              text ? DecodeTimeText(bytes) : DecodeTimeBinary(bytes));
      return PgValue{PgTime{micros}};
    }
    case pg_oid::kTimestamp:
    case pg_oid::kTimestampTz: {
      bool zone = oid == pg_oid::kTimestampTz;
      QUANTA_ASSIGN_OR_RETURN(std::int64_t micros, text ? DecodeTimestampText(bytes, zone)
                                                        : DecodeTimestampBinary(bytes));
      return PgValue{PgTimestamp{micros, zone}};
    }
    case pg_oid::kInterval: {
      QUANTA_ASSIGN_OR_RETURN(PgInterval value,
                              text ? DecodeIntervalText(bytes) : DecodeIntervalBinary(bytes));
      return PgValue{value};
    }
    case pg_oid::kUuid: {
      QUANTA_ASSIGN_OR_RETURN(PgUuid value, text ? DecodeUuidText(bytes) : DecodeUuidBinary(bytes));
      return PgValue{value};
    }
    case pg_oid::kJsonb:
      if (!text) {
        // jsonb_send: a version byte (1) and the JSON text.
        if (bytes.empty() || bytes[0] != 1) return BadBinary("jsonb", "the version byte is not 1");
        bytes.remove_prefix(1);
      }
      QUANTA_RETURN_IF_ERROR(CheckUtf8For("jsonb", bytes));
      return PgValue{std::string(bytes)};
    default:
      break;
  }
  std::optional<PgType> type = PgTypeForOid(oid);
  if (type && type->element_oid != 0) {
    QUANTA_ASSIGN_OR_RETURN(
        auto raw, text ? DecodeArrayText(bytes) : DecodeArrayBinary(bytes, type->element_oid));
    PgArray array;
    array.element_oid = type->element_oid;
    array.elements.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (!raw[i]) {
        array.elements.push_back(PgValue{});
        continue;
      }
      Result<PgValue> element = DecodePgValue(type->element_oid, format, *raw[i]);
      if (!element.ok()) {
        return Status(element.status().code(),
                      fmt::format("array element {}: {}", i + 1, element.status().message()));
      }
      array.elements.push_back(std::move(element).value());
    }
    return PgValue{std::move(array)};
  }
  // text, varchar, bpchar, json, unknown and unspecified: the bytes are the text in both
  // formats for the text-like types; other types can only be read as text.
  bool text_like = oid == pg_oid::kText || oid == pg_oid::kVarchar || oid == pg_oid::kBpchar ||
                   oid == pg_oid::kJson || oid == pg_oid::kUnknown || oid == pg_oid::kUnspecified;
  if (!text && !text_like) {
    return Status::NotSupported(
        "binary format for a parameter of type OID {} is not supported; send it as text", oid);
  }
  QUANTA_RETURN_IF_ERROR(CheckUtf8For("text", bytes));
  return PgValue{std::string(bytes)};
}

}  // namespace quanta::ports
