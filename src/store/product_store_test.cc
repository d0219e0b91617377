#include "store/product_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <limits>
#include <thread>

#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::store {
namespace {

using std::chrono::days;
using std::chrono::hours;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::OrdersLayout;
using testing::TemporaryFolder;

// Every row as "a|b|c", NULL written as NULL.
std::vector<std::string> Rows(const engine::QueryResult& result) {
  std::vector<std::string> rows;
  for (const auto& row : result.rows) {
    std::string text;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) text += "|";
      text += row[i].value_or("NULL");
    }
    rows.push_back(text);
  }
  return rows;
}

Timestamp Day(int day) { return *ParseTimestamp("2026-01-01T00:00:00Z") + days(day); }

std::string OrdersValues(std::string_view values) {
  return fmt::format("SELECT * FROM (VALUES {}) AS v(order_id, status, amount)", values);
}

std::string EventsValues(std::string_view values) {
  return fmt::format("SELECT * FROM (VALUES {}) AS v(event_id, order_id, step)", values);
}

class ProductStoreTest : public ::testing::Test {
 protected:
  ProductStoreTest() : clock_(std::make_shared<ManualClock>(Day(0))) {}

  std::filesystem::path StorePath() const { return folder_.path() / "orders.duckdb"; }

  StoreOptions Options() {
    StoreOptions options;
    options.clock = clock_;
    options.open_check = OpenCheck::kFull;
    options.settings = {{"threads", "1"}};
    return options;
  }

  Result<std::unique_ptr<ProductStore>> OpenStore(const StoreLayout& layout = OrdersLayout()) {
    return ProductStore::Open(StorePath(), layout, Options());
  }

  // Commits one batch of orders (upsert) and events (append); empty strings stage nothing.
  Result<CommitInfo> CommitBatch(ProductStore& store, std::string_view orders,
                                 std::string_view events = "",
                                 std::optional<std::int64_t> offset = std::nullopt,
                                 std::optional<std::string> key = std::nullopt) {
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<BatchWriter> writer, store.BeginBatch());
    if (!orders.empty()) {
      QUANTA_ASSIGN_OR_RETURN(std::int64_t staged,
                              writer->StageRows("orders", OrdersValues(orders)));
      (void)staged;
    }
    if (!events.empty()) {
      QUANTA_ASSIGN_OR_RETURN(std::int64_t staged,
                              writer->StageRows("events", EventsValues(events)));
      (void)staged;
    }
    if (offset) {
      QUANTA_RETURN_IF_ERROR(writer->AddReceived("order_events", 1));
      QUANTA_RETURN_IF_ERROR(writer->SetOffset("order_events", *offset));
    }
    if (key) writer->SetIdempotencyKey(*key);
    return writer->Commit();
  }

  std::vector<std::string> Orders(ProductStore& store, const AsOf& as_of = AsOf::Current()) {
    Result<engine::QueryResult> result = store.ReadDataset("orders", as_of, "order_id");
    EXPECT_OK(result);
    return result.ok() ? Rows(*result) : std::vector<std::string>{"error"};
  }

  TemporaryFolder folder_;
  std::shared_ptr<ManualClock> clock_;
};

TEST(CheckpointLogBytesTest, ASixteenthOfTheMemoryBetween16And64MiB) {
  constexpr std::uint64_t kMiB = 1024 * 1024;
  EXPECT_EQ(CheckpointLogBytesFor(0), 16 * kMiB);  // a limit not known: DuckDB's own threshold
  EXPECT_EQ(CheckpointLogBytesFor(128 * kMiB), 16 * kMiB);
  EXPECT_EQ(CheckpointLogBytesFor(512 * kMiB), 32 * kMiB);
  EXPECT_EQ(CheckpointLogBytesFor(1024 * kMiB), 64 * kMiB);
  EXPECT_EQ(CheckpointLogBytesFor(64 * 1024 * kMiB), 64 * kMiB);
}

TEST_F(ProductStoreTest, UpsertKeepsTheLastRowPerKeyAndEveryEarlierVersion) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(CommitInfo first,
                       CommitBatch(*store, "('o-1', 'created', 10.5), ('o-2', 'created', 20)"));
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.committed_at, Day(0));
  ASSERT_NE(first.FindDataset("orders"), nullptr);
  EXPECT_EQ(first.FindDataset("orders")->rows_inserted, 2);
  EXPECT_EQ(first.FindDataset("orders")->rows_closed, 0);
  EXPECT_EQ(first.FindDataset("events"), nullptr);

  clock_->Advance(hours(1));
  // Within one batch the last row of a key wins.
  ASSERT_OK_AND_ASSIGN(
      CommitInfo second,
      CommitBatch(*store,
                  "('o-1', 'paid', 10.5), ('o-3', 'created', 5), ('o-1', 'shipped', 10.5)"));
  EXPECT_EQ(second.version, 2);
  EXPECT_EQ(second.FindDataset("orders")->rows_inserted, 2);
  EXPECT_EQ(second.FindDataset("orders")->rows_closed, 1);

  EXPECT_THAT(Orders(*store),
              ElementsAre("o-1|shipped|10.50", "o-2|created|20.00", "o-3|created|5.00"));
  EXPECT_THAT(Orders(*store, AsOf::Version(1)),
              ElementsAre("o-1|created|10.50", "o-2|created|20.00"));
  EXPECT_THAT(Orders(*store, AsOf::Version(0)), IsEmpty());
  EXPECT_EQ(store->Head().version, 2);
}

TEST_F(ProductStoreTest, ABatchTheDiskCannotHoldTwiceOverIsRefusedBeforeItBegins) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  std::filesystem::space_info space = std::filesystem::space(folder_.path());
  EXPECT_OK(store->CheckRoomFor(1000));
  // Half the free space needs it all for the log and again for the checkpoint, and a margin.
  Status refused = store->CheckRoomFor(space.available / 2);
  EXPECT_EQ(refused.code(), ErrorCode::kIoError) << refused.ToString();
  EXPECT_THAT(refused.message(),
              AllOf(HasSubstr(folder_.path().string()), HasSubstr("the disk is full"),
                    HasSubstr("bytes are free"), HasSubstr("send it again")));
  EXPECT_EQ(store->CheckRoomFor(std::numeric_limits<std::uintmax_t>::max()).code(),
            ErrorCode::kIoError);
}

