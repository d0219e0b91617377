#include "pipeline/sql_import.h"

#include <gtest/gtest.h>

#include <string>

#include "model/contract_export.h"
#include "model/property_constraints.h"
#include "model/type_mapping.h"
#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

model::ImportOptions Options() {
  model::ImportOptions options;
  options.fallback_name = "shop";
  return options;
}

TEST(SqlImportTest, PostgresDumpBecomesAContract) {
  const char* sql = R"(
-- a pg_dump excerpt
CREATE TYPE public.order_status AS ENUM ('created', 'paid');

CREATE TABLE public.orders (
    order_id bigserial,
    status public.order_status NOT NULL,
    amount numeric(10,2),
    attributes jsonb,
    placed_at timestamp with time zone NOT NULL,
    "Customer Name" character varying(80),
    tags text[]
);
COMMENT ON TABLE public.orders IS 'Orders as they are now';
COMMENT ON COLUMN public.orders.amount IS 'Gross amount; it''s in EUR';

CREATE TABLE lines (order_id BIGINT, line_no INTEGER, sku TEXT UNIQUE,
                    PRIMARY KEY (order_id, line_no));

ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (order_id);
)";
  ASSERT_OK_AND_ASSIGN(model::Contract contract, ImportSql(sql, "shop.sql", Options()));
  EXPECT_EQ(contract.api_version, "v3.1.0");
  EXPECT_EQ(contract.id, "shop");
  EXPECT_EQ(contract.status, "draft");
  ASSERT_EQ(contract.schema.size(), 2u);
  const model::SchemaObject& orders = contract.schema[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.physical_type, "table");
  EXPECT_EQ(orders.description, "Orders as they are now");
  ASSERT_EQ(orders.properties.size(), 7u);

  const model::Property& order_id = orders.properties[0];
  EXPECT_EQ(order_id.physical_type, "BIGINT");
  EXPECT_EQ(order_id.logical_type, "integer");
  EXPECT_TRUE(order_id.IsPrimaryKey());
  EXPECT_TRUE(order_id.IsRequired());
  EXPECT_FALSE(order_id.primary_key_position.has_value());

  const model::Property& status = orders.properties[1];
  EXPECT_EQ(status.logical_type, "string");
  EXPECT_TRUE(status.IsRequired());
  ASSERT_TRUE(model::ValidValuesOf(status).has_value());
  EXPECT_EQ(model::Json(*model::ValidValuesOf(status)),
            model::Json::parse(R"(["created", "paid"])"));

  const model::Property& amount = orders.properties[2];
  EXPECT_EQ(model::DuckdbTypeFor(amount), "DECIMAL(10,2)");
  EXPECT_FALSE(amount.IsRequired());
  EXPECT_EQ(amount.description, "Gross amount; it's in EUR");
  EXPECT_EQ(model::DuckdbTypeFor(orders.properties[3]), "JSON");
  EXPECT_EQ(orders.properties[3].logical_type, "object");
  EXPECT_EQ(model::DuckdbTypeFor(orders.properties[4]), "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(orders.properties[5].name, "Customer Name");
  EXPECT_EQ(model::DuckdbTypeFor(orders.properties[6]), "VARCHAR[]");

  const model::SchemaObject& lines = contract.schema[1];
  EXPECT_EQ(model::PrimaryKeyOf(lines), (std::vector<std::string>{"order_id", "line_no"}));
  EXPECT_EQ(lines.properties[1].primary_key_position, 2);
  EXPECT_TRUE(lines.properties[2].unique.value_or(false));
}

TEST(SqlImportTest, RefusesWhatIsNotATableDefinition) {
  Result<model::Contract> result =
      ImportSql("CREATE TABLE t (a INT);\n\nINSERT INTO t VALUES (1);\n", "x.sql", Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_NE(result.status().message().find(
                "x.sql:3:1: error[import-sql]: 'INSERT INTO t VALUES (1)' is not a table"),
            std::string::npos)
      << result.status().message();

  result =
      ImportSql("CREATE TABLE t AS SELECT * FROM read_csv('/etc/passwd');", "x.sql", Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("needs a column list"), std::string::npos)
      << result.status().message();

  result = ImportSql("SET statement_timeout = 0;", "x.sql", Options());
  ASSERT_FALSE(result.ok());

  result = ImportSql("-- nothing here\n", "x.sql", Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("found no CREATE TABLE"), std::string::npos);

  result = ImportSql("CREATE TABLE t (a INT, 'unterminated);", "x.sql", Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("never closed"), std::string::npos);
}

TEST(SqlImportTest, SkipsWhatIsNotATableDefinitionWhenAsked) {
  const char* dump = R"(--
\restrict AbC123
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.orders (
    id integer NOT NULL,
    total numeric(10,2)
);
ALTER TABLE public.orders OWNER TO shop;
CREATE SEQUENCE public.orders_id_seq AS integer START WITH 1;
ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq');
ALTER TABLE ONLY public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.orders
    ADD CONSTRAINT orders_total_key UNIQUE (total);
GRANT SELECT ON public.orders TO analyst;
\unrestrict AbC123
)";
  std::vector<Diagnostic> skipped;
  ASSERT_OK_AND_ASSIGN(model::Contract contract, ImportSql(dump, "dump.sql", Options(), &skipped));
  ASSERT_EQ(contract.schema.size(), 1u);
  EXPECT_TRUE(contract.schema[0].properties[0].IsPrimaryKey());
  EXPECT_TRUE(contract.schema[0].properties[1].unique.value_or(false));
  ASSERT_EQ(skipped.size(), 8u);
  EXPECT_EQ(skipped[0].location.line, 2);
  EXPECT_EQ(skipped[0].message, "skipped '\\restrict AbC123': not a table definition");
  EXPECT_EQ(skipped[1].location.line, 3);
  EXPECT_EQ(skipped[1].severity, Severity::kWarning);
  EXPECT_EQ(skipped[5].message,
            "skipped 'ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAUL...': not a "
            "table definition");
  // Refused without permission to skip.
  EXPECT_FALSE(ImportSql(dump, "dump.sql", Options()).ok());
}

