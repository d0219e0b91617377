#include "model/json_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "model/embedded_files.h"
#include "testing/matchers.h"

namespace quanta::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

JsonSchema CompileOrDie(const char* text) {
  Result<JsonSchema> schema = JsonSchema::Compile(Json::parse(text));
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return std::move(schema).value();
}

std::vector<SchemaViolation> Check(const JsonSchema& schema, const char* instance) {
  return schema.Validate(Json::parse(instance));
}

std::vector<std::string> Messages(const std::vector<SchemaViolation>& violations) {
  std::vector<std::string> messages;
  for (const SchemaViolation& violation : violations) messages.push_back(violation.message);
  return messages;
}

const JsonSchema& Odcs31() {
  static const JsonSchema schema = [] {
    std::string_view text = FindEmbeddedFile("odcs-json-schema-v3.1.0.json");
    Result<JsonSchema> compiled = JsonSchema::Compile(Json::parse(text));
    EXPECT_TRUE(compiled.ok()) << compiled.status().ToString();
    return std::move(compiled).value();
  }();
  return schema;
}

// A minimal valid ODCS v3.1.0 contract with one table and one column; tests change parts of it.
Json Contract() {
  return Json::parse(R"({
    "apiVersion": "v3.1.0", "kind": "DataContract", "id": "orders", "version": "1.0.0",
    "status": "active",
    "schema": [{"name": "orders", "properties": [
      {"name": "amount", "logicalType": "number",
       "quality": [{"metric": "nullValues", "mustBe": 0}]}]}]
  })");
}

TEST(JsonSchemaTest, CompilesTheEmbeddedStandardsAndPipelineSchemas) {
  for (const char* name : {"odcs-json-schema-v3.1.0.json", "odcs-json-schema-v3.0.2.json",
                           "odps-json-schema-v1.0.0.json", "quanta-pipeline-v1.json"}) {
    std::string_view text = FindEmbeddedFile(name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_OK(JsonSchema::Compile(Json::parse(text)));
  }
}

TEST(JsonSchemaTest, TypeTellsIntegersFromOtherNumbers) {
  JsonSchema schema = CompileOrDie(R"({"type": "integer"})");
  EXPECT_THAT(Check(schema, "3"), IsEmpty());
  EXPECT_THAT(Check(schema, "3.0"), IsEmpty());  // a whole number written with a fraction
  auto violations = Check(schema, "3.5");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "type");
  EXPECT_EQ(violations[0].message, "the document must be a whole number, not a number (3.5)");
  EXPECT_THAT(Check(CompileOrDie(R"({"type": "number"})"), "3.5"), IsEmpty());
}

TEST(JsonSchemaTest, TypeListsAcceptAnyOfTheirTypes) {
  JsonSchema schema = CompileOrDie(R"({"properties": {"v": {"type": ["string", "null"]}}})");
  EXPECT_THAT(Check(schema, R"({"v": "x"})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"v": null})"), IsEmpty());
  auto violations = Check(schema, R"({"v": true})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/v");
  EXPECT_EQ(violations[0].message, "v must be a string or empty (null), not true/false (true)");
}