TEST_F(ProductStoreTest, AppendKeepsEveryRowInArrivalOrder) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "", "('e-2', 'o-1', 2), ('e-1', 'o-1', 1), ('e-2', 'o-1', 2)"));
  ASSERT_OK(CommitBatch(*store, "", "('e-3', 'o-1', 3)"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       store->Query("SELECT event_id, _quanta_from_version FROM history.events "
                                    "ORDER BY rowid"));
  EXPECT_THAT(Rows(rows), ElementsAre("e-2|1", "e-1|1", "e-2|1", "e-3|2"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult at_one, store->ReadDataset("events", AsOf::Version(1)));
  EXPECT_EQ(at_one.rows.size(), 3u);
}

TEST_F(ProductStoreTest, AppendedRowsJoinTheBatchVersionAndGoWithItsFate) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "", "('e-1', 'o-1', 1)"));
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    // A transform reading its own previous state sees it as it was before the statement.
    ASSERT_OK_AND_ASSIGN(std::int64_t appended,
                         writer->AppendRows("events",
                                            "SELECT 'e-' || (n + 2) AS event_id, 'o-1' AS order_id,"
                                            " n + 2 AS step FROM (SELECT count(*) AS n FROM "
                                            "previous.events), range(2)"));
    EXPECT_EQ(appended, 2);
    ASSERT_OK(writer->StageRows("events", EventsValues("('e-9', 'o-1', 9)")));
    ASSERT_OK_AND_ASSIGN(CommitInfo info, writer->Commit());
    EXPECT_EQ(info.version, 2);
    ASSERT_NE(info.FindDataset("events"), nullptr);
    EXPECT_EQ(info.FindDataset("events")->rows_inserted, 3);
  }
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       store->Query("SELECT event_id, step, _quanta_from_version, "
                                    "_quanta_to_version IS NULL FROM history.events ORDER BY ALL"));
  EXPECT_THAT(Rows(rows),
              ElementsAre("e-1|1|1|true", "e-3|3|2|true", "e-3|3|2|true", "e-9|9|2|true"));
  {
    // An aborted batch, and a replayed one, keep none of their appended rows.
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->AppendRows("events", EventsValues("('e-10', 'o-1', 10)")));
    writer->Abort();
  }
  ASSERT_OK(CommitBatch(*store, "", "('e-11', 'o-1', 11)", std::nullopt, "key-1"));
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->AppendRows("events", EventsValues("('e-12', 'o-1', 12)")));
    writer->SetIdempotencyKey("key-1");
    ASSERT_OK_AND_ASSIGN(CommitInfo replayed, writer->Commit());
    EXPECT_TRUE(replayed.replayed);
  }
  ASSERT_OK_AND_ASSIGN(engine::QueryResult events, store->ReadDataset("events", AsOf::Current()));
  EXPECT_EQ(events.rows.size(), 5u);
  EXPECT_EQ(store->Head().version, 3);
}

TEST_F(ProductStoreTest, AppendRowsRefusesAnUpsertDatasetAndRowsThatDoNotFit) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  Result<std::int64_t> upsert = writer->AppendRows("orders", OrdersValues("('o-1', 'a', 1)"));
  EXPECT_EQ(upsert.status().code(), ErrorCode::kUsage);
  Result<std::int64_t> unknown = writer->AppendRows("events", "SELECT 1 AS nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("dataset events: the rows to append"));
}

TEST_F(ProductStoreTest, ReopeningFindsEverythingAsItWas) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1)", "('e-1', 'o-1', 1)", 7));
    clock_->Advance(hours(1));
    ASSERT_OK(CommitBatch(*store, "('o-1', 'paid', 1)", "", 9, "request-2"));
  }
  clock_->Advance(hours(1));
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  EXPECT_EQ(store->Head().version, 2);
  EXPECT_EQ(store->Head().committed_at, Day(0) + hours(1));
  EXPECT_THAT(Orders(*store), ElementsAre("o-1|paid|1.00"));
  EXPECT_THAT(Orders(*store, AsOf::Version(1)), ElementsAre("o-1|created|1.00"));
  ASSERT_OK_AND_ASSIGN(std::optional<std::int64_t> offset, store->Offset("order_events"));
  EXPECT_EQ(offset, 9);
  ASSERT_OK_AND_ASSIGN(std::optional<CommitInfo> earlier, store->FindCommit("request-2"));
  ASSERT_TRUE(earlier.has_value());
  EXPECT_EQ(earlier->version, 2);

  ASSERT_OK_AND_ASSIGN(CommitInfo third, CommitBatch(*store, "('o-2', 'created', 3)", "", 10));
  EXPECT_EQ(third.version, 3);
  EXPECT_EQ(third.committed_at, Day(0) + hours(2));
}

// The plan of a lookup `where` in the current rows of `dataset`, as EXPLAIN ANALYZE shows it.
std::string LookupPlan(ProductStore& store, std::string_view dataset, std::string_view where) {
  Result<std::string> current = store.CurrentQualifiedSql(dataset);
  EXPECT_OK(current);
  if (!current.ok()) return "";
  Result<engine::QueryResult> plan =
      store.Query(fmt::format("EXPLAIN ANALYZE SELECT * FROM ({}) WHERE {}", *current, where));
  EXPECT_OK(plan);
  std::string text;
  if (!plan.ok()) return text;
  for (const auto& row : plan->rows) {
    for (const auto& cell : row) text += cell.value_or("") + "\n";
  }
  return text;
}

// The lookup index of each history table, with the column its comment names.
std::vector<std::string> LookupIndexes(ProductStore& store) {
  Result<engine::QueryResult> indexes = store.Query(
      "SELECT table_name || ':' || index_name || ':' || comment FROM duckdb_indexes() "
      "WHERE schema_name = 'history' ORDER BY 1");
  EXPECT_OK(indexes);
  return indexes.ok() ? Rows(*indexes) : std::vector<std::string>{"error"};
}

TEST_F(ProductStoreTest, ALookupByKeyReadsThroughTheIndexThatFollowsTheLayout) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
    ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1), ('o-2', 'created', 2)"));
    ASSERT_OK(CommitBatch(*store, "('o-1', 'paid', 1)"));
    EXPECT_THAT(LookupIndexes(*store), ElementsAre("orders:orders_lookup:order_id"));
    // Only the current version of o-1, found through the index despite the closed one.
    EXPECT_THAT(LookupPlan(*store, "orders", "order_id = 'o-1'"), HasSubstr("Index Scan"));
    ASSERT_OK_AND_ASSIGN(std::string current, store->CurrentQualifiedSql("orders"));
    ASSERT_OK_AND_ASSIGN(
        engine::QueryResult found,
        store->Query(fmt::format("SELECT status FROM ({}) WHERE order_id = 'o-1'", current)));
    EXPECT_THAT(Rows(found), ElementsAre("paid"));
    EXPECT_THAT(Orders(*store), ElementsAre("o-1|paid|1.00", "o-2|created|2.00"));
    EXPECT_THAT(Orders(*store, AsOf::Version(1)),
                ElementsAre("o-1|created|1.00", "o-2|created|2.00"));
  }
  // A store kept without the index (as written before there were any) gets it back on open,
  // and an append dataset gets one when its primary key becomes one column.
  StoreLayout without = OrdersLayout();
  without.datasets[0].lookup_column.clear();
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore(without));
    EXPECT_THAT(LookupIndexes(*store), ElementsAre());
  }
  StoreLayout keyed = OrdersLayout();
  keyed.datasets[1].lookup_column = "event_id";
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenStore(keyed));
    EXPECT_THAT(LookupIndexes(*store),
                ElementsAre("events:events_lookup:event_id", "orders:orders_lookup:order_id"));
    ASSERT_OK(CommitBatch(*store, "", "('e-1', 'o-1', 1), ('e-2', 'o-1', 2)"));
    EXPECT_THAT(LookupPlan(*store, "events", "event_id = 'e-2'"), HasSubstr("Index Scan"));
  }
  // Its primary key moved to another column: the index moves with it.
  keyed.datasets[1].lookup_column = "order_id";
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(keyed));
  EXPECT_THAT(LookupIndexes(*store),
              ElementsAre("events:events_lookup:order_id", "orders:orders_lookup:order_id"));
  EXPECT_THAT(LookupPlan(*store, "orders", "order_id = 'o-1'"), HasSubstr("Index Scan"));
  ASSERT_OK(CommitBatch(*store, "", "('e-3', 'o-2', 1)"));
  EXPECT_THAT(LookupPlan(*store, "events", "order_id = 'o-1'"), HasSubstr("Index Scan"));
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, OpenStore(keyed));
  EXPECT_THAT(LookupPlan(*store, "events", "order_id = 'o-1'"), HasSubstr("Index Scan"));
}

