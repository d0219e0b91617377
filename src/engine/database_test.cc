#include "engine/database.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

TEST(ConnectionTest, QueryReadsEveryTypeAsDuckDbsTextOfIt) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  ASSERT_OK(connection->Execute("SET TimeZone = 'UTC'"));
  // A UUID before other columns, and types whose values the plain accessors cannot give.
  ASSERT_OK_AND_ASSIGN(
      QueryResult result,
      connection->Query("SELECT UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS id, 7 AS n, "
                        "TIMESTAMPTZ '2026-01-31 12:00:00+02' AS at, [1, 2] AS list, "
                        "{'a': 'x'} AS object, CAST(NULL AS UUID) AS nothing, 'ok' AS text;"));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_THAT(
      result.rows[0],
      ElementsAre(Optional(std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")),
                  Optional(std::string("7")), Optional(std::string("2026-01-31 10:00:00+00")),
                  Optional(std::string("[1, 2]")), Optional(std::string("{'a': x}")), std::nullopt,
                  Optional(std::string("ok"))));
  // The columns keep their own names and types.
  ASSERT_EQ(result.columns.size(), 7u);
  EXPECT_EQ(result.columns[0].name, "id");
  EXPECT_EQ(result.columns[0].type, "UUID");
  EXPECT_EQ(result.columns[2].type, "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(result.columns[6].name, "text");
}

TEST(QuoteLiteralTest, QuotesTextSoDuckDbReadsItBackTheSame) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral(std::string_view("c\0x", 3)), "('c' || chr(0) || 'x')");
  // Each text, and the same value written another way.
  for (auto [text, same] : std::vector<std::pair<std::string, std::string>>{
           {"it's", "'it' || chr(39) || 's'"},
           {"", "''"},
           {std::string("c\0x", 3), "'c' || chr(0) || 'x'"},
           {std::string("\0", 1), "chr(0)"},
           {std::string("'\0'\0", 4), "chr(39) || chr(0) || chr(39) || chr(0)"}}) {
    ASSERT_OK_AND_ASSIGN(QueryResult result,
                         connection->Query(fmt::format("SELECT strlen({0}), {0} = ({1})",
                                                       QuoteLiteral(text), same)));
    EXPECT_THAT(result.rows[0],
                ElementsAre(Optional(std::to_string(text.size())), Optional(std::string("true"))))
        << QuoteLiteral(text);
  }
}

// Statements run one after the other as duckdb_query runs them, each waiting for DuckDB's own
// threads without spinning (ExecutePending).
TEST(ConnectionTest, RunsStatementsInOrderAndStopsAtTheFirstThatFails) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  ASSERT_OK(connection->Execute("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2);"));
  ASSERT_OK_AND_ASSIGN(QueryResult last,
                       connection->Query("INSERT INTO t VALUES (3); SELECT sum(n) AS s FROM t"));
  EXPECT_THAT(last.rows, ElementsAre(ElementsAre(Optional(std::string("6")))));
  // Blanks and comments alone are no error, as with duckdb_query.
  ASSERT_OK(connection->Execute(" -- nothing\n;"));
  ASSERT_OK_AND_ASSIGN(QueryResult empty, connection->Query(""));
  EXPECT_TRUE(empty.columns.empty());
  // The failing statement's own message and class, and nothing after it runs.
  Status failed = connection->Execute(
      "INSERT INTO t VALUES (4); SELECT CAST('x' AS INTEGER); "
      "INSERT INTO t VALUES (5)");
  EXPECT_EQ(failed.code(), ErrorCode::kQueryFailed);
  EXPECT_THAT(failed.message(), ::testing::StartsWith("Conversion Error"));
  EXPECT_EQ(connection->Execute("SELEC 1").code(), ErrorCode::kQueryFailed);
  ASSERT_OK_AND_ASSIGN(QueryResult rows, connection->Query("SELECT count(*) FROM t"));
  EXPECT_THAT(rows.rows, ElementsAre(ElementsAre(Optional(std::string("4")))));
  // A statement that DuckDB splits into tasks for its worker threads gives the whole answer.
  ASSERT_OK_AND_ASSIGN(
      QueryResult big,
      connection->Query("SELECT count(*) FROM range(20000000) WHERE range % 7 = 0"));
  EXPECT_THAT(big.rows, ElementsAre(ElementsAre(Optional(std::string("2857143")))));
}

TEST(ConnectionTest, AStatementReturningUnreadableColumnsFailsClearly) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  ASSERT_OK(connection->Execute("CREATE TABLE t (id UUID)"));
  Result<QueryResult> inserted = connection->Query(
      "INSERT INTO t VALUES (UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') "
      "RETURNING id");
  ASSERT_FALSE(inserted.ok());
  EXPECT_THAT(inserted.status().message(),
              ::testing::HasSubstr("can be read only from a query (id): cast them to VARCHAR"));
  ASSERT_OK_AND_ASSIGN(QueryResult count, connection->Query("SELECT count(*) FROM t"));
  EXPECT_THAT(count.rows[0][0], Optional(std::string("1")));  // it ran, once
}

}  // namespace
}  // namespace quanta::engine
