#include "pipeline/fixture_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

const std::filesystem::path kSample =
    std::filesystem::path(QUANTA_SOURCE_DIR) / "src/pipeline/testdata/orders";

// Each test works on its own copy of the sample product (testdata/orders), changed as needed.
class FixtureRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ =
        std::filesystem::temp_directory_path() /
        ("quanta_fixture_runner_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::copy(kSample, root_, std::filesystem::copy_options::recursive);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream out(root_ / relative, std::ios::binary | std::ios::trunc);
    out << text;
  }

  Result<std::vector<CaseResult>> Run(std::optional<std::string> case_name = std::nullopt) {
    std::vector<Diagnostic> diagnostics;
    QUANTA_ASSIGN_OR_RETURN(model::ProductFolder folder,
                            model::LoadProductFolder(root_, &diagnostics));
    FixtureOptions options;
    options.case_name = std::move(case_name);
    return RunFixtures(folder, options);
  }

  // Runs the one case called `name` and returns it.
  CaseResult RunCase(const std::string& name) {
    Result<std::vector<CaseResult>> results = Run(name);
    EXPECT_TRUE(results.ok()) << results.status().ToString();
    if (!results.ok() || results->size() != 1) {
      ADD_FAILURE() << "expected exactly one case called " << name;
      return {};
    }
    return std::move(results->front());
  }

  static std::string Errors(const CaseResult& result) {
    std::string text;
    for (const Diagnostic& error : result.errors) text += FormatDiagnostic(error) + "\n";
    return text;
  }

  std::filesystem::path root_;
};

TEST_F(FixtureRunnerTest, TheSampleProductPassesItsCasesAndChecks) {
  std::vector<Diagnostic> diagnostics;
  ASSERT_OK_AND_ASSIGN(model::ProductFolder folder,
                       model::LoadProductFolder(kSample, &diagnostics));
  ASSERT_OK_AND_ASSIGN(std::vector<CaseResult> results, RunFixtures(folder));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].name, "new orders become current state");
  EXPECT_EQ(results[1].name, "the latest status wins");
  for (const CaseResult& result : results) {
    EXPECT_TRUE(result.Passed()) << result.name << "\n" << Errors(result);
    ASSERT_EQ(result.datasets.size(), 1u);
    EXPECT_TRUE(result.datasets[0].compared);
    EXPECT_EQ(FormatDatasetDiff(result.datasets[0]), "");
    // Rules: 2 object-level rowCount, nullValues, duplicateValues, invalidValues, sql, text.
    ASSERT_EQ(result.checks.size(), 7u);
    int skipped = 0, warnings = 0;
    for (const QualityCheck& check : result.checks) {
      EXPECT_FALSE(check.FailsRun()) << FormatQualityCheck(check);
      if (check.outcome == CheckOutcome::kSkipped) ++skipped;
      if (check.outcome == CheckOutcome::kFailed && !check.blocking) ++warnings;
    }
    EXPECT_EQ(skipped, 1) << "the text rule";
    EXPECT_EQ(warnings, 1) << "rowCount > 100 has severity warning";
  }
  EXPECT_EQ(results[1].datasets[0].actual_count, 1u) << "three events of one order, one row";
}