TEST_F(ProductStoreTest, ReopeningWithAChangedDatasetIsRefusedAndNamesTheChange) {
  { ASSERT_OK(OpenStore()); }
  StoreLayout retyped = OrdersLayout();
  retyped.datasets[0].columns[2].type = "DOUBLE";
  Result<std::unique_ptr<ProductStore>> refused = OpenStore(retyped);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(refused.status().message(), HasSubstr(StorePath().string()));
  EXPECT_THAT(refused.status().message(),
              HasSubstr("dataset orders: column amount was DECIMAL(10,2) and is now DOUBLE"));

  StoreLayout remoded = OrdersLayout();
  remoded.datasets[0].mode = WriteMode::kAppend;
  remoded.datasets[0].key.clear();
  refused = OpenStore(remoded);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("mode was upsert and is now append"));

  StoreLayout widened = OrdersLayout();
  widened.datasets[1].columns.push_back({"note", "VARCHAR"});
  widened.datasets[1].columns.erase(widened.datasets[1].columns.begin() + 2);
  refused = OpenStore(widened);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("column note VARCHAR is new"));
  EXPECT_THAT(refused.status().message(), HasSubstr("column step INTEGER was removed"));

  // New datasets and ports, another retention, and type spellings DuckDB reads the same way
  // are not changes to stored data.
  StoreLayout grown = OrdersLayout();
  grown.datasets[0].retention = std::chrono::seconds(86400);
  grown.datasets[0].columns[1].type = "TEXT";
  grown.datasets.push_back(
      {"totals", {{"day", "DATE"}, {"n", "BIGINT"}}, WriteMode::kAppend, {}, std::nullopt, ""});
  grown.input_ports.push_back({"refunds", std::nullopt});
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(grown));
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("totals", "SELECT DATE '2026-01-01' AS day, 3 AS n"));
  ASSERT_OK(writer->AddReceived("refunds", 1));
  ASSERT_OK(writer->Commit());
}

TEST_F(ProductStoreTest, AnIdempotencyKeyAppliesABatchOnce) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(CommitInfo first,
                       CommitBatch(*store, "('o-1', 'created', 1)", "", 1, "request-1"));
  EXPECT_FALSE(first.replayed);
  clock_->Advance(hours(1));
  // The retry carries other rows (a transform that is not deterministic) and the next offset:
  // none of it may be applied.
  ASSERT_OK_AND_ASSIGN(CommitInfo retried,
                       CommitBatch(*store, "('o-1', 'paid', 1)", "", 2, "request-1"));
  EXPECT_TRUE(retried.replayed);
  EXPECT_EQ(retried.version, 1);
  EXPECT_EQ(retried.committed_at, first.committed_at);
  ASSERT_NE(retried.FindPort("order_events"), nullptr);
  EXPECT_EQ(retried.FindPort("order_events")->received, 1);
  EXPECT_EQ(store->Head().version, 1);
  EXPECT_THAT(Orders(*store), ElementsAre("o-1|created|1.00"));
  ASSERT_OK_AND_ASSIGN(std::optional<std::int64_t> offset, store->Offset("order_events"));
  EXPECT_EQ(offset, 1);
  ASSERT_OK_AND_ASSIGN(StoreStatus status, store->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 1);

  ASSERT_OK_AND_ASSIGN(std::optional<CommitInfo> found, store->FindCommit("request-1"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->version, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<CommitInfo> absent, store->FindCommit("request-2"));
  EXPECT_FALSE(absent.has_value());

  // After a replay the writer is free and versions go on without a gap.
  ASSERT_OK_AND_ASSIGN(CommitInfo next,
                       CommitBatch(*store, "('o-1', 'paid', 1)", "", 2, "request-2"));
  EXPECT_EQ(next.version, 2);
}

TEST_F(ProductStoreTest, RequestKeysOfOneCommitEachAnswerTheirOwnRequest) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1)", "", 0, "alone").status());
  {
    // Two requests in one batch: offsets 1..3 and 4..5.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchWriter> writer, store->BeginBatch());
    ASSERT_OK_AND_ASSIGN(auto found, writer->FindCommits({"alone", "first", "second"}));
    ASSERT_EQ(found.size(), 1u);  // only "alone" was committed
    EXPECT_EQ(found.at("alone").version, 1);
    ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-2', 'created', 2)")).status());
    ASSERT_OK(writer->AddReceived("order_events", 5));
    ASSERT_OK(writer->SetOffsetRange("order_events", 1, 5));
    ASSERT_OK(writer->AddRequestKey("first", PortCommit{"order_events", 3, 3, 0, {{0, 1, 3}}}));
    ASSERT_OK(writer->AddRequestKey("second", PortCommit{"order_events", 2, 2, 0, {{0, 4, 5}}}));
    Status twice = writer->AddRequestKey("second", PortCommit{"order_events", 1, 1, 0, {}});
    EXPECT_FALSE(twice.ok());
    Status uneven = writer->AddRequestKey("third", PortCommit{"order_events", 2, 1, 0, {}});
    EXPECT_FALSE(uneven.ok());
    ASSERT_OK_AND_ASSIGN(CommitInfo info, writer->Commit());
    EXPECT_EQ(info.version, 2);
    EXPECT_FALSE(info.idempotency_key.has_value());
    EXPECT_EQ(info.FindPort("order_events")->received, 5);
  }
  ASSERT_OK_AND_ASSIGN(std::optional<CommitInfo> second, store->FindCommit("second"));
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->replayed);
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(second->idempotency_key, "second");
  ASSERT_NE(second->FindPort("order_events"), nullptr);
  EXPECT_EQ(second->FindPort("order_events")->received, 2);
  EXPECT_EQ(second->FindPort("order_events")->offsets[0].first, 4);

  // A whole batch with a key a request took replays that request.
  ASSERT_OK_AND_ASSIGN(CommitInfo retried,
                       CommitBatch(*store, "('o-3', 'created', 1)", "", 6, "first"));
  EXPECT_TRUE(retried.replayed);
  EXPECT_EQ(retried.FindPort("order_events")->received, 3);
  // A request key that was committed before fails the batch, which keeps nothing.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BatchWriter> writer, store->BeginBatch());
    ASSERT_OK(writer->AddReceived("order_events", 1));
    ASSERT_OK(writer->SetOffset("order_events", 6));
    ASSERT_OK(writer->AddRequestKey("alone", PortCommit{"order_events", 1, 1, 0, {{0, 6, 6}}}));
    Result<CommitInfo> refused = writer->Commit();
    ASSERT_FALSE(refused.ok());
    EXPECT_THAT(refused.status().message(), HasSubstr("committed before"));
  }
  EXPECT_EQ(store->Head().version, 2);

  // The keys are still there after the store is opened again.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  ASSERT_OK_AND_ASSIGN(std::optional<CommitInfo> first, store->FindCommit("first"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->FindPort("order_events")->received, 3);
  ASSERT_OK_AND_ASSIGN(StoreStatus status, store->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 6);
}