TEST(JsonSchemaTest, RequiredNamesTheMissingField) {
  JsonSchema schema = CompileOrDie(R"({"required": ["id", "status"]})");
  auto violations = Check(schema, R"({"id": "x"})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "required");
  EXPECT_EQ(violations[0].pointer, "");
  EXPECT_EQ(violations[0].message, "missing required field 'status'");
  EXPECT_FALSE(violations[0].names_field);
  // required applies to objects only
  EXPECT_THAT(Check(schema, "[1]"), IsEmpty());
}

TEST(JsonSchemaTest, AdditionalPropertiesFalseListsTheAllowedFields) {
  JsonSchema schema =
      CompileOrDie(R"({"properties": {"a": {}, "b": {}, "c": {}}, "additionalProperties": false})");
  auto violations = Check(schema, R"({"a": 1, "foo": 2})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "additionalProperties");
  EXPECT_EQ(violations[0].pointer, "/foo");
  EXPECT_TRUE(violations[0].names_field);
  EXPECT_EQ(violations[0].message, "'foo' is not allowed here (allowed: a, b, c)");
  EXPECT_THAT(violations[0].choices, ElementsAre("a", "b", "c"));
}

TEST(JsonSchemaTest, AdditionalPropertiesSchemaChecksTheOtherFields) {
  JsonSchema schema =
      CompileOrDie(R"({"properties": {"a": {}}, "additionalProperties": {"type": "string"}})");
  EXPECT_THAT(Check(schema, R"({"a": 1, "b": "x"})"), IsEmpty());
  auto violations = Check(schema, R"({"a": 1, "b": 2})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/b");
  EXPECT_EQ(violations[0].keyword, "type");
}

TEST(JsonSchemaTest, UnevaluatedPropertiesSeesFieldsDeclaredThroughRefAndAllOf) {
  JsonSchema schema = CompileOrDie(R"({
    "$defs": {"Base": {"properties": {"name": {"type": "string"}}}},
    "$ref": "#/$defs/Base",
    "allOf": [{"properties": {"size": {"type": "integer"}}}],
    "unevaluatedProperties": false
  })");
  EXPECT_THAT(Check(schema, R"({"name": "x", "size": 1})"), IsEmpty());
  auto violations = Check(schema, R"({"name": "x", "colour": "red"})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "unevaluatedProperties");
  EXPECT_EQ(violations[0].message, "'colour' is not allowed here (allowed: name, size)");
}

TEST(JsonSchemaTest, UnevaluatedPropertiesFollowsIfThenElse) {
  JsonSchema schema = CompileOrDie(R"({
    "properties": {"kind": {"type": "string"}},
    "if": {"properties": {"kind": {"const": "list"}}},
    "then": {"properties": {"items": {"type": "array"}}},
    "else": {"properties": {"value": {}}},
    "unevaluatedProperties": false
  })");
  EXPECT_THAT(Check(schema, R"({"kind": "list", "items": []})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"kind": "one", "value": 1})"), IsEmpty());
  auto violations = Check(schema, R"({"kind": "one", "items": []})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].message, "'items' is allowed here only when kind is list");
  EXPECT_EQ(violations[0].pointer, "/items");
  violations = Check(schema, R"({"kind": "list", "value": 1})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/value");
}

TEST(JsonSchemaTest, UnevaluatedPropertiesIgnoresFailedAlternativesAndNot) {
  JsonSchema any_of = CompileOrDie(R"({
    "anyOf": [{"properties": {"a": {"const": 1}}, "required": ["a"]},
              {"properties": {"b": {}}}],
    "unevaluatedProperties": false
  })");
  EXPECT_THAT(Check(any_of, R"({"a": 1, "b": 1})"), IsEmpty());
  // The first alternative fails, so only the second one's field counts as evaluated.
  auto violations = Check(any_of, R"({"a": 2, "b": 1})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/a");
  EXPECT_EQ(violations[0].keyword, "unevaluatedProperties");

  JsonSchema negated = CompileOrDie(R"({
    "not": {"properties": {"x": {"type": "string"}}, "required": ["x"]},
    "unevaluatedProperties": false
  })");
  violations = Check(negated, R"({"x": 1})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/x");
  EXPECT_EQ(violations[0].keyword, "unevaluatedProperties");
}

TEST(JsonSchemaTest, UnevaluatedPropertiesWithASchemaChecksTheRest) {
  JsonSchema schema =
      CompileOrDie(R"({"properties": {"a": {}}, "unevaluatedProperties": {"type": "number"}})");
  EXPECT_THAT(Check(schema, R"({"a": "x", "b": 2})"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, R"({"a": "x", "b": "y"})")),
              ElementsAre("b must be a number, not a string ('y')"));
}

