#include "model/contract_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model/json_schema.h"
#include "testing/matchers.h"

namespace quanta::model {
namespace {

Contract Load(const std::string& yaml) {
  ParsedDocument parsed = ParseYaml(yaml, "contract.yaml");
  EXPECT_TRUE(parsed.document.has_value()) << yaml;
  if (!parsed.document) return Contract();
  return ContractFromJson(parsed.document->root());
}

// Compares JSON values as data: the order of object keys does not matter.
nlohmann::json Data(const Json& value) { return nlohmann::json::parse(value.dump()); }

const char* kOrders = R"(
apiVersion: v3.1.0
kind: DataContract
id: orders
name: Orders
version: 1.2.0
status: active
domain: sales.orders
schema:
  - name: orders
    description: Current state of every order
    properties:
      - name: order_id
        logicalType: string
        logicalTypeOptions: {format: uuid}
        primaryKey: true
        description: It's the id
      - name: status
        logicalType: string
        required: true
        quality:
          - metric: invalidValues
            mustBe: 0
            arguments: {validValues: [created, paid]}
      - name: amount
        logicalType: number
        physicalType: decimal(10,2)
        logicalTypeOptions: {minimum: 0}
      - name: quantity
        logicalType: integer
        physicalType: int
        required: true
      - name: placed_at
        logicalType: timestamp
        required: true
      - name: placed_on
        logicalType: date
      - name: note
        logicalType: string
        logicalTypeOptions: {maxLength: 200, pattern: "^[^<>]*$"}
      - name: address
        logicalType: object
        properties:
          - {name: city, logicalType: string, required: true}
          - {name: zip, logicalType: string}
      - name: tags
        logicalType: array
        items: {logicalType: string}
      - name: order
        logicalType: boolean
  - name: lines
    properties:
      - {name: order_id, logicalType: string, required: true}
      - {name: sku, logicalType: string}
)";

ExportedContract Export(const Contract& contract, ExportFormat format, std::string object = "",
                        SqlDialect dialect = SqlDialect::kPostgres) {
  ExportOptions options;
  options.format = format;
  options.object = std::move(object);
  options.dialect = dialect;
  Result<ExportedContract> exported = ExportContract(contract, options);
  EXPECT_TRUE(exported.ok()) << exported.status().ToString();
  return exported.ok() ? *exported : ExportedContract();
}

TEST(ContractExportTest, JsonSchemaOfOneObject) {
  ExportedContract exported = Export(Load(kOrders), ExportFormat::kJsonSchema, "orders");
  Json schema = Json::parse(exported.text);
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema["title"], "orders");
  EXPECT_EQ(schema["type"], "object");
  EXPECT_EQ(Data(schema["required"]),
            nlohmann::json::parse(R"(["order_id", "status", "quantity", "placed_at"])"));
  const Json& properties = schema["properties"];
  EXPECT_EQ(Data(properties["order_id"]), nlohmann::json::parse(
                                              R"({"type": "string", "format": "uuid",
                                                  "description": "It's the id"})"));
  EXPECT_EQ(Data(properties["status"]),
            nlohmann::json::parse(R"({"type": "string", "enum": ["created", "paid"]})"));
  EXPECT_EQ(Data(properties["amount"]),
            nlohmann::json::parse(R"({"type": ["number", "null"], "minimum": 0})"));
  EXPECT_EQ(Data(properties["quantity"]),
            nlohmann::json::parse(R"({"type": "integer", "format": "int32"})"));
  EXPECT_EQ(properties["placed_at"]["format"], "date-time");
  EXPECT_EQ(properties["placed_on"]["format"], "date");
  EXPECT_EQ(properties["note"]["maxLength"], 200);
  EXPECT_EQ(properties["note"]["pattern"], "^[^<>]*$");
  EXPECT_EQ(Data(properties["address"]["required"]), nlohmann::json::parse(R"(["city"])"));
  EXPECT_EQ(Data(properties["address"]["properties"]["zip"]["type"]),
            nlohmann::json::parse(R"(["string", "null"])"));
  EXPECT_EQ(Data(properties["tags"]["items"]), nlohmann::json::parse(R"({"type": "string"})"));
  // What JSON Schema cannot say is reported, not dropped silently.
  ASSERT_EQ(exported.warnings.size(), 1u);
  EXPECT_NE(exported.warnings[0].find("schema[orders].properties[amount]"), std::string::npos);
}

