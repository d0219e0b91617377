#include "pipeline/record_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta::pipeline {
namespace {

using model::Json;
using ::testing::HasSubstr;
using ::testing::Optional;

model::Property Prop(const std::string& name, const std::string& logical,
                     const std::string& physical = "", bool required = false) {
  model::Property property;
  property.name = name;
  property.logical_type = logical;
  if (!physical.empty()) property.physical_type = physical;
  property.required = required;
  return property;
}

class RecordValidatorTest : public ::testing::Test {
 protected:
  RecordValidatorTest() {
    object_.name = "events";
    object_.properties.push_back(Prop("id", "string", "", true));
    object_.properties.push_back(Prop("count", "integer", "integer"));
    object_.properties.push_back(Prop("price", "number"));
    object_.properties.push_back(Prop("ok", "boolean"));
    object_.properties.push_back(Prop("day", "date"));
    object_.properties.push_back(Prop("at", "timestamp"));
    model::Property status = Prop("status", "string");
    status.logical_type_options = {{"enum", {"new", "done"}}};
    object_.properties.push_back(status);
    model::Property code = Prop("code", "string");
    code.logical_type_options = {{"minLength", 2}, {"maxLength", 3}};
    object_.properties.push_back(code);
    model::Property level = Prop("level", "integer", "bigint");
    level.logical_type_options = {{"enum", {1, 2}}, {"minimum", 0}, {"exclusiveMaximum", 10}};
    object_.properties.push_back(level);
    object_.properties.push_back(Prop("big", "integer", "ubigint"));
    object_.properties.push_back(Prop("doc", "object", "json"));
    object_.properties.push_back(Prop("tags", "array", "varchar[]"));
    object_.properties.push_back(Prop("amount", "number", "decimal(12,2)"));
    object_.properties.push_back(Prop("ratio", "number", "real"));
    object_.properties.push_back(Prop("clock", "time"));
    object_.properties.push_back(Prop("quantity", "integer", "bigint"));
    object_.properties.push_back(Prop("wide", "integer", "hugeint"));
  }

  // The verdict on a record that only nlohmann-json reads (integers beyond 64 bits), and the
  // values it would load in their own words.
  std::optional<std::string> CheckBeyond64Bits(
      const std::string& json, std::vector<RecordValidator::Replacement>* replacements = nullptr) {
    RecordValidator validator(object_);
    simdjson::dom::element element;
    EXPECT_NE(parser_.parse(json).get(element), simdjson::SUCCESS) << json;
    Json reference = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(reference.is_discarded()) << json;
    return validator.Check(reference, json, replacements);
  }

  // The values a conforming record read by simdjson would load in their own words, as
  // "name=text", which must be those of the nlohmann-json reading.
  std::vector<std::string> ReplacedIn(const std::string& json) {
    RecordValidator validator(object_);
    std::vector<std::string> replaced;
    for (const RecordValidator::Replacement& replacement : FieldsOf(json).replacements) {
      replaced.push_back(validator.column_names()[replacement.field] + "=" + replacement.text);
    }
    std::vector<RecordValidator::Replacement> slow;
    EXPECT_EQ(validator.Check(Json::parse(json), json, &slow), std::nullopt) << json;
    EXPECT_EQ(slow.size(), replaced.size()) << json;
    return replaced;
  }

  // The verdict on `json` read by simdjson (the ingest path), which must be the verdict on the
  // same record read by nlohmann-json, reason for reason.
  std::optional<std::string> Check(const std::string& json) {
    RecordValidator validator(object_);
    Json reference = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(reference.is_discarded()) << json;
    simdjson::dom::parser parser;
    simdjson::dom::element element;
    EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
    std::optional<std::string> fast = validator.Check(element, json);
    EXPECT_EQ(fast, validator.Check(reference, json)) << json;
    return fast;
  }

