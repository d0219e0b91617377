#include "query/sqllogictest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "testing/matchers.h"

namespace quanta::query {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;

class SqlLogicTestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-slt-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "sql/sub");
    options_.repository_root = QUANTA_SOURCE_DIR;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path Write(const std::string& name, const std::string& text) {
    std::filesystem::path path = root_ / name;
    std::ofstream(path) << text;
    return path;
  }

  TestFileResult Run(const std::string& text) {
    return RunSqlLogicTestFile(Write("sql/case.test", text), options_);
  }

  std::filesystem::path root_;
  SqlLogicTestOptions options_;
};

TEST_F(SqlLogicTestTest, StatementsAndQueriesPass) {
  TestFileResult result =
      Run("# a comment\n"
          "statement ok\n"
          "CREATE TABLE t(i INTEGER, s VARCHAR, d DOUBLE)\n"
          "\n"
          "statement ok\n"
          "INSERT INTO t VALUES (2, 'b', 0.5), (1, '', NULL), (3, NULL, 1.25)\n"
          "\n"
          "query ITR\n"
          "SELECT * FROM t ORDER BY i\n"
          "----\n"
          "1\t(empty)\tNULL\n"
          "2\tb\t0.5\n"
          "3\tNULL\t1.25\n"
          "\n"
          "query I rowsort\n"
          "SELECT i FROM t\n"
          "----\n"
          "1\n2\n3\n"
          "\n"
          "query IT valuesort\n"
          "SELECT i, s FROM t WHERE i = 2\n"
          "----\n"
          "b\t2\n"
          "\n"
          "# one value per line is accepted too\n"
          "query IT\n"
          "SELECT i, s FROM t WHERE i = 2\n"
          "----\n"
          "2\n"
          "b\n"
          "\n"
          "statement error\n"
          "SELECT * FROM missing\n"
          "----\n"
          "Table with name missing does not exist\n"
          "\n"
          "statement error\n"
          "SELECT 1 +\n"
          "----\n"
          "<REGEX>:Parser Error.*syntax error\n"
          "\n"
          "statement error\n"
          "INSERT INTO t VALUES ('x', 'y', 'z')\n");
  EXPECT_EQ(result.outcome, TestOutcome::kPassed) << result.detail;
  EXPECT_EQ(result.records_run, 9);
}

TEST_F(SqlLogicTestTest, AWrongResultShowsExpectedAndActual) {
  TestFileResult result =
      Run("statement ok\nCREATE TABLE t AS SELECT 1 AS i\n\n"
          "query I\nSELECT i FROM t\n----\n2\n\n"
          "statement ok\nSELECT 'never reached'\n");
  EXPECT_EQ(result.outcome, TestOutcome::kFailed);
  EXPECT_THAT(result.detail, HasSubstr("case.test:4: query result differs"));
  EXPECT_THAT(result.detail, HasSubstr("SELECT i FROM t"));
  EXPECT_THAT(result.detail, HasSubstr("expected (1 rows):\n    2\n"));
  EXPECT_THAT(result.detail, HasSubstr("actual (1 rows):\n    1\n"));
  EXPECT_EQ(result.records_run, 2);  // stops at the first failure
}

TEST_F(SqlLogicTestTest, FailuresOfEveryKind) {
  struct Case {
    const char* text;
    const char* detail;
  };
  const Case cases[] = {
      {"statement ok\nSELECT * FROM missing\n", "case.test:1: statement failed"},
      {"statement error\nSELECT 1\n", "case.test:1: statement succeeded, but an error"},
      {"statement error\nSELECT * FROM missing\n----\nsome other message\n",
       "expected error containing:\n    some other message"},
      {"query II\nSELECT 1\n----\n1\n", "returns 1 columns but `query II` declares 2"},
      {"query I\nSELECT 1\n----\n1\n2\n", "expected (2 rows)"},
      {"query I\nSELECT 1 UNION ALL SELECT 2\n----\n1\n", "actual (2 rows)"},
      {"query I\nSELECT * FROM missing\n----\n1\n", "case.test:1: query failed"},
      {"query I\nSELECT 1\n", "malformed test file: line 1: query without `----`"},
      {"query\nSELECT 1\n", "needs its column types"},
      {"statement perhaps\nSELECT 1\n", "unknown statement kind 'perhaps'"},
      {"frobnicate\n", "line 1: unknown directive 'frobnicate'"},
      {"loop i 0 2\nstatement ok\nSELECT 1\n", "`loop` without `endloop`"},
      {"endloop\n", "`endloop` without `loop`"},
      {"mode debug\n", "unsupported mode 'debug'"},
      {"load-product test/sql/products/absent\n", "load-product"},
      {"load-policies test/sql/absent-policies\n", "load-policies"},
  };
  for (const Case& c : cases) {
    TestFileResult result = Run(c.text);
    EXPECT_EQ(result.outcome, TestOutcome::kFailed) << c.text;
    EXPECT_THAT(result.detail, HasSubstr(c.detail)) << c.text;
  }
}

