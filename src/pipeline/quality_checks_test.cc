#include "pipeline/quality_checks.h"

#include <gtest/gtest.h>

#include "model/contract.h"
#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

// A table `output.payments` of four rows that each metric has something to find in:
//   id | status  | amount | code
//   a  | created |    1.0 | AB12
//   b  | paid    |   NULL | XX
//   b  | ''      |    3.0 | NULL
//   c  | N/A     |   -1.0 | CD34
class QualityChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
    ASSERT_OK(connection_->Execute(
        "CREATE SCHEMA output;"
        "CREATE TABLE output.payments (id VARCHAR, status VARCHAR, amount DOUBLE, code VARCHAR);"
        "INSERT INTO output.payments VALUES ('a', 'created', 1.0, 'AB12'), ('b', 'paid', NULL, "
        "'XX'), ('b', '', 3.0, NULL), ('c', 'N/A', -1.0, 'CD34');"
        "CREATE TABLE output.empty (id VARCHAR);"));
  }

  // Loads the contract `yaml` and runs the rules of its object `table` on output.<table>.
  std::vector<QualityCheck> Run(const std::string& yaml, const std::string& table = "payments") {
    model::ParsedDocument parsed = model::ParseYaml(yaml, "contracts/payments.yaml");
    EXPECT_TRUE(parsed.document.has_value());
    if (!parsed.document) return {};
    contract_.emplace(
        model::ContractFile{*parsed.document, model::ContractFromJson(parsed.document->root())});
    const model::SchemaObject* object = contract_->contract.FindObject(table);
    EXPECT_NE(object, nullptr);
    if (!object) return {};
    return RunQualityChecks(*connection_, *contract_, *object, "output");
  }

  // Runs a contract whose property `payments.<property>` carries the one rule `rule` (YAML
  // lines, written as if at the top level).
  std::vector<QualityCheck> RunPropertyRule(const std::string& property, const std::string& rule) {
    std::string yaml =
        "apiVersion: v3.1.0\nkind: DataContract\nid: payments\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: payments\n    properties:\n      - name: id\n      - name: status\n"
        "      - name: amount\n      - name: code\n";
    std::string marker = "      - name: " + property + "\n";
    std::size_t at = yaml.find(marker);
    EXPECT_NE(at, std::string::npos);
    std::string inserted = "        quality:\n          - " + Indent(rule, "            ");
    yaml.insert(at + marker.size(), inserted);
    std::vector<QualityCheck> checks = Run(yaml);
    EXPECT_EQ(checks.size(), 1u) << yaml;
    return checks;
  }

  // Runs a contract whose object `table` carries the one rule `rule`.
  std::vector<QualityCheck> RunObjectRule(const std::string& rule,
                                          const std::string& table = "payments") {
    std::string yaml =
        "apiVersion: v3.1.0\nkind: DataContract\nid: payments\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: " +
        table + "\n    properties:\n      - name: id\n" +
        (table == "payments" ? "      - name: status\n      - name: amount\n      - name: code\n"
                             : "") +
        "    quality:\n      - " + Indent(rule, "        ");
    std::vector<QualityCheck> checks = Run(yaml, table);
    EXPECT_EQ(checks.size(), 1u) << yaml;
    return checks;
  }

  static std::string Indent(const std::string& lines, const std::string& indent) {
    std::string result;
    bool first = true;
    std::size_t start = 0;
    while (start < lines.size()) {
      std::size_t end = lines.find('\n', start);
      if (end == std::string::npos) end = lines.size();
      result += (first ? "" : indent) + lines.substr(start, end - start) + "\n";
      first = false;
      start = end + 1;
    }
    return result;
  }

  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
  std::optional<model::ContractFile> contract_;
};

TEST_F(QualityChecksTest, NullValuesInRowsAndPercent) {
  auto checks = RunPropertyRule("amount", "metric: nullValues\nmustBe: 1");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);
  EXPECT_EQ(checks[0].value, 1.0);
  EXPECT_EQ(checks[0].unit, "rows");
  EXPECT_EQ(checks[0].property, "amount");

  checks = RunPropertyRule("amount", "metric: nullValues\nunit: percent\nmustBeLessThan: 20");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_EQ(checks[0].value, 25.0);
  EXPECT_EQ(checks[0].count, 1.0);
  EXPECT_EQ(checks[0].rows, 4.0);
  EXPECT_EQ(FormatQualityCheck(checks[0]),
            "FAIL nullValues on payments.amount = 25% (1 of 4 rows), expected mustBeLessThan 20  "
            "[contracts/payments.yaml:13:13]");
}