TEST(JsonSchemaTest, RefsResolveIntoDefsContainersAndRecursively) {
  JsonSchema schema = CompileOrDie(R"({
    "$defs": {
      "Groups": {"Leaf": {"type": "string"}},
      "Tree": {"type": "object", "properties": {
        "label": {"$ref": "#/$defs/Groups/Leaf"},
        "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}}
    },
    "$ref": "#/$defs/Tree"
  })");
  EXPECT_THAT(Check(schema, R"({"label": "a", "children": [{"label": "b", "children": []}]})"),
              IsEmpty());
  auto violations = Check(schema, R"({"label": "a", "children": [{"children": [{"label": 5}]}]})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/children/0/children/0/label");
  EXPECT_EQ(violations[0].message, "label must be a string, not a number (5)");
}

TEST(JsonSchemaTest, OneOfAcceptsExactlyOneAlternative) {
  JsonSchema schema = CompileOrDie(R"({"oneOf": [
    {"properties": {"mustBe": {}}, "required": ["mustBe"]},
    {"properties": {"mustBeBetween": {"type": "array", "minItems": 2, "maxItems": 2,
                                       "items": {"type": "number"}}},
     "required": ["mustBeBetween"]}
  ]})");
  EXPECT_THAT(Check(schema, R"({"mustBe": 0})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"mustBeBetween": [1, 2]})"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, R"({"mustBe": 0, "mustBeBetween": [1, 2]})")),
              ElementsAre("only one of mustBe or mustBeBetween may be given here"));
  EXPECT_THAT(Messages(Check(schema, R"({})")),
              ElementsAre("missing one of the fields 'mustBe' or 'mustBeBetween'"));
  // The alternative that got furthest is the one reported, not every alternative.
  EXPECT_THAT(Messages(Check(schema, R"({"mustBeBetween": [1, 2, 3]})")),
              ElementsAre("mustBeBetween must hold exactly 2 numbers (it holds 3)"));
}

TEST(JsonSchemaTest, AnyOfWithNoFittingTypeNamesTheTypesThatFit) {
  JsonSchema schema = CompileOrDie(R"({"properties": {"key": {"anyOf": [
    {"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}})");
  EXPECT_THAT(Check(schema, R"({"key": "a"})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"key": ["a"]})"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, R"({"key": 5})")),
              ElementsAre("key must be a list or a string, not a number (5)"));
  // The list alternative fits the type, so its error about the item is the one reported.
  auto violations = Check(schema, R"({"key": ["a", 7]})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/key/1");
}

TEST(JsonSchemaTest, ClosestAlternativeIsTheOneWhoseDiscriminatorMatches) {
  JsonSchema schema = CompileOrDie(R"({"oneOf": [
    {"properties": {"type": {"const": "s3"}, "bucket": {"type": "string"}},
     "required": ["type", "bucket"]},
    {"properties": {"type": {"const": "kafka"}, "host": {"type": "string"}},
     "required": ["type", "host"]}
  ]})");
  auto violations = Check(schema, R"({"type": "kafka", "host": 5})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/host");
  EXPECT_EQ(violations[0].message, "host must be a string, not a number (5)");
}

TEST(JsonSchemaTest, NotOfRequiredSaysTheFieldIsNotAllowed) {
  JsonSchema schema = CompileOrDie(R"({"not": {"required": ["from"]}})");
  EXPECT_THAT(Check(schema, R"({"to": "x"})"), IsEmpty());
  auto violations = Check(schema, R"({"from": "x"})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/from");
  EXPECT_TRUE(violations[0].names_field);
  EXPECT_EQ(violations[0].message, "'from' is not allowed here");
  JsonSchema generic = CompileOrDie(R"({"not": {"type": "string"}})");
  EXPECT_THAT(Check(generic, "5"), IsEmpty());
  EXPECT_THAT(Check(generic, R"("x")"), SizeIs(1));
}

TEST(JsonSchemaTest, IfThenElseAppliesTheMatchingBranch) {
  JsonSchema schema = CompileOrDie(R"({
    "if": {"properties": {"source": {"const": "product"}}},
    "then": {"required": ["product"]},
    "else": {"required": ["topic"]}
  })");
  EXPECT_THAT(Check(schema, R"({"source": "product", "product": "a/b"})"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, R"({"source": "product"})")),
              ElementsAre("missing required field 'product'"));
  EXPECT_THAT(Messages(Check(schema, R"({"source": "kafka"})")),
              ElementsAre("missing required field 'topic'"));
}

TEST(JsonSchemaTest, ConstAndEnumListWhatIsAccepted) {
  JsonSchema schema = CompileOrDie(R"({"properties": {
    "kind": {"const": "Pipeline"},
    "status": {"enum": ["active", "draft", 3]}}})");
  EXPECT_THAT(Check(schema, R"({"kind": "Pipeline", "status": 3.0})"), IsEmpty());
  auto violations = Check(schema, R"({"kind": "Pipe", "status": "actve"})");
  ASSERT_THAT(violations, SizeIs(2));
  EXPECT_EQ(violations[0].message, "kind must be 'Pipeline' (found 'Pipe')");
  EXPECT_EQ(violations[1].keyword, "enum");
  EXPECT_EQ(violations[1].message, "status must be one of: active, draft, 3 (found 'actve')");
  EXPECT_THAT(violations[1].choices, ElementsAre("active", "draft", "3"));
  EXPECT_EQ(violations[1].found, "actve");
}