TEST(SqlImportTest, DuckdbErrorsNameTheStatement) {
  Result<model::Contract> result =
      ImportSql("CREATE TABLE ok (a INT);\nCREATE TABLE bad (a NOSUCHTYPE);\n", "x.sql", Options());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("x.sql:2:1:"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("NOSUCHTYPE"), std::string::npos);
}

// Exporting a contract's tables as SQL and importing them back gives the same DuckDB types,
// primary key, required flags and descriptions.
TEST(SqlImportTest, EveryLogicalTypeRoundTripsThroughSql) {
  const char* yaml = R"(
apiVersion: v3.1.0
kind: DataContract
id: t
version: 1.0.0
status: draft
schema:
  - name: everything
    description: One column per logical type
    properties:
      - {name: id, logicalType: integer, primaryKey: true, description: The key}
      - {name: text, logicalType: string, required: true}
      - {name: uuid, logicalType: string, logicalTypeOptions: {format: uuid}}
      - {name: blob, logicalType: string, physicalType: blob}
      - {name: small, logicalType: integer, physicalType: smallint}
      - {name: int, logicalType: integer, physicalType: int}
      - {name: double, logicalType: number}
      - {name: real, logicalType: number, physicalType: real}
      - {name: money, logicalType: number, physicalType: 'decimal(10,2)'}
      - {name: flag, logicalType: boolean}
      - {name: day, logicalType: date}
      - {name: clock, logicalType: time}
      - {name: instant, logicalType: timestamp}
      - {name: local, logicalType: timestamp, logicalTypeOptions: {timezone: false}}
      - {name: free, logicalType: object}
      - name: address
        logicalType: object
        properties: [{name: city, logicalType: string}, {name: zip, logicalType: integer}]
      - {name: tags, logicalType: array, items: {logicalType: string}}
)";
  model::ParsedDocument parsed = model::ParseYaml(yaml, "t.yaml");
  ASSERT_TRUE(parsed.document.has_value());
  model::Contract original = model::ContractFromJson(parsed.document->root());
  for (model::SqlDialect dialect : {model::SqlDialect::kDuckdb, model::SqlDialect::kPostgres}) {
    bool postgres = dialect == model::SqlDialect::kPostgres;
    SCOPED_TRACE(postgres ? "postgres" : "duckdb");
    model::ExportOptions options;
    options.format = model::ExportFormat::kSql;
    options.dialect = dialect;
    ASSERT_OK_AND_ASSIGN(model::ExportedContract exported,
                         model::ExportContract(original, options));
    ASSERT_OK_AND_ASSIGN(model::Contract back, ImportSql(exported.text, "export.sql", Options()));
    ASSERT_EQ(back.schema.size(), 1u);
    const model::SchemaObject& object = back.schema[0];
    EXPECT_EQ(object.description, "One column per logical type");
    ASSERT_EQ(object.properties.size(), original.schema[0].properties.size()) << exported.text;
    for (std::size_t i = 0; i < object.properties.size(); ++i) {
      const model::Property& before = original.schema[0].properties[i];
      const model::Property& after = object.properties[i];
      SCOPED_TRACE(*before.name);
      EXPECT_EQ(after.name, before.name);
      EXPECT_EQ(after.logical_type, before.logical_type);
      std::string type = model::DuckdbTypeFor(before);
      // PostgreSQL has no inline STRUCT: nested objects travel as JSONB.
      if (postgres && *before.name == "address") type = "JSON";
      EXPECT_EQ(model::DuckdbTypeFor(after), type);
      EXPECT_EQ(after.IsRequired(), before.IsRequired() || before.IsPrimaryKey());
      EXPECT_EQ(after.IsPrimaryKey(), before.IsPrimaryKey());
      EXPECT_EQ(after.description, before.description);
    }
  }
}

}  // namespace
}  // namespace quanta::pipeline
