#include "pipeline/sql_check.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

class SqlCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-sql-check-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "contracts");
    std::filesystem::create_directories(root_ / "transforms");
    Write("product.yaml",
          "apiVersion: v1.0.0\nkind: DataProduct\nid: p\nstatus: draft\n"
          "inputPorts:\n  - {name: events, version: 1.0.0, contractId: in}\n"
          "outputPorts:\n  - {name: totals, version: 1.0.0, contractId: out}\n");
    Write("contracts/in.yaml",
          "apiVersion: v3.1.0\nkind: DataContract\nid: in\nversion: 1.0.0\nstatus: active\n"
          "schema:\n  - name: events\n    properties:\n"
          "      - {name: user_id, logicalType: string}\n"
          "      - {name: amount, logicalType: number, physicalType: 'decimal(10,2)'}\n");
    Write("contracts/out.yaml",
          "apiVersion: v3.1.0\nkind: DataContract\nid: out\nversion: 1.0.0\nstatus: active\n"
          "schema:\n  - name: totals\n    properties:\n"
          "      - {name: user_id, logicalType: string}\n"
          "      - {name: total, logicalType: number, physicalType: 'decimal(38,2)'}\n"
          "    quality:\n"
          "      - {type: sql, query: 'SELECT count(*) FROM totals WHERE total < 0', mustBe: 0}\n");
    Write("pipeline.yaml",
          "apiVersion: quanta/v1\nkind: Pipeline\n"
          "datasets:\n  - {name: totals, outputPort: totals, transform: transforms/totals.sql}\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(root_ / relative) << text;
  }

  std::string Check() {
    std::vector<Diagnostic> diagnostics;
    auto folder = model::LoadProductFolder(root_, &diagnostics);
    EXPECT_TRUE(folder.ok());
    for (const auto& contract : folder->contracts) CheckContractSql(contract, &diagnostics);
    CheckFolderSql(*folder, &diagnostics);
    std::string text;
    for (const Diagnostic& d : diagnostics) text += FormatDiagnostic(d) + "\n";
    return text;
  }

  std::filesystem::path root_;
};

TEST_F(SqlCheckTest, MatchingTransformIsClean) {
  Write("transforms/totals.sql",
        "SELECT user_id, sum(amount) AS total FROM events GROUP BY user_id");
  EXPECT_EQ(Check(), "");
}

TEST_F(SqlCheckTest, UnknownColumnIsReportedInTheTransformFile) {
  Write("transforms/totals.sql", "SELECT user_id,\n  sum(amout) AS total\nFROM events GROUP BY 1");
  std::string text = Check();
  EXPECT_NE(text.find("totals.sql:2:1: error[sql/transform]"), std::string::npos) << text;
  EXPECT_NE(text.find("amout"), std::string::npos) << text;
}

TEST_F(SqlCheckTest, MissingExtraAndMistypedColumns) {
  Write("transforms/totals.sql", "SELECT 1 AS user_id, 'x' AS total, 2 AS extra FROM events");
  std::string text = Check();
  EXPECT_NE(text.find("produces column 'extra', which is not a property"), std::string::npos)
      << text;
  EXPECT_NE(text.find("produces 'total' as VARCHAR, but the contract types it DECIMAL(38,2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("produces 'user_id' as INTEGER, but the contract types it VARCHAR"),
            std::string::npos)
      << text;
}

TEST_F(SqlCheckTest, QualityQueryWithUnknownColumnIsAnError) {
  Write("transforms/totals.sql",
        "SELECT user_id, sum(amount) AS total FROM events GROUP BY user_id");
  Write("contracts/out.yaml",
        "apiVersion: v3.1.0\nkind: DataContract\nid: out\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: totals\n    properties:\n"
        "      - {name: user_id, logicalType: string}\n"
        "      - {name: total, logicalType: number, physicalType: 'decimal(38,2)'}\n"
        "    quality:\n"
        "      - type: sql\n"
        "        query: SELECT count(*) FROM ${object} WHERE nope > 1\n"
        "        mustBe: 0\n");
  std::string text = Check();
  EXPECT_NE(text.find("out.yaml:13:16: error[sql/quality-query]"), std::string::npos) << text;
  EXPECT_NE(text.find("nope"), std::string::npos) << text;
}

TEST(ExpandQualityQueryTest, ReplacesBothPlaceholderSpellings) {
  EXPECT_EQ(ExpandQualityQuery("SELECT count({property}) FROM ${object}", "my t", "c"),
            "SELECT count(\"c\") FROM \"my t\"");
}

}  // namespace
}  // namespace quanta::pipeline