TEST_F(QualityChecksTest, MissingValuesDefaultAndArguments) {
  auto checks = RunPropertyRule("status", "metric: missingValues\nmustBe: 1");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 1.0) << "only '' counts by default: " << checks[0].message;
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  checks = RunPropertyRule("status",
                           "metric: missingValues\narguments:\n  missingValues: [null, '', "
                           "'N/A']\nunit: percent\nmustBeLessOrEqualTo: 50");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 50.0);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  // NULL counts even when the list leaves it out; numbers compare as numbers.
  checks = RunPropertyRule("amount",
                           "metric: missingValues\narguments:\n  missingValues: [-1]\nmustBe: 2");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 2.0) << checks[0].message;
}

TEST_F(QualityChecksTest, InvalidValuesByListPatternAndBoth) {
  auto checks = RunPropertyRule(
      "status", "metric: invalidValues\narguments:\n  validValues: [created, paid]\nmustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 2.0);  // '' and 'N/A'
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);

  checks = RunPropertyRule(
      "code",
      "metric: invalidValues\narguments:\n  pattern: '^[A-Z]{2}[0-9]{2}$'\nunit: percent\n"
      "mustBeLessThan: 30");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 25.0) << "XX is invalid, NULL is not: " << checks[0].message;
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  checks = RunPropertyRule("code",
                           "metric: invalidValues\narguments:\n  validValues: [AB12, XX]\n  "
                           "pattern: '^[A-Z]{2}[0-9]{2}$'\nmustBe: 2");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 2.0) << "XX fails the pattern, CD34 the list";

  checks = RunPropertyRule("code", "metric: invalidValues\nmustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("needs arguments.validValues"), std::string::npos);
}

TEST_F(QualityChecksTest, InvalidValuesReadsOdcs30ValidValues) {
  auto checks = RunPropertyRule("status",
                                "rule: invalidValues\nvalidValues: [created, paid, '', N/A]\n"
                                "mustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].metric, "invalidValues");
  EXPECT_EQ(checks[0].value, 0.0) << checks[0].message;
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);
}

TEST_F(QualityChecksTest, DuplicateValuesAtPropertyAndObjectLevel) {
  auto checks = RunPropertyRule("id", "metric: duplicateValues\nunit: percent\nmustBe: 25");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 25.0);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  checks = RunObjectRule("metric: duplicateValues\narguments:\n  properties: [id]\nmustBe: 1");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 1.0);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  checks = RunObjectRule("metric: duplicateValues\nmustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 0.0) << "no two rows are equal in every column";

  checks = RunObjectRule("metric: duplicateValues\narguments:\n  properties: [nope]\nmustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("'nope'"), std::string::npos);
}

TEST_F(QualityChecksTest, EveryOperatorOnRowCount) {
  struct Case {
    std::string rule;
    CheckOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"mustBe: 4", CheckOutcome::kPassed},
      {"mustBe: 3", CheckOutcome::kFailed},
      {"mustNotBe: 4", CheckOutcome::kFailed},
      {"mustNotBe: 3", CheckOutcome::kPassed},
      {"mustBeGreaterThan: 4", CheckOutcome::kFailed},
      {"mustBeGreaterThan: 3", CheckOutcome::kPassed},
      {"mustBeGreaterOrEqualTo: 4", CheckOutcome::kPassed},
      {"mustBeGreaterOrEqualTo: 5", CheckOutcome::kFailed},
      {"mustBeLessThan: 4", CheckOutcome::kFailed},
      {"mustBeLessThan: 5", CheckOutcome::kPassed},
      {"mustBeLessOrEqualTo: 4", CheckOutcome::kPassed},
      {"mustBeLessOrEqualTo: 3", CheckOutcome::kFailed},
      {"mustBeBetween: [1, 4]", CheckOutcome::kPassed},
      {"mustBeBetween: [4, 10]", CheckOutcome::kPassed},
      {"mustBeBetween: [5, 10]", CheckOutcome::kFailed},
      {"mustNotBeBetween: [1, 4]", CheckOutcome::kFailed},
      {"mustNotBeBetween: [5, 10]", CheckOutcome::kPassed},
  };
  for (const Case& c : cases) {
    auto checks = RunObjectRule("metric: rowCount\n" + c.rule);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].value, 4.0);
    EXPECT_EQ(checks[0].outcome, c.outcome) << c.rule << ": " << checks[0].message;
  }
}

TEST_F(QualityChecksTest, MalformedThresholdsFailWithTheReason) {
  auto checks = RunObjectRule("metric: rowCount\nmustBeBetween: [1]");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("two numbers"), std::string::npos) << checks[0].message;

  checks = RunObjectRule("metric: rowCount\nmustBe: many");
  EXPECT_NE(checks[0].message.find("needs a number"), std::string::npos) << checks[0].message;

  checks = RunObjectRule("metric: rowCount\nunit: percent\nmustBe: 100");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("percent"), std::string::npos);

  checks = RunObjectRule("metric: rowCount");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("no operator"), std::string::npos);

  checks = RunObjectRule("metric: nullValues\nmustBe: 0");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("property-level"), std::string::npos);

  checks = RunObjectRule("metric: averageValue\nmustBe: 0");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("unknown metric 'averageValue'"), std::string::npos);
}