  RecordValidator::Fields FieldsOf(const std::string& json) {
    RecordValidator validator(object_);
    simdjson::dom::element element;
    EXPECT_EQ(parser_.parse(json).get(element), simdjson::SUCCESS) << json;
    RecordValidator::Fields fields;
    EXPECT_EQ(validator.Check(element, json, &fields), std::nullopt) << json;
    return fields;
  }

  model::SchemaObject object_;
  simdjson::dom::parser parser_;
};

TEST_F(RecordValidatorTest, AcceptsConformingRecordsAndIgnoresUndeclaredFields) {
  EXPECT_EQ(Check(R"({"id": "a"})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "count": 3, "price": 2, "ok": true, "day": "2024-02-29",
                      "at": "2026-01-01T10:00:00.123+02:00", "status": "new", "code": "ab",
                      "extra": [1]})"),
            std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-01-01 10:00:00", "count": null})"), std::nullopt);
  EXPECT_EQ(
      Check(R"({"id": "a", "count": 3.0, "price": -0, "level": 2.0, "big": 18446744073709551615,
                      "doc": {"any": [null]}, "tags": ["x"]})"),
      std::nullopt);
}

TEST_F(RecordValidatorTest, NamesTheFieldAndTheRuleOfEachProblem) {
  EXPECT_EQ(*Check(R"([1])"), "a record must be a JSON object, got an array");
  EXPECT_EQ(*Check(R"("text")"), "a record must be a JSON object, got a string");
  EXPECT_EQ(*Check(R"({})"), "id: required, but missing");
  EXPECT_EQ(*Check(R"({"id": null})"), "id: required, but null");
  EXPECT_EQ(*Check(R"({"id": 5})"), "id: expected a string (VARCHAR), got an integer 5");
  EXPECT_EQ(*Check(R"({"id": "a", "count": 1.5})"),
            "count: expected an integer (INTEGER), got a number 1.5");
  EXPECT_EQ(*Check(R"({"id": "a", "count": 3000000000})"),
            "count: 3000000000 is out of range for INTEGER (-2147483648 to 2147483647)");
  EXPECT_EQ(*Check(R"({"id": "a", "count": "3"})"),
            "count: expected an integer (INTEGER), got a string \"3\"");
  EXPECT_EQ(*Check(R"({"id": "a", "price": "1"})"),
            "price: expected a number (DOUBLE), got a string \"1\"");
  EXPECT_EQ(*Check(R"({"id": "a", "ok": 1})"),
            "ok: expected true or false (BOOLEAN), got an integer 1");
  EXPECT_EQ(*Check(R"({"id": "a", "day": "2023-02-29"})"),
            "day: expected a date YYYY-MM-DD (DATE), got \"2023-02-29\"");
  EXPECT_THAT(*Check(R"({"id": "a", "at": "yesterday"})"), HasSubstr("at: expected an RFC 3339"));
  EXPECT_THAT(*Check(R"({"id": "a", "at": "2026-01-01T25:00:00Z"})"), HasSubstr("at:"));
  EXPECT_EQ(*Check(R"({"id": "a", "status": "lost"})"),
            "status: \"lost\" is not one of the allowed values (\"new\", \"done\")");
  EXPECT_EQ(*Check(R"({"id": "a", "code": "a"})"), "code: \"a\" is shorter than minLength 2");
  EXPECT_EQ(*Check(R"({"id": "a", "code": "abcd"})"), "code: 4 characters, more than maxLength 3");
  EXPECT_EQ(*Check(R"({"id": "a", "level": 3})"),
            "level: 3 is not one of the allowed values (1, 2)");
  EXPECT_THAT(*Check(R"({"id": "a", "doc": 1, "tags": "x"})"),
              HasSubstr("tags: expected an array"));
}

