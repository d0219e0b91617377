#include "engine/held_rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "engine/database.h"
#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

class HeldRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, Database::Open());
    ASSERT_OK_AND_ASSIGN(loader_, database_->Connect());
    ASSERT_OK_AND_ASSIGN(reader_, database_->Connect());
  }

  // 5000 rows (three chunks) of a text id, a number as text for DECIMAL(12,2), a timestamp
  // as text, an integer and a NULL every seventh row in the text columns.
  std::unique_ptr<RowChunks> Build(int rows = 5000) {
    std::unique_ptr<RowChunks> chunks = RowChunks::Create(
        *loader_, {"id", "amount", "sold_at", "n"},
        {AppendColumn::kText, AppendColumn::kDouble, AppendColumn::kText, AppendColumn::kInt64});
    for (int i = 0; i < rows; ++i) {
      chunks->SetText(0, "row-" + std::to_string(i));
      chunks->SetDouble(1, i / 100.0);
      if (i % 7 == 0) {
        chunks->SetNull(2);
      } else {
        chunks->SetText(2, "2026-01-01 00:00:00+00");
      }
      chunks->SetInt64(3, i);
      chunks->EndRow();
    }
    return chunks;
  }

  std::unique_ptr<Database> database_;
  std::unique_ptr<Connection> loader_, reader_;
};

TEST_F(HeldRowsTest, AnotherConnectionReadsHeldRowsInOrderWithTheCastColumnsTypes) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HeldRows> held,
                       Build()->Finish({"VARCHAR", "DECIMAL(12,2)", "TIMESTAMP", "BIGINT"}));
  EXPECT_EQ(held->row_count(), 5000u);
  ASSERT_OK_AND_ASSIGN(std::vector<Column> columns,
                       reader_->Describe("SELECT * FROM " + held->source()));
  ASSERT_EQ(columns.size(), 4u);
  EXPECT_EQ(columns[1].type, "DECIMAL(12,2)");
  EXPECT_EQ(columns[2].type, "TIMESTAMP");
  ASSERT_OK_AND_ASSIGN(
      QueryResult rows,
      reader_->Query("SELECT count(*), sum(amount), count(sold_at), min(sold_at), "
                     "bool_and(id = 'row-' || n), "
                     "bool_and(n = row_number - 1) FROM (SELECT *, row_number() OVER () AS "
                     "row_number FROM " +
                     held->source() + ")"));
  EXPECT_THAT(
      rows.rows[0],
      ElementsAre(Optional(std::string("5000")), Optional(std::string("124975.00")),
                  Optional(std::string("4285")), Optional(std::string("2026-01-01 00:00:00")),
                  Optional(std::string("true")), Optional(std::string("true"))));
  // An INSERT from the rows takes DuckDB's plain insert, not its ordered batch insert.
  ASSERT_OK(
      reader_->Execute("CREATE TABLE kept (id VARCHAR, amount DECIMAL(12,2), sold_at TIMESTAMP, "
                       "n BIGINT)"));
  ASSERT_OK_AND_ASSIGN(QueryResult plan,
                       reader_->Query("EXPLAIN INSERT INTO kept SELECT * FROM " + held->source()));
  EXPECT_THAT(plan.rows[0][1], Optional(::testing::Not(HasSubstr("BATCH_INSERT"))));
  ASSERT_OK(reader_->Execute("INSERT INTO kept SELECT * FROM " + held->source()));
  ASSERT_OK_AND_ASSIGN(QueryResult kept, reader_->Query("SELECT count(*) FROM kept"));
  EXPECT_THAT(kept.rows[0][0], Optional(std::string("5000")));
}

TEST_F(HeldRowsTest, RowsLetGoAreNoLongerThere) {
  std::string source;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<HeldRows> held, Build(10)->Finish({}));
    source = held->source();
    EXPECT_EQ(loader_->HeldRowSets(), 1u);
    ASSERT_OK_AND_ASSIGN(QueryResult rows, reader_->Query("SELECT count(*) FROM " + source));
    EXPECT_THAT(rows.rows[0][0], Optional(std::string("10")));
  }
  EXPECT_EQ(loader_->HeldRowSets(), 0u);
  Result<QueryResult> gone = reader_->Query("SELECT count(*) FROM " + source);
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.status().message(), HasSubstr("no rows are held under"));
  EXPECT_FALSE(reader_->Query("SELECT * FROM quanta_held_rows(0)").ok());
}

TEST_F(HeldRowsTest, AValueItsCastRefusesFailsTheFinish) {
  std::unique_ptr<RowChunks> chunks =
      RowChunks::Create(*loader_, {"sold_at"}, {AppendColumn::kText});
  chunks->SetText(0, "2026-01-01");
  chunks->EndRow();
  chunks->SetText(0, "not a time");
  chunks->EndRow();
  Result<std::unique_ptr<HeldRows>> held = chunks->Finish({"TIMESTAMP"});
  ASSERT_FALSE(held.ok());
  EXPECT_THAT(held.status().message(), HasSubstr("not a time"));
  EXPECT_EQ(loader_->HeldRowSets(), 0u);
}

TEST_F(HeldRowsTest, NoRowsStillHaveTheCastColumnsTypes) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HeldRows> held,
                       Build(0)->Finish({"VARCHAR", "DECIMAL(12,2)", "TIMESTAMP", "BIGINT"}));
  EXPECT_EQ(held->row_count(), 0u);
  ASSERT_OK_AND_ASSIGN(std::vector<Column> columns,
                       reader_->Describe("SELECT * FROM " + held->source()));
  ASSERT_EQ(columns.size(), 4u);
  EXPECT_EQ(columns[2].type, "TIMESTAMP");
}

TEST_F(HeldRowsTest, HoldKeepsAQueryResult) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HeldRows> held,
                       loader_->Hold("SELECT range AS n, range::VARCHAR AS t FROM range(3000)"));
  EXPECT_EQ(held->row_count(), 3000u);
  ASSERT_OK_AND_ASSIGN(QueryResult rows,
                       reader_->Query("SELECT sum(n), max(t) FROM " + held->source()));
  EXPECT_THAT(rows.rows[0],
              ElementsAre(Optional(std::string("4498500")), Optional(std::string("999"))));
  EXPECT_FALSE(loader_->Hold("SELECT * FROM no_such_table").ok());
}

}  // namespace
}  // namespace quanta::engine
