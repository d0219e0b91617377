#include "engine/keyed_rows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/database.h"
#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::HasSubstr;

class KeyedRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
  }

  // The chunks of `select`'s result; its prepared query is kept in `queries_` meanwhile.
  std::vector<std::unique_ptr<ResultChunk>> Chunks(const std::string& select) {
    auto query = std::move(PreparedQuery::Prepare(*connection_, select)).value();
    auto stream = std::move(query->Execute()).value();
    std::vector<std::unique_ptr<ResultChunk>> chunks;
    while (auto chunk = std::move(stream->Next()).value()) chunks.push_back(std::move(chunk));
    stream.reset();
    queries_.push_back(std::move(query));
    return chunks;
  }

  std::unique_ptr<KeyedRows> Rows(const std::string& select, bool replace) {
    auto query = std::move(PreparedQuery::Prepare(*connection_, select)).value();
    return std::make_unique<KeyedRows>(query->column_names(), query->column_types(), 0, replace);
  }

  // The name column of the row with `key`; "none" when no row has it, "unready" without rows.
  static std::string NameOf(const KeyedRows& rows, const RowKey& key) {
    std::optional<KeyedRows::Found> found = rows.Find(key);
    if (!found) return "unready";
    if (!found->chunk) return "none";
    return std::string(found->chunk->Column(1).Text(found->row));
  }

  std::unique_ptr<Database> database_;
  std::unique_ptr<Connection> connection_;
  std::vector<std::unique_ptr<PreparedQuery>> queries_;
};

// Why `status` refuses, for a refusal (InvalidDocument); else what it is instead.
std::string Refusal(const Status& status) {
  if (status.ok()) return "ok";
  if (status.code() != ErrorCode::kInvalidDocument) return "other: " + status.message();
  return status.message();
}

constexpr char kRows[] = "SELECT i AS id, 'name-' || i AS name FROM range(5000) t(i) ORDER BY i";

TEST_F(KeyedRowsTest, FindsEachRowByItsKeyOnceReady) {
  std::unique_ptr<KeyedRows> rows = Rows(kRows, true);
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{3})), "unready");
  ASSERT_OK(rows->Replace(Chunks(kRows), 7, rows->LockForWrite()));
  EXPECT_TRUE(rows->ready());
  EXPECT_EQ(rows->version(), 7);
  EXPECT_EQ(rows->current_rows(), 5000u);
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{0})), "name-0");
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{4999})), "name-4999");
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{5000})), "none");
  EXPECT_EQ(NameOf(*rows, RowKey(std::string("3"))), "none");  // text for an integer key
  EXPECT_EQ(rows->Find(RowKey(std::int64_t{1}))->version, 7);
  EXPECT_EQ(rows->lookups(), 5u);
  // Three chunks' vectors at least, and the map.
  EXPECT_GT(rows->bytes(), 3u * 2048 * (8 + 16));
  EXPECT_EQ(rows->capacity_rows(), 3u * 2048);
}

TEST_F(KeyedRowsTest, AnUpsertReplacesRowsAndLetsGoOfChunksNoRowOfWhichIsCurrent) {
  std::unique_ptr<KeyedRows> rows = Rows(kRows, true);
  ASSERT_OK(rows->Replace(Chunks(kRows), 1, rows->LockForWrite()));
  // A row found before stays readable while it is held, whatever happens to its key.
  std::optional<KeyedRows::Found> before = rows->Find(RowKey(std::int64_t{10}));
  const std::uint64_t full = rows->bytes();
  // Version 2 replaces the whole first chunk (keys 0..2047) and adds key 9000.
  ASSERT_OK(rows->Apply(Chunks("SELECT i AS id, 'new-' || i AS name FROM range(2048) t(i) "
                               "UNION ALL SELECT 9000, 'new-9000'"),
                        2, rows->LockForWrite()));
  EXPECT_EQ(rows->version(), 2);
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{10})), "new-10");
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{9000})), "new-9000");
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{3000})), "name-3000");
  EXPECT_EQ(rows->current_rows(), 5001u);
  EXPECT_EQ(rows->capacity_rows(), 4u * 2048);  // the first chunk is gone, two came
  EXPECT_LT(rows->bytes(), full + 2 * 2048 * 24);     // one chunk more, not two
  ASSERT_TRUE(before && before->chunk);
  EXPECT_EQ(before->chunk->Column(1).Text(before->row), "name-10");
  // Versions only go forward.
  EXPECT_THAT(Refusal(rows->Apply(Chunks(kRows), 2, rows->LockForWrite())),
              HasSubstr("after version 2"));
}

