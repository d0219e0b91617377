#include "model/structure_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/yaml_document.h"

namespace quanta::model {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<Diagnostic> CheckText(const std::string& text) {
  ParsedDocument parsed = ParseYaml(text, "doc.yaml");
  EXPECT_THAT(parsed.diagnostics, IsEmpty());
  if (!parsed.document) return {};
  return CheckStructure(*parsed.document, DetectKind(parsed.document->root()));
}

std::vector<std::string> Formatted(const std::vector<Diagnostic>& diagnostics) {
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : diagnostics) lines.push_back(FormatDiagnostic(diagnostic));
  return lines;
}

const char* kContract = R"(apiVersion: v3.1.0
kind: DataContract
id: orders
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: order_id
        logicalType: string
        primaryKey: true
      - name: amount
        logicalType: number
        quality:
          - metric: nullValues
            mustBe: 0
)";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(StructureCheckTest, ValidContractHasNoDiagnostics) {
  EXPECT_THAT(Formatted(CheckText(kContract)), IsEmpty());
}

TEST(StructureCheckTest, MissingRequiredFieldPointsAtTheObjectThatLacksIt) {
  auto diagnostics = CheckText(Replace(kContract, "      - name: amount\n", "      - \n"));
  // "- \n        logicalType" keeps the item, now without a name.
  ASSERT_THAT(diagnostics, SizeIs(1)) << Formatted(diagnostics)[0];
  EXPECT_EQ(diagnostics[0].rule, "schema/required");
  EXPECT_EQ(diagnostics[0].message, "missing required field 'name'");
  EXPECT_EQ(diagnostics[0].location.field, "schema[0].properties[1]");
  EXPECT_EQ(diagnostics[0].location.line, 13);
}