TEST_F(ProductStoreTest, OffsetsTellARestartedIngesterWhereToResume) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(std::optional<std::int64_t> none, store->Offset("order_events"));
  EXPECT_FALSE(none.has_value());
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->AddReceived("order_events", 30));
    ASSERT_OK(writer->SetOffsetRange("order_events", 0, 9, 0));
    ASSERT_OK(writer->SetOffsetRange("order_events", 100, 119, 1));
    ASSERT_OK_AND_ASSIGN(CommitInfo info, writer->Commit());
    ASSERT_EQ(info.ports.size(), 1u);
    EXPECT_EQ(info.ports[0].offsets.size(), 2u);
  }
  ASSERT_OK_AND_ASSIGN(std::vector<CommittedOffset> offsets, store->Offsets());
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0].partition, 0);
  EXPECT_EQ(offsets[0].offset, 9);
  EXPECT_EQ(offsets[1].partition, 1);
  EXPECT_EQ(offsets[1].offset, 119);
  EXPECT_EQ(offsets[1].version, 1);

  // Offsets that were committed already would apply records twice: the whole batch is refused.
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-9', 'created', 1)")));
  ASSERT_OK(writer->AddReceived("order_events", 5));
  ASSERT_OK(writer->SetOffsetRange("order_events", 5, 12, 0));
  Result<CommitInfo> refused = writer->Commit();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("resume at offset 10"));
  EXPECT_EQ(store->Head().version, 1);
  EXPECT_THAT(Orders(*store), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::optional<std::int64_t> unchanged, store->Offset("order_events"));
  EXPECT_EQ(unchanged, 9);
}

TEST_F(ProductStoreTest, DeadLettersAreKeptAndCountsReconcile) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'created', 1), ('o-2', 'paid', 2)")));
  ASSERT_OK(writer->AddReceived("order_events", 4));
  ASSERT_OK(writer->SetOffsetRange("order_events", 1, 4));
  std::string binary("\x00\xff{\"order_id\": 1}", 17);
  ASSERT_OK(writer->AddDeadLetter(
      {"order_events", 2, "amount: 'ten' is not a number", "{\"amount\": \"ten\"}", Day(0)}));
  ASSERT_OK(writer->AddDeadLetter(
      {"order_events", 3, std::string("not UTF-8: \xc3\x28 and a NUL \0", 25), binary, Day(0)}));
  EXPECT_EQ(writer->AddDeadLetter({"nope", 1, "x", "y", Day(0)}).code(), ErrorCode::kNotFound);
  ASSERT_OK_AND_ASSIGN(CommitInfo info, writer->Commit());
  ASSERT_NE(info.FindPort("order_events"), nullptr);
  EXPECT_EQ(info.FindPort("order_events")->received, 4);
  EXPECT_EQ(info.FindPort("order_events")->committed, 2);
  EXPECT_EQ(info.FindPort("order_events")->rejected, 2);

  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult dead,
      store->Query(
          "SELECT version, port, \"offset\", reason, payload, octet_length(payload_bytes), "
          "received_at::VARCHAR FROM (" +
          ProductStore::DeadLettersSql() + ") ORDER BY \"offset\""));
  EXPECT_THAT(Rows(dead),
              ElementsAre("1|order_events|2|amount: 'ten' is not a number|{\"amount\": "
                          "\"ten\"}|17|2026-01-01 00:00:00+00",
                          "1|order_events|3|not UTF-8: \xEF\xBF\xBD( and a NUL \xEF\xBF\xBD|NULL|"
                          "17|2026-01-01 00:00:00+00"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult bytes,
                       store->Query("SELECT hex(payload) FROM quanta.dead_letters WHERE "
                                    "\"offset\" = 3"));
  EXPECT_EQ(bytes.rows[0][0], "00FF7B226F726465725F6964223A20317D");

  ASSERT_OK_AND_ASSIGN(StoreStatus status, store->ReadStatus());
  ASSERT_EQ(status.ports.size(), 1u);
  EXPECT_EQ(status.ports[0].received, 4);
  EXPECT_EQ(status.ports[0].committed, 2);
  EXPECT_EQ(status.ports[0].rejected, 2);
  EXPECT_EQ(status.ports[0].dead_letters, 2);
  EXPECT_EQ(status.ports[0].received, status.ports[0].committed + status.ports[0].rejected);
}

// Commits a batch whose records, at offsets `rejected` from `first_offset` on, were all rejected.
Status CommitDeadLetters(ProductStore& store, std::int64_t first_offset,
                         const std::vector<std::int64_t>& rejected, Timestamp received_at) {
  QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<BatchWriter> writer, store.BeginBatch());
  QUANTA_RETURN_IF_ERROR(
      writer->AddReceived("order_events", static_cast<std::int64_t>(rejected.size())));
  for (std::int64_t offset : rejected) {
    QUANTA_RETURN_IF_ERROR(writer->AddDeadLetter(
        {"order_events", offset, fmt::format("record {} is bad", offset), "{}", received_at}));
  }
  QUANTA_RETURN_IF_ERROR(
      writer->SetOffsetRange("order_events", first_offset, rejected.empty() ? 0 : rejected.back()));
  return writer->Commit().status();
}