TEST(JsonSchemaTest, EnumAndConstCompareObjectsRegardlessOfKeyOrder) {
  JsonSchema schema = CompileOrDie(R"({"const": {"a": 1, "b": [1, 2]}})");
  EXPECT_THAT(Check(schema, R"({"b": [1, 2.0], "a": 1})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"b": [2, 1], "a": 1})"), SizeIs(1));
}

TEST(JsonSchemaTest, ArrayKeywords) {
  JsonSchema schema = CompileOrDie(
      R"({"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true,
          "items": {"type": "string"}})");
  EXPECT_THAT(Check(schema, R"(["a", "b"])"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, "[]")),
              ElementsAre("the document must hold at least 1 string (it holds 0)"));
  EXPECT_THAT(Messages(Check(schema, R"(["a", "b", "c", "d"])")),
              ElementsAre("the document must hold at most 3 strings (it holds 4)"));
  auto violations = Check(schema, R"(["a", "b", "a"])");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "uniqueItems");
  EXPECT_EQ(violations[0].pointer, "/2");
  EXPECT_THAT(violations[0].message, HasSubstr("'a' is at positions 0 and 2"));
  violations = Check(schema, R"(["a", 1])");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/1");
}

TEST(JsonSchemaTest, UniqueItemsTreatsEqualNumbersAndReorderedObjectsAsTheSame) {
  JsonSchema schema = CompileOrDie(R"({"uniqueItems": true})");
  EXPECT_THAT(Check(schema, "[1, 1.0]"), SizeIs(1));
  EXPECT_THAT(Check(schema, R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}])"), SizeIs(1));
  EXPECT_THAT(Check(schema, R"([{"a": 1}, {"a": 2}, [1], ["1"], 0, false, null, ""])"), IsEmpty());
}

TEST(JsonSchemaTest, NumberBounds) {
  JsonSchema schema = CompileOrDie(R"({"properties": {
    "a": {"minimum": 0, "maximum": 10},
    "b": {"exclusiveMinimum": 0, "exclusiveMaximum": 1}}})");
  EXPECT_THAT(Check(schema, R"({"a": 0, "b": 0.5})"), IsEmpty());
  EXPECT_THAT(Check(schema, R"({"a": 10, "b": 0.999})"), IsEmpty());
  EXPECT_THAT(Messages(Check(schema, R"({"a": -1, "b": 0})")),
              ElementsAre("a must be at least 0 (found -1)", "b must be greater than 0 (found 0)"));
  EXPECT_THAT(Messages(Check(schema, R"({"a": 10.5, "b": 1})")),
              ElementsAre("a must be at most 10 (found 10.5)", "b must be less than 1 (found 1)"));
}

TEST(JsonSchemaTest, StringLengthCountsCharactersNotBytes) {
  JsonSchema schema = CompileOrDie(R"({"minLength": 2, "maxLength": 3})");
  EXPECT_THAT(Check(schema, "\"\xC3\xA9\xC3\xA9\xC3\xA9\""), IsEmpty());  // three é: 6 bytes
  EXPECT_THAT(Messages(Check(schema, "\"\xC3\xA9\"")),
              ElementsAre("the document must be at least 2 characters long (found 1)"));
  EXPECT_THAT(Check(schema, R"("abcd")"), SizeIs(1));
  EXPECT_THAT(Messages(Check(CompileOrDie(R"({"minLength": 1})"), R"("")")),
              ElementsAre("the document must not be empty"));
}