TEST_F(RecordValidatorTest, HostileValuesGetTheSameVerdictFromBothReaders) {
  // Integers at and beyond the 64-bit limits, which the readers keep as signed, unsigned or
  // floating point.
  EXPECT_EQ(Check(R"({"id": "a", "big": 0})"), std::nullopt);
  EXPECT_THAT(*Check(R"({"id": "a", "big": -1})"), HasSubstr("big: -1 is out of range"));
  EXPECT_THAT(*Check(R"({"id": "a", "count": -9223372036854775808})"),
              HasSubstr("out of range for INTEGER"));
  EXPECT_THAT(*Check(R"({"id": "a", "count": 1e300})"), HasSubstr("out of range for INTEGER"));
  EXPECT_THAT(*Check(R"({"id": "a", "level": -0.5})"), HasSubstr("level: expected an integer"));
  // Strings with escapes, multi-byte characters and an escaped NUL.
  EXPECT_EQ(Check(R"({"id": "a\"\n\u0000\u00e9\ud83d\ude00", "code": "\u00e9\u00e9"})"),
            std::nullopt);
  EXPECT_EQ(*Check(R"({"id": "a", "code": "\u00e9\u00e9\u00e9\u00e9"})"),
            "code: 4 characters, more than maxLength 3");
  // A long value is cut short in the message.
  EXPECT_EQ(*Check(R"({"id": "a", "count": ")" + std::string(100, 'x') + R"("})"),
            "count: expected an integer (INTEGER), got a string \"" + std::string(56, 'x') + "...");
  EXPECT_EQ(Check(R"({"id": 1, "status": {"deep": [[[{"a": 1}]]]}})"),
            "id: expected a string (VARCHAR), got an integer 1");
  EXPECT_THAT(*Check(R"({"id": "a", "status": {"b": 1, "a": [1, 2]}})"),
              HasSubstr("{\"b\":1,\"a\":[1,2]}"));
  // Deep nesting inside a JSON property.
  std::string deep = std::string(500, '[') + std::string(500, ']');
  EXPECT_EQ(Check(R"({"id": "a", "doc": )" + deep + "}"), std::nullopt);
}

TEST_F(RecordValidatorTest, RefusesWhatDuckDbCannotHoldBeforeItSeesIt) {
  // A decimal beyond its precision once rounded to its scale, as DuckDB rounds a double.
  EXPECT_EQ(Check(R"({"id": "a", "amount": 9999999999.99})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "amount": -9999999999.994})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "amount": 1234567890.235})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "amount": 12345678901.23})"),
            "amount: 12345678901.23 is out of range for DECIMAL(12,2) (-9999999999.99 to "
            "9999999999.99)");
  EXPECT_THAT(Check(R"({"id": "a", "amount": 9999999999.995})"),
              Optional(HasSubstr("amount: 9999999999.995 is out of range for DECIMAL(12,2)")));
  EXPECT_THAT(Check(R"({"id": "a", "amount": -1e300})"),
              Optional(HasSubstr("amount: -1e+300 is out of range for DECIMAL(12,2)")));
  EXPECT_THAT(Check(R"({"id": "a", "ratio": 1e300})"),
              Optional(HasSubstr("ratio: 1e+300 is out of range for FLOAT")));
  EXPECT_EQ(Check(R"({"id": "a", "ratio": 3.4e38})"), std::nullopt);
  // A leap second, which RFC 3339 allows and DuckDB's types cannot hold.
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-12-31T23:59:60Z"})"),
            "at: \"2026-12-31T23:59:60Z\" is a leap second (:60), which TIMESTAMP WITH TIME "
            "ZONE cannot hold; send :59 instead");
  EXPECT_THAT(Check(R"({"id": "a", "clock": "23:59:60"})"),
              Optional(HasSubstr("clock: \"23:59:60\" is a leap second")));
  // RFC 3339 times have seconds; DuckDB needs them before an offset.
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-03-01T10:00Z"})"),
            "at: expected an RFC 3339 timestamp such as 2026-01-31T12:00:00Z (TIMESTAMP WITH TIME "
            "ZONE), got \"2026-03-01T10:00Z\"");
  EXPECT_THAT(Check(R"({"id": "a", "at": "2026-03-01 10:00"})"),
              Optional(HasSubstr("at: expected")));
  EXPECT_THAT(Check(R"({"id": "a", "clock": "10:00Z"})"),
              Optional(HasSubstr("clock: expected a time")));
  EXPECT_EQ(Check(R"({"id": "a", "clock": "10:00"})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "clock": "10:00:00.5+01:00"})"), std::nullopt);
}