TEST(ContractExportTest, JsonSchemaValidatesTheRecordsItDescribes) {
  ExportedContract exported = Export(Load(kOrders), ExportFormat::kJsonSchema, "orders");
  Json schema = Json::parse(exported.text);
  schema.erase("$schema");
  ASSERT_OK_AND_ASSIGN(JsonSchema compiled, JsonSchema::Compile(schema));
  Json good = Json::parse(R"({"order_id": "5f0c6f8e-8d5b-4a53-9d7c-0d3c3b0f3a11",
      "status": "paid", "amount": null, "quantity": 2, "placed_at": "2026-01-01T10:00:00Z",
      "address": {"city": "Lyon"}, "tags": ["gift"]})");
  EXPECT_TRUE(compiled.Validate(good).empty());
  Json bad = good;
  bad["status"] = "lost";
  bad.erase("quantity");
  EXPECT_EQ(compiled.Validate(bad).size(), 2u);
}

TEST(ContractExportTest, JsonSchemaOfSeveralObjectsUsesDefs) {
  Json schema = Json::parse(Export(Load(kOrders), ExportFormat::kJsonSchema).text);
  EXPECT_EQ(schema["title"], "Orders");
  ASSERT_TRUE(schema.contains("$defs"));
  EXPECT_TRUE(schema["$defs"].contains("orders"));
  EXPECT_EQ(Data(schema["$defs"]["lines"]["required"]), nlohmann::json::parse(R"(["order_id"])"));
}

TEST(ContractExportTest, AvroRecord) {
  Json record = Json::parse(Export(Load(kOrders), ExportFormat::kAvro, "orders").text);
  EXPECT_EQ(record["type"], "record");
  EXPECT_EQ(record["name"], "orders");
  EXPECT_EQ(record["namespace"], "sales.orders");
  EXPECT_EQ(record["doc"], "Current state of every order");
  std::map<std::string, Json> fields;
  for (const Json& field : record["fields"]) fields[field["name"].get<std::string>()] = field;
  EXPECT_EQ(Data(fields["order_id"]["type"]),
            nlohmann::json::parse(R"({"type": "string", "logicalType": "uuid"})"));
  EXPECT_EQ(Data(fields["status"]["type"]), nlohmann::json::parse(
                                                R"({"type": "enum", "name": "status",
                                                    "symbols": ["created", "paid"]})"));
  EXPECT_EQ(Data(fields["amount"]["type"]), nlohmann::json::parse(R"(["null",
      {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}])"));
  EXPECT_TRUE(fields["amount"].contains("default"));
  EXPECT_TRUE(fields["amount"]["default"].is_null());
  EXPECT_EQ(fields["quantity"]["type"], "int");
  EXPECT_EQ(Data(fields["placed_at"]["type"]),
            nlohmann::json::parse(R"({"type": "long", "logicalType": "timestamp-micros"})"));
  EXPECT_EQ(Data(fields["placed_on"]["type"][1]),
            nlohmann::json::parse(R"({"type": "int", "logicalType": "date"})"));
  const Json& address = fields["address"]["type"][1];
  EXPECT_EQ(address["type"], "record");
  EXPECT_EQ(address["fields"][0]["type"], "string");
  EXPECT_EQ(Data(fields["tags"]["type"][1]),
            nlohmann::json::parse(R"({"type": "array", "items": "string"})"));
}

TEST(ContractExportTest, AvroUnionForSeveralObjectsAndNamesFixed) {
  Contract contract = Load(kOrders);
  contract.schema[1].properties[1].name = "stock-keeping unit";
  ExportedContract exported = Export(contract, ExportFormat::kAvro);
  Json schema = Json::parse(exported.text);
  ASSERT_TRUE(schema.is_array());
  ASSERT_EQ(schema.size(), 2u);
  EXPECT_EQ(schema[1]["fields"][1]["name"], "stock_keeping_unit");
  ASSERT_EQ(exported.warnings.size(), 1u);
  EXPECT_NE(exported.warnings[0].find("not an Avro name"), std::string::npos);

  // Two names that become one Avro name stay two fields.
  contract.schema[1].properties[0].name = "stock_keeping_unit";
  exported = Export(contract, ExportFormat::kAvro);
  schema = Json::parse(exported.text);
  EXPECT_EQ(schema[1]["fields"][0]["name"], "stock_keeping_unit");
  EXPECT_EQ(schema[1]["fields"][1]["name"], "stock_keeping_unit_2");
  ASSERT_EQ(exported.warnings.size(), 2u);
  EXPECT_NE(exported.warnings[1].find("would repeat the field name"), std::string::npos);
}