TEST(JsonSchemaTest, PatternIsAnUnanchoredEcmascriptSearch) {
  JsonSchema suffix = CompileOrDie(R"({"pattern": "\\.sql$"})");
  EXPECT_THAT(Check(suffix, R"("transforms/orders.sql")"), IsEmpty());
  auto violations = Check(suffix, R"("transforms/orders.txt")");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "pattern");
  EXPECT_EQ(violations[0].message,
            "the document 'transforms/orders.txt' does not have the expected form (pattern "
            "\\.sql$)");
  JsonSchema grouped = CompileOrDie(R"({"pattern": "^(?:[a-z]+\\/)?[a-z]+$"})");
  EXPECT_THAT(Check(grouped, R"("a/b")"), IsEmpty());
  EXPECT_THAT(Check(grouped, R"("a/b/c")"), SizeIs(1));
  // Strings up to the limit are matched (std::regex recurses per character: this must not
  // overflow the stack, sanitizers included); a longer one is refused rather than matched.
  std::string at_limit = "\"" + std::string(1000, 'a') + "\"";
  EXPECT_THAT(Check(CompileOrDie(R"({"pattern": "^[A-Za-z0-9_-]+$"})"), at_limit.c_str()),
              IsEmpty());
  std::string long_value = "\"" + std::string(100'000, 'a') + "\"";
  EXPECT_THAT(Check(CompileOrDie(R"({"pattern": "^[a-z]+$"})"), long_value.c_str()), SizeIs(1));
}

TEST(JsonSchemaTest, FormatsAreCheckedLoosely) {
  JsonSchema schema = CompileOrDie(R"({"properties": {
    "date": {"format": "date"}, "time": {"format": "date-time"},
    "uri": {"format": "uri"}, "email": {"format": "email"}, "other": {"format": "uuid"}}})");
  EXPECT_THAT(Check(schema, R"({"date": "2024-02-29", "time": "2023-09-28T20:24:49.331+00:00",
                                "uri": "az://my-data-location", "email": "a@b.org",
                                "other": "not checked"})"),
              IsEmpty());
  EXPECT_THAT(Check(schema, R"({"time": "2026-01-01T10:00:00Z"})"), IsEmpty());
  auto violations = Check(schema, R"({"date": "2023-02-29", "time": "2026-01-01 10:00",
                                      "uri": "not a uri", "email": "nobody"})");
  ASSERT_THAT(violations, SizeIs(4));
  for (const SchemaViolation& violation : violations) EXPECT_EQ(violation.keyword, "format");
  EXPECT_EQ(violations[0].message,
            "date '2023-02-29' is not a valid date (expected YYYY-MM-DD, e.g. 2026-01-31)");
  EXPECT_THAT(Check(schema, R"({"date": "2026-13-01"})"), SizeIs(1));
  EXPECT_THAT(Check(schema, R"({"time": "2026-01-01T25:00:00Z"})"), SizeIs(1));
}

TEST(JsonSchemaTest, AnnotationsAndUnknownKeywordsAreIgnored) {
  JsonSchema schema = CompileOrDie(R"({
    "title": "t", "description": "d", "examples": [1], "default": 2, "deprecated": true,
    "$comment": "c", "x-vendor": {"type": "string"}, "type": "integer"})");
  EXPECT_THAT(Check(schema, "1"), IsEmpty());
}

