#include "ports/pg_types.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

// Expected values below were read from PostgreSQL 15.18 (Debian) with TimeZone UTC, DateStyle
// ISO and IntervalStyle postgres: `SELECT x::text` for text forms and
// `encode(<type>_send(x), 'hex')` for binary forms.

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <typename Append, typename Value>
std::string Encoded(Append append, Value value) {
  std::string out;
  append(value, out);
  return out;
}

// Days and microseconds since 1970 of a date / timestamp, from the civil calendar, computed
// independently of the code under test (std::chrono's proleptic Gregorian calendar).
std::int32_t Days(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days(std::chrono::year(year) / month / day).time_since_epoch().count();
}
std::int64_t Micros(int year, unsigned month, unsigned day, int hour, int minute, int second,
                    int micros = 0) {
  return std::int64_t{Days(year, month, day)} * 86'400'000'000 +
         ((hour * 60 + minute) * 60 + second) * std::int64_t{1'000'000} + micros;
}

TEST(PgTypeTest, MapsDuckdbScalarTypes) {
  struct Case {
    std::string_view duckdb;
    std::uint32_t oid;
    std::string_view name;
    std::int16_t size;
    std::int32_t modifier;
    std::uint32_t array_oid;
  };
  const Case cases[] = {
      {"BOOLEAN", 16, "bool", 1, -1, 1000},
      {"TINYINT", 21, "int2", 2, -1, 1005},
      {"SMALLINT", 21, "int2", 2, -1, 1005},
      {"INTEGER", 23, "int4", 4, -1, 1007},
      {"BIGINT", 20, "int8", 8, -1, 1016},
      {"UTINYINT", 21, "int2", 2, -1, 1005},
      {"USMALLINT", 23, "int4", 4, -1, 1007},
      {"UINTEGER", 20, "int8", 8, -1, 1016},
      {"UBIGINT", 1700, "numeric", -1, NumericTypmod(20, 0), 1231},
      {"HUGEINT", 1700, "numeric", -1, 2555908, 1231},  // numeric(39,0) as PostgreSQL stores it
      {"FLOAT", 700, "float4", 4, -1, 1021},
      {"DOUBLE", 701, "float8", 8, -1, 1022},
      {"DECIMAL(10,2)", 1700, "numeric", -1, 655366, 1231},  // numeric(10,2)
      {"decimal( 4 , 0 )", 1700, "numeric", -1, NumericTypmod(4, 0), 1231},
      {"DECIMAL", 1700, "numeric", -1, NumericTypmod(18, 3), 1231},
      {"VARCHAR", 25, "text", -1, -1, 1009},
      {"BLOB", 17, "bytea", -1, -1, 1001},
      {"DATE", 1082, "date", 4, -1, 1182},
      {"TIME", 1083, "time", 8, -1, 1183},
      {"TIMESTAMP", 1114, "timestamp", 8, -1, 1115},
      {"TIMESTAMP_NS", 1114, "timestamp", 8, -1, 1115},
      {"TIMESTAMP WITH TIME ZONE", 1184, "timestamptz", 8, -1, 1185},
      {" timestamptz ", 1184, "timestamptz", 8, -1, 1185},
      {"INTERVAL", 1186, "interval", 16, -1, 1187},
      {"UUID", 2950, "uuid", 16, -1, 2951},
      {"JSON", 114, "json", -1, -1, 199},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(PgType type, PgTypeForDuckdb(c.duckdb));
    EXPECT_EQ(type.oid, c.oid) << c.duckdb;
    EXPECT_EQ(type.name, c.name) << c.duckdb;
    EXPECT_EQ(type.size, c.size) << c.duckdb;
    EXPECT_EQ(type.modifier, c.modifier) << c.duckdb;
    EXPECT_EQ(type.array_oid, c.array_oid) << c.duckdb;
    EXPECT_EQ(type.element_oid, 0u) << c.duckdb;
    EXPECT_EQ(type.source, PgValueSource::kPrimitive) << c.duckdb;
  }
}

TEST(PgTypeTest, MapsListsNestingAndTypesWithoutACounterpart) {
  ASSERT_OK_AND_ASSIGN(PgType ints, PgTypeForDuckdb("INTEGER[]"));
  EXPECT_EQ(ints.oid, 1007u);
  EXPECT_EQ(ints.name, "_int4");
  EXPECT_EQ(ints.element_oid, 23u);
  ASSERT_OK_AND_ASSIGN(PgType texts, PgTypeForDuckdb("VARCHAR[]"));
  EXPECT_EQ(texts.oid, 1009u);
  ASSERT_OK_AND_ASSIGN(PgType fixed, PgTypeForDuckdb("DOUBLE[3]"));
  EXPECT_EQ(fixed.oid, 1022u);
  ASSERT_OK_AND_ASSIGN(PgType decimals, PgTypeForDuckdb("DECIMAL(10,2)[]"));
  EXPECT_EQ(decimals.oid, 1231u);
  for (std::string_view nested :
       {"STRUCT(a INTEGER, b VARCHAR)", "MAP(VARCHAR, INTEGER)", "UNION(a INTEGER, b VARCHAR)",
        "INTEGER[][]", "STRUCT(a INTEGER)[]", "STRUCT(a INTEGER[])"}) {
    ASSERT_OK_AND_ASSIGN(PgType type, PgTypeForDuckdb(nested));
    EXPECT_EQ(type.oid, pg_oid::kJson) << nested;
    EXPECT_EQ(type.source, PgValueSource::kJsonText) << nested;
  }
  for (std::string_view other : {"ENUM('a', 'b')", "BIT", "TIME WITH TIME ZONE", "\"NULL\""}) {
    ASSERT_OK_AND_ASSIGN(PgType type, PgTypeForDuckdb(other));
    EXPECT_EQ(type.oid, pg_oid::kText) << other;
    EXPECT_EQ(type.source, PgValueSource::kVarcharText) << other;
  }
  ASSERT_OK_AND_ASSIGN(PgType enums, PgTypeForDuckdb("ENUM('a')[]"));
  EXPECT_EQ(enums.oid, pg_oid::kTextArray);
  EXPECT_EQ(enums.source, PgValueSource::kVarcharText);
  ASSERT_OK_AND_ASSIGN(PgType uhuge, PgTypeForDuckdb("UHUGEINT"));
  EXPECT_EQ(uhuge.oid, pg_oid::kNumeric);
  EXPECT_EQ(uhuge.source, PgValueSource::kDecimalText);
  EXPECT_FALSE(PgTypeForDuckdb("").ok());
  EXPECT_FALSE(PgTypeForDuckdb("INTEGER]").ok());
  EXPECT_FALSE(PgTypeForDuckdb("DECIMAL(40,2)").ok());
  EXPECT_FALSE(PgTypeForDuckdb("DECIMAL(x)").ok());
}

