#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace quanta::ports {

// PostgreSQL's view of DuckDB's types for the SQL port: which PostgreSQL type a result column
// is announced as (RowDescription), how a value of it is written in text and binary format
// (DataRow), and how a Bind parameter in either format is read. Values come in and go out as
// C++ primitives; the DuckDB side of the port does the reading and writing of vectors. Text
// forms are PostgreSQL's with DateStyle ISO, IntervalStyle postgres and TimeZone UTC, the
// settings the port announces.

/// The type OIDs of pg_catalog.pg_type that Quanta uses.
namespace pg_oid {
inline constexpr std::uint32_t kUnspecified = 0;  ///< Parse's "let the server decide"
inline constexpr std::uint32_t kBool = 16;
inline constexpr std::uint32_t kBytea = 17;
inline constexpr std::uint32_t kInt8 = 20;
inline constexpr std::uint32_t kInt2 = 21;
inline constexpr std::uint32_t kInt4 = 23;
inline constexpr std::uint32_t kText = 25;
inline constexpr std::uint32_t kOid = 26;
inline constexpr std::uint32_t kJson = 114;
inline constexpr std::uint32_t kFloat4 = 700;
inline constexpr std::uint32_t kFloat8 = 701;
inline constexpr std::uint32_t kUnknown = 705;
inline constexpr std::uint32_t kBpchar = 1042;
inline constexpr std::uint32_t kVarchar = 1043;
inline constexpr std::uint32_t kDate = 1082;
inline constexpr std::uint32_t kTime = 1083;
inline constexpr std::uint32_t kTimestamp = 1114;
inline constexpr std::uint32_t kTimestampTz = 1184;
inline constexpr std::uint32_t kInterval = 1186;
inline constexpr std::uint32_t kNumeric = 1700;
inline constexpr std::uint32_t kUuid = 2950;
inline constexpr std::uint32_t kJsonb = 3802;
inline constexpr std::uint32_t kBoolArray = 1000;
inline constexpr std::uint32_t kByteaArray = 1001;
inline constexpr std::uint32_t kInt2Array = 1005;
inline constexpr std::uint32_t kInt4Array = 1007;
inline constexpr std::uint32_t kTextArray = 1009;
inline constexpr std::uint32_t kVarcharArray = 1015;
inline constexpr std::uint32_t kInt8Array = 1016;
inline constexpr std::uint32_t kFloat4Array = 1021;
inline constexpr std::uint32_t kFloat8Array = 1022;
inline constexpr std::uint32_t kTimestampArray = 1115;
inline constexpr std::uint32_t kDateArray = 1182;
inline constexpr std::uint32_t kTimeArray = 1183;
inline constexpr std::uint32_t kTimestampTzArray = 1185;
inline constexpr std::uint32_t kIntervalArray = 1187;
inline constexpr std::uint32_t kNumericArray = 1231;
inline constexpr std::uint32_t kJsonArray = 199;
inline constexpr std::uint32_t kUuidArray = 2951;
inline constexpr std::uint32_t kJsonbArray = 3807;
}  // namespace pg_oid

/// How the DuckDB side hands a column's values to the encoders.
enum class PgValueSource {
  kPrimitive,    ///< the C++ value (bool, integers, double, days, micros, ...), see below
  kDecimalText,  ///< DuckDB's text of the value, a decimal numeral (UHUGEINT, VARINT)
  kJsonText,     ///< the value cast to DuckDB's JSON, sent as json text (STRUCT, MAP, nesting)
  kVarcharText,  ///< the value cast to VARCHAR, sent as text (ENUM, BIT, TIMETZ, others)
};