TEST_F(ProductStoreTest, DeadLettersReadAsOfAVersionOrATimeFromAnyConnection) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitDeadLetters(*store, 1, {1, 2}, Day(0)));  // version 1, day 0
  clock_->Set(Day(2));
  ASSERT_OK(CommitDeadLetters(*store, 3, {3}, Day(2)));  // version 2, day 2
  clock_->Set(Day(3));
  // Another connection of the instance, without the store's catalog as its default.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> other, store->Connect());
  ASSERT_OK(other->Execute("USE memory"));
  auto offsets = [&](const AsOf& as_of) -> std::vector<std::string> {
    Result<std::string> sql = store->DeadLettersQualifiedSql(as_of);
    EXPECT_OK(sql.status());
    if (!sql.ok()) return {"error"};
    Result<engine::QueryResult> rows =
        other->Query(fmt::format("SELECT version, \"offset\", reason FROM ({}) ORDER BY 2", *sql));
    EXPECT_OK(rows.status());
    return rows.ok() ? Rows(*rows) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(offsets(AsOf::Current()),
              ElementsAre("1|1|record 1 is bad", "1|2|record 2 is bad", "2|3|record 3 is bad"));
  EXPECT_THAT(offsets(AsOf::Version(1)), ElementsAre("1|1|record 1 is bad", "1|2|record 2 is bad"));
  EXPECT_THAT(offsets(AsOf::Version(0)), IsEmpty());
  EXPECT_THAT(offsets(AsOf::Time(Day(1))),
              ElementsAre("1|1|record 1 is bad", "1|2|record 2 is bad"));
  EXPECT_THAT(offsets(AsOf::Time(Day(0) - hours(1))), IsEmpty());
  EXPECT_THAT(offsets(AsOf::Time(Day(2))),
              ElementsAre("1|1|record 1 is bad", "1|2|record 2 is bad", "2|3|record 3 is bad"));

  // The columns are the ones DeadLetterColumns() announces.
  ASSERT_OK_AND_ASSIGN(std::string current, store->DeadLettersQualifiedSql(AsOf::Current()));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult described,
                       other->Query(fmt::format("DESCRIBE {}", current)));
  std::vector<std::string> columns, announced;
  for (const auto& row : described.rows) columns.push_back(*row[0] + " " + *row[1]);
  for (const engine::Column& column : DeadLetterColumns()) {
    announced.push_back(column.name + " " + column.type);
  }
  EXPECT_EQ(columns, announced);

  Result<std::string> beyond = store->DeadLettersQualifiedSql(AsOf::Version(3));
  EXPECT_EQ(beyond.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(beyond.status().message(),
              HasSubstr("dead letters: version 3 does not exist yet; the latest version is 2"));
  Result<std::string> future = store->DeadLettersQualifiedSql(AsOf::Time(Day(4)));
  EXPECT_THAT(future.status().message(), HasSubstr("dead letters: as of 2026-01-05"));
  EXPECT_THAT(future.status().message(), HasSubstr("is in the future"));
}

TEST_F(ProductStoreTest, MoreRejectedThanReceivedIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->AddReceived("order_events", 1));
  ASSERT_OK(writer->AddDeadLetter({"order_events", 1, "bad", "x", Day(0)}));
  ASSERT_OK(writer->AddDeadLetter({"order_events", 2, "bad", "y", Day(0)}));
  Result<CommitInfo> refused = writer->Commit();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("2 records were rejected but only 1"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult dead,
                       store->Query("SELECT count(*) FROM quanta.dead_letters"));
  EXPECT_EQ(dead.rows[0][0], "0");
}

TEST_F(ProductStoreTest, ReadsAsOfATimeUseTheLastVersionCommittedByThen) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1)"));  // day 0
  clock_->Set(Day(2));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'paid', 1)"));  // day 2
  clock_->Set(Day(4));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'shipped', 1)"));  // day 4
  clock_->Set(Day(5));

  EXPECT_THAT(Orders(*store, AsOf::Time(Day(0) - hours(1))), IsEmpty());
  EXPECT_THAT(Orders(*store, AsOf::Time(Day(0))), ElementsAre("o-1|created|1.00"));
  EXPECT_THAT(Orders(*store, AsOf::Time(Day(3))), ElementsAre("o-1|paid|1.00"));
  EXPECT_THAT(Orders(*store, AsOf::Time(Day(5))), ElementsAre("o-1|shipped|1.00"));
  ASSERT_OK_AND_ASSIGN(Snapshot snapshot, store->SnapshotOf("orders", AsOf::Time(Day(3))));
  EXPECT_EQ(snapshot.version, 2);
  EXPECT_EQ(snapshot.committed_at, Day(2));

  Result<Snapshot> future = store->SnapshotOf("orders", AsOf::Time(Day(6)));
  ASSERT_FALSE(future.ok());
  EXPECT_THAT(future.status().message(), HasSubstr("is in the future"));
  Result<Snapshot> unknown_version = store->SnapshotOf("orders", AsOf::Version(4));
  ASSERT_FALSE(unknown_version.ok());
  EXPECT_THAT(unknown_version.status().message(),
              HasSubstr("version 4 does not exist yet; the latest version is 3"));
  EXPECT_EQ(store->SnapshotOf("nope", AsOf::Current()).status().code(), ErrorCode::kNotFound);
}

TEST_F(ProductStoreTest, ACommitTimeNeverGoesBackWhenTheClockDoes) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  clock_->Set(Day(3));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1)"));
  clock_->Set(Day(1));
  ASSERT_OK_AND_ASSIGN(CommitInfo second, CommitBatch(*store, "('o-1', 'paid', 1)"));
  EXPECT_EQ(second.committed_at, Day(3));
}