TEST(JsonSchemaTest, CompileRefusesWhatItCannotCheck) {
  auto compile = [](const char* text) { return JsonSchema::Compile(Json::parse(text)).status(); };
  Status unsupported = compile(R"({"properties": {"a": {"multipleOf": 2}}})");
  EXPECT_EQ(unsupported.code(), ErrorCode::kNotSupported);
  EXPECT_THAT(unsupported.message(), HasSubstr("/properties/a/multipleOf"));
  EXPECT_EQ(compile(R"({"$ref": "#/$defs/Missing"})").code(), ErrorCode::kInvalidDocument);
  EXPECT_EQ(compile(R"({"$ref": "other.json#/a"})").code(), ErrorCode::kNotSupported);
  Status regex = compile(R"({"pattern": "(unclosed"})");
  EXPECT_EQ(regex.code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(regex.message(), HasSubstr("not a valid regular expression"));
  EXPECT_EQ(compile(R"({"type": "text"})").code(), ErrorCode::kInvalidDocument);
  EXPECT_EQ(compile(R"({"items": 5})").code(), ErrorCode::kInvalidDocument);
}

TEST(JsonSchemaTest, BooleanSchemas) {
  EXPECT_THAT(Check(CompileOrDie("true"), R"({"a": 1})"), IsEmpty());
  EXPECT_THAT(Check(CompileOrDie("false"), "1"), SizeIs(1));
  auto violations = Check(CompileOrDie(R"({"properties": {"old": false}})"), R"({"old": 1})");
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_TRUE(violations[0].names_field);
  EXPECT_EQ(violations[0].message, "old is not allowed here");
}

TEST(JsonSchemaTest, HugeArrayStopsAtTheStepBudget) {
  JsonSchema schema = CompileOrDie(R"({"items": {"type": "string", "minLength": 1}})");
  Json huge = Json::array();
  for (int i = 0; i < 1'000'000; ++i) huge.push_back(i);
  ValidationLimits limits;
  limits.max_steps = 10'000;
  // One violation, the budget's, instead of a million of the items': it stopped early.
  auto violations = schema.Validate(huge, limits);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "limits");
  EXPECT_THAT(violations[0].message, HasSubstr("too large or too complex"));
}

TEST(JsonSchemaTest, DeepNestingIsRefusedWithoutRecursingIntoIt) {
  JsonSchema schema = CompileOrDie(R"({"$defs": {"Any": {"items": {"$ref": "#/$defs/Any"}}},
                                      "$ref": "#/$defs/Any"})");
  Json deep = Json::array();
  for (int i = 0; i < 10'000; ++i) {
    Json outer = Json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  auto violations = schema.Validate(deep);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "limits");
  EXPECT_THAT(violations[0].message, HasSubstr("nested more than"));
}

TEST(JsonSchemaTest, ReferenceLoopIsRefusedAtCompileTime) {
  Status loop = JsonSchema::Compile(Json::parse(R"({"$defs": {"A": {"$ref": "#/$defs/B"},
                                                            "B": {"allOf": [{"$ref": "#/$defs/A"}]}},
                                                 "$ref": "#/$defs/A"})"))
                    .status();
  EXPECT_EQ(loop.code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(loop.message(), HasSubstr("refers back to itself"));
  EXPECT_EQ(JsonSchema::Compile(Json::parse(R"({"$ref": "#"})")).status().code(),
            ErrorCode::kInvalidDocument);
  // Recursion through a property or an item looks inside the value: that is fine.
  EXPECT_OK(JsonSchema::Compile(
      Json::parse(R"({"properties": {"child": {"$ref": "#"}}, "items": {"$ref": "#"}})")));
}

TEST(JsonSchemaTest, LongChainsOfSchemasStopAtTheEvaluationDepth) {
  // 3000 schemas, each applying the next to the same value: no loop, but deeper than allowed.
  Json schema = Json::object();
  Json defs = Json::object();
  for (int i = 0; i < 3000; ++i) {
    defs["d" + std::to_string(i)] = Json{{"$ref", "#/$defs/d" + std::to_string(i + 1)}};
  }
  defs["d3000"] = Json{{"type", "integer"}};
  schema["$defs"] = defs;
  schema["$ref"] = "#/$defs/d0";
  ASSERT_OK_AND_ASSIGN(JsonSchema compiled, JsonSchema::Compile(schema));
  auto violations = compiled.Validate(Json(1));
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "limits");
}

TEST(JsonSchemaTest, NestedAlternativesTakeLinearTime) {
  // Each level tries three alternatives that each look one level deeper: evaluated naively,
  // that is 3^40 steps. Each definition is applied to each value once instead.
  JsonSchema schema = CompileOrDie(R"({"$defs": {"N": {"anyOf": [
      {"properties": {"n": {"$ref": "#/$defs/N"}}, "required": ["x"]},
      {"properties": {"n": {"$ref": "#/$defs/N"}}, "required": ["y"]},
      {"properties": {"n": {"$ref": "#/$defs/N"}}, "required": ["z"]}]}},
    "$ref": "#/$defs/N"})");
  Json nested = Json::object();
  for (int i = 0; i < 40; ++i) nested = Json{{"n", std::move(nested)}};
  ValidationLimits limits;
  limits.max_steps = 5'000;
  auto violations = schema.Validate(nested, limits);
  // One finding per level: the first alternative's missing 'x', and at the innermost level,
  // where no alternative gets further than another, all three.
  ASSERT_THAT(violations, SizeIs(41));
  std::string innermost;
  for (int i = 0; i < 40; ++i) innermost += "/n";
  for (const SchemaViolation& violation : violations) {
    EXPECT_EQ(violation.message, violation.pointer == innermost
                                     ? "missing one of the fields 'x', 'y' or 'z'"
                                     : "missing required field 'x'");
  }
}

TEST(JsonSchemaTest, ValidateIsSafeFromManyThreads) {
  const JsonSchema& schema = Odcs31();
  Json contract = Contract();
  contract["status"] = 5;
  std::vector<std::thread> threads;
  std::vector<std::size_t> counts(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) counts[t] += schema.Validate(contract).size();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t count : counts) EXPECT_EQ(count, 50u);
}

// ---- the ODCS v3.1.0 schema, as users meet it ----

TEST(JsonSchemaOdcsTest, MinimalContractIsValid) {
  EXPECT_THAT(Odcs31().Validate(Contract()), IsEmpty());
}

TEST(JsonSchemaOdcsTest, MustBeBetweenWithOneNumberSaysItNeedsTwo) {
  Json contract = Contract();
  Json& rule = contract["schema"][0]["properties"][0]["quality"][0];
  rule.erase("mustBe");
  rule["mustBeBetween"] = 5;
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/schema/0/properties/0/quality/0/mustBeBetween");
  EXPECT_EQ(violations[0].message,
            "mustBeBetween must be a list of exactly 2 numbers, not a number (5)");
  rule["mustBeBetween"] = Json::array({1});
  EXPECT_THAT(Messages(Odcs31().Validate(contract)),
              ElementsAre("mustBeBetween must hold exactly 2 numbers (it holds 1)"));
}

TEST(JsonSchemaOdcsTest, QualityRuleWithoutOperatorListsTheOperators) {
  Json contract = Contract();
  contract["schema"][0]["properties"][0]["quality"][0].erase("mustBe");
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].keyword, "required");
  EXPECT_THAT(violations[0].message, HasSubstr("missing one of the fields 'mustBe', "));
  EXPECT_THAT(violations[0].message, HasSubstr("or 'mustNotBeBetween'"));
  EXPECT_THAT(violations[0].choices, SizeIs(8));
  EXPECT_EQ(violations[0].choices[0], "mustBe");
}

TEST(JsonSchemaOdcsTest, UnknownPropertyFieldListsTheKnownOnes) {
  Json contract = Contract();
  contract["schema"][0]["properties"][0]["logicalTyp"] = "string";
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/schema/0/properties/0/logicalTyp");
  EXPECT_TRUE(violations[0].names_field);
  EXPECT_THAT(violations[0].message, HasSubstr("'logicalTyp' is not allowed here (allowed: "));
  EXPECT_THAT(violations[0].choices, ::testing::Contains("logicalType"));
}

TEST(JsonSchemaOdcsTest, ItemsOnAStringPropertyIsAllowedOnlyForArrays) {
  Json contract = Contract();
  Json& property = contract["schema"][0]["properties"][0];
  property["logicalType"] = "string";
  property["items"] = Json{{"logicalType", "string"}};
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].message, "'items' is allowed here only when logicalType is array");
  EXPECT_THAT(violations[0].choices, IsEmpty());  // not a typo: nothing else to suggest
}

