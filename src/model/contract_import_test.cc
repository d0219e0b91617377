#include "model/contract_import.h"

#include <gtest/gtest.h>

#include <string>

#include "model/contract_export.h"
#include "model/embedded_files.h"
#include "model/json_schema.h"
#include "model/property_constraints.h"
#include "model/type_mapping.h"
#include "testing/matchers.h"

namespace quanta::model {
namespace {

Document Parse(const std::string& text, const std::string& file = "input.json") {
  ParsedDocument parsed = ParseYaml(text, file);
  EXPECT_TRUE(parsed.document.has_value()) << text;
  return parsed.document ? *parsed.document : Document(file, Json());
}

ImportOptions Options(std::string id = "") {
  ImportOptions options;
  options.id = std::move(id);
  options.fallback_name = "orders";
  return options;
}

// Violations of the ODCS v3.1.0 JSON Schema, one line each; empty when the contract is valid.
std::string StructuralProblems(const Contract& contract) {
  static const Result<JsonSchema> schema =
      JsonSchema::Compile(Json::parse(FindEmbeddedFile("odcs-json-schema-v3.1.0.json")));
  if (!schema.ok()) return schema.status().ToString();
  std::string problems;
  for (const SchemaViolation& violation : schema->Validate(ContractToJson(contract))) {
    problems += violation.pointer + ": " + violation.message + "\n";
  }
  return problems;
}

const Property* Find(const SchemaObject& object, const std::string& name) {
  return object.FindProperty(name);
}

TEST(ContractImportTest, AvroRecordBecomesAValidDraftContract) {
  Document avsc = Parse(R"({
    "type": "record", "name": "Order", "namespace": "com.shop.orders",
    "doc": "An order as it changes",
    "fields": [
      {"name": "order_id", "type": {"type": "string", "logicalType": "uuid"}},
      {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["CREATED", "PAID"]}},
      {"name": "amount", "type": ["null", {"type": "bytes", "logicalType": "decimal",
                                           "precision": 10, "scale": 2}], "default": null},
      {"name": "quantity", "type": "int", "doc": "How many"},
      {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
      {"name": "address", "type": ["null", {"type": "record", "name": "Address", "fields": [
          {"name": "city", "type": "string"}]}]},
      {"name": "billing", "type": "Address"},
      {"name": "tags", "type": {"type": "array", "items": "string"}},
      {"name": "attributes", "type": {"type": "map", "values": "string"}}
    ]})");
  ASSERT_OK_AND_ASSIGN(Contract contract, ImportAvro(avsc, Options()));
  EXPECT_EQ(StructuralProblems(contract), "");
  EXPECT_EQ(contract.api_version, "v3.1.0");
  EXPECT_EQ(contract.kind, "DataContract");
  EXPECT_EQ(contract.id, "orders");
  EXPECT_EQ(contract.version, "1.0.0");
  EXPECT_EQ(contract.status, "draft");
  EXPECT_EQ(contract.domain, "com.shop.orders");
  ASSERT_EQ(contract.schema.size(), 1u);
  const SchemaObject& order = contract.schema[0];
  EXPECT_EQ(order.name, "Order");
  EXPECT_EQ(order.description, "An order as it changes");

  const Property* order_id = Find(order, "order_id");
  ASSERT_NE(order_id, nullptr);
  EXPECT_EQ(DuckdbTypeFor(*order_id), "UUID");
  EXPECT_TRUE(order_id->IsRequired());
  const Property* status = Find(order, "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->logical_type, "string");
  ASSERT_TRUE(ValidValuesOf(*status).has_value());
  EXPECT_EQ(ValidValuesOf(*status)->size(), 2u);
  const Property* amount = Find(order, "amount");
  ASSERT_NE(amount, nullptr);
  EXPECT_FALSE(amount->IsRequired());
  EXPECT_EQ(DuckdbTypeFor(*amount), "DECIMAL(10,2)");
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "quantity")), "INTEGER");
  EXPECT_EQ(Find(order, "quantity")->description, "How many");
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "placed_at")), "TIMESTAMP WITH TIME ZONE");
  const Property* address = Find(order, "address");
  ASSERT_NE(address, nullptr);
  EXPECT_EQ(address->logical_type, "object");
  ASSERT_EQ(address->properties.size(), 1u);
  EXPECT_EQ(address->properties[0].name, "city");
  // A named type used again is expanded again.
  EXPECT_EQ(Find(order, "billing")->properties.size(), 1u);
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "tags")), "VARCHAR[]");
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "attributes")), "JSON");
}