TEST_F(ProductStoreTest, ChangesListInsertsAndDeletesPerVersion) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 1), ('o-2', 'created', 2)"));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'paid', 1)"));
  ASSERT_OK(CommitBatch(*store, "('o-3', 'created', 3)"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult changes, store->ReadChanges("orders", 1, 3));
  EXPECT_EQ(changes.columns[0].name, "_quanta_version");
  EXPECT_EQ(changes.columns[1].name, "_quanta_change");
  EXPECT_THAT(Rows(changes), ElementsAre("2|delete|o-1|created|1.00", "2|insert|o-1|paid|1.00",
                                         "3|insert|o-3|created|3.00"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult all, store->ReadChanges("orders", 0, 3));
  EXPECT_EQ(all.rows.size(), 5u);
  EXPECT_FALSE(store->ChangesBetween("orders", 2, 4).ok());
  EXPECT_FALSE(store->ChangesBetween("orders", 3, 2).ok());
}

TEST_F(ProductStoreTest, PurgeRemovesHistoryPastRetentionAndNeverCurrentRows) {
  StoreLayout layout = OrdersLayout();
  layout.datasets[0].retention = std::chrono::seconds(86400);  // orders: 1 day
  layout.input_ports[0].retention = std::chrono::seconds(2 * 86400);
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore(layout));
  // v1 day 0: o-1 a, o-2 a (o-2 stays current forever); v2 day 1: o-1 b; v3 day 3: o-1 c.
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'a', 1), ('o-2', 'a', 2)")));
    ASSERT_OK(writer->StageRows("events", EventsValues("('e-1', 'o-1', 1)")));
    ASSERT_OK(writer->AddReceived("order_events", 2));
    ASSERT_OK(writer->AddDeadLetter({"order_events", 1, "old", "x", Day(0)}));
    ASSERT_OK(writer->Commit());
  }
  clock_->Set(Day(1));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'b', 1)"));
  clock_->Set(Day(3));
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'c', 1)")));
    ASSERT_OK(writer->AddReceived("order_events", 1));
    ASSERT_OK(writer->AddDeadLetter({"order_events", 5, "new", "y", Day(3)}));
    ASSERT_OK(writer->Commit());
  }
  clock_->Set(Day(3) + hours(1));

  // Horizon day 2 + 1 h: the version of o-1 closed on day 1 goes; the one closed on day 3 and
  // every current row stay. Events (no retention) keep everything.
  ASSERT_OK_AND_ASSIGN(PurgeReport report, store->Purge(clock_->Now()));
  EXPECT_EQ(report.rows_removed["orders"], 1);
  EXPECT_EQ(report.rows_removed.count("events"), 0u);
  EXPECT_EQ(report.dead_letters_removed, 1);
  EXPECT_EQ(report.Total(), 2);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult kept,
                       store->Query("SELECT order_id, status FROM history.orders ORDER BY ALL"));
  EXPECT_THAT(Rows(kept), ElementsAre("o-1|b", "o-1|c", "o-2|a"));
  EXPECT_THAT(Orders(*store), ElementsAre("o-1|c|1.00", "o-2|a|2.00"));
  EXPECT_THAT(Orders(*store, AsOf::Version(2)), ElementsAre("o-1|b|1.00", "o-2|a|2.00"));
  EXPECT_THAT(Orders(*store, AsOf::Time(Day(2) + hours(2))),
              ElementsAre("o-1|b|1.00", "o-2|a|2.00"));

  Result<Snapshot> too_old = store->SnapshotOf("orders", AsOf::Version(1));
  ASSERT_FALSE(too_old.ok());
  EXPECT_THAT(too_old.status().message(),
              HasSubstr("older than its retention of 1 day; the earliest readable version is 2"));
  Result<Snapshot> too_old_time = store->SnapshotOf("orders", AsOf::Time(Day(1)));
  ASSERT_FALSE(too_old_time.ok());
  EXPECT_THAT(too_old_time.status().message(), HasSubstr("older than its retention of 1 day"));
  EXPECT_FALSE(store->ChangesBetween("orders", 0, 3).ok());
  EXPECT_OK(store->ChangesBetween("orders", 2, 3));
  // Events keep no retention: every version stays readable.
  EXPECT_OK(store->SnapshotOf("events", AsOf::Version(0)));

  // Counters are not history: received still equals committed + rejected.
  ASSERT_OK_AND_ASSIGN(StoreStatus status, store->ReadStatus());
  EXPECT_EQ(status.ports[0].rejected, 2);
  EXPECT_EQ(status.ports[0].dead_letters, 1);
  EXPECT_EQ(status.datasets[0].earliest_readable_version, 2);

  // The horizon survives a restart, and purging again removes nothing more.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, OpenStore(layout));
  EXPECT_FALSE(store->SnapshotOf("orders", AsOf::Version(1)).ok());
  ASSERT_OK_AND_ASSIGN(PurgeReport again, store->Purge(clock_->Now()));
  EXPECT_EQ(again.Total(), 0);
}

TEST_F(ProductStoreTest, AnUpsertRowWithoutItsKeyIsRefusedWithTheWholeBatch) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("events", EventsValues("('e-1', 'o-1', 1)")));
  ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'a', 1), (NULL, 'b', 2)")));
  Result<CommitInfo> refused = writer->Commit();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("dataset orders: 1 of 2 rows have no value in a key column (order_id)"));
  EXPECT_EQ(store->Head().version, 0);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult events, store->ReadDataset("events", AsOf::Current()));
  EXPECT_THAT(events.rows, IsEmpty());
}

TEST_F(ProductStoreTest, ATransformStagesThroughTheConnectionAndReadsItsPreviousState) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'created', 10)"));
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  engine::Connection& connection = writer->connection();
  ASSERT_OK(connection.Execute(
      "CREATE OR REPLACE TEMP TABLE order_events AS SELECT * FROM (VALUES ('o-1', 5), "
      "('o-2', 7)) AS v(order_id, amount)"));
  ASSERT_OK_AND_ASSIGN(std::string staging, writer->StagingTable("orders"));
  // A running total: the new amount adds to the current one.
  ASSERT_OK(connection.Execute(
      "INSERT INTO " + staging +
      " SELECT e.order_id, 'open', e.amount + coalesce(p.amount, 0) FROM order_events e "
      "LEFT JOIN previous.orders p USING (order_id)"));
  ASSERT_OK(writer->Commit());
  EXPECT_THAT(Orders(*store), ElementsAre("o-1|open|15.00", "o-2|open|7.00"));
  // previous.orders has no hidden columns.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult previous,
                       store->Query("SELECT * FROM previous.orders ORDER BY order_id"));
  EXPECT_EQ(previous.columns.size(), 3u);
  EXPECT_EQ(previous.rows.size(), 2u);
}

TEST_F(ProductStoreTest, StagedRowsMustFitTheDatasetColumns) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  Result<std::int64_t> unknown_column =
      writer->StageRows("orders", "SELECT 'o-1' AS order_id, 3 AS quantity");
  ASSERT_FALSE(unknown_column.ok());
  EXPECT_THAT(unknown_column.status().message(), HasSubstr("dataset orders"));
  EXPECT_THAT(unknown_column.status().message(), HasSubstr("quantity"));
  EXPECT_EQ(writer->StageRows("nope", "SELECT 1").status().code(), ErrorCode::kNotFound);
  // Missing columns are NULL.
  ASSERT_OK_AND_ASSIGN(std::int64_t staged,
                       writer->StageRows("orders", "SELECT 'o-1' AS order_id"));
  EXPECT_EQ(staged, 1);
  ASSERT_OK(writer->Commit());
  EXPECT_THAT(Orders(*store), ElementsAre("o-1|NULL|NULL"));
}

TEST_F(ProductStoreTest, AnAbortedBatchLeavesNothing) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'a', 1)")));
    ASSERT_OK(writer->AddReceived("order_events", 1));
    ASSERT_OK(writer->SetOffset("order_events", 1));
    writer->Abort();
    EXPECT_EQ(writer->Commit().status().code(), ErrorCode::kUsage);
  }
  {
    // Dropped without Commit: aborted too.
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-2', 'a', 1)")));
  }
  ASSERT_OK_AND_ASSIGN(CommitInfo next, CommitBatch(*store, "('o-3', 'a', 1)", "", 1));
  EXPECT_EQ(next.version, 1);
  EXPECT_EQ(next.FindDataset("orders")->rows_inserted, 1);
  EXPECT_THAT(Orders(*store), ElementsAre("o-3|a|1.00"));
}