TEST(JsonSchemaOdcsTest, TeamOfTheWrongTypeNamesBothAcceptedForms) {
  Json contract = Contract();
  contract["team"] = "data-team";
  EXPECT_THAT(Messages(Odcs31().Validate(contract)),
              ElementsAre("team must be an object or a list, not a string ('data-team')"));
  contract["team"] = Json{{"name", "x"}, {"lead", "y"}};
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/team/lead");
}

TEST(JsonSchemaOdcsTest, MissingTopLevelFieldsAndBadEnums) {
  Json contract = Contract();
  contract.erase("status");
  contract["apiVersion"] = "v9";
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(2));
  EXPECT_EQ(violations[0].keyword, "enum");
  EXPECT_EQ(violations[0].pointer, "/apiVersion");
  EXPECT_EQ(violations[1].message, "missing required field 'status'");
}

TEST(JsonSchemaOdcsTest, PropertyLevelRelationshipMayNotNameFrom) {
  Json contract = Contract();
  contract["schema"][0]["properties"][0]["relationships"] =
      Json::parse(R"([{"from": "orders.amount", "to": "totals.amount"}])");
  auto violations = Odcs31().Validate(contract);
  ASSERT_THAT(violations, SizeIs(1));
  EXPECT_EQ(violations[0].pointer, "/schema/0/properties/0/relationships/0/from");
  EXPECT_EQ(violations[0].message, "'from' is not allowed here");
}

}  // namespace
}  // namespace quanta::model