/// A PostgreSQL type as a RowDescription announces it.
struct PgType {
  std::uint32_t oid = pg_oid::kText;
  std::string_view name = "text";  ///< pg_type.typname: "int4", "_int4" for an array
  std::int16_t size = -1;          ///< pg_type.typlen; -1 for variable width
  std::int32_t modifier = -1;      ///< atttypmod: ((p << 16) | s) + 4 for numeric(p,s)
  std::uint32_t array_oid = 0;     ///< the array type of this type; 0 for an array type
  std::uint32_t element_oid = 0;   ///< for an array type, its element type; else 0
  PgValueSource source = PgValueSource::kPrimitive;  ///< of the elements, for an array
};

/// The PostgreSQL type for a DuckDB type as DuckDB spells it (duckdb_logical_type's text:
/// "INTEGER", "DECIMAL(10,2)", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]", "STRUCT(a INTEGER)").
/// Case and surrounding blanks do not matter. One-dimensional lists of scalar types become
/// PostgreSQL arrays; STRUCT, MAP, UNION and nested lists become json; types PostgreSQL has
/// no counterpart for become text. Fails only for an empty name, a ']' without its '[' and
/// DECIMAL arguments that are not (precision, scale) within DuckDB's bounds.
Result<PgType> PgTypeForDuckdb(std::string_view duckdb_type);

/// The type for an OID this port knows (as Parse names parameter types), or nullopt.
std::optional<PgType> PgTypeForOid(std::uint32_t oid);

/// The typmod PostgreSQL gives numeric(precision, scale).
constexpr std::int32_t NumericTypmod(int precision, int scale) {
  return ((precision << 16) | scale) + 4;
}

/// An interval as PostgreSQL (and DuckDB) keeps it: three fields that do not carry over.
struct PgInterval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
  bool operator==(const PgInterval&) const = default;
};

/// A UUID's 16 bytes in the order its text shows them (network order). DuckDB keeps UUIDs as
/// a HUGEINT with the top bit flipped; the DuckDB side converts.
using PgUuid = std::array<std::uint8_t, 16>;

// Dates and times cross this interface as DuckDB counts them: days since 1970-01-01 and
// microseconds since 1970-01-01 00:00:00 UTC (PostgreSQL counts from 2000-01-01; the binary
// encoders and decoders shift). The largest value (INT32_MAX, INT64_MAX) is infinity; the
// smallest two (PostgreSQL's INT_MIN and DuckDB's -INT_MAX) are -infinity.

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
inline constexpr std::int64_t kPgEpochMicros = 946'684'800'000'000;
/// Days from 1970-01-01 to 2000-01-01.
inline constexpr std::int32_t kPgEpochDays = 10'957;

// Text encoders: each appends the value's PostgreSQL text form to `out`.
void AppendBoolText(bool value, std::string& out);
void AppendIntegerText(std::int64_t value, std::string& out);
/// Shortest text that reads back as the same value, laid out as PostgreSQL 12+ does
/// (extra_float_digits 1): "1.5", "1e+16", "1e-05", "NaN", "Infinity", "-0".
void AppendFloat4Text(float value, std::string& out);
void AppendFloat8Text(double value, std::string& out);
/// `unscaled` * 10^-scale, with exactly `scale` digits after the point: (12345, 2) is "123.45".
void AppendNumericText(__int128 unscaled, int scale, std::string& out);
/// "\x" and two lower-case hex digits per byte (bytea_output hex).
void AppendByteaText(std::string_view bytes, std::string& out);
/// "2024-02-29", "0044-03-15 BC", "infinity".
void AppendDateText(std::int32_t days_since_1970, std::string& out);
/// "13:45:06.5"; microseconds from midnight, 0 to 86400000000 (24:00:00).
void AppendTimeText(std::int64_t micros, std::string& out);
/// "2024-02-29 13:45:06.5", "0044-03-15 10:00:00 BC".
void AppendTimestampText(std::int64_t micros_since_1970, std::string& out);
/// As AppendTimestampText with the UTC offset: "2024-02-29 13:45:06.5+00".
void AppendTimestampTzText(std::int64_t micros_since_1970, std::string& out);
/// "1 year 2 mons 3 days 04:05:06.789", "-1 days +02:03:00", "00:00:00".
void AppendIntervalText(const PgInterval& value, std::string& out);
/// "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11".
void AppendUuidText(const PgUuid& value, std::string& out);
/// A one-dimensional array from its elements' text forms (nullopt is NULL): "{1,NULL,"c d"}".
/// Elements are quoted when empty, "NULL" in any case, or holding blanks, quotes, backslashes,
/// commas or braces, with '"' and '\' escaped by a backslash.
void AppendArrayText(std::span<const std::optional<std::string_view>> elements, std::string& out);

