#include "governance/row_filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/yaml_document.h"
#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// An orders contract whose one role has the row filter `filter` (a YAML scalar as written)
// at line 18, column 16.
std::string OrdersContract(const std::string& filter, const std::string& access = "read") {
  return "apiVersion: v3.1.0\n"
         "kind: DataContract\n"
         "id: orders\n"
         "version: 1.0.0\n"
         "status: active\n"
         "schema:\n"
         "  - name: orders\n"
         "    properties:\n"
         "      - {name: order_id, logicalType: string}\n"
         "      - {name: region, logicalType: string}\n"
         "      - {name: customer, logicalType: string, classification: restricted}\n"
         "      - {name: amount, logicalType: number}\n"
         "roles:\n"
         "  - role: eu-readers\n"
         "    access: " +
         access +
         "\n"
         "    customProperties:\n"
         "      - property: rowFilter\n"
         "        value: " +
         filter + "\n";
}

std::vector<Diagnostic> Check(const std::string& text) {
  model::ParsedDocument parsed = model::ParseYaml(text, "contracts/orders.yaml");
  EXPECT_TRUE(parsed.document.has_value());
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  model::ContractFile file{*parsed.document, model::ContractFromJson(parsed.document->root())};
  std::vector<Diagnostic> diagnostics;
  CheckRowFilters(file, &diagnostics);
  return diagnostics;
}

// The one diagnostic of checking `filter`, formatted as lint prints it.
std::string OneError(const std::string& filter) {
  std::vector<Diagnostic> diagnostics = Check(OrdersContract(filter));
  EXPECT_EQ(diagnostics.size(), 1u) << filter;
  if (diagnostics.empty()) return "";
  EXPECT_EQ(diagnostics[0].severity, Severity::kError);
  return FormatDiagnostic(diagnostics[0]);
}

TEST(RowFilterTest, ABooleanExpressionOverTheDatasetsColumnsPasses) {
  EXPECT_THAT(Check(OrdersContract("\"region = 'EU'\"")), IsEmpty());
  EXPECT_THAT(Check(OrdersContract("\"region IN ('EU', 'UK') AND amount > 10 -- big ones\"")),
              IsEmpty());
  EXPECT_THAT(Check(OrdersContract("\"lower(customer) = current_principal()\"")), IsEmpty());
  // A team may filter on a column it masks.
  EXPECT_THAT(Check(OrdersContract("\"customer LIKE '%@example.com'\"")), IsEmpty());
}

TEST(RowFilterTest, AnErrorNamesTheFileLineColumnAndRole) {
  std::string error = OneError("\"no_such_column = 'EU'\"");
  EXPECT_THAT(error, HasSubstr("contracts/orders.yaml:18:16: error[sql/row-filter]"));
  EXPECT_THAT(error, HasSubstr("row filter of role 'eu-readers' in contract 'orders'"));
  EXPECT_THAT(error, HasSubstr("does not bind against schema object 'orders'"));
  EXPECT_THAT(error, HasSubstr("no_such_column"));
}

TEST(RowFilterTest, ASubqueryOnAnotherTableIsRefused) {
  EXPECT_THAT(OneError("\"region IN (SELECT region FROM secrets)\""), HasSubstr("subquery"));
  EXPECT_THAT(OneError("\"EXISTS (SELECT 1)\""), HasSubstr("subquery"));
}

TEST(RowFilterTest, FunctionsThatReachFilesOrSettingsAreRefused) {
  EXPECT_THAT(OneError("\"region IN (SELECT * FROM read_csv('/etc/passwd'))\""),
              HasSubstr("subquery"));
  EXPECT_THAT(OneError("\"read_csv('/etc/passwd') IS NOT NULL\""),
              HasSubstr("it calls read_csv(), which it may not: it reaches the node's files"));
  EXPECT_THAT(OneError("\"getenv('HOME') = region\""), HasSubstr("getenv()"));
  EXPECT_THAT(OneError("\"current_setting('threads') = region\""), HasSubstr("current_setting()"));
  EXPECT_THAT(OneError("\"main.lower(region) = 'eu'\""), HasSubstr("by their plain name"));
  // The same list as consumer queries: a row filter runs inside each of them.
  EXPECT_THAT(OneError("\"length(current_query()) > 0\""), HasSubstr("current_query()"));
  EXPECT_THAT(OneError("\"stats(region) IS NOT NULL\""), HasSubstr("stats()"));
}