TEST_F(ProductStoreTest, ACommitThroughTheConnectionIsDetected) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'a', 1)")));
  ASSERT_OK(writer->connection().Execute("COMMIT"));
  Result<CommitInfo> refused = writer->Commit();
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("transaction ended before Commit"));
  EXPECT_EQ(store->Head().version, 0);
  ASSERT_OK(CommitBatch(*store, "('o-2', 'a', 1)"));
}

TEST_F(ProductStoreTest, OneBatchAtATimeWhileReadersSeeCommittedData) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'a', 1)"));
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("orders", OrdersValues("('o-1', 'b', 1)")));

  std::atomic<bool> second_began{false};
  std::int64_t second_version = 0;
  std::thread second([&] {
    Result<CommitInfo> info = CommitBatch(*store, "('o-2', 'a', 1)");
    second_began = true;
    if (info.ok()) second_version = info->version;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_began);
  // A reader on its own connection sees the last commit, not the open batch.
  ASSERT_OK_AND_ASSIGN(auto connection, store->Connect());
  ASSERT_OK_AND_ASSIGN(Snapshot current, store->SnapshotOf("orders", AsOf::Current()));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult seen, connection->Query(current.sql));
  EXPECT_THAT(Rows(seen), ElementsAre("o-1|a|1.00"));

  ASSERT_OK_AND_ASSIGN(CommitInfo first, writer->Commit());
  second.join();
  EXPECT_EQ(first.version, 2);
  EXPECT_EQ(second_version, 3);
  // The snapshot's SQL is pinned to its version.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult still, connection->Query(current.sql));
  EXPECT_THAT(Rows(still), ElementsAre("o-1|a|1.00"));
}

TEST_F(ProductStoreTest, StatusCountsRowsVersionsAndFileSize) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  ASSERT_OK(CommitBatch(*store, "('o-1', 'a', 1), ('o-2', 'a', 1)", "('e-1', 'o-1', 1)", 1));
  clock_->Advance(hours(1));
  ASSERT_OK(CommitBatch(*store, "('o-1', 'b', 1)", "", 2));
  ASSERT_OK_AND_ASSIGN(StoreStatus status, store->ReadStatus());
  EXPECT_GT(status.file_bytes, 0u);
  EXPECT_EQ(status.head.version, 2);
  ASSERT_EQ(status.datasets.size(), 2u);
  EXPECT_EQ(status.datasets[0].name, "orders");
  EXPECT_EQ(status.datasets[0].current_rows, 2);
  EXPECT_EQ(status.datasets[0].row_versions, 3);
  EXPECT_EQ(status.datasets[0].latest_version, 2);
  EXPECT_EQ(status.datasets[0].latest_commit_at, Day(0) + hours(1));
  EXPECT_EQ(status.datasets[1].current_rows, 1);
  EXPECT_EQ(status.datasets[1].latest_version, 1);
  ASSERT_EQ(status.ports.size(), 1u);
  EXPECT_EQ(status.ports[0].received, 2);
  ASSERT_EQ(status.ports[0].offsets.size(), 1u);
  EXPECT_EQ(status.ports[0].offsets[0].offset, 2);
}

TEST_F(ProductStoreTest, BothUpsertMethodsWriteTheSameHistory) {
  std::vector<std::vector<std::string>> histories;
  for (UpsertMethod method : {UpsertMethod::kUpdateInsert, UpsertMethod::kMerge}) {
    TemporaryFolder folder;
    StoreOptions options = Options();
    options.upsert_method = method;
    ASSERT_OK_AND_ASSIGN(auto store,
                         ProductStore::Open(folder.path() / "s.duckdb", OrdersLayout(), options));
    ASSERT_OK(CommitBatch(*store, "('o-1', 'a', 1), ('o-2', 'a', 2), ('o-1', 'b', 3)"));
    ASSERT_OK_AND_ASSIGN(CommitInfo second,
                         CommitBatch(*store, "('o-1', 'c', 1), ('o-3', 'a', 2), ('o-3', 'b', 2)"));
    EXPECT_EQ(second.FindDataset("orders")->rows_inserted, 2);
    EXPECT_EQ(second.FindDataset("orders")->rows_closed, 1);
    ASSERT_OK_AND_ASSIGN(engine::QueryResult history,
                         store->Query("SELECT * FROM history.orders ORDER BY ALL"));
    histories.push_back(Rows(history));
  }
  EXPECT_THAT(histories[0], ElementsAre("o-1|b|3.00|1|2", "o-1|c|1.00|2|NULL", "o-2|a|2.00|1|NULL",
                                        "o-3|b|2.00|2|NULL"));
  EXPECT_EQ(histories[0], histories[1]);
}

TEST_F(ProductStoreTest, AStoreIsOpenOnceAndOnlyOnAFileOfItsOwn) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenStore());
  Result<std::unique_ptr<ProductStore>> again = OpenStore();
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(), HasSubstr("already open in this process"));
  store.reset();
  EXPECT_OK(OpenStore());

  std::filesystem::path other = folder_.path() / "other.duckdb";
  {
    ASSERT_OK_AND_ASSIGN(auto database, engine::Database::Open({other.string(), {}}));
    ASSERT_OK_AND_ASSIGN(auto connection, database->Connect());
    ASSERT_OK(connection->Execute("CREATE TABLE customers (id INTEGER)"));
  }
  Result<std::unique_ptr<ProductStore>> foreign =
      ProductStore::Open(other, OrdersLayout(), Options());
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(), HasSubstr("not a Quanta store"));
}

// DuckDB's own checkpoint inside COMMIT is off (kInstanceCheckpointThreshold); the store folds
// its log into the file after a commit that leaves the log past checkpoint_wal_bytes.
TEST_F(ProductStoreTest, TheStoreCheckpointsAfterACommitThatGrowsItsLogPastTheThreshold) {
  std::filesystem::path log = StorePath().string() + ".wal";
  auto log_bytes = [&]() -> std::uintmax_t {
    std::error_code error;
    std::uintmax_t bytes = std::filesystem::file_size(log, error);
    return error ? 0 : bytes;
  };
  std::string events =
      "SELECT 'e-' || n AS event_id, md5(n::VARCHAR) AS order_id, n::INTEGER AS step FROM "
      "range(20000) AS r(n)";
  for (std::uint64_t threshold : {std::uint64_t{16} << 20, std::uint64_t{64} << 10}) {
    SCOPED_TRACE(fmt::format("checkpoint_wal_bytes {}", threshold));
    std::filesystem::remove(StorePath());
    std::filesystem::remove(log);
    // A shared instance with DuckDB's default threshold (16 MiB): the store raises it.
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, engine::Database::Open());
    StoreOptions options = Options();
    options.database = database;
    options.checkpoint_wal_bytes = threshold;
    ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(StorePath(), OrdersLayout(), options));
    ASSERT_OK_AND_ASSIGN(engine::QueryResult setting,
                         store->Query("SELECT current_setting('checkpoint_threshold')"));
    EXPECT_EQ(setting.rows[0][0], "888.1 PiB");

    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("events", events));
    ASSERT_OK(writer->Commit());
    if (threshold > (1u << 20)) {
      EXPECT_GT(log_bytes(), std::uintmax_t{64} << 10) << "the commit is in the log only";
    } else {
      EXPECT_LE(log_bytes(), threshold) << "the store did not checkpoint after the commit";
    }
    ASSERT_OK_AND_ASSIGN(engine::QueryResult count,
                         store->Query("SELECT count(*) FROM history.events"));
    EXPECT_EQ(count.rows[0][0], "20000");
  }
}