TEST(ContractImportTest, AvroErrorsNameThePlace) {
  Document several = Parse(
      "{\"type\": \"record\", \"name\": \"A\", \"fields\": [\n"
      "  {\"name\": \"ok\", \"type\": \"string\"},\n"
      "  {\"name\": \"either\", \"type\": [\"string\", \"int\"]}\n"
      "]}",
      "a.avsc");
  Result<Contract> result = ImportAvro(several, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_NE(result.status().message().find("a.avsc:3:"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("/fields/1/type"), std::string::npos);
  EXPECT_NE(result.status().message().find("union of 2 types"), std::string::npos);

  Document recursive = Parse(R"({"type": "record", "name": "Node", "fields": [
      {"name": "next", "type": ["null", "Node"]}]})");
  result = ImportAvro(recursive, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("refers to itself"), std::string::npos)
      << result.status().message();

  Document unknown = Parse(R"({"type": "record", "name": "A", "fields": [
      {"name": "x", "type": "Money"}]})");
  result = ImportAvro(unknown, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("unknown type 'Money'"), std::string::npos);

  result = ImportAvro(Parse(R"("string")"), Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("expected an Avro record"), std::string::npos);

  Document twice = Parse(R"({"type": "record", "name": "A", "fields": [
      {"name": "a", "type": "int"}, {"name": "a", "type": "string"}]})");
  result = ImportAvro(twice, Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("field 'a' is declared twice"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("/fields/1/name"), std::string::npos);
}

TEST(ContractImportTest, JsonSchemaBecomesAValidDraftContract) {
  Document schema = Parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "order", "type": "object",
    "required": ["order_id", "status", "note"],
    "properties": {
      "order_id": {"type": "string", "format": "uuid"},
      "status": {"enum": ["created", "paid"]},
      "email": {"type": "string", "format": "email", "maxLength": 320},
      "note": {"type": ["string", "null"]},
      "quantity": {"type": "integer", "format": "int32", "minimum": 1},
      "price": {"anyOf": [{"type": "number"}, {"type": "null"}]},
      "shipping": {"$ref": "#/$defs/address", "description": "Where it goes"},
      "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}
    },
    "$defs": {
      "address": {"type": "object", "required": ["city"],
                  "properties": {"city": {"type": "string"}}},
      "line": {"type": "object", "properties": {"sku": {"type": "string"}}}
    }})");
  ASSERT_OK_AND_ASSIGN(Contract contract, ImportJsonSchema(schema, Options("orders-v1")));
  EXPECT_EQ(StructuralProblems(contract), "");
  EXPECT_EQ(contract.id, "orders-v1");
  ASSERT_EQ(contract.schema.size(), 1u);
  const SchemaObject& order = contract.schema[0];
  EXPECT_EQ(order.name, "order");
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "order_id")), "UUID");
  EXPECT_TRUE(Find(order, "order_id")->IsRequired());
  EXPECT_EQ(Find(order, "status")->logical_type, "string");
  EXPECT_EQ(ValidValuesOf(*Find(order, "status"))->size(), 2u);
  EXPECT_EQ(Find(order, "email")->logical_type_options["format"], "email");
  EXPECT_EQ(Find(order, "email")->logical_type_options["maxLength"], 320);
  // Listed as required but nullable: may hold nulls, so not required in ODCS terms.
  EXPECT_FALSE(Find(order, "note")->IsRequired());
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "quantity")), "INTEGER");
  EXPECT_EQ(Find(order, "quantity")->logical_type_options["minimum"], 1);
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "price")), "DOUBLE");
  const Property* shipping = Find(order, "shipping");
  EXPECT_EQ(shipping->description, "Where it goes");
  ASSERT_EQ(shipping->properties.size(), 1u);
  EXPECT_TRUE(shipping->properties[0].IsRequired());
  EXPECT_EQ(DuckdbTypeFor(*Find(order, "lines")), "STRUCT(\"sku\" VARCHAR)[]");
}

TEST(ContractImportTest, JsonSchemaDefsBecomeSeveralObjects) {
  Document schema = Parse(R"({"$defs": {
      "orders": {"type": "object", "properties": {"id": {"type": "string"}}},
      "lines": {"type": "object", "properties": {"sku": {"type": "string"}}},
      "money": {"type": "number"}}})");
  ASSERT_OK_AND_ASSIGN(Contract contract, ImportJsonSchema(schema, Options()));
  ASSERT_EQ(contract.schema.size(), 2u);
  EXPECT_EQ(contract.schema[0].name, "orders");
  EXPECT_EQ(contract.schema[1].name, "lines");
}