TEST_F(FixtureRunnerTest, AFailingCaseShowsTheMissingAndUnexpectedRows) {
  Write("tests/wrong.yaml", R"(name: wrong expectation
input:
  order_events:
    - {order_id: o-1, status: created, amount: 10.5, event_time: "2026-01-01T10:00:00Z"}
    - {order_id: o-2, status: paid, amount: 3, event_time: "2026-01-01T10:00:00Z"}
expected:
  orders:
    - {order_id: o-1, status: shipped, amount: 10.5}
    - {order_id: o-2, status: paid, amount: 3}
)");
  CaseResult result = RunCase("wrong expectation");
  EXPECT_FALSE(result.Passed());
  EXPECT_TRUE(result.errors.empty()) << Errors(result);
  ASSERT_EQ(result.datasets.size(), 1u);
  EXPECT_EQ(FormatDatasetDiff(result.datasets[0]),
            "dataset orders: 1 row missing, 1 row unexpected (expected 2 rows, got 2 rows)\n"
            "  missing rows (expected, not produced):\n"
            "    order_id | status  | amount\n"
            "    ---------+---------+-------\n"
            "    o-1      | shipped | 10.50\n"
            "  unexpected rows (produced, not expected):\n"
            "    order_id | status  | amount\n"
            "    ---------+---------+-------\n"
            "    o-1      | created | 10.50\n");
  nlohmann::json json = CaseResultToJson(result);
  EXPECT_EQ(json["passed"], false);
  EXPECT_EQ(json["datasets"][0]["missingRows"][0]["values"]["status"], "shipped");
  EXPECT_EQ(json["datasets"][0]["unexpectedRows"][0]["values"]["status"], "created");
}

TEST_F(FixtureRunnerTest, AppendModeKeepsEveryRowWhereUpsertKeepsTheLast) {
  Write("pipeline.yaml", R"(apiVersion: quanta/v1
kind: Pipeline
datasets:
  - name: orders
    outputPort: orders
    transform: transforms/orders.sql
)");
  CaseResult result = RunCase("the latest status wins");
  EXPECT_FALSE(result.Passed());
  ASSERT_EQ(result.datasets.size(), 1u);
  const DatasetComparison& orders = result.datasets[0];
  EXPECT_EQ(orders.actual_count, 3u);
  EXPECT_TRUE(orders.missing_rows.empty());
  ASSERT_EQ(orders.unexpected_rows.size(), 2u);
  EXPECT_EQ(orders.unexpected_rows[0].values[1], "created");
  EXPECT_EQ(orders.unexpected_rows[1].values[1], "paid");
}

TEST_F(FixtureRunnerTest, UpsertUsesThePipelinesKeyOverThePrimaryKey) {
  // Keyed by status, the two orders that end up 'paid' collapse into the later one.
  Write("pipeline.yaml", R"(apiVersion: quanta/v1
kind: Pipeline
datasets:
  - name: orders
    outputPort: orders
    transform: transforms/orders.sql
    mode: upsert
    key: [status]
)");
  Write("tests/by_status.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: paid, amount: 1, event_time: "2026-01-01T10:00:00Z"}
    - {order_id: o-2, status: paid, amount: 2, event_time: "2026-01-01T11:00:00Z"}
expected:
  orders:
    - {order_id: o-2, status: paid, amount: 2}
)");
  CaseResult result = RunCase("by_status");
  EXPECT_TRUE(result.Passed()) << Errors(result) << FormatDatasetDiff(result.datasets.at(0));
}

TEST_F(FixtureRunnerTest, UpsertWithoutAnyKeyIsAnErrorInThePipeline) {
  Write("contracts/orders.yaml", R"(apiVersion: v3.1.0
kind: DataContract
id: orders-v1
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: order_id
      - name: status
      - name: amount
)");
  Result<std::vector<CaseResult>> results = Run();
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_NE(results.status().message().find((root_ / "pipeline.yaml").string() + ":7:5:"),
            std::string::npos)
      << results.status().message();
  EXPECT_NE(results.status().message().find("has no key"), std::string::npos);
}

TEST_F(FixtureRunnerTest, AValueThatDoesNotFitItsColumnNamesFileLineAndColumn) {
  Write("tests/bad_type.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: created, amount: ten, event_time: "2026-01-01T10:00:00Z"}
    - {order_id: o-2, event_time: yesterday}
expected:
  orders: []
)");
  CaseResult result = RunCase("bad_type");
  EXPECT_FALSE(result.Passed());
  ASSERT_EQ(result.errors.size(), 2u) << "every value that does not fit is reported";
  EXPECT_EQ(result.errors[1].location.line, 4);
  EXPECT_NE(result.errors[1].message.find("column event_time: \"yesterday\" does not fit type "
                                          "TIMESTAMP WITH TIME ZONE"),
            std::string::npos)
      << result.errors[1].message;
  std::string text = FormatDiagnostic(result.errors[0]);
  EXPECT_EQ(text.find((root_ / "tests/bad_type.yaml").string() +
                      ":3:48: error[fixture-type]: "
                      "row 1 of input table order_events, column amount: \"ten\" does not fit "
                      "type DECIMAL(10,2): Conversion Error"),
            0u)
      << text;
  EXPECT_TRUE(result.checks.empty()) << "nothing ran";
}

