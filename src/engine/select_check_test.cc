#include "engine/select_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

class NotOneSelectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
  }
  std::optional<std::string> Check(std::string_view sql) { return NotOneSelect(*connection_, sql); }

  std::unique_ptr<Database> database_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(NotOneSelectTest, OneSelectOfAnyShapePasses) {
  EXPECT_EQ(Check("SELECT 1"), std::nullopt);
  EXPECT_EQ(Check("  SELECT a FROM t WHERE b = 'x;y';  \n"), std::nullopt);
  EXPECT_EQ(Check("WITH x AS (SELECT 1 AS a) SELECT a FROM x UNION ALL SELECT 2"), std::nullopt);
  EXPECT_EQ(Check("-- a comment first\nSELECT 1 -- and after"), std::nullopt);
}

TEST_F(NotOneSelectTest, SaysWhatElseTheTextHolds) {
  EXPECT_THAT(Check("SELECT 1; SELECT 2"), Optional(HasSubstr("holds 2 statements")));
  EXPECT_THAT(Check(""), Optional(HasSubstr("holds no statement")));
  EXPECT_THAT(Check("-- only a comment"), Optional(HasSubstr("holds no statement")));
  EXPECT_THAT(Check("SELECT FROM WHERE"), Optional(HasSubstr("does not parse")));
  for (const char* other : {"CREATE TABLE t (a INT)", "INSERT INTO t VALUES (1)", "ATTACH 'x.db'",
                            "COPY (SELECT 1) TO 'x.csv'", "SET threads = 1", "PRAGMA version"}) {
    EXPECT_THAT(Check(other), Optional(HasSubstr("other than SELECT"))) << other;
  }
  // Text meant to close the subquery that embeds it and start a statement of its own.
  EXPECT_NE(Check("SELECT 1) AS q; DROP TABLE t; SELECT * FROM (SELECT 1"), std::nullopt);
}

TEST_F(NotOneSelectTest, NothingOfTheTextRuns) {
  ASSERT_OK(connection_->Execute("CREATE TABLE kept (a INT)"));
  EXPECT_NE(Check("SELECT 1; DROP TABLE kept"), std::nullopt);
  ASSERT_OK_AND_ASSIGN(QueryResult rows, connection_->Query("SELECT count(*) FROM kept"));
  EXPECT_EQ(rows.rows[0][0], "0");
}

}  // namespace
}  // namespace quanta::engine