// Binary encoders: each appends the value's binary send form (without the 4-byte length a
// DataRow column has; PgBackendWriter::BeginValue writes that).
void AppendBoolBinary(bool value, std::string& out);
void AppendInt2Binary(std::int16_t value, std::string& out);
void AppendInt4Binary(std::int32_t value, std::string& out);
void AppendInt8Binary(std::int64_t value, std::string& out);
void AppendFloat4Binary(float value, std::string& out);
void AppendFloat8Binary(double value, std::string& out);
/// numeric_send's form: base-10000 digits, weight, sign and display scale.
void AppendNumericBinary(__int128 unscaled, int scale, std::string& out);
/// The same from a decimal numeral ("-123.4500", "42"; DuckDB's DECIMAL, UHUGEINT and VARINT
/// text). Fails, appending nothing, when `decimal` is not one.
Status AppendNumericBinaryFromText(std::string_view decimal, std::string& out);
void AppendDateBinary(std::int32_t days_since_1970, std::string& out);
void AppendTimeBinary(std::int64_t micros, std::string& out);
/// For timestamp and timestamptz alike: microseconds since 2000-01-01 UTC.
void AppendTimestampBinary(std::int64_t micros_since_1970, std::string& out);
void AppendIntervalBinary(const PgInterval& value, std::string& out);
void AppendUuidBinary(const PgUuid& value, std::string& out);
/// array_send's form for one dimension (lower bound 1) of `element_oid` values, from the
/// elements' binary forms; an empty array has no dimension, as PostgreSQL writes it.
void AppendArrayBinary(std::uint32_t element_oid,
                       std::span<const std::optional<std::string_view>> elements, std::string& out);

/// A decoded Bind parameter. The alternative says which of the port's types it is.
struct PgValue;
/// A one-dimensional array parameter.
struct PgArray {
  std::uint32_t element_oid = 0;
  std::vector<PgValue> elements;  ///< a NULL element is a PgValue holding std::monostate
};
/// A numeric parameter as a decimal numeral ("-12.50", "1e3" as sent in text, "NaN").
struct PgNumeric {
  std::string text;
  bool operator==(const PgNumeric&) const = default;
};
/// A date parameter: days since 1970-01-01 (INT32_MAX / INT32_MIN for +/- infinity).
struct PgDate {
  std::int32_t days_since_1970 = 0;
  bool operator==(const PgDate&) const = default;
};
/// A time parameter: microseconds since midnight.
struct PgTime {
  std::int64_t micros = 0;
  bool operator==(const PgTime&) const = default;
};
/// A timestamp or timestamptz parameter: microseconds since 1970-01-01 00:00:00 (UTC for
/// timestamptz; INT64_MAX / INT64_MIN for +/- infinity).
struct PgTimestamp {
  std::int64_t micros_since_1970 = 0;
  bool with_time_zone = false;
  bool operator==(const PgTimestamp&) const = default;
};
/// Bytes of a bytea parameter (text parameters are std::string).
struct PgBytes {
  std::string bytes;
  bool operator==(const PgBytes&) const = default;
};
struct PgValue {
  std::variant<std::monostate, bool, std::int64_t, double, PgNumeric, std::string, PgBytes, PgDate,
               PgTime, PgTimestamp, PgInterval, PgUuid, PgArray>
      value;
};