TEST_F(FixtureRunnerTest, AFractionInAnIntegerColumnIsATypeError) {
  Write("tests/fraction.yaml", R"(input:
  order_events:
    - order_id: o-1
      quantity: 1.5
expected:
  orders: []
)");
  CaseResult result = RunCase("fraction");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].location.line, 4);
  EXPECT_EQ(result.errors[0].location.column, 17);
  EXPECT_NE(result.errors[0].message.find("column quantity (BIGINT): 1.5 is not an integer"),
            std::string::npos)
      << result.errors[0].message;
}

TEST_F(FixtureRunnerTest, AMappingOrListInAPlainColumnIsATypeError) {
  Write("tests/nested.yaml", R"(input:
  order_events:
    - {order_id: [o, 1], status: {name: paid}}
expected:
  orders: []
)");
  CaseResult result = RunCase("nested");
  ASSERT_EQ(result.errors.size(), 2u) << Errors(result);
  EXPECT_NE(result.errors[0].message.find("column order_id (VARCHAR): a list does not fit"),
            std::string::npos)
      << result.errors[0].message;
  EXPECT_NE(result.errors[1].message.find("column status (VARCHAR): a mapping does not fit"),
            std::string::npos)
      << result.errors[1].message;
}

TEST_F(FixtureRunnerTest, NestedObjectsLoadCompareAndCarryFieldRules) {
  const std::string customer = R"(
      - name: customer
        logicalType: object
        properties:
          - name: name
            logicalType: string
          - name: email
            logicalType: string
)";
  Write("contracts/order_events.yaml", R"(apiVersion: v3.1.0
kind: DataContract
id: order-events-v1
version: 1.0.0
status: active
schema:
  - name: order_events
    properties:
      - name: order_id
      - name: event_time
        logicalType: timestamp)" + customer);
  Write("contracts/orders.yaml", R"(apiVersion: v3.1.0
kind: DataContract
id: orders-v1
version: 1.0.0
status: active
schema:
  - name: orders
    properties:
      - name: order_id
        primaryKey: true)" + customer +
                                     R"(            quality:
              - metric: nullValues
                mustBe: 1
)");
  Write("transforms/orders.sql", "SELECT order_id, customer FROM order_events\n");
  Write("tests/nested.yaml", R"(input:
  order_events:
    - {order_id: o-1, customer: {name: Ann, email: null}}
    - {order_id: o-2, customer: {name: Bo, email: bo@example.com}}
expected:
  orders:
    - {order_id: o-2, customer: {name: Bo, email: bo@example.com}}
    - {order_id: o-1, customer: {name: Ann, email: null}}
)");
  CaseResult result = RunCase("nested");
  EXPECT_TRUE(result.Passed()) << Errors(result) << FormatDatasetDiff(result.datasets.at(0));
  ASSERT_EQ(result.checks.size(), 1u);
  EXPECT_EQ(result.checks[0].property, "customer.email");
  EXPECT_EQ(result.checks[0].value, 1.0) << result.checks[0].message;
  EXPECT_EQ(result.checks[0].outcome, CheckOutcome::kPassed);
}