TEST(PgTypeTest, LooksUpOids) {
  ASSERT_TRUE(PgTypeForOid(1007).has_value());
  EXPECT_EQ(PgTypeForOid(1007)->element_oid, 23u);
  EXPECT_EQ(PgTypeForOid(23)->array_oid, 1007u);
  EXPECT_FALSE(PgTypeForOid(99999).has_value());
}

TEST(PgEncodeTest, WritesIntegersBooleansAndFloatsAsPostgresDoes) {
  EXPECT_EQ(Encoded(AppendBoolText, true), "t");
  EXPECT_EQ(Encoded(AppendBoolText, false), "f");
  EXPECT_EQ(Hex(Encoded(AppendBoolBinary, true)), "01");
  EXPECT_EQ(Encoded(AppendIntegerText, std::numeric_limits<std::int64_t>::min()),
            "-9223372036854775808");
  EXPECT_EQ(Hex(Encoded(AppendInt2Binary, std::int16_t{-2})), "fffe");
  EXPECT_EQ(Hex(Encoded(AppendInt4Binary, std::int32_t{2147483647})), "7fffffff");
  EXPECT_EQ(Hex(Encoded(AppendInt8Binary, std::int64_t{-9223372036854775807 - 1})),
            "8000000000000000");
  EXPECT_EQ(Hex(Encoded(AppendFloat8Binary, 1.5)), "3ff8000000000000");
  EXPECT_EQ(Hex(Encoded(AppendFloat8Binary, 0.1)), "3fb999999999999a");
  EXPECT_EQ(Hex(Encoded(AppendFloat8Binary, -std::numeric_limits<double>::infinity())),
            "fff0000000000000");
  EXPECT_EQ(Hex(Encoded(AppendFloat4Binary, 3.14159f)), "40490fd0");
  const std::pair<double, std::string_view> doubles[] = {
      {1e15, "1e+15"},
      {1e16, "1e+16"},
      {1e14, "100000000000000"},
      {9.999e14, "999900000000000"},
      {123456789012345678.0, "1.2345678901234568e+17"},
      {123456789012345.6, "123456789012345.6"},
      {0.0001, "0.0001"},
      {0.00012, "0.00012"},
      {0.00001, "1e-05"},
      {2.5e-5, "2.5e-05"},
      {1.5, "1.5"},
      {-0.0, "-0"},
      {1e-300, "1e-300"},
      {5e-324, "5e-324"},
      {1.7976931348623157e308, "1.7976931348623157e+308"},
      {0.1, "0.1"},
      {100, "100"},
      {1234567.125, "1234567.125"},
      {1e21, "1e+21"},
      {12345678901234567890.0, "1.2345678901234567e+19"},
      // Shortest digits exactly halfway between two doubles: PostgreSQL writes more digits.
      {-7.8437606e+19, "-7.843760600000001e+19"},
      {6.13e+21, "6.129999999999999e+21"},
      {3.777407598547474e+16, "3.7774075985474736e+16"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
      {std::numeric_limits<double>::infinity(), "Infinity"},
      {-std::numeric_limits<double>::infinity(), "-Infinity"},
  };
  for (const auto& [value, text] : doubles) {
    EXPECT_EQ(Encoded(AppendFloat8Text, value), text) << text;
  }
  const std::pair<float, std::string_view> floats[] = {
      {1e6f, "1e+06"},     {1e7f, "1e+07"},       {0.0001f, "0.0001"},
      {0.00001f, "1e-05"}, {3.14159f, "3.14159"}, {16777216.0f, "1.6777216e+07"},
      {1e38f, "1e+38"},    {0.1f, "0.1"},         {123456.0f, "123456"},
  };
  for (const auto& [value, text] : floats) {
    EXPECT_EQ(Encoded(AppendFloat4Text, value), text) << text;
  }
}

TEST(PgEncodeTest, WritesNumericsAsNumericSendDoes) {
  struct Case {
    __int128 unscaled;
    int scale;
    std::string_view text;
    std::string_view binary;
  };
  const __int128 max38 = [] {
    __int128 value = 0;
    for (int i = 0; i < 38; ++i) value = value * 10 + 9;
    return value;
  }();
  const __int128 max_hugeint = ~(static_cast<__int128>(1) << 127);
  const Case cases[] = {
      {0, 0, "0", "0000000000000000"},
      {0, 2, "0.00", "0000000000000002"},
      {1, 0, "1", "00010000000000000001"},
      {-1, 0, "-1", "00010000400000000001"},
      {12345678, 3, "12345.678", "0003000100000003000109291a7c"},
      {1, 4, "0.0001", "0001ffff000000040001"},
      {1, 5, "0.00001", "0001fffe0000000503e8"},
      {10000, 0, "10000", "00010001000000000001"},
      {-5, 1, "-0.5", "0001ffff400000011388"},
      {51000, 4, "5.1000", "0002000000000004000503e8"},
      {max38, 0, "99999999999999999999999999999999999999",
       "000a0009000000000063270f270f270f270f270f270f270f270f270f"},
      {max_hugeint, 0, "170141183460469231731687303715884105727",
       "000a00090000000000aa0583209a01d5090d0c601c871bf620da165f"},
  };
  for (const Case& c : cases) {
    std::string text;
    AppendNumericText(c.unscaled, c.scale, text);
    EXPECT_EQ(text, c.text);
    std::string binary;
    AppendNumericBinary(c.unscaled, c.scale, binary);
    EXPECT_EQ(Hex(binary), c.binary) << c.text;
    std::string from_text;
    ASSERT_OK(AppendNumericBinaryFromText(c.text, from_text));
    EXPECT_EQ(Hex(from_text), c.binary) << c.text;
    ASSERT_OK_AND_ASSIGN(PgNumeric decoded, DecodeNumericBinary(binary));
    EXPECT_EQ(decoded.text, c.text);
  }
  std::string big;
  ASSERT_OK(AppendNumericBinaryFromText("123456789.123456789", big));
  EXPECT_EQ(Hex(big), "0006000200000009000109291a8504d2162e2328");
  std::string huge;
  ASSERT_OK(AppendNumericBinaryFromText("100000000000000000000", huge));
  EXPECT_EQ(Hex(huge), "00010005000000000001");
  std::string untouched = "keep";
  EXPECT_FALSE(AppendNumericBinaryFromText("1e5", untouched).ok());
  EXPECT_FALSE(AppendNumericBinaryFromText("12a", untouched).ok());
  EXPECT_FALSE(AppendNumericBinaryFromText("", untouched).ok());
  EXPECT_EQ(untouched, "keep");
}

TEST(PgEncodeTest, WritesDatesTimesAndTimestamps) {
  struct DateCase {
    std::int32_t days;
    std::string_view text;
    std::string_view binary;
  };
  const DateCase dates[] = {
      {Days(2000, 1, 1), "2000-01-01", "00000000"},
      {0, "1970-01-01", "ffffd533"},
      {Days(-43, 3, 15), "0044-03-15 BC", "fff49d7b"},
      {Days(1, 1, 1), "0001-01-01", "fff4dbf9"},
      {Days(9999, 12, 31), "9999-12-31", "002c95d3"},
      {Days(10000, 1, 1), "10000-01-01", "002c95d4"},
      {Days(-4712, 1, 1), "4713-01-01 BC", "ffda97cd"},
      {Days(2024, 2, 29), "2024-02-29", "00002279"},
      {std::numeric_limits<std::int32_t>::max(), "infinity", "7fffffff"},
      {std::numeric_limits<std::int32_t>::min(), "-infinity", "80000000"},
      {-std::numeric_limits<std::int32_t>::max(), "-infinity", "80000000"},  // DuckDB's
  };
  for (const DateCase& c : dates) {
    EXPECT_EQ(Encoded(AppendDateText, c.days), c.text);
    EXPECT_EQ(Hex(Encoded(AppendDateBinary, c.days)), c.binary) << c.text;
  }
  struct TimeCase {
    std::int64_t micros;
    std::string_view text;
    std::string_view binary;
  };
  const TimeCase times[] = {
      {0, "00:00:00", "0000000000000000"},
      {49'506'500'000, "13:45:06.5", "0000000b86d13da0"},
      {86'399'999'999, "23:59:59.999999", "000000141dd75fff"},
      {86'400'000'000, "24:00:00", "000000141dd76000"},
      {3'723'000'100, "01:02:03.0001", "00000000dde87924"},
  };
  for (const TimeCase& c : times) {
    EXPECT_EQ(Encoded(AppendTimeText, c.micros), c.text);
    EXPECT_EQ(Hex(Encoded(AppendTimeBinary, c.micros)), c.binary) << c.text;
  }
  const TimeCase timestamps[] = {
      {Micros(2000, 1, 1, 0, 0, 0), "2000-01-01 00:00:00", "0000000000000000"},
      {0, "1970-01-01 00:00:00", "fffca2fec4c82000"},
      {Micros(2024, 2, 29, 13, 45, 6, 500000), "2024-02-29 13:45:06.5", "0002b5843c5d9da0"},
      {Micros(-43, 3, 15, 10, 0, 0), "0044-03-15 10:00:00 BC", "ff1af9e74e1f8800"},
      {Micros(1, 1, 1, 0, 0, 0), "0001-01-01 00:00:00", "ff1fe2ffc59c6000"},
      {Micros(1999, 12, 31, 23, 59, 59, 999999), "1999-12-31 23:59:59.999999", "ffffffffffffffff"},
      {Micros(2024, 1, 1, 0, 0, 0, 1), "2024-01-01 00:00:00.000001", "0002b0d5d4e94001"},
      {std::numeric_limits<std::int64_t>::max(), "infinity", "7fffffffffffffff"},
      {std::numeric_limits<std::int64_t>::min(), "-infinity", "8000000000000000"},
      {-std::numeric_limits<std::int64_t>::max(), "-infinity", "8000000000000000"},
  };
  for (const TimeCase& c : timestamps) {
    EXPECT_EQ(Encoded(AppendTimestampText, c.micros), c.text);
    EXPECT_EQ(Hex(Encoded(AppendTimestampBinary, c.micros)), c.binary) << c.text;
  }
  EXPECT_EQ(Encoded(AppendTimestampTzText, Micros(2024, 2, 29, 11, 45, 6, 500000)),
            "2024-02-29 11:45:06.5+00");
  EXPECT_EQ(Encoded(AppendTimestampTzText, Micros(-43, 3, 15, 10, 0, 0)),
            "0044-03-15 10:00:00+00 BC");
  EXPECT_EQ(Encoded(AppendTimestampTzText, std::numeric_limits<std::int64_t>::max()), "infinity");
}

TEST(PgEncodeTest, WritesIntervalsAsIntervalStylePostgres) {
  struct Case {
    PgInterval value;
    std::string_view text;
    std::string_view binary;
  };
  const Case cases[] = {
      {{0, 0, 0}, "00:00:00", "00000000000000000000000000000000"},
      {{14, 3, 14'706'789'000},
       "1 year 2 mons 3 days 04:05:06.789",
       "000000036c97ca88000000030000000e"},
      {{0, -1, 7'380'000'000}, "-1 days +02:03:00", "00000001b7e1dd00ffffffff00000000"},
      {{1, 0, 0}, "1 mon", "00000000000000000000000000000001"},
      {{-1, 0, 0}, "-1 mons", "000000000000000000000000ffffffff"},
      {{13, 0, 0}, "1 year 1 mon", "0000000000000000000000000000000d"},
      {{-13, -1, 0}, "-1 years -1 mons -1 days", "0000000000000000fffffffffffffff3"},
      {{0, 1, -1'000'000}, "1 day -00:00:01", "fffffffffff0bdc00000000100000000"},
      {{0, 0, -1'000'000}, "-00:00:01", "fffffffffff0bdc00000000000000000"},
      {{0, 0, 360'000'000'000}, "100:00:00", "00000053d1ac10000000000000000000"},
      {{-14, 3, -14'706'000'000},
       "-1 years -2 mons +3 days -04:05:06",
       "fffffffc93743f8000000003fffffff2"},
      {{0, 0, 500'000}, "00:00:00.5", "000000000007a1200000000000000000"},
      {{0, 0, -500'000}, "-00:00:00.5", "fffffffffff85ee00000000000000000"},
      {{0, 1, 0}, "1 day", "00000000000000000000000100000000"},
      {{0, 2, 0}, "2 days", "00000000000000000000000200000000"},
      {{-12, 0, 0}, "-1 years", "000000000000000000000000fffffff4"},
      {{12, 1, 0}, "1 year 1 day", "0000000000000000000000010000000c"},
      {{std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::max(),
        std::numeric_limits<std::int64_t>::max()},
       "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807",
       "7fffffffffffffff7fffffff7fffffff"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Encoded(AppendIntervalText, c.value), c.text);
    EXPECT_EQ(Hex(Encoded(AppendIntervalBinary, c.value)), c.binary) << c.text;
    ASSERT_OK_AND_ASSIGN(PgInterval back, DecodeIntervalBinary(Unhex(c.binary)));
    EXPECT_EQ(back, c.value) << c.text;
    ASSERT_OK_AND_ASSIGN(PgInterval parsed, DecodeIntervalText(c.text));
    EXPECT_EQ(parsed, c.value) << c.text;
  }
}

TEST(PgEncodeTest, WritesByteaUuidAndArrays) {
  EXPECT_EQ(Encoded(AppendByteaText, std::string_view("\x00\xff\x10", 3)), "\\x00ff10");
  EXPECT_EQ(Encoded(AppendByteaText, std::string_view()), "\\x");
  PgUuid uuid = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
                 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
  EXPECT_EQ(Encoded(AppendUuidText, uuid), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(Hex(Encoded(AppendUuidBinary, uuid)), "a0eebc999c0b4ef8bb6d6bb9bd380a11");

  std::vector<std::optional<std::string_view>> texts = {
      "a",    "b",           "c d", std::nullopt, "",      "NULL",   "null",
      "x\"y", "back\\slash", "{}",  ",",          " lead", "tab\tx", "\xc3\xbc"};
  std::string text;
  AppendArrayText(texts, text);
  EXPECT_EQ(text,
            "{a,b,\"c d\",NULL,\"\",\"NULL\",\"null\",\"x\\\"y\",\"back\\\\slash\",\"{}\",\",\","
            "\" lead\",\"tab\tx\",\xc3\xbc}");
  std::string empty;
  AppendArrayText({}, empty);
  EXPECT_EQ(empty, "{}");

  std::string one = Encoded(AppendInt4Binary, std::int32_t{1});
  std::string three = Encoded(AppendInt4Binary, std::int32_t{3});
  std::vector<std::optional<std::string_view>> ints = {one, std::nullopt, three};
  std::string binary;
  AppendArrayBinary(pg_oid::kInt4, ints, binary);
  EXPECT_EQ(Hex(binary),
            "00000001000000010000001700000003000000010000000400000001ffffffff0000000400000003");
  std::string no_elements;
  AppendArrayBinary(pg_oid::kInt4, {}, no_elements);
  EXPECT_EQ(Hex(no_elements), "000000000000000000000017");
  std::vector<std::optional<std::string_view>> strings = {"ab", std::nullopt};
  std::string text_binary;
  AppendArrayBinary(pg_oid::kText, strings, text_binary);
  EXPECT_EQ(Hex(text_binary), "0000000100000001000000190000000200000001000000026162ffffffff");
}

TEST(PgDecodeTest, ReadsBooleansAndIntegers) {
  for (std::string_view yes : {"t", "TRUE", "yes", "on", "1", " true ", "y", "tr"}) {
    ASSERT_OK_AND_ASSIGN(bool value, DecodeBoolText(yes));
    EXPECT_TRUE(value) << yes;
  }
  for (std::string_view no : {"f", "false", "of", "off", "n", "no", "0"}) {
    ASSERT_OK_AND_ASSIGN(bool value, DecodeBoolText(no));
    EXPECT_FALSE(value) << no;
  }
  for (std::string_view bad : {"", "o", "maybe", "2", "truer"}) {
    EXPECT_FALSE(DecodeBoolText(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeBoolBinary("").ok());
  EXPECT_FALSE(DecodeBoolBinary(std::string_view("\x02", 1)).ok());
  ASSERT_OK_AND_ASSIGN(std::int64_t small, DecodeIntegerText(" -32768 ", 16));
  EXPECT_EQ(small, -32768);
  ASSERT_OK_AND_ASSIGN(std::int64_t plus, DecodeIntegerText("+42", 32));
  EXPECT_EQ(plus, 42);
  Status overflow = DecodeIntegerText("32768", 16).status();
  EXPECT_EQ(overflow.message(),
            "invalid input for type smallint: \"32768\" (out of range for 16 bits)");
  EXPECT_FALSE(DecodeIntegerText("9223372036854775808", 64).ok());
  EXPECT_FALSE(DecodeIntegerText("12abc", 64).ok());
  EXPECT_FALSE(DecodeIntegerText("", 64).ok());
  ASSERT_OK_AND_ASSIGN(std::int64_t big, DecodeIntegerBinary(Unhex("8000000000000000"), 64));
  EXPECT_EQ(big, std::numeric_limits<std::int64_t>::min());
  ASSERT_OK_AND_ASSIGN(std::int64_t minus_two, DecodeIntegerBinary(Unhex("fffe"), 16));
  EXPECT_EQ(minus_two, -2);
  Status short_int = DecodeIntegerBinary(Unhex("000000"), 32).status();
  EXPECT_EQ(short_int.message(),
            "invalid binary value for type integer: 3 bytes where the binary form has 4");
}

TEST(PgDecodeTest, ReadsFloatsAndNumerics) {
  ASSERT_OK_AND_ASSIGN(double value, DecodeFloatText(" -1.5e3 "));
  EXPECT_EQ(value, -1500.0);
  ASSERT_OK_AND_ASSIGN(double infinity, DecodeFloatText("-Infinity"));
  EXPECT_EQ(infinity, -std::numeric_limits<double>::infinity());
  ASSERT_OK_AND_ASSIGN(double nan, DecodeFloatText("NaN"));
  EXPECT_TRUE(std::isnan(nan));
  ASSERT_OK_AND_ASSIGN(double dot, DecodeFloatText(".5"));
  EXPECT_EQ(dot, 0.5);
  for (std::string_view bad : {"", "abc", "1.5x", "--1", "1e999"}) {
    EXPECT_FALSE(DecodeFloatText(bad).ok()) << bad;
  }
  ASSERT_OK_AND_ASSIGN(double binary, DecodeFloatBinary(Unhex("3fb999999999999a"), 64));
  EXPECT_EQ(binary, 0.1);
  ASSERT_OK_AND_ASSIGN(double single, DecodeFloatBinary(Unhex("40490fd0"), 32));
  EXPECT_EQ(single, static_cast<double>(3.14159f));
  EXPECT_FALSE(DecodeFloatBinary(Unhex("40490f"), 32).ok());

  for (std::string_view good : {"12.50", "-0.001", "1e10", "+7", "NaN", "-Infinity", ".5"}) {
    EXPECT_OK(DecodeNumericText(good));
  }
  for (std::string_view bad : {"", "1.2.3", "1e", "abc", "1e+"}) {
    EXPECT_FALSE(DecodeNumericText(bad).ok()) << bad;
  }
  ASSERT_OK_AND_ASSIGN(PgNumeric nan_numeric, DecodeNumericBinary(Unhex("00000000c0000000")));
  EXPECT_EQ(nan_numeric.text, "NaN");
  ASSERT_OK_AND_ASSIGN(PgNumeric big,
                       DecodeNumericBinary(Unhex("0006000200000009000109291a8504d2162e2328")));
  EXPECT_EQ(big.text, "123456789.123456789");
  ASSERT_OK_AND_ASSIGN(PgNumeric huge, DecodeNumericBinary(Unhex("00010005000000000001")));
  EXPECT_EQ(huge.text, "100000000000000000000");
  EXPECT_FALSE(DecodeNumericBinary(Unhex("000100000000000000")).ok());    // a digit short
  EXPECT_FALSE(DecodeNumericBinary(Unhex("00010000000000002710")).ok());  // digit 10000
  EXPECT_FALSE(DecodeNumericBinary(Unhex("0000000012340000")).ok());      // no such sign
}

TEST(PgDecodeTest, ReadsByteaUuidAndText) {
  ASSERT_OK_AND_ASSIGN(std::string hex, DecodeByteaText("\\x00FF10"));
  EXPECT_EQ(hex, std::string("\x00\xff\x10", 3));
  ASSERT_OK_AND_ASSIGN(std::string escaped, DecodeByteaText("abc\\001\\\\"));
  EXPECT_EQ(Hex(escaped), "616263015c");
  EXPECT_FALSE(DecodeByteaText("\\x0").ok());
  EXPECT_FALSE(DecodeByteaText("\\xzz").ok());
  EXPECT_FALSE(DecodeByteaText("a\\9").ok());
  PgUuid expected = {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8,
                     0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11};
  for (std::string_view text :
       {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
        "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11"}) {
    ASSERT_OK_AND_ASSIGN(PgUuid uuid, DecodeUuidText(text));
    EXPECT_EQ(uuid, expected) << text;
  }
  for (std::string_view bad :
       {"", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}) {
    EXPECT_FALSE(DecodeUuidText(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeUuidBinary("short").ok());
  EXPECT_OK(CheckUtf8("plain \xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (std::string_view bad : {std::string_view("\xc3", 1), std::string_view("\xc0\xaf", 2),
                               std::string_view("\xed\xa0\x80", 3), std::string_view("a\0b", 3),
                               std::string_view("\xf5\x80\x80\x80", 4)}) {
    EXPECT_FALSE(CheckUtf8(bad).ok()) << Hex(bad);
  }
}

TEST(PgDecodeTest, ReadsDatesTimesAndTimestamps) {
  struct DateCase {
    std::string_view text;
    std::int32_t days;
  };
  const DateCase dates[] = {
      {"2024-02-29", Days(2024, 2, 29)},
      {" 1970-01-01 ", 0},
      {"0044-03-15 BC", Days(-43, 3, 15)},
      {"4713-01-01 BC", Days(-4712, 1, 1)},
      {"infinity", std::numeric_limits<std::int32_t>::max()},
      {"-infinity", std::numeric_limits<std::int32_t>::min()},
      {"epoch", 0},
      {"2024-02-29 +00", Days(2024, 2, 29)},  // pgjdbc's setDate
      {"2024-02-29 23:59:59", Days(2024, 2, 29)},
      {"2024-02-29T10:00:00-05:00", Days(2024, 2, 29)},  // the offset does not move the date
  };
  for (const DateCase& c : dates) {
    ASSERT_OK_AND_ASSIGN(std::int32_t days, DecodeDateText(c.text));
    EXPECT_EQ(days, c.days) << c.text;
  }
  for (std::string_view bad :
       {"4714-11-23 BC", "5874898-01-01", "2023-02-29", "2024-13-01", "2024-1-01", "24-01-01x",
        "0000-01-01 BC", "yesterday", "2024-02-29 25:00", "2024-02-29 x"}) {
    EXPECT_FALSE(DecodeDateText(bad).ok()) << bad;
  }
  ASSERT_OK_AND_ASSIGN(std::int32_t first_day, DecodeDateText("4714-11-24 BC"));
  EXPECT_EQ(first_day, -2'440'588);  // Julian day 0
  ASSERT_OK_AND_ASSIGN(std::int32_t last_day, DecodeDateText("5874897-12-31"));
  EXPECT_EQ(last_day, 2'145'042'905);
  ASSERT_OK_AND_ASSIGN(std::int32_t binary_date, DecodeDateBinary(Unhex("00002279")));
  EXPECT_EQ(binary_date, Days(2024, 2, 29));
  ASSERT_OK_AND_ASSIGN(std::int32_t infinite_date, DecodeDateBinary(Unhex("7fffffff")));
  EXPECT_EQ(infinite_date, std::numeric_limits<std::int32_t>::max());

  ASSERT_OK_AND_ASSIGN(std::int64_t time, DecodeTimeText("13:45:06.5"));
  EXPECT_EQ(time, 49'506'500'000);
  ASSERT_OK_AND_ASSIGN(std::int64_t short_time, DecodeTimeText("01:30"));
  EXPECT_EQ(short_time, 5'400'000'000);
  ASSERT_OK_AND_ASSIGN(std::int64_t rounded, DecodeTimeText("00:00:00.0000005"));
  EXPECT_EQ(rounded, 1);
  for (std::string_view bad : {"24:00:01", "25:00", "12:60", "12", "12:3", "12:30:00.", "x"}) {
    EXPECT_FALSE(DecodeTimeText(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeTimeBinary(Unhex("000000141dd76001")).ok());  // past 24:00:00

  struct TimestampCase {
    std::string_view text;
    bool with_zone;
    std::int64_t micros;
  };
  const TimestampCase timestamps[] = {
      {"2024-02-29 13:45:06.5", false, Micros(2024, 2, 29, 13, 45, 6, 500000)},
      {"2024-02-29T13:45:06.5", false, Micros(2024, 2, 29, 13, 45, 6, 500000)},
      {"2024-02-29 13:45:06.5+02", false, Micros(2024, 2, 29, 13, 45, 6, 500000)},
      {"2024-02-29 13:45:06.5+02", true, Micros(2024, 2, 29, 11, 45, 6, 500000)},
      {"2024-02-29 13:45:06.5-05:30", true, Micros(2024, 2, 29, 19, 15, 6, 500000)},
      {"2024-02-29T13:45:06.1234567Z", true, Micros(2024, 2, 29, 13, 45, 6, 123457)},
      {"2024-02-29 13:45:06+0530", true, Micros(2024, 2, 29, 8, 15, 6)},
      {"2024-02-29 24:00:00", false, Micros(2024, 3, 1, 0, 0, 0)},
      {"2024-02-29", false, Micros(2024, 2, 29, 0, 0, 0)},
      {"2024-02-29 +02", true, Micros(2024, 2, 28, 22, 0, 0)},
      {"0044-03-15 10:00:00 BC", false, Micros(-43, 3, 15, 10, 0, 0)},
      {"0044-03-15 10:00:00+00 BC", true, Micros(-43, 3, 15, 10, 0, 0)},
      {"infinity", true, std::numeric_limits<std::int64_t>::max()},
  };
  for (const TimestampCase& c : timestamps) {
    ASSERT_OK_AND_ASSIGN(std::int64_t micros, DecodeTimestampText(c.text, c.with_zone));
    EXPECT_EQ(micros, c.micros) << c.text;
  }
  ASSERT_OK_AND_ASSIGN(std::int64_t earliest, DecodeTimestampText("4714-11-24 00:00:00 BC", false));
  EXPECT_EQ(earliest, Micros(-4713, 11, 24, 0, 0, 0));
  ASSERT_OK_AND_ASSIGN(std::int64_t latest,
                       DecodeTimestampText("294247-01-10 04:00:54.775806", false));
  EXPECT_EQ(latest, std::numeric_limits<std::int64_t>::max() - 1);
  for (std::string_view bad :
       {"4714-11-23 00:00:00 BC", "294247-01-10 04:00:54.775807", "294276-12-31 23:59:59",
        "2024-02-29 13:45:06+2", "2024-02-29 25:00:00", "2024-02-29 13:45:06+16",
        "2024-02-29x13:45", "now"}) {
    EXPECT_FALSE(DecodeTimestampText(bad, true).ok()) << bad;
  }
  ASSERT_OK_AND_ASSIGN(std::int64_t binary, DecodeTimestampBinary(Unhex("0002b5843c5d9da0")));
  EXPECT_EQ(binary, Micros(2024, 2, 29, 13, 45, 6, 500000));
  ASSERT_OK_AND_ASSIGN(std::int64_t minus_infinity,
                       DecodeTimestampBinary(Unhex("8000000000000000")));
  EXPECT_EQ(minus_infinity, std::numeric_limits<std::int64_t>::min());
}

TEST(PgDecodeTest, ReadsIntervalInput) {
  struct Case {
    std::string_view text;
    PgInterval value;
  };
  const Case cases[] = {
      {"1 day ago", {0, -1, 0}},
      {"@ 1 hour", {0, 0, 3'600'000'000}},
      {"P1Y2M3DT4H5M6S", {14, 3, 14'706'000'000}},
      {"1 week", {0, 7, 0}},
      {"1.5 days", {0, 1, 43'200'000'000}},
      {"2 hours 30 minutes", {0, 0, 9'000'000'000}},
      {"1:30", {0, 0, 5'400'000'000}},
      {"-1:30:00", {0, 0, -5'400'000'000}},
      {"1 h 2 m 3 s", {0, 0, 3'723'000'000}},
      {"10 secs", {0, 0, 10'000'000}},
      {"10", {0, 0, 10'000'000}},
      {"3 ms", {0, 0, 3'000}},
      {"1 mon 1 us", {1, 0, 1}},
      {"1 year 2 mons", {14, 0, 0}},
      {"-1.5 hours", {0, 0, -5'400'000'000}},
      {"1.5 years", {18, 0, 0}},
      {"1.5 mons", {1, 15, 0}},
      {"P1.5D", {0, 1, 43'200'000'000}},
      {"0.5 weeks", {0, 3, 43'200'000'000}},
      {"10secs", {0, 0, 10'000'000}},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(PgInterval value, DecodeIntervalText(c.text));
    EXPECT_EQ(value, c.value) << c.text;
  }
  for (std::string_view bad :
       {"", "x", "1 fortnight", "P", "P1X", "1:xx", "@", "ago", "99999999999 years"}) {
    EXPECT_FALSE(DecodeIntervalText(bad).ok()) << bad;
  }
  EXPECT_FALSE(DecodeIntervalBinary(Unhex("00")).ok());
}

TEST(PgDecodeTest, ReadsArrayLiteralsWithPostgresQuoting) {
  ASSERT_OK_AND_ASSIGN(auto elements,
                       DecodeArrayText("{a, b ,\"c d\",NULL,\"\",\"NULL\",null,\"x\\\"y\","
                                       "back\\\\slash,\\NULL}"));
  std::vector<std::optional<std::string>> expected = {
      "a", "b", "c d", std::nullopt, "", "NULL", std::nullopt, "x\"y", "back\\slash", "NULL"};
  EXPECT_EQ(elements, expected);
  ASSERT_OK_AND_ASSIGN(auto empty, DecodeArrayText(" { } "));
  EXPECT_TRUE(empty.empty());
  // What AppendArrayText writes reads back as the same elements.
  std::vector<std::optional<std::string_view>> originals = {
      "c d", std::nullopt, "", "NULL", "x\"y\\", "{}", " lead", "\xc3\xbc"};
  std::string written;
  AppendArrayText(originals, written);
  ASSERT_OK_AND_ASSIGN(auto back, DecodeArrayText(written));
  ASSERT_EQ(back.size(), originals.size());
  for (std::size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back[i].has_value(), originals[i].has_value()) << i;
    if (back[i] && originals[i]) {
      EXPECT_EQ(*back[i], *originals[i]) << i;
    }
  }
  for (std::string_view bad : {"", "{", "a,b", "{a,,b}", "{\"a}", "{a\"b}", "{a,}", "{\"a\"b}"}) {
    EXPECT_FALSE(DecodeArrayText(bad).ok()) << bad;
  }
  EXPECT_EQ(DecodeArrayText("{{1,2},{3,4}}").status().code(), ErrorCode::kNotSupported);
  EXPECT_EQ(DecodeArrayText("[0:1]={1,2}").status().code(), ErrorCode::kNotSupported);
}

TEST(PgDecodeTest, ReadsBinaryArrays) {
  ASSERT_OK_AND_ASSIGN(auto elements,
                       DecodeArrayBinary(Unhex("00000001000000010000001700000003000000010000000"
                                               "400000001ffffffff0000000400000003"),
                                         pg_oid::kInt4));
  ASSERT_EQ(elements.size(), 3u);
  EXPECT_EQ(Hex(*elements[0]), "00000001");
  EXPECT_FALSE(elements[1].has_value());
  ASSERT_OK_AND_ASSIGN(auto empty, DecodeArrayBinary(Unhex("000000000000000000000017"), 23));
  EXPECT_TRUE(empty.empty());
  // The wrong element type, a count beyond the bytes, an element running past the end.
  EXPECT_FALSE(DecodeArrayBinary(Unhex("000000000000000000000019"), 23).ok());
  EXPECT_FALSE(DecodeArrayBinary(Unhex("0000000100000000000000177fffffff00000001"), 23).ok());
  EXPECT_FALSE(
      DecodeArrayBinary(Unhex("000000010000000000000017000000010000000100000010abcd"), 23).ok());
  EXPECT_EQ(DecodeArrayBinary(Unhex("000000020000000000000017"), 23).status().code(),
            ErrorCode::kNotSupported);
}

TEST(PgDecodeTest, DecodesParametersByOidAndFormat) {
  ASSERT_OK_AND_ASSIGN(PgValue int_text, DecodePgValue(pg_oid::kInt4, 0, "42"));
  EXPECT_EQ(std::get<std::int64_t>(int_text.value), 42);
  ASSERT_OK_AND_ASSIGN(PgValue int_binary,
                       DecodePgValue(pg_oid::kInt8, 1, Unhex("fffffffffffffffe")));
  EXPECT_EQ(std::get<std::int64_t>(int_binary.value), -2);
  ASSERT_OK_AND_ASSIGN(PgValue date, DecodePgValue(pg_oid::kDate, 0, "2024-02-29"));
  EXPECT_EQ(std::get<PgDate>(date.value).days_since_1970, Days(2024, 2, 29));
  ASSERT_OK_AND_ASSIGN(PgValue stamp,
                       DecodePgValue(pg_oid::kTimestampTz, 1, Unhex("0000000000000000")));
  EXPECT_EQ(std::get<PgTimestamp>(stamp.value), (PgTimestamp{Micros(2000, 1, 1, 0, 0, 0), true}));
  ASSERT_OK_AND_ASSIGN(PgValue bytes, DecodePgValue(pg_oid::kBytea, 0, "\\x6162"));
  EXPECT_EQ(std::get<PgBytes>(bytes.value).bytes, "ab");
  ASSERT_OK_AND_ASSIGN(PgValue untyped, DecodePgValue(pg_oid::kUnspecified, 0, "anything"));
  EXPECT_EQ(std::get<std::string>(untyped.value), "anything");
  ASSERT_OK_AND_ASSIGN(PgValue jsonb, DecodePgValue(pg_oid::kJsonb, 1, "\x01{}"));
  EXPECT_EQ(std::get<std::string>(jsonb.value), "{}");
  ASSERT_OK_AND_ASSIGN(PgValue array, DecodePgValue(pg_oid::kInt8Array, 0, "{1,NULL,-3}"));
  const PgArray& ints = std::get<PgArray>(array.value);
  EXPECT_EQ(ints.element_oid, pg_oid::kInt8);
  ASSERT_EQ(ints.elements.size(), 3u);
  EXPECT_EQ(std::get<std::int64_t>(ints.elements[2].value), -3);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(ints.elements[1].value));
  ASSERT_OK_AND_ASSIGN(PgValue date_array,
                       DecodePgValue(pg_oid::kDateArray, 1,
                                     Unhex("00000001000000010000043a000000020000000100000004000022"
                                           "79ffffffff")));
  EXPECT_EQ(std::get<PgDate>(std::get<PgArray>(date_array.value).elements[0].value).days_since_1970,
            Days(2024, 2, 29));

  Status bad_element = DecodePgValue(pg_oid::kInt4Array, 0, "{1,x}").status();
  EXPECT_EQ(bad_element.message(),
            "array element 2: invalid input for type integer: \"x\" (a whole number is expected)");
  EXPECT_FALSE(DecodePgValue(pg_oid::kText, 0, "\xff").ok());
  EXPECT_EQ(DecodePgValue(pg_oid::kOid, 1, std::string_view("\0\0\0\1", 4)).status().code(),
            ErrorCode::kNotSupported);
  EXPECT_EQ(DecodePgValue(pg_oid::kInt4, 2, "1").status().code(), ErrorCode::kProtocolViolation);
  EXPECT_FALSE(DecodePgValue(pg_oid::kJsonb, 1, "{}").ok());  // no version byte
}

}  // namespace
}  // namespace quanta::ports