TEST_F(SqlLogicTestTest, NestedAndUuidValuesPrintAsDuckDbsText) {
  EXPECT_EQ(Run("query TTI\nSELECT [1, 2], UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 3\n----\n"
                "[1, 2]\ta0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\t3\n")
                .outcome,
            TestOutcome::kPassed);
}

TEST_F(SqlLogicTestTest, ApproximateNumbersForRealColumns) {
  EXPECT_EQ(Run("query R\nSELECT 0.1 + 0.2\n----\n0.3\n").outcome, TestOutcome::kPassed);
  EXPECT_EQ(Run("query T\nSELECT (0.1::DOUBLE + 0.2)::VARCHAR\n----\n0.3\n").outcome,
            TestOutcome::kFailed);
}

TEST_F(SqlLogicTestTest, LoopsSkipsAndHalt) {
  TestFileResult result =
      Run("statement ok\nCREATE TABLE t(i INTEGER)\n\n"
          "loop i 0 3\n\n"
          "statement ok\nINSERT INTO t VALUES (${i})\n\n"
          "endloop\n\n"
          "foreach name a b\n\n"
          "statement ok\nINSERT INTO t VALUES (length('${name}') * 10)\n\n"
          "endloop\n\n"
          "query I\nSELECT sum(i) FROM t\n----\n23\n\n"
          "mode skip\n\n"
          "statement ok\nTHIS IS NOT SQL\n\n"
          "mode unskip\n\n"
          "skipif duckdb\nstatement ok\nNOR IS THIS\n\n"
          "onlyif postgresql\nstatement ok\nNOR THIS\n\n"
          "halt\n\n"
          "statement ok\nAFTER HALT NOTHING RUNS\n");
  EXPECT_EQ(result.outcome, TestOutcome::kPassed) << result.detail;
  EXPECT_EQ(result.records_run, 7);
}

TEST_F(SqlLogicTestTest, RequireSkipsForUnknownRequirementsOnly) {
  TestFileResult builtin =
      Run("require json\n\nquery T\nSELECT '{\"a\":1}'::JSON->>'a'\n----\n1\n");
  EXPECT_EQ(builtin.outcome, TestOutcome::kPassed) << builtin.detail;
  TestFileResult unknown = Run("require spatial\n\nstatement ok\nNOT SQL\n");
  EXPECT_EQ(unknown.outcome, TestOutcome::kSkipped);
  EXPECT_THAT(unknown.detail, HasSubstr("'spatial'"));
}

TEST_F(SqlLogicTestTest, LoadProductAndPolicies) {
  TestFileResult result = Run(
      "load-product test/sql/products/undescribed\n\n"
      "query T\nSELECT product_id FROM products\n----\nundescribed\n\n"
      "load-policies default\n\n"
      "query TTTI\nSELECT policy, severity, file, line FROM policy_results ORDER BY line\n----\n"
      "property-described\twarning\ttest/sql/products/undescribed/contracts/events.yaml\t16\n"
      "property-described\twarning\ttest/sql/products/undescribed/contracts/events.yaml\t18\n");
  EXPECT_EQ(result.outcome, TestOutcome::kPassed) << result.detail;
}

TEST_F(SqlLogicTestTest, RunsFoldersAndReportsLikeACompiler) {
  Write("sql/a.test", "query I\nSELECT 1\n----\n1\n");
  Write("sql/sub/b.test", "query I\nSELECT 1\n----\n2\n");
  Write("sql/sub/c.test", "require spatial\n");
  Write("sql/notes.txt", "not a test");
  std::ostringstream out, err;
  int exit_code = RunSqlLogicTests({root_ / "sql"}, options_, out, err);
  EXPECT_EQ(exit_code, 1);
  std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("ok   "));
  EXPECT_THAT(text, HasSubstr("a.test\n"));
  EXPECT_THAT(text, HasSubstr("FAIL "));
  EXPECT_THAT(text, HasSubstr("b.test:1: query result differs"));
  EXPECT_THAT(text, HasSubstr("skip "));
  EXPECT_THAT(text, Not(HasSubstr("notes.txt")));
  EXPECT_THAT(text, EndsWith("\n1 passed, 1 failed\n"));
  EXPECT_TRUE(err.str().empty());
}

TEST_F(SqlLogicTestTest, AllPassingExitsZero) {
  std::filesystem::path file = Write("sql/a.test", "statement ok\nSELECT 1\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunSqlLogicTests({file}, options_, out, err), 0);
  EXPECT_THAT(out.str(), EndsWith("\n1 passed, 0 failed\n"));
}

TEST_F(SqlLogicTestTest, MissingPathExitsTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunSqlLogicTests({root_ / "nowhere"}, options_, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("nowhere: no such file or folder"));
}

TEST_F(SqlLogicTestTest, EachFileHasItsOwnDatabase) {
  Write("sql/a.test", "statement ok\nCREATE TABLE shared(i INTEGER)\n");
  Write("sql/b.test", "statement ok\nCREATE TABLE shared(i INTEGER)\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunSqlLogicTests({root_ / "sql"}, options_, out, err), 0) << out.str();
}

}  // namespace
}  // namespace quanta::query