TEST(ContractImportTest, JsonSchemaErrorsNameThePlace) {
  Result<Contract> result = ImportJsonSchema(
      Parse("{\"properties\": {\n  \"x\": {\"type\": [\"string\", \"integer\"]}}}", "s.json"),
      Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("s.json:2:"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("/properties/x/type"), std::string::npos);

  result = ImportJsonSchema(
      Parse(R"({"properties": {"x": {"$ref": "https://example.com/x.json"}}})"), Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("only local references"), std::string::npos);

  result = ImportJsonSchema(Parse(R"({"properties": {"tree": {"$ref": "#/$defs/node"}},
      "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}}})"),
                            Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("refers to itself"), std::string::npos)
      << result.status().message();

  result = ImportJsonSchema(Parse(R"({"type": "string"})"), Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("found no object schema"), std::string::npos);
}

// Named types used twice inside each other double at every level: 2^40 properties if followed.
TEST(ContractImportTest, SchemasThatExpandWithoutBoundAreRefused) {
  Json defs = Json::object();
  for (int level = 0; level < 40; ++level) {
    std::string next = "#/$defs/d" + std::to_string(level + 1);
    defs["d" + std::to_string(level)] = {
        {"type", "object"}, {"properties", {{"a", {{"$ref", next}}}, {"b", {{"$ref", next}}}}}};
  }
  defs["d40"] = {{"type", "string"}};
  Json schema = {{"properties", {{"x", {{"$ref", "#/$defs/d0"}}}}}, {"$defs", defs}};
  Result<Contract> result = ImportJsonSchema(Parse(schema.dump()), Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("expands to more than"), std::string::npos)
      << result.status().message();

  // The same in Avro: record Ri has two fields of type Ri+1, the second by name.
  std::string record = "\"string\"";
  for (int level = 39; level >= 0; --level) {
    record = "{\"type\": \"record\", \"name\": \"R" + std::to_string(level) +
             "\", \"fields\": [{\"name\": \"a\", \"type\": " + record +
             "}, {\"name\": \"b\", \"type\": " +
             (level == 39 ? std::string("\"string\"") : "\"R" + std::to_string(level + 1) + "\"") +
             "}]}";
  }
  result = ImportAvro(Parse(record), Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("expands to more than"), std::string::npos)
      << result.status().message();
}

TEST(ContractImportTest, PropertyFromDuckdbTypes) {
  Property decimal = PropertyFromDuckdbType("amount", "DECIMAL(12,3)", false);
  EXPECT_EQ(decimal.logical_type, "number");
  EXPECT_EQ(decimal.physical_type, "DECIMAL(12,3)");
  Property text = PropertyFromDuckdbType("name", "VARCHAR", false);
  EXPECT_FALSE(text.physical_type.has_value());
  EXPECT_EQ(PropertyFromDuckdbType("name", "VARCHAR", true).physical_type, "VARCHAR");
  Property local = PropertyFromDuckdbType("at", "TIMESTAMP", false);
  EXPECT_EQ(local.logical_type_options["timezone"], false);
  EXPECT_EQ(DuckdbTypeFor(local), "TIMESTAMP");
  Property nested =
      PropertyFromDuckdbType("s", "STRUCT(a INTEGER, \"b c\" VARCHAR[], d STRUCT(e DATE))", true);
  ASSERT_EQ(nested.properties.size(), 3u);
  EXPECT_EQ(nested.properties[1].name, "b c");
  EXPECT_EQ(DuckdbTypeFor(nested.properties[1]), "VARCHAR[]");
  EXPECT_EQ(DuckdbTypeFor(nested.properties[2].properties[0]), "DATE");
  Property mood = PropertyFromDuckdbType("mood", "ENUM('sad', 'it''s ok')", true);
  ASSERT_TRUE(ValidValuesOf(mood).has_value());
  EXPECT_EQ((*ValidValuesOf(mood))[1], "it's ok");
}

// One property per logical type (and per option that changes the stored type). Exporting to a
// format and importing back must give the same logical type; the stored DuckDB type comes back
// too, except where docs/type-mapping.md says the format cannot carry it.
struct RoundTripCase {
  const char* yaml;
  const char* avro_type;        // the DuckDB type after Avro, when it differs
  const char* jsonschema_type;  // the DuckDB type after JSON Schema, when it differs
};

const RoundTripCase kRoundTripCases[] = {
    {"{name: v, logicalType: string}", nullptr, nullptr},
    {"{name: v, logicalType: string, logicalTypeOptions: {format: uuid}}", nullptr, nullptr},
    {"{name: v, logicalType: string, physicalType: blob}", nullptr, nullptr},
    {"{name: v, logicalType: integer}", nullptr, nullptr},
    {"{name: v, logicalType: integer, physicalType: int}", nullptr, nullptr},
    {"{name: v, logicalType: integer, physicalType: smallint}", "INTEGER", nullptr},
    {"{name: v, logicalType: number}", nullptr, nullptr},
    {"{name: v, logicalType: number, physicalType: real}", nullptr, nullptr},
    {"{name: v, logicalType: number, physicalType: 'decimal(10,2)'}", nullptr, "DOUBLE"},
    {"{name: v, logicalType: boolean}", nullptr, nullptr},
    {"{name: v, logicalType: date}", nullptr, nullptr},
    {"{name: v, logicalType: time}", nullptr, nullptr},
    {"{name: v, logicalType: timestamp}", nullptr, nullptr},
    {"{name: v, logicalType: timestamp, logicalTypeOptions: {timezone: false}}", nullptr,
     "TIMESTAMP WITH TIME ZONE"},
    {"{name: v, logicalType: object}", nullptr, nullptr},
    {"{name: v, logicalType: object, properties: [{name: a, logicalType: integer, required: "
     "true}, {name: b, logicalType: date}]}",
     nullptr, nullptr},
    {"{name: v, logicalType: array, items: {logicalType: string}}", nullptr, nullptr},
    {"{name: v, logicalType: array, items: {logicalType: array, items: {logicalType: number}}}",
     nullptr, nullptr},
};

Contract OneProperty(const std::string& property_yaml, bool required) {
  ParsedDocument parsed = ParseYaml(
      "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: draft\n"
      "schema:\n  - name: t\n    properties:\n      - " +
          property_yaml + "\n",
      "case.yaml");
  EXPECT_TRUE(parsed.document.has_value()) << property_yaml;
  Contract contract = ContractFromJson(parsed.document->root());
  contract.schema[0].properties[0].required = required;
  return contract;
}

Result<Contract> RoundTrip(const Contract& contract, ExportFormat format) {
  ExportOptions options;
  options.format = format;
  QUANTA_ASSIGN_OR_RETURN(ExportedContract exported, ExportContract(contract, options));
  Document document = Parse(exported.text);
  return format == ExportFormat::kAvro ? ImportAvro(document, Options())
                                       : ImportJsonSchema(document, Options());
}

TEST(ContractImportTest, EveryLogicalTypeRoundTripsThroughAvroAndJsonSchema) {
  for (const RoundTripCase& test_case : kRoundTripCases) {
    for (bool required : {true, false}) {
      Contract contract = OneProperty(test_case.yaml, required);
      const Property& original = contract.schema[0].properties[0];
      for (ExportFormat format : {ExportFormat::kAvro, ExportFormat::kJsonSchema}) {
        bool avro = format == ExportFormat::kAvro;
        SCOPED_TRACE(std::string(test_case.yaml) + (avro ? " via Avro" : " via JSON Schema") +
                     (required ? ", required" : ", optional"));
        ASSERT_OK_AND_ASSIGN(Contract back, RoundTrip(contract, format));
        EXPECT_EQ(StructuralProblems(back), "");
        ASSERT_EQ(back.schema.size(), 1u);
        ASSERT_EQ(back.schema[0].properties.size(), 1u);
        const Property& property = back.schema[0].properties[0];
        EXPECT_EQ(property.name, "v");
        EXPECT_EQ(property.logical_type, original.logical_type);
        EXPECT_EQ(property.IsRequired(), required);
        const char* expected = avro ? test_case.avro_type : test_case.jsonschema_type;
        EXPECT_EQ(DuckdbTypeFor(property), expected ? expected : DuckdbTypeFor(original));
      }
    }
  }
}

TEST(ContractImportTest, EnumsRoundTrip) {
  Contract contract = OneProperty(
      "{name: v, logicalType: string, quality: [{metric: invalidValues, mustBe: 0, arguments: "
      "{validValues: [NEW, DONE]}}]}",
      false);
  for (ExportFormat format : {ExportFormat::kAvro, ExportFormat::kJsonSchema}) {
    ASSERT_OK_AND_ASSIGN(Contract back, RoundTrip(contract, format));
    const Property& property = back.schema[0].properties[0];
    ASSERT_TRUE(ValidValuesOf(property).has_value());
    EXPECT_EQ(Json(*ValidValuesOf(property)), Json::parse(R"(["NEW", "DONE"])"));
    EXPECT_FALSE(property.IsRequired());
  }
}

}  // namespace
}  // namespace quanta::model