TEST_F(QualityChecksTest, PercentOfAnEmptyTableIsZero) {
  auto checks = RunObjectRule("metric: duplicateValues\nunit: percent\nmustBe: 0", "empty");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].value, 0.0);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);
}

TEST_F(QualityChecksTest, NoOperatorMeansMustBeZeroAndSaysSo) {
  auto checks = RunPropertyRule("id", "metric: duplicateValues");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_TRUE(checks[0].default_expectation);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("default expectation for duplicateValues is mustBe 0"),
            std::string::npos);
}

TEST_F(QualityChecksTest, SqlRulesWithPlaceholdersAndBareNames) {
  auto checks = RunPropertyRule(
      "amount",
      "type: sql\nquery: SELECT COUNT(*) FROM ${object} WHERE ${property} < 0\nmustBe: 1");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].metric, "sql");
  EXPECT_EQ(checks[0].value, 1.0) << checks[0].message;
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);

  checks = RunPropertyRule(
      "amount", "type: sql\nquery: SELECT max({property}) FROM {object}\nmustBeGreaterThan: 3");
  EXPECT_EQ(checks[0].value, 3.0);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);

  // The contract examples name the table bare; it resolves to the dataset's schema.
  checks = RunObjectRule("type: sql\nquery: SELECT count(*) > 3 FROM payments\nmustBe: 1");
  EXPECT_EQ(checks[0].value, 1.0) << checks[0].message;
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kPassed);
}

TEST_F(QualityChecksTest, AFailingQueryIsAFailedCheckWithDuckdbsMessage) {
  auto checks = RunObjectRule("type: sql\nquery: SELECT count(nope) FROM ${object}\nmustBe: 0");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_FALSE(checks[0].value.has_value());
  EXPECT_NE(checks[0].message.find("nope"), std::string::npos) << checks[0].message;
  EXPECT_NE(checks[0].message.find("Binder Error"), std::string::npos) << checks[0].message;

  checks = RunObjectRule("type: sql\nquery: SELECT id FROM ${object}\nmustBe: 0");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_NE(checks[0].message.find("one number; it returned 4 rows"), std::string::npos)
      << checks[0].message;

  checks = RunObjectRule("type: sql\nquery: SELECT 'many'\nmustBe: 0");
  EXPECT_NE(checks[0].message.find("'many', which is not a number"), std::string::npos);
}

TEST_F(QualityChecksTest, TextAndCustomRulesAreSkippedWithAReason) {
  auto checks = RunObjectRule("type: text\ndescription: Rows are complete.");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kSkipped);
  EXPECT_NE(checks[0].message.find("text"), std::string::npos);

  checks = RunObjectRule("type: custom\nengine: soda\nimplementation: 'row_count > 0'");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kSkipped);
  EXPECT_NE(checks[0].message.find("soda"), std::string::npos);
  EXPECT_FALSE(checks[0].FailsRun());
}

TEST_F(QualityChecksTest, SeverityDecidesWhetherAFailureBlocks) {
  auto checks = RunObjectRule("metric: rowCount\nmustBe: 0\nseverity: warning");
  EXPECT_EQ(checks[0].outcome, CheckOutcome::kFailed);
  EXPECT_FALSE(checks[0].blocking);
  EXPECT_FALSE(checks[0].FailsRun());
  EXPECT_NE(FormatQualityCheck(checks[0]).find("WARN rowCount"), std::string::npos);

  checks = RunObjectRule("metric: rowCount\nmustBe: 0\nseverity: error");
  EXPECT_TRUE(checks[0].FailsRun());
  checks = RunObjectRule("metric: rowCount\nmustBe: 0");
  EXPECT_TRUE(checks[0].FailsRun()) << "an unset severity blocks";
}

TEST_F(QualityChecksTest, ChecksNameTheRulesPlaceInTheContract) {
  auto checks = RunObjectRule("metric: rowCount\nmustBe: 4");
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].location.file, "contracts/payments.yaml");
  EXPECT_EQ(checks[0].location.line, 14);
  EXPECT_EQ(checks[0].location.column, 9);
  EXPECT_EQ(FormatQualityCheck(checks[0]),
            "PASS rowCount on payments = 4 rows, expected mustBe 4  "
            "[contracts/payments.yaml:14:9]");
  nlohmann::json json = QualityCheckToJson(checks[0]);
  EXPECT_EQ(json["outcome"], "passed");
  EXPECT_EQ(json["value"], 4.0);
  EXPECT_EQ(json["line"], 14);
  EXPECT_EQ(json["expectations"][0]["operator"], "mustBe");
}

}  // namespace
}  // namespace quanta::pipeline