TEST_F(ProductStoreTest, AnInstanceThatWouldCheckpointInsideCommitIsRefused) {
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, engine::Database::Open());
  {
    ASSERT_OK_AND_ASSIGN(auto connection, database->Connect());
    ASSERT_OK(connection->Execute("SET lock_configuration = true"));
  }
  StoreOptions options = Options();
  options.database = database;
  Result<std::unique_ptr<ProductStore>> refused =
      ProductStore::Open(StorePath(), OrdersLayout(), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(refused.status().message(), HasSubstr(StorePath().string()));
  EXPECT_THAT(refused.status().message(), HasSubstr("checkpoint_threshold = '1000000TB'"));
}

TEST_F(ProductStoreTest, AnInvalidLayoutIsRefusedBeforeTouchingTheFile) {
  StoreLayout layout = OrdersLayout();
  layout.datasets[0].key = {"missing"};
  Result<std::unique_ptr<ProductStore>> refused = OpenStore(layout);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("key column missing is not one of its columns"));
  EXPECT_FALSE(std::filesystem::exists(StorePath()));

  layout = OrdersLayout();
  layout.datasets[0].columns[2].type = "MONEY";
  refused = OpenStore(layout);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("dataset orders"));
  EXPECT_THAT(refused.status().message(), HasSubstr("MONEY"));
}

// Waits (up to 10 s) until the store's thread has built `rows` or given them up.
void WaitForBuild(const engine::KeyedRows& rows) {
  for (int i = 0; i < 1000 && !rows.ready() && !rows.given_up(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The status of order `id` in the kept rows; "none" when none has the key, "unready" without.
std::string KeptStatus(const engine::KeyedRows& rows, const std::string& id) {
  std::optional<engine::KeyedRows::Found> found = rows.Find(engine::RowKey(id));
  if (!found) return "unready";
  if (!found->chunk) return "none";
  return std::string(found->chunk->Column(1).Text(found->row));
}

TEST_F(ProductStoreTest, KeptRowsFollowEveryCommitOfAKeyedDataset) {
  StoreOptions options = Options();
  auto budget = std::make_shared<engine::MemoryBudget>(64 << 20);
  options.keyed_rows_budget = budget;
  ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(StorePath(), OrdersLayout(), options));
  ASSERT_OK(CommitBatch(*store, "('o1', 'new', 10.00), ('o2', 'new', 20.00)"));
  EXPECT_EQ(store->KeyedRowsOf("events"), nullptr);  // no lookup column
  EXPECT_EQ(store->KeyedRowsOf("nothing"), nullptr);
  std::shared_ptr<const engine::KeyedRows> rows = store->KeyedRowsOf("orders");
  ASSERT_NE(rows, nullptr);
  EXPECT_EQ(store->KeyedRowsOf("orders"), rows);  // built once
  WaitForBuild(*rows);
  ASSERT_TRUE(rows->ready());
  EXPECT_EQ(rows->version(), 1);
  EXPECT_EQ(KeptStatus(*rows, "o1"), "new");
  EXPECT_GT(budget->taken(), 0u);

  // A commit applies its rows before it returns; one that fails changes nothing.
  ASSERT_OK(CommitBatch(*store, "('o1', 'paid', 10.00), ('o3', 'new', 5.00)"));
  EXPECT_EQ(rows->version(), 2);
  EXPECT_EQ(KeptStatus(*rows, "o1"), "paid");
  EXPECT_EQ(KeptStatus(*rows, "o2"), "new");
  EXPECT_EQ(KeptStatus(*rows, "o3"), "new");
  EXPECT_FALSE(CommitBatch(*store, "(NULL, 'lost', 1.00)").ok());
  EXPECT_EQ(rows->version(), 2);
  EXPECT_EQ(rows->current_rows(), 3u);

  // Small commits leave small chunks, one of 2048 rows' room each; once they could hold far
  // more than the current rows, the store rebuilds them into full ones. Commits go on while
  // it rebuilds, so the chunks settle at one or two, never at the seven left without.
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(CommitBatch(*store, fmt::format("('p{}', 'new', 1.00)", i)));
  }
  for (int i = 0; i < 1000 && rows->capacity_rows() > 4096; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LE(rows->capacity_rows(), 4096u);
  EXPECT_EQ(rows->current_rows(), 7u);
  EXPECT_EQ(rows->version(), 6);
  EXPECT_EQ(KeptStatus(*rows, "p3"), "new");
  EXPECT_EQ(KeptStatus(*rows, "o1"), "paid");

  // Closing the store gives them up: a session still holding them runs its statements.
  store.reset();
  EXPECT_EQ(KeptStatus(*rows, "o1"), "unready");
  EXPECT_EQ(budget->taken(), 0u);
}

TEST_F(ProductStoreTest, KeptRowsThatDoNotFitTheBudgetAreGivenUp) {
  StoreOptions options = Options();
  options.keyed_rows_budget = std::make_shared<engine::MemoryBudget>(16 * 1024);
  ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(StorePath(), OrdersLayout(), options));
  ASSERT_OK(CommitBatch(*store, "('o1', 'new', 10.00)"));
  std::shared_ptr<const engine::KeyedRows> rows = store->KeyedRowsOf("orders");
  ASSERT_NE(rows, nullptr);
  WaitForBuild(*rows);
  EXPECT_TRUE(rows->given_up());
  EXPECT_EQ(KeptStatus(*rows, "o1"), "unready");
  EXPECT_EQ(options.keyed_rows_budget->taken(), 0u);
  // Commits go on as before.
  ASSERT_OK(CommitBatch(*store, "('o1', 'paid', 10.00)"));
  EXPECT_THAT(Orders(*store), ElementsAre("o1|paid|10.00"));
  // Without a budget there are none.
  store.reset();
  ASSERT_OK_AND_ASSIGN(store, OpenStore());
  EXPECT_EQ(store->KeyedRowsOf("orders"), nullptr);
}

}  // namespace
}  // namespace quanta::store