TEST_F(RecordValidatorTest, IntegersAreJudgedOnTheirDigitsNotOnADouble) {
  const std::string kBigint = "BIGINT (-9223372036854775808 to 9223372036854775807)";
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 9223372036854775808})"),
            "quantity: 9223372036854775808 is out of range for " + kBigint);
  EXPECT_EQ(CheckBeyond64Bits(R"({"id": "a", "quantity": -9223372036854775809})"),
            "quantity: -9223372036854775809 is out of range for " + kBigint);
  EXPECT_EQ(Check(R"({"id": "a", "quantity": -9223372036854775808.0})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 9.3e18})"),
            "quantity: 9.3e18 is out of range for " + kBigint);
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 0.9999999999999999999})"),
            "quantity: expected an integer (BIGINT), got a number 0.9999999999999999999");
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 1.0000000000000001})"),
            "quantity: expected an integer (BIGINT), got a number 1.0000000000000001");
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 1.5})"),
            "quantity: expected an integer (BIGINT), got a number 1.5");
  EXPECT_EQ(Check(R"({"id": "a", "quantity": 1e-1})"),
            "quantity: expected an integer (BIGINT), got a number 1e-1");
  EXPECT_EQ(Check(R"({"id": "a", "wide": 1e39})"),
            "wide: 1e39 is out of range for HUGEINT (-170141183460469231731687303715884105728 to "
            "170141183460469231731687303715884105727)");
  EXPECT_THAT(Check(R"({"id": "a", "wide": 1e40})"),
              Optional(HasSubstr("wide: 1e40 is out of range")));
  EXPECT_THAT(CheckBeyond64Bits(R"({"id": "a", "wide": 170141183460469231731687303715884105728})"),
              Optional(HasSubstr("wide: 170141183460469231731687303715884105728 is out of range")));
  EXPECT_THAT(CheckBeyond64Bits(R"({"id": "a", "big": 18446744073709551616})"),
              Optional(HasSubstr("big: 18446744073709551616 is out of range for UBIGINT")));

  // An integer written with a fraction or an exponent, or beyond 64 bits, is loaded as the
  // digits it spells, not as the double the readers hold (9007199254740993 has none).
  EXPECT_TRUE(ReplacedIn(R"({"id": "a", "quantity": 7})").empty());
  EXPECT_THAT(ReplacedIn(R"({"id": "a", "quantity": 5.0, "count": 1e3, "wide": -0.0})"),
              ::testing::ElementsAre("count=1000", "quantity=5", "wide=0"));
  EXPECT_THAT(ReplacedIn(R"({"id": "a", "quantity": 9007199254740993.0, "level": 20E-1})"),
              ::testing::ElementsAre("level=2", "quantity=9007199254740993"));
  std::vector<RecordValidator::Replacement> replaced;
  EXPECT_EQ(CheckBeyond64Bits(R"({"id": "a", "wide": -170141183460469231731687303715884105728,
                                  "wide": 123456789012345678901})",
                              &replaced),
            std::nullopt);
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].text, "123456789012345678901");  // the last of a repeated key
}