TEST(RowFilterTest, TextThatLeavesTheExpressionIsRefused) {
  EXPECT_THAT(OneError("\"region = 'EU') UNION SELECT * FROM secrets WHERE (true\""),
              HasSubstr("not one expression"));
  EXPECT_THAT(OneError("\"true) GROUP BY (region\""), HasSubstr("not one expression"));
  EXPECT_THAT(OneError("\"true); DROP TABLE orders; SELECT (1\""), HasSubstr("not one expression"));
  EXPECT_THAT(OneError("\"region = 'EU\""), HasSubstr("does not parse"));
}

TEST(RowFilterTest, OnlyUnqualifiedColumnsOfOneRowWithoutAggregatesOrWindows) {
  EXPECT_THAT(OneError("\"secrets.region = 'EU'\""), HasSubstr("names secrets.region"));
  EXPECT_THAT(OneError("\"count(*) > 1\""), HasSubstr("does not bind"));
  EXPECT_THAT(OneError("\"row_number() OVER () < 10\""), HasSubstr("window function"));
  EXPECT_THAT(OneError("\"region = $1\""), HasSubstr("query parameter"));
}

TEST(RowFilterTest, TheFilterMustBeBoolean) {
  EXPECT_THAT(OneError("\"region\""), HasSubstr("of type VARCHAR over schema object 'orders'"));
  EXPECT_THAT(OneError("''"), HasSubstr("must be a SQL expression in a string"));
  EXPECT_THAT(OneError("42"), HasSubstr("must be a SQL expression in a string"));
}

TEST(RowFilterTest, CurrentPrincipalIsWrittenExactlyAndOnlyAsACall) {
  EXPECT_THAT(OneError("\"region = CURRENT_PRINCIPAL()\""), HasSubstr("current_principal()"));
  EXPECT_THAT(OneError("\"region = 'current_principal()'\""),
              HasSubstr("nowhere in a string or comment"));
  EXPECT_THAT(OneError("\"region = current_principal('x')\""), HasSubstr("takes no arguments"));
}

TEST(RowFilterTest, TheFilterMustBindAgainstEverySchemaObject) {
  std::string text = OrdersContract("\"amount > 10\"");
  text.insert(text.find("roles:\n"),
              "  - name: order_lines\n"
              "    properties:\n"
              "      - {name: order_id, logicalType: string}\n"
              "      - {name: sku, logicalType: string}\n");
  std::vector<Diagnostic> diagnostics = Check(text);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("schema object 'order_lines'"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("amount"));
}

TEST(RowFilterTest, AFilterOnARoleThatGrantsNoReadingIsAWarning) {
  std::vector<Diagnostic> diagnostics = Check(OrdersContract("\"region = 'EU'\"", "write"));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].severity, Severity::kWarning);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("has no effect"));
}

TEST(RowFilterTest, RoleRowFilterBindsThePrincipalAndFailsClosed) {
  model::Contract contract = model::ContractFromJson(model::Json::parse(R"json({"roles": [
    {"role": "a", "customProperties": [
      {"property": "rowFilter", "value": "x = current_principal() OR y = current_principal()"}]},
    {"role": "b"},
    {"role": "c", "customProperties": [{"property": "rowFilter", "value": "x = 1"},
                                       {"property": "rowfilter", "value": "y = 2"}]},
    {"role": "d", "customProperties": [{"property": "rowFilter", "value": null}]}]})json"));
  EXPECT_EQ(RoleRowFilter(contract.roles[0], "ann"), "(\nx = 'ann' OR y = 'ann'\n)");
  EXPECT_EQ(RoleRowFilter(contract.roles[1], "ann"), std::nullopt);
  EXPECT_EQ(RoleRowFilter(contract.roles[2], "ann"), "(\nx = 1\n) AND (\ny = 2\n)");
  EXPECT_EQ(RoleRowFilter(contract.roles[3], "ann"), "false");
}

TEST(RowFilterTest, RoleCustomPropertiesRoundTrip) {
  model::Json json = model::Json::parse(R"({"roles": [{"role": "a", "access": "read",
    "customProperties": [{"property": "rowFilter", "value": "x = 1", "description": "d"}]}]})");
  model::Contract contract = model::ContractFromJson(json);
  ASSERT_EQ(contract.roles[0].custom_properties.size(), 1u);
  EXPECT_EQ(model::ContractToJson(contract), json);
}

}  // namespace
}  // namespace quanta::governance