/// Reads a Bind parameter of type `oid` sent in `format` (0 text, 1 binary). Integers of every
/// width come back as int64, float4 and float8 as double, text-like types (text, varchar,
/// bpchar, json, jsonb, and text sent for an unspecified or unknown OID) as std::string after a
/// UTF-8 check. Fails with a message naming the type and what is wrong: a binary value of the
/// wrong length, text that is no value of the type, a binary value of a type this port
/// cannot read.
Result<PgValue> DecodePgValue(std::uint32_t oid, std::int16_t format, std::string_view bytes);

// The decoders DecodePgValue dispatches to, for callers that know the type.
Result<bool> DecodeBoolText(std::string_view text);
Result<bool> DecodeBoolBinary(std::string_view bytes);
/// A decimal integer that fits `bits` (16, 32 or 64) bits signed; blanks around it allowed.
Result<std::int64_t> DecodeIntegerText(std::string_view text, int bits);
/// 2, 4 or 8 big-endian bytes.
Result<std::int64_t> DecodeIntegerBinary(std::string_view bytes, int bits);
/// Decimal or exponent notation, "NaN", "Infinity", "inf", with optional sign and blanks.
Result<double> DecodeFloatText(std::string_view text);
/// 4 bytes (float4) or 8 bytes (float8), IEEE 754 big-endian.
Result<double> DecodeFloatBinary(std::string_view bytes, int bits);
Result<PgNumeric> DecodeNumericText(std::string_view text);
Result<PgNumeric> DecodeNumericBinary(std::string_view bytes);
/// Hex ("\x00ff") or escape ("a\\000b") format.
Result<std::string> DecodeByteaText(std::string_view text);
/// "YYYY-MM-DD" with optional " BC", "infinity", "-infinity", "epoch".
Result<std::int32_t> DecodeDateText(std::string_view text);
Result<std::int32_t> DecodeDateBinary(std::string_view bytes);
/// "HH:MM", "HH:MM:SS", "HH:MM:SS.ffffff"; fractions beyond microseconds are rounded.
Result<std::int64_t> DecodeTimeText(std::string_view text);
Result<std::int64_t> DecodeTimeBinary(std::string_view bytes);
/// Date, ' ' or 'T', time, then an optional UTC offset ("Z", "+02", "-05:30", "+0530") and
/// " BC". With `with_time_zone`, the offset is applied and its absence means UTC; without,
/// an offset is ignored (as PostgreSQL's timestamp input does). Years after 294246 that
/// PostgreSQL accepts are out of range: microseconds since 1970 do not fit 64 bits there.
Result<std::int64_t> DecodeTimestampText(std::string_view text, bool with_time_zone);
Result<std::int64_t> DecodeTimestampBinary(std::string_view bytes);
/// PostgreSQL's interval input: "1 year 2 mons 3 days 04:05:06", "-1 days +02:03:00",
/// "@ 1 hour ago", "1.5 days", "90 minutes", ISO 8601 "P1Y2M3DT4H5M6S".
Result<PgInterval> DecodeIntervalText(std::string_view text);
Result<PgInterval> DecodeIntervalBinary(std::string_view bytes);
/// 32 hex digits, optionally with '-' after any group of four and in braces.
Result<PgUuid> DecodeUuidText(std::string_view text);
Result<PgUuid> DecodeUuidBinary(std::string_view bytes);
/// The elements of a one-dimensional array literal "{a,NULL,"c d"}" as text (nullopt for NULL).
Result<std::vector<std::optional<std::string>>> DecodeArrayText(std::string_view text);
/// The elements of an array_send value, as binary element values; `element_oid` must match.
Result<std::vector<std::optional<std::string>>> DecodeArrayBinary(std::string_view bytes,
                                                                  std::uint32_t element_oid);
/// Checks that `bytes` are UTF-8 (the port's client_encoding).
Status CheckUtf8(std::string_view bytes);

}  // namespace quanta::ports
