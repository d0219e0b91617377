#include "model/meaning_check.h"

#include <gtest/gtest.h>

#include "model/product_folder.h"

namespace quanta::model {
namespace {

std::vector<Diagnostic> CheckText(const std::string& yaml) {
  ParsedDocument parsed = ParseYaml(yaml, "c.yaml");
  EXPECT_TRUE(parsed.document.has_value());
  ContractFile file{*parsed.document, ContractFromJson(parsed.document->root())};
  std::vector<Diagnostic> diagnostics;
  CheckContractMeaning(file, &diagnostics);
  return diagnostics;
}

std::string Rules(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& d : diagnostics) {
    text += FormatDiagnostic(d) + "\n";
  }
  return text;
}

constexpr const char* kHeader =
    "apiVersion: v3.1.0\nkind: DataContract\nid: c1\nversion: 1.0.0\nstatus: active\n";

TEST(MeaningCheckTest, CleanContractHasNoFindings) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: orders\n"
                               "    properties:\n"
                               "      - name: id\n"
                               "        primaryKey: true\n"
                               "        primaryKeyPosition: 1\n"
                               "      - name: customer_id\n"
                               "        relationships:\n"
                               "          - to: customers.id\n"
                               "  - name: customers\n"
                               "    properties:\n"
                               "      - name: id\n");
  EXPECT_TRUE(diagnostics.empty()) << Rules(diagnostics);
}

TEST(MeaningCheckTest, DuplicatePropertyNamesAreReportedAtTheSecond) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: orders\n"
                               "    properties:\n"
                               "      - name: id\n"
                               "      - name: id\n");
  ASSERT_EQ(diagnostics.size(), 1u) << Rules(diagnostics);
  EXPECT_EQ(diagnostics[0].rule, "meaning/duplicate-property");
  EXPECT_EQ(diagnostics[0].location.line, 10);
  EXPECT_EQ(diagnostics[0].location.field, "schema[0].properties[1].name");
}

TEST(MeaningCheckTest, RelationshipToMissingPropertyInSameContract) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: orders\n"
                               "    properties:\n"
                               "      - name: customer_id\n"
                               "        relationships:\n"
                               "          - to: customers.nope\n"
                               "  - name: customers\n"
                               "    properties:\n"
                               "      - name: id\n");
  ASSERT_EQ(diagnostics.size(), 1u) << Rules(diagnostics);
  EXPECT_EQ(diagnostics[0].rule, "meaning/relationship");
  EXPECT_NE(diagnostics[0].message.find("customers.nope"), std::string::npos);
}

TEST(MeaningCheckTest, RelationshipIntoAnotherContractIsNotChecked) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: orders\n"
                               "    properties:\n"
                               "      - name: customer_id\n"
                               "        relationships:\n"
                               "          - to: customers.id\n");
  EXPECT_TRUE(diagnostics.empty()) << Rules(diagnostics);
}

TEST(MeaningCheckTest, ObjectRelationshipFromUnknownPropertyAndSelfReference) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: t\n"
                               "    relationships:\n"
                               "      - from: t.missing\n"
                               "        to: other.id\n"
                               "      - from: t.a\n"
                               "        to: t.a\n"
                               "    properties:\n"
                               "      - name: a\n");
  std::string text = Rules(diagnostics);
  EXPECT_NE(text.find("'t.missing', which is not a property"), std::string::npos) << text;
  EXPECT_NE(text.find("points at itself"), std::string::npos) << text;
}

TEST(MeaningCheckTest, DuplicateIdsAndPrimaryKeyPositions) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: t\n"
                               "    id: x\n"
                               "    properties:\n"
                               "      - name: a\n"
                               "        id: x\n"
                               "        primaryKey: true\n"
                               "        primaryKeyPosition: 1\n"
                               "      - name: b\n"
                               "        primaryKey: true\n"
                               "        primaryKeyPosition: 1\n"
                               "      - name: c\n"
                               "        primaryKeyPosition: 2\n");
  std::string text = Rules(diagnostics);
  EXPECT_NE(text.find("duplicate-id"), std::string::npos) << text;
  EXPECT_NE(text.find("primaryKeyPosition 1 is used by both 'a' and 'b'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("'c' has a primaryKeyPosition but is not a primary key"), std::string::npos)
      << text;
}

TEST(MeaningCheckTest, QualityRulesNeedKnownMetricsAndArguments) {
  auto diagnostics = CheckText(std::string(kHeader) +
                               "schema:\n"
                               "  - name: t\n"
                               "    quality:\n"
                               "      - metric: rowCount\n"
                               "      - metric: nullValues\n"
                               "        mustBe: 0\n"
                               "    properties:\n"
                               "      - name: a\n"
                               "        quality:\n"
                               "          - metric: notAMetric\n"
                               "            mustBe: 0\n"
                               "          - metric: invalidValues\n"
                               "            mustBe: 0\n"
                               "          - type: sql\n"
                               "            query: SELECT 1\n");
  std::string text = Rules(diagnostics);
  EXPECT_NE(text.find("rowCount needs an operator"), std::string::npos) << text;
  EXPECT_NE(text.find("nullValues measures one property"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown library metric 'notAMetric'"), std::string::npos) << text;
  EXPECT_NE(text.find("invalidValues needs arguments.validValues"), std::string::npos) << text;
  EXPECT_NE(text.find("an sql quality rule needs an operator"), std::string::npos) << text;
}

}  // namespace
}  // namespace quanta::model