TEST_F(FixtureRunnerTest, ATransformErrorNamesTheTransformFileAndLine) {
  Write("transforms/orders.sql",
        "-- broken on purpose\nSELECT order_id, status, amount\nFROM order_events\n"
        "WHERE colour = 'red';\n");
  CaseResult result = RunCase("new orders become current state");
  EXPECT_FALSE(result.Passed());
  ASSERT_EQ(result.errors.size(), 1u);
  const Diagnostic& error = result.errors[0];
  EXPECT_EQ(error.rule, "transform-sql");
  EXPECT_EQ(error.location.file, (root_ / "transforms/orders.sql").string());
  EXPECT_EQ(error.location.line, 4);
  EXPECT_NE(error.message.find("Binder Error"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("colour"), std::string::npos) << error.message;
  EXPECT_NE(error.hint.find("order_events(order_id, status, amount, quantity, event_time)"),
            std::string::npos)
      << error.hint;
  EXPECT_EQ(result.unchecked_datasets, std::vector<std::string>{"orders"});
  EXPECT_TRUE(result.checks.empty());
}

TEST_F(FixtureRunnerTest, TransformColumnsMustBeTheContracts) {
  Write("transforms/orders.sql", "SELECT order_id, status, 1 AS discount FROM order_events\n");
  CaseResult result = RunCase("new orders become current state");
  ASSERT_EQ(result.errors.size(), 2u) << Errors(result);
  EXPECT_NE(result.errors[0].message.find("has column 'discount'"), std::string::npos);
  EXPECT_NE(result.errors[1].message.find("has no column 'amount'"), std::string::npos);
}

TEST_F(FixtureRunnerTest, UnknownTablesDatasetsAndColumnsNameTheirPlace) {
  Write("tests/unknown.yaml", R"(input:
  order_event:
    - {order_id: o-1}
expected:
  order:
    - {order_id: o-1}
)");
  CaseResult result = RunCase("unknown");
  ASSERT_EQ(result.errors.size(), 2u) << Errors(result);
  EXPECT_EQ(result.errors[0].location.line, 2);
  EXPECT_EQ(result.errors[0].location.column, 3);
  EXPECT_EQ(result.errors[0].message, "unknown input table 'order_event'");
  EXPECT_NE(result.errors[0].hint.find("order_events"), std::string::npos);
  EXPECT_EQ(result.errors[1].location.line, 5);
  EXPECT_EQ(result.errors[1].message, "unknown dataset 'order'");

  Write("tests/unknown.yaml", R"(input:
  order_events:
    - {order_id: o-1, colour: red}
expected:
  orders: []
)");
  result = RunCase("unknown");
  ASSERT_EQ(result.errors.size(), 1u) << Errors(result);
  EXPECT_EQ(result.errors[0].location.line, 3);
  EXPECT_EQ(result.errors[0].location.column, 23);
  EXPECT_NE(result.errors[0].message.find("names column 'colour'"), std::string::npos);
}

TEST_F(FixtureRunnerTest, OrderedCasesCompareRowByRow) {
  Write("tests/ordered.yaml", R"(ordered: true
input:
  order_events:
    - {order_id: o-1, status: created, amount: 1, event_time: "2026-01-01T10:00:00Z"}
    - {order_id: o-2, status: created, amount: 2, event_time: "2026-01-01T11:00:00Z"}
expected:
  orders:
    - {order_id: o-2, status: created, amount: 2}
    - {order_id: o-1, status: created, amount: 1}
)");
  CaseResult result = RunCase("ordered");
  EXPECT_FALSE(result.Passed());
  std::string diff = FormatDatasetDiff(result.datasets.at(0));
  EXPECT_NE(diff.find("the same rows in a different order"), std::string::npos) << diff;
  EXPECT_NE(diff.find("    # | order_id | status  | amount\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("    1 | o-2      | created | 2.00\n"), std::string::npos) << diff;

  // The same case as a multiset passes.
  Write("tests/ordered.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: created, amount: 1, event_time: "2026-01-01T10:00:00Z"}
    - {order_id: o-2, status: created, amount: 2, event_time: "2026-01-01T11:00:00Z"}
expected:
  orders:
    - {order_id: o-2, status: created, amount: 2}
    - {order_id: o-1, status: created, amount: 1}
)");
  EXPECT_TRUE(RunCase("ordered").Passed());
}

TEST_F(FixtureRunnerTest, ExpectedRowsMustGiveEveryColumn) {
  Write("tests/partial.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: created, amount: 1, event_time: "2026-01-01T10:00:00Z"}
expected:
  orders:
    - {order_id: o-1, status: created}
)");
  CaseResult result = RunCase("partial");
  EXPECT_FALSE(result.Passed());
  const DatasetComparison& orders = result.datasets.at(0);
  EXPECT_EQ(orders.missing_columns, std::vector<std::string>{"amount"});
  EXPECT_TRUE(orders.missing_rows.empty()) << "the other columns agree";
  EXPECT_NE(FormatDatasetDiff(orders).find("give no value for column amount"), std::string::npos);
}

TEST_F(FixtureRunnerTest, NullsAndEmptyStringsAreTold) {
  Write("tests/nulls.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: "", amount: null, event_time: "2026-01-01T10:00:00Z"}
expected:
  orders:
    - {order_id: o-1, status: null, amount: null}
)");
  CaseResult result = RunCase("nulls");
  std::string diff = FormatDatasetDiff(result.datasets.at(0));
  EXPECT_NE(diff.find("o-1      | NULL   | NULL\n"), std::string::npos) << diff;
  EXPECT_NE(diff.find("o-1      | ''     | NULL\n"), std::string::npos) << diff;
}

TEST_F(FixtureRunnerTest, ABrokenTestFileIsAFailedCaseNamingThePlace) {
  Write("tests/broken.yaml", "input:\n  order_events: [\n");
  Write("tests/shape.yaml", "input: {}\nexpect:\n  orders: []\n");
  ASSERT_OK_AND_ASSIGN(std::vector<CaseResult> results, Run());
  ASSERT_EQ(results.size(), 4u);
  const CaseResult& broken = results[0];
  EXPECT_EQ(broken.name, "broken");
  EXPECT_FALSE(broken.Passed());
  ASSERT_FALSE(broken.errors.empty());
  EXPECT_EQ(broken.errors[0].location.file, (root_ / "tests/broken.yaml").string());
  const CaseResult& shape = results[2];
  EXPECT_EQ(shape.name, "shape");
  EXPECT_FALSE(shape.Passed());
  EXPECT_NE(Errors(shape).find("unknown key 'expect'"), std::string::npos) << Errors(shape);
  EXPECT_NE(Errors(shape).find("no expected: rows"), std::string::npos) << Errors(shape);
}

TEST_F(FixtureRunnerTest, AnUnknownCaseNameIsNotFound) {
  Result<std::vector<CaseResult>> results = Run("no such case");
  ASSERT_FALSE(results.ok());
  EXPECT_EQ(results.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(results.status().message().find("new orders become current state"), std::string::npos);
  // A case can also be picked by its file name.
  ASSERT_OK_AND_ASSIGN(std::vector<CaseResult> by_file, Run("status_updates"));
  ASSERT_EQ(by_file.size(), 1u);
  EXPECT_EQ(by_file[0].name, "the latest status wins");
}

TEST_F(FixtureRunnerTest, DatasetsWithoutExpectedRowsAreBuiltButNotCompared) {
  Write("tests/checks_only.yaml", R"(input:
  order_events:
    - {order_id: o-1, status: lost, amount: 1, event_time: "2026-01-01T10:00:00Z"}
expected: {}
)");
  CaseResult result = RunCase("checks_only");
  EXPECT_TRUE(result.Passed()) << Errors(result);
  ASSERT_EQ(result.datasets.size(), 1u);
  EXPECT_FALSE(result.datasets[0].compared);
  // The quality rules still run on what was built: 'lost' is not a valid status.
  bool invalid_found = false;
  for (const QualityCheck& check : result.checks) {
    if (check.metric == "invalidValues") {
      invalid_found = true;
      EXPECT_EQ(check.value, 100.0);
      EXPECT_TRUE(check.FailsRun());
    }
  }
  EXPECT_TRUE(invalid_found);
}

}  // namespace
}  // namespace quanta::pipeline