TEST_F(KeyedRowsTest, AppendRowsRefuseASecondRowWithAKey) {
  std::unique_ptr<KeyedRows> rows = Rows(kRows, false);
  ASSERT_OK(rows->Replace(Chunks(kRows), 1, rows->LockForWrite()));
  EXPECT_THAT(Refusal(rows->Apply(Chunks("SELECT 5::BIGINT AS id, 'again' AS name"), 2,
                                  rows->LockForWrite())),
              HasSubstr("share a key"));
  // Replace leaves the rows as they were when it fails.
  EXPECT_THAT(
      Refusal(rows->Replace(Chunks("SELECT 1::BIGINT AS id, 'a' AS name UNION ALL SELECT 1, 'b'"),
                            3, rows->LockForWrite())),
      HasSubstr("share a key"));
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{4000})), "name-4000");
}

TEST_F(KeyedRowsTest, RefusesChunksOfOtherColumnsAndRowsWithoutAKey) {
  std::unique_ptr<KeyedRows> rows = Rows(kRows, true);
  EXPECT_THAT(
      Refusal(rows->Replace(Chunks("SELECT 'x' AS id, 'y' AS name"), 1, rows->LockForWrite())),
      HasSubstr("not BIGINT"));
  EXPECT_THAT(Refusal(rows->Replace(Chunks("SELECT NULL::BIGINT AS id, 'y' AS name"), 1,
                                    rows->LockForWrite())),
              HasSubstr("no key"));
  EXPECT_FALSE(rows->ready());
}

TEST_F(KeyedRowsTest, TextKeysAndGivingUp) {
  const std::string select = "SELECT 'k' || i AS id, 'name-' || i AS name FROM range(10) t(i)";
  std::unique_ptr<KeyedRows> rows = Rows(select, true);
  ASSERT_OK(rows->Replace(Chunks(select), 1, rows->LockForWrite()));
  EXPECT_EQ(NameOf(*rows, RowKey(std::string("k4"))), "name-4");
  EXPECT_EQ(NameOf(*rows, RowKey(std::int64_t{4})), "none");
  EXPECT_FALSE(rows->given_up());
  rows->GiveUp(rows->LockForWrite());
  EXPECT_TRUE(rows->given_up());
  EXPECT_EQ(NameOf(*rows, RowKey(std::string("k4"))), "unready");
  EXPECT_EQ(rows->bytes(), 0u);
  EXPECT_FALSE(rows->Replace(Chunks(select), 2, rows->LockForWrite()).ok());
}

TEST_F(KeyedRowsTest, KeysAndColumnsItCanHold) {
  ValueType integer{TypeId::kInteger, "INTEGER"};
  ValueType text{TypeId::kVarchar, "VARCHAR"};
  ValueType json{TypeId::kVarchar, "JSON"};
  json.is_json = true;
  ValueType list{TypeId::kList, "INTEGER[]"};
  EXPECT_TRUE(KeyedRows::CanKey(integer));
  EXPECT_TRUE(KeyedRows::CanKey(text));
  EXPECT_FALSE(KeyedRows::CanKey(json));
  EXPECT_FALSE(KeyedRows::CanKey(ValueType{TypeId::kDouble, "DOUBLE"}));
  EXPECT_TRUE(KeyedRows::CanHold({integer, text, json}));
  EXPECT_FALSE(KeyedRows::CanHold({integer, list}));
}

TEST(MemoryBudgetTest, TakesUpToItsLimit) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.TryTake(60));
  EXPECT_FALSE(budget.TryTake(41));
  EXPECT_TRUE(budget.TryTake(40));
  budget.Give(50);
  EXPECT_EQ(budget.taken(), 50u);
}

}  // namespace
}  // namespace quanta::engine