TEST(StructureCheckTest, UnknownFieldIsReportedAtItsKeyWithTheClosestName) {
  auto diagnostics =
      CheckText(Replace(kContract, "        logicalType: number", "        logicalTyp: number"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_THAT(Formatted(diagnostics)[0],
              ::testing::StartsWith("doc.yaml:13:9: error[schema/additional-properties]: "
                                    "'logicalTyp' is not allowed here (allowed: "));
  EXPECT_EQ(diagnostics[0].location.field, "schema[0].properties[1].logicalTyp");
  EXPECT_EQ(diagnostics[0].hint, "did you mean 'logicalType'?");
}

TEST(StructureCheckTest, UnknownFieldFarFromAnyNameSuggestsCustomProperties) {
  auto diagnostics = CheckText(std::string(kContract) + "owner_slack: '#orders'\n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "schema/additional-properties");
  EXPECT_EQ(diagnostics[0].location.line, 17);
  EXPECT_THAT(diagnostics[0].hint, HasSubstr("customProperties"));
}

TEST(StructureCheckTest, FieldOfAnotherLogicalTypeGetsNoMisleadingHint) {
  auto diagnostics = CheckText(Replace(kContract, "        primaryKey: true\n",
                                       "        primaryKey: true\n        items:\n"
                                       "          logicalType: string\n"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "schema/additional-properties");
  EXPECT_EQ(diagnostics[0].message, "'items' is allowed here only when logicalType is array");
  EXPECT_EQ(diagnostics[0].location.line, 12);
  EXPECT_EQ(diagnostics[0].hint, "");
}

TEST(StructureCheckTest, EnumMistakeIsLocatedAtTheValueWithAHint) {
  auto diagnostics = CheckText(Replace(kContract, "metric: nullValues", "metric: nulValues"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "schema/enum");
  EXPECT_EQ(diagnostics[0].location.line, 15);
  EXPECT_EQ(diagnostics[0].location.column, 21);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("metric must be one of: nullValues, "));
  EXPECT_EQ(diagnostics[0].hint, "did you mean 'nullValues'?");
}

TEST(StructureCheckTest, MustBeBetweenWithOneNumberSaysItNeedsTwo) {
  auto diagnostics = CheckText(Replace(kContract, "mustBe: 0", "mustBeBetween: 5"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(Formatted(diagnostics)[0],
            "doc.yaml:16:28: error[schema/type]: mustBeBetween must be a list of exactly 2 "
            "numbers, not a number (5) (at schema[0].properties[1].quality[0].mustBeBetween)");
}

TEST(StructureCheckTest, DiagnosticsComeInDocumentOrder) {
  std::string text = Replace(kContract, "status: active\n", "");
  text = Replace(text, "kind: DataContract", "kind: DataContract\nextra: 1");
  text = Replace(text, "logicalType: string", "logicalType: text");
  auto diagnostics = CheckText(text);
  ASSERT_THAT(diagnostics, SizeIs(3)) << testing::PrintToString(Formatted(diagnostics));
  EXPECT_EQ(diagnostics[0].rule, "schema/required");  // the root object, line 1
  EXPECT_EQ(diagnostics[1].rule, "schema/additional-properties");
  EXPECT_EQ(diagnostics[1].location.line, 3);
  EXPECT_EQ(diagnostics[2].rule, "schema/enum");
}

TEST(StructureCheckTest, ApiVersionPicksTheSchema) {
  // timestamp is a logical type of ODCS v3.1.0 only.
  std::string v31 = Replace(kContract, "logicalType: string", "logicalType: timestamp");
  EXPECT_THAT(CheckText(v31), IsEmpty());
  for (const char* version : {"v3.0.0", "v3.0.1", "v3.0.2"}) {
    std::string v30 = Replace(v31, "apiVersion: v3.1.0", std::string("apiVersion: ") + version);
    v30 = Replace(v30, "metric: nullValues", "rule: nullCheck");  // v3.0 names the metric `rule`
    auto diagnostics = CheckText(v30);
    ASSERT_THAT(diagnostics, SizeIs(1)) << version;
    EXPECT_EQ(diagnostics[0].rule, "schema/enum");
    EXPECT_EQ(diagnostics[0].location.field, "schema[0].properties[0].logicalType");
  }
}

TEST(StructureCheckTest, UnsupportedContractVersionIsOneErrorNamingTheSupportedOnes) {
  auto diagnostics = CheckText(Replace(kContract, "apiVersion: v3.1.0", "apiVersion: v2.2.2"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(FormatDiagnostic(diagnostics[0]),
            "doc.yaml:1:13: error[schema/api-version]: apiVersion 'v2.2.2' is not supported: "
            "Quanta reads ODCS contracts of apiVersion v3.1.0, v3.0.2, v3.0.1 or v3.0.0 (at "
            "apiVersion)\n  hint: write the contract for ODCS v3.1.0 and set `apiVersion: "
            "v3.1.0`");
}

TEST(StructureCheckTest, MissingApiVersionIsAMissingField) {
  auto diagnostics = CheckText(Replace(kContract, "apiVersion: v3.1.0\n", ""));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].message, "missing required field 'apiVersion'");
}

const char* kProduct = R"(apiVersion: v1.0.0
kind: DataProduct
id: orders
name: orders
status: active
domain: orders
outputPorts:
  - name: orders
    version: 1.0.0
    contractId: orders
)";

TEST(StructureCheckTest, ProductVersions) {
  EXPECT_THAT(CheckText(kProduct), IsEmpty());
  auto diagnostics = CheckText(Replace(kProduct, "v1.0.0", "v0.9.0"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(diagnostics[0].rule, "schema/api-version");
  EXPECT_THAT(diagnostics[0].message, HasSubstr("targets v1.0.0"));
  diagnostics = CheckText(Replace(kProduct, "v1.0.0", "v2.0.0"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].severity, Severity::kError);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("v1.0.0"));
}

TEST(StructureCheckTest, ProductPortFieldsAreChecked) {
  auto diagnostics = CheckText(Replace(kProduct, "    version: 1.0.0\n", "    contract: x\n"));
  EXPECT_THAT(
      Formatted(diagnostics),
      ElementsAre("doc.yaml:8:5: error[schema/required]: missing required field "
                  "'version' (at outputPorts[0])",
                  "doc.yaml:9:5: error[schema/additional-properties]: 'contract' is not "
                  "allowed here (allowed: name, description, type, version, contractId, sbom, "
                  "inputContracts, tags, customProperties, authoritativeDefinitions) (at "
                  "outputPorts[0].contract)\n  hint: did you mean 'contractId'?"));
}

const char* kPipeline = R"(apiVersion: quanta/v1
kind: Pipeline
inputs:
  - port: order_events
    source: kafka
    topic: orders
datasets:
  - name: orders
    outputPort: orders
    transform: transforms/orders.sql
    mode: upsert
    key: [order_id]
)";

TEST(StructureCheckTest, PipelineRules) {
  EXPECT_THAT(CheckText(kPipeline), IsEmpty());
  auto diagnostics = CheckText(Replace(kPipeline, "    topic: orders\n", ""));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].message, "missing required field 'topic'");
  diagnostics = CheckText(
      Replace(kPipeline, "transform: transforms/orders.sql", "transfrom: transforms/orders.sql"));
  ASSERT_THAT(diagnostics, SizeIs(2));
  EXPECT_EQ(diagnostics[0].message, "missing required field 'transform'");
  EXPECT_EQ(diagnostics[1].hint, "did you mean 'transform'?");
  diagnostics = CheckText(Replace(kPipeline, "mode: upsert", "mode: merge"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].message, "mode must be one of: append, upsert (found 'merge')");
  diagnostics = CheckText(Replace(kPipeline, "key: [order_id]", "key: []"));
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "schema/min-items");
}

TEST(StructureCheckTest, UnknownKindSaysWhichKindsExist) {
  auto diagnostics = CheckText("kind: DataContrct\nid: x\n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "schema/kind");
  EXPECT_EQ(diagnostics[0].location.line, 1);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("DataContract"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("DataProduct"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("Pipeline"));
  EXPECT_EQ(diagnostics[0].hint, "did you mean 'DataContract'?");

  diagnostics = CheckText("- a\n- b\n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("not a list"));
  diagnostics = CheckText("name: x\n");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("no `kind`"));
}

TEST(ClosestNameTest, FindsLikelyTyposOnly) {
  std::vector<std::string> names = {"logicalType", "physicalType", "name", "description"};
  EXPECT_EQ(ClosestName("logicalTyp", names), "logicalType");
  EXPECT_EQ(ClosestName("LogicalType", names), "logicalType");
  EXPECT_EQ(ClosestName("descripton", names), "description");
  EXPECT_EQ(ClosestName("nme", names), "name");
  EXPECT_EQ(ClosestName("owner", names), "");
  EXPECT_EQ(ClosestName("", names), "");
  EXPECT_EQ(ClosestName("x", {"y"}), "");
}

}  // namespace
}  // namespace quanta::model
