#include "pipeline/record_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta::pipeline {
namespace {

using model::Json;
using ::testing::HasSubstr;

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
  }

  std::optional<std::string> Check(const std::string& json) {
    RecordValidator validator(object_);
    return validator.Check(Json::parse(json));
  }

  model::SchemaObject object_;
};

TEST_F(RecordValidatorTest, AcceptsConformingRecordsAndIgnoresUndeclaredFields) {
  EXPECT_EQ(Check(R"({"id": "a"})"), std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "count": 3, "price": 2, "ok": true, "day": "2024-02-29",
                      "at": "2026-01-01T10:00:00.123+02:00", "status": "new", "code": "ab",
                      "extra": [1]})"),
            std::nullopt);
  EXPECT_EQ(Check(R"({"id": "a", "at": "2026-01-01 10:00:00", "count": null})"), std::nullopt);
}

TEST_F(RecordValidatorTest, NamesTheFieldAndTheRuleOfEachProblem) {
  EXPECT_THAT(*Check(R"([1])"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(*Check(R"({})"), HasSubstr("id: required, but missing"));
  EXPECT_THAT(*Check(R"({"id": null})"), HasSubstr("id: required, but null"));
  EXPECT_THAT(*Check(R"({"id": 5})"), HasSubstr("id: expected a string"));
  EXPECT_THAT(*Check(R"({"id": "a", "count": 1.5})"), HasSubstr("count: expected an integer"));
  EXPECT_THAT(*Check(R"({"id": "a", "count": 3000000000})"), HasSubstr("out of range"));
  EXPECT_THAT(*Check(R"({"id": "a", "count": "3"})"), HasSubstr("got a string"));
  EXPECT_THAT(*Check(R"({"id": "a", "price": "1"})"), HasSubstr("price: expected a number"));
  EXPECT_THAT(*Check(R"({"id": "a", "ok": 1})"), HasSubstr("ok: expected true or false"));
  EXPECT_THAT(*Check(R"({"id": "a", "day": "2023-02-29"})"), HasSubstr("day: expected a date"));
  EXPECT_THAT(*Check(R"({"id": "a", "at": "yesterday"})"), HasSubstr("at: expected an RFC 3339"));
  EXPECT_THAT(*Check(R"({"id": "a", "at": "2026-01-01T25:00:00Z"})"), HasSubstr("at:"));
  EXPECT_THAT(*Check(R"({"id": "a", "status": "lost"})"),
              HasSubstr("status: \"lost\" is not one of the allowed values (\"new\", \"done\")"));
  EXPECT_THAT(*Check(R"({"id": "a", "code": "a"})"), HasSubstr("minLength"));
  EXPECT_THAT(*Check(R"({"id": "a", "code": "abcd"})"), HasSubstr("maxLength"));
}

}  // namespace
}  // namespace quanta::pipeline