TEST_F(RecordValidatorTest, TimestampsFollowRfc3339) {
  // Offsets reach 23:59 either way; DuckDB would take +24:00 as a whole day.
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-03-01T10:00:00+24:00"})"),
            "at: \"2026-03-01T10:00:00+24:00\" has an offset beyond -23:59 to +23:59 (RFC 3339), "
            "for TIMESTAMP WITH TIME ZONE");
  EXPECT_THAT(Check(R"({"id": "a", "at": "2026-03-01T10:00:00-0060"})"),
              Optional(HasSubstr("has an offset beyond")));
  EXPECT_THAT(Check(R"({"id": "a", "clock": "10:00:00+25"})"),
              Optional(HasSubstr("clock: \"10:00:00+25\" has an offset beyond")));
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-03-01T10:00:00-23:59", "clock": "10:00:00+2359"})"),
            std::nullopt);
  // Lower-case t and z are RFC 3339 too; DuckDB reads them only in capitals, so they load so.
  EXPECT_THAT(ReplacedIn(R"({"id": "a", "at": "2026-03-01t10:00:00.5z"})"),
              ::testing::ElementsAre("at=2026-03-01T10:00:00.5Z"));
  EXPECT_TRUE(ReplacedIn(R"({"id": "a", "at": "2026-03-01T10:00:00+01:00"})").empty());
  // Without an offset, and a date alone, as documented above: DuckDB's reading decides.
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-03-01T10:00:00"})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-03-01"})"), std::nullopt);
}

TEST_F(RecordValidatorTest, ARepeatedKeyCountsWithItsLastValue) {
  EXPECT_EQ(Check(R"({"id": 5, "id": "a"})"), std::nullopt);
  EXPECT_EQ(*Check(R"({"id": "a", "id": 5})"), "id: expected a string (VARCHAR), got an integer 5");
  EXPECT_EQ(*Check(R"({"id": "a", "id": null})"), "id: required, but null");
  EXPECT_TRUE(FieldsOf(R"({"id": "a", "x": 1, "x": 2})").repeated_key);
  EXPECT_FALSE(FieldsOf(R"({"id": "a", "x": {"y": 1, "y": 2}})").repeated_key);
}

TEST_F(RecordValidatorTest, TellsARepeatedKeyAmongManyExactly) {
  // Beyond the keys compared with each other, the rest are hashed, not taken as repeated.
  std::string wide = R"({"id": "a")";
  for (int i = 0; i < 1000; ++i) wide += ", \"f" + std::to_string(i) + "\": " + std::to_string(i);
  RecordValidator::Fields fields = FieldsOf(wide + "}");
  EXPECT_FALSE(fields.repeated_key);
  EXPECT_EQ(fields.values[0]->get_string().value(), "a");
  EXPECT_TRUE(FieldsOf(wide + R"(, "f999": 0})").repeated_key);
  EXPECT_TRUE(FieldsOf(wide + R"(, "f3": 0})").repeated_key);
  fields = FieldsOf(wide + R"(, "id": "b"})");
  EXPECT_TRUE(fields.repeated_key);
  EXPECT_EQ(fields.values[0]->get_string().value(), "b");
}

TEST_F(RecordValidatorTest, ReportsTheDeclaredValuesOfAConformingRecord) {
  RecordValidator::Fields fields = FieldsOf(R"({"count": 7, "id": "b", "id": "a", "more": 1})");
  ASSERT_EQ(fields.values.size(), object_.properties.size());
  ASSERT_TRUE(fields.values[0].has_value());
  EXPECT_EQ(fields.values[0]->get_string().value(), "a");
  ASSERT_TRUE(fields.values[1].has_value());
  EXPECT_EQ(fields.values[1]->get_int64().value(), 7);
  EXPECT_FALSE(fields.values[2].has_value());
  EXPECT_TRUE(fields.repeated_key);
  EXPECT_FALSE(fields.nested);
  EXPECT_TRUE(FieldsOf(R"({"id": "a", "tags": []})").nested);
  EXPECT_FALSE(FieldsOf(R"({"id": "a", "undeclared": {}})").nested);
}

}  // namespace
}  // namespace quanta::pipeline