TEST(ContractExportTest, PostgresTables) {
  std::string sql = Export(Load(kOrders), ExportFormat::kSql).text;
  EXPECT_NE(sql.find("CREATE TABLE orders (\n"
                     "  order_id UUID NOT NULL,\n"
                     "  status TEXT NOT NULL,\n"
                     "  amount NUMERIC(10,2),\n"
                     "  quantity INTEGER NOT NULL,\n"
                     "  placed_at TIMESTAMP WITH TIME ZONE NOT NULL,\n"
                     "  placed_on DATE,\n"
                     "  note VARCHAR(200),\n"
                     "  address JSONB,\n"
                     "  tags TEXT[],\n"
                     "  \"order\" BOOLEAN,\n"
                     "  PRIMARY KEY (order_id)\n"
                     ");\n"
                     "COMMENT ON TABLE orders IS 'Current state of every order';\n"
                     "COMMENT ON COLUMN orders.order_id IS 'It''s the id';\n"),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find("CREATE TABLE lines ("), std::string::npos);
}

TEST(ContractExportTest, DuckdbTablesKeepNestedTypes) {
  std::string sql = Export(Load(kOrders), ExportFormat::kSql, "orders", SqlDialect::kDuckdb).text;
  EXPECT_NE(sql.find("  address STRUCT(\"city\" VARCHAR, \"zip\" VARCHAR),\n"), std::string::npos)
      << sql;
  EXPECT_NE(sql.find("  tags VARCHAR[],\n"), std::string::npos);
  EXPECT_NE(sql.find("  amount DECIMAL(10,2),\n"), std::string::npos);
  EXPECT_EQ(sql.find("CREATE TABLE lines"), std::string::npos);
}

TEST(ContractExportTest, UnknownObjectIsNamed) {
  ExportOptions options;
  options.format = ExportFormat::kAvro;
  options.object = "refunds";
  Result<ExportedContract> exported = ExportContract(Load(kOrders), options);
  ASSERT_FALSE(exported.ok());
  EXPECT_EQ(exported.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(exported.status().message().find("it has: orders, lines"), std::string::npos)
      << exported.status().message();
}

TEST(ContractExportTest, FormatNames) {
  ASSERT_OK_AND_ASSIGN(ExportFormat format, ParseExportFormat("JSONSchema"));
  EXPECT_EQ(format, ExportFormat::kJsonSchema);
  EXPECT_FALSE(ParseExportFormat("protobuf").ok());
  ASSERT_OK_AND_ASSIGN(SqlDialect dialect, ParseSqlDialect("postgresql"));
  EXPECT_EQ(dialect, SqlDialect::kPostgres);
  EXPECT_FALSE(ParseSqlDialect("oracle").ok());
}

// Every example of the standard, written back as ODCS, loads again to the same data.
TEST(ContractExportTest, OdcsExportOfEveryStandardExampleLoadsBackUnchanged) {
  std::filesystem::path folder = std::filesystem::path(QUANTA_STANDARDS_DIR) / "odcs" / "examples";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    ParsedDocument original = ParseYaml(text.str(), entry.path().string());
    ASSERT_TRUE(original.document.has_value()) << entry.path();
    Contract contract = ContractFromJson(original.document->root());
    ExportedContract exported = Export(contract, ExportFormat::kOdcs);
    ParsedDocument again = ParseYaml(exported.text, "exported.yaml");
    ASSERT_TRUE(again.document.has_value()) << entry.path() << "\n" << exported.text;
    EXPECT_TRUE(again.diagnostics.empty()) << entry.path();
    EXPECT_EQ(Data(again.document->root()), Data(original.document->root())) << entry.path();
    ++count;
  }
  EXPECT_GE(count, 10);
}

}  // namespace
}  // namespace quanta::model
