#include "pipeline/product_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

std::string Event(const std::string& order, const std::string& type, const std::string& time,
                  const std::string& amount = "10.5") {
  return R"({"event_id": "e-)" + order + "-" + type + R"(", "order_id": ")" + order +
         R"(", "customer_id": "c-1", "event_type": ")" + type +
         R"(", "product_id": "p-1", "category": " Shoes ", "quantity": 1, "amount": )" + amount +
         R"(, "occurred_at": ")" + time + R"("})";
}

// The orders example product, copied so that a test may change its files, with a store.
class ProductRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy("examples/orders/orders", folder_.path() / "product",
                          std::filesystem::copy_options::recursive);
  }

  void Open() { OpenAt(folder_.path() / "store.duckdb", store_, runner_); }

  // Opens the product over a store at `path`.
  void OpenAt(const std::filesystem::path& path, std::unique_ptr<store::ProductStore>& store,
              std::unique_ptr<ProductRunner>& runner) {
    std::vector<Diagnostic> diagnostics;
    auto folder = model::LoadProductFolder(folder_.path() / "product", &diagnostics);
    ASSERT_OK(folder.status());
    ASSERT_THAT(diagnostics, SizeIs(0));
    auto shared = std::make_shared<const model::ProductFolder>(std::move(*folder));
    auto layout = store::LayoutFromProductFolder(*shared);
    ASSERT_OK(layout.status());
    auto opened = store::ProductStore::Open(path, *layout);
    ASSERT_OK(opened.status());
    store = std::move(*opened);
    auto created = ProductRunner::Create(shared, store.get());
    ASSERT_OK(created.status());
    runner = std::move(*created);
  }

  // Replaces the orders transform.
  void WriteTransform(const std::string& sql) {
    std::ofstream(folder_.path() / "product/transforms/orders.sql", std::ios::trunc) << sql;
  }

  engine::QueryResult Orders() {
    auto result = store_->ReadDataset("orders", store::AsOf::Current(), "order_id");
    EXPECT_OK(result.status());
    return result.ok() ? *result : engine::QueryResult{};
  }

  store::testing::TemporaryFolder folder_;
  std::unique_ptr<store::ProductStore> store_;
  std::unique_ptr<ProductRunner> runner_;
};

TEST_F(ProductRunnerTest, GoodRecordsReachTheDatasetAndBadOnesTheDeadLetters) {
  ASSERT_NO_FATAL_FAILURE(Open());
  std::vector<std::string> batch = {
      Event("o-1", "created", "2026-01-01T10:00:00Z"),
      R"({"event_id": "x", "order_id": "o-2"})",  // required fields missing
      Event("o-1", "paid", "2026-01-01T11:00:00Z"),
      Event("o-3", "created", "2026-01-01T12:00:00Z", "\"ten\""),  // wrong type
      "{not json",                                                 // not JSON
      Event("o-4", "created", "2026-02-30T10:00:00Z"),             // no such date
      Event("o-5", "created", "2026-01-01T10:00:00Z"),
  };
  ASSERT_OK_AND_ASSIGN(IngestOutcome outcome, runner_->Ingest("order_events", batch));
  EXPECT_EQ(outcome.received, 7);
  EXPECT_EQ(outcome.accepted, 3);
  EXPECT_EQ(outcome.rejected, 4);
  EXPECT_EQ(outcome.commit.version, 1);
  ASSERT_THAT(outcome.rejections, SizeIs(4));
  EXPECT_EQ(outcome.rejections[0].index, 1u);
  EXPECT_THAT(outcome.rejections[0].reason, HasSubstr("customer_id: required, but missing"));
  EXPECT_THAT(outcome.rejections[1].reason, HasSubstr("amount: expected a number"));
  EXPECT_EQ(outcome.rejections[2].reason,
            "not valid JSON at byte 2: invalid literal; expected string literal");
  EXPECT_THAT(outcome.rejections[3].reason, HasSubstr("occurred_at"));
  EXPECT_EQ(outcome.rejections[3].offset, 5);

  engine::QueryResult orders = Orders();
  ASSERT_THAT(orders.rows, SizeIs(2));
  EXPECT_EQ(orders.rows[0][0], "o-1");
  EXPECT_EQ(orders.rows[1][0], "o-5");
  ASSERT_OK_AND_ASSIGN(engine::QueryResult letters,
                       store_->Query("SELECT \"offset\", reason, payload FROM (" +
                                     store::ProductStore::DeadLettersSql() + ") ORDER BY 1"));
  ASSERT_THAT(letters.rows, SizeIs(4));
  EXPECT_EQ(letters.rows[2][0], "4");
  EXPECT_EQ(letters.rows[2][2], "{not json");  // the raw payload, as sent

  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  ASSERT_THAT(status.ports, SizeIs(1));
  EXPECT_EQ(status.ports[0].received, 7);
  EXPECT_EQ(status.ports[0].committed + status.ports[0].rejected, status.ports[0].received);
}

TEST_F(ProductRunnerTest, ARecordOfSeveralMegabytesLoadsBesideSmallOnes) {
  ASSERT_NO_FATAL_FAILURE(Open());
  // The NDJSON reader's object limit follows the batch's longest row: this one is 40 MiB.
  std::string huge = Event("o-2", "created", "2026-01-01T10:00:00Z");
  huge.replace(huge.find("\"p-1\""), 5, "\"" + std::string(40 * 1024 * 1024, 'p') + "\"");
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events", {Event("o-1", "created", "2026-01-01T10:00:00Z"), huge},
                      std::nullopt));
  EXPECT_EQ(outcome.accepted, 2);
  EXPECT_EQ(outcome.rejected, 0);
  EXPECT_EQ(Orders().rows.size(), 2u);
}

TEST_F(ProductRunnerTest, UpsertKeepsTheLatestStateAcrossBatches) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(
      runner_->Ingest("order_events", {Event("o-1", "created", "2026-01-01T10:00:00Z")}).status());
  ASSERT_OK(
      runner_->Ingest("order_events", {Event("o-1", "shipped", "2026-01-02T10:00:00Z")}).status());
  engine::QueryResult orders = Orders();
  ASSERT_THAT(orders.rows, SizeIs(1));
  EXPECT_EQ(orders.rows[0][6], "shipped");
  EXPECT_EQ(orders.rows[0][3], "shoes");  // the transform ran
  ASSERT_OK_AND_ASSIGN(engine::QueryResult first,
                       store_->ReadDataset("orders", store::AsOf::Version(1)));
  ASSERT_THAT(first.rows, SizeIs(1));
  EXPECT_EQ(first.rows[0][6], "created");
}

TEST_F(ProductRunnerTest, ARetriedBatchAppliesOnce) {
  ASSERT_NO_FATAL_FAILURE(Open());
  std::vector<std::string> batch = {Event("o-1", "created", "2026-01-01T10:00:00Z"), "[]"};
  ASSERT_OK_AND_ASSIGN(IngestOutcome first, runner_->Ingest("order_events", batch, "key-1"));
  ASSERT_OK_AND_ASSIGN(IngestOutcome again, runner_->Ingest("order_events", batch, "key-1"));
  EXPECT_FALSE(first.replayed);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.commit.version, first.commit.version);
  EXPECT_EQ(again.accepted, 1);
  EXPECT_EQ(again.rejected, 1);
  EXPECT_EQ(store_->Head().version, 1);
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 2);
}

TEST_F(ProductRunnerTest, OtherRecordsUnderAUsedKeyAreRefusedAndNotApplied) {
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string time = "2026-01-01T10:00:00Z";
  ASSERT_OK(runner_->Ingest("order_events", {Event("o-1", "created", time)}, "key-1").status());
  Result<IngestOutcome> other =
      runner_->Ingest("order_events", {Event("o-2", "created", time)}, "key-1");
  EXPECT_EQ(other.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(other.status().message(),
              HasSubstr("idempotency key 'key-1' was used by an earlier request (version 1)"));
  EXPECT_EQ(store_->Head().version, 1);
  EXPECT_THAT(Orders().rows, SizeIs(1));
  // The first request's retry still answers its result.
  ASSERT_OK_AND_ASSIGN(IngestOutcome retry,
                       runner_->Ingest("order_events", {Event("o-1", "created", time)}, "key-1"));
  EXPECT_TRUE(retry.replayed);
}

TEST_F(ProductRunnerTest, ATransformFailingAtRunTimeKeepsNothingOfTheBatch) {
  std::ofstream(folder_.path() / "product/transforms/orders.sql", std::ios::trunc)
      << "SELECT order_id, customer_id, product_id, category, quantity,\n"
         "  CASE WHEN order_id = 'o-boom' THEN error('no price for ' || order_id) ELSE amount END"
         " AS amount,\n  event_type AS status, occurred_at AS updated_at FROM order_events\n";
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(
      runner_->Ingest("order_events", {Event("o-1", "created", "2026-01-01T10:00:00Z")}).status());
  Result<IngestOutcome> failed =
      runner_->Ingest("order_events", {Event("o-2", "created", "2026-01-01T10:00:00Z"),
                                       Event("o-boom", "created", "2026-01-01T10:00:00Z")});
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("transform of dataset 'orders'"));
  EXPECT_THAT(failed.status().message(), HasSubstr("no price for o-boom"));
  EXPECT_EQ(store_->Head().version, 1);
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 1);
  // The product keeps working for the next batch.
  ASSERT_OK(
      runner_->Ingest("order_events", {Event("o-3", "created", "2026-01-01T10:00:00Z")}).status());
  EXPECT_THAT(Orders().rows, SizeIs(2));
}

TEST_F(ProductRunnerTest, AValueDuckDbCannotCastIsRejectedAloneAndTheRestCommits) {
  ASSERT_NO_FATAL_FAILURE(Open());
  // amount is DECIMAL(12,2): a JSON number, but too large.
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events", {Event("o-1", "created", "2026-01-01T10:00:00Z"),
                                       Event("o-2", "created", "2026-01-01T10:00:00Z", "1e15"),
                                       Event("o-3", "created", "2026-01-01T10:00:00Z")}));
  EXPECT_EQ(outcome.accepted, 2);
  EXPECT_EQ(outcome.rejected, 1);
  ASSERT_THAT(outcome.rejections, SizeIs(1));
  EXPECT_EQ(outcome.rejections[0].index, 1u);
  EXPECT_EQ(outcome.rejections[0].offset, 1);
  EXPECT_THAT(Orders().rows, SizeIs(2));
  EXPECT_EQ(store_->Head().version, 1);
}

TEST_F(ProductRunnerTest, ABatchOfRecordsOnlyDuckDbRefusesCommitsTheirRejections) {
  // wait is an INTERVAL: any string passes the contract check, and DuckDB's cast decides.
  std::filesystem::path contract = folder_.path() / "product/contracts/order_events.yaml";
  std::string text;
  {
    std::ifstream in(contract);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.insert(text.find("slaProperties:"),
              "      - name: wait\n        logicalType: string\n        physicalType: interval\n");
  std::ofstream(contract, std::ios::trunc) << text;
  ASSERT_NO_FATAL_FAILURE(Open());
  auto waiting = [](const std::string& order, const std::string& wait) {
    std::string event = Event(order, "created", "2026-01-01T10:00:00Z");
    return event.substr(0, event.size() - 1) + ", \"wait\": \"" + wait + "\"}";
  };

  // Alone, and as two records that both fail: each is rejected with the field named, and
  // the batch commits with its counts and dead letters.
  for (const std::vector<std::string>& batch :
       {std::vector<std::string>{waiting("o-1", "soon")},
        std::vector<std::string>{waiting("o-2", "later"), waiting("o-3", "never")}}) {
    ASSERT_OK_AND_ASSIGN(IngestOutcome outcome, runner_->Ingest("order_events", batch));
    EXPECT_EQ(outcome.received, static_cast<std::int64_t>(batch.size()));
    EXPECT_EQ(outcome.accepted, 0);
    EXPECT_EQ(outcome.rejected, outcome.received);
    ASSERT_THAT(outcome.rejections, SizeIs(batch.size()));
    for (const IngestRejection& rejection : outcome.rejections) {
      EXPECT_THAT(rejection.reason, ::testing::StartsWith("wait: \""));
      EXPECT_THAT(rejection.reason, HasSubstr("cannot be stored as INTERVAL"));
    }
  }
  // Beside a good record, the same.
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome mixed,
      runner_->Ingest("order_events", {waiting("o-4", "soon"), waiting("o-5", "2 hours")}));
  EXPECT_EQ(mixed.accepted, 1);
  ASSERT_THAT(mixed.rejections, SizeIs(1));
  EXPECT_EQ(mixed.rejections[0].index, 0u);
  EXPECT_EQ(mixed.rejections[0].offset, 3);
  EXPECT_THAT(mixed.rejections[0].reason, ::testing::StartsWith("wait: \"soon\" cannot be"));

  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 5);
  EXPECT_EQ(status.ports[0].committed, 1);
  EXPECT_EQ(status.ports[0].rejected, 4);
  EXPECT_EQ(status.ports[0].dead_letters, 4);
  EXPECT_EQ(store_->Head().version, 3);
}

TEST_F(ProductRunnerTest, DuckDbsReasonForABatchNamesNoFileOfTheNode) {
  ASSERT_NO_FATAL_FAILURE(Open());
  // A value past the checks that DuckDB refuses: the reason is DuckDB's, with the field.
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events",
                      {Event("o-1", "created", "2026-01-01T10:00:00Z", "12345678901.23")}));
  EXPECT_EQ(outcome.accepted, 0);
  ASSERT_THAT(outcome.rejections, SizeIs(1));
  EXPECT_THAT(outcome.rejections[0].reason, ::testing::StartsWith("amount: "));
  EXPECT_THAT(outcome.rejections[0].reason, ::testing::Not(HasSubstr(".ingest-")));
  EXPECT_THAT(outcome.rejections[0].reason, ::testing::Not(HasSubstr("auto_detect")));
}

TEST_F(ProductRunnerTest, IntegersAreCheckedAndLoadedAsTheirDigitsSay) {
  ASSERT_NO_FATAL_FAILURE(Open());
  auto with_quantity = [](const std::string& order, const std::string& quantity) {
    std::string event = Event(order, "created", "2026-01-01T10:00:00Z");
    std::size_t at = event.find("\"quantity\": 1");
    return event.replace(at, 13, "\"quantity\": " + quantity);
  };
  const std::string kRange =
      " is out of range for BIGINT (-9223372036854775808 to "
      "9223372036854775807)";
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events",
                      {with_quantity("o-1", "-9223372036854775809"),
                       with_quantity("o-2", "9223372036854775808"),
                       with_quantity("o-3", "0.9999999999999999999"),
                       with_quantity("o-4", "1.0000000000000001"),
                       with_quantity("o-5", "9007199254740993.0"), with_quantity("o-6", "2e0")}));
  EXPECT_EQ(outcome.accepted, 2);
  ASSERT_THAT(outcome.rejections, SizeIs(4));
  EXPECT_EQ(outcome.rejections[0].reason, "quantity: -9223372036854775809" + kRange);
  EXPECT_EQ(outcome.rejections[1].reason, "quantity: 9223372036854775808" + kRange);
  EXPECT_EQ(outcome.rejections[2].reason,
            "quantity: expected an integer (BIGINT), got a number 0.9999999999999999999");
  EXPECT_EQ(outcome.rejections[3].reason,
            "quantity: expected an integer (BIGINT), got a number 1.0000000000000001");
  engine::QueryResult orders = Orders();
  ASSERT_THAT(orders.rows, SizeIs(2));
  EXPECT_EQ(orders.rows[0][0], "o-5");
  EXPECT_EQ(orders.rows[0][4], "9007199254740993");  // not the double's ...992
  EXPECT_EQ(orders.rows[1][4], "2");
}

TEST_F(ProductRunnerTest, TimestampsLoadAsRfc3339MeansThem) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events", {Event("o-1", "created", "2026-03-01T10:00:00+24:00"),
                                       Event("o-2", "created", "2026-03-01t10:00:00z"),
                                       Event("o-3", "created", "2026-03-01T10:00:00-23:59")}));
  EXPECT_EQ(outcome.accepted, 2);
  ASSERT_THAT(outcome.rejections, SizeIs(1));
  EXPECT_THAT(outcome.rejections[0].reason,
              ::testing::StartsWith("occurred_at: \"2026-03-01T10:00:00+24:00\" has an offset "
                                    "beyond -23:59 to +23:59"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult times,
                       store_->Query("SELECT order_id, strftime(updated_at AT TIME ZONE 'UTC', "
                                     "'%Y-%m-%dT%H:%M:%S') FROM (" +
                                     store_->SnapshotOf("orders", store::AsOf::Current())->sql +
                                     ") ORDER BY order_id"));
  ASSERT_THAT(times.rows, SizeIs(2));
  EXPECT_EQ(times.rows[0][1], "2026-03-01T10:00:00");
  EXPECT_EQ(times.rows[1][1], "2026-03-02T09:59:00");
}

TEST_F(ProductRunnerTest, ARecordOfManyUndeclaredFieldsLoadsItsDeclaredOnes) {
  ASSERT_NO_FATAL_FAILURE(Open());
  // Tens of thousands of fields the contract does not declare, on each way a record takes to
  // the input table: its own bytes, and read again (a repeated key, a value only one parser
  // reads, a value DuckDB refuses).
  std::string extra;
  for (int i = 0; i < 50000; ++i) extra += ", \"f" + std::to_string(i) + "\": " + std::to_string(i);
  auto wide = [&](const std::string& order, const std::string& more) {
    std::string event = Event(order, "created", "2026-01-01T10:00:00Z");
    return event.substr(0, event.size() - 1) + extra + more + "}";
  };
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events",
                      {wide("o-1", ""), wide("o-2", ", \"f7\": 0, \"amount\": 3.25"),
                       wide("o-3", ", \"huge\": 123456789012345678901234567890"),
                       wide("o-4", ", \"quantity\": 2.0"), wide("o-5", ", \"amount\": \"x\"")}));
  EXPECT_EQ(outcome.accepted, 4);
  ASSERT_THAT(outcome.rejections, SizeIs(1));
  EXPECT_EQ(outcome.rejections[0].index, 4u);
  EXPECT_THAT(outcome.rejections[0].reason, HasSubstr("amount: expected a number"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult orders,
                       store_->Query("SELECT order_id, quantity, amount FROM (" +
                                     store_->SnapshotOf("orders", store::AsOf::Current())->sql +
                                     ") ORDER BY order_id"));
  ASSERT_THAT(orders.rows, SizeIs(4));
  EXPECT_EQ(orders.rows[0][2], "10.50");
  EXPECT_EQ(orders.rows[1][2], "3.25");  // the last of a repeated key
  EXPECT_EQ(orders.rows[2][0], "o-3");
  EXPECT_EQ(orders.rows[3][1], "2");
}

TEST_F(ProductRunnerTest, ARecordThatIsNotJsonIsRejectedSayingWhyAndAtWhichByte) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK_AND_ASSIGN(
      IngestOutcome outcome,
      runner_->Ingest("order_events", {R"({"event_id": NaN})", R"({"event_id": Infinity})",
                                       R"({"event_id": "\ud800"})", R"({"event_id": "e-)"}));
  EXPECT_EQ(outcome.rejected, 4);
  ASSERT_THAT(outcome.rejections, SizeIs(4));
  EXPECT_EQ(outcome.rejections[0].reason, "not valid JSON at byte 13: invalid literal");
  EXPECT_EQ(outcome.rejections[1].reason, "not valid JSON at byte 13: invalid literal");
  EXPECT_EQ(outcome.rejections[2].reason,
            "not valid JSON at byte 20: invalid string: surrogate U+D800..U+DBFF must be followed "
            "by U+DC00..U+DFFF");
  EXPECT_EQ(outcome.rejections[3].reason,
            "not valid JSON at its end (byte 16): invalid string: missing closing quote");
}

TEST_F(ProductRunnerTest, HostileRecordsAreRejectedWithTheirReasonOrLoadedWhole) {
  ASSERT_NO_FATAL_FAILURE(Open());
  auto open_event = [](const std::string& order, const std::string& amount = "10.5") {
    std::string event = Event(order, "created", "2026-01-01T10:00:00Z", amount);
    return event.substr(0, event.size() - 1);  // without its closing brace
  };
  std::string multiline = Event("o-6", "created", "2026-01-01T10:00:00Z");
  for (std::size_t at = multiline.find(", "); at != std::string::npos;
       at = multiline.find(", ", at + 2)) {
    multiline[at + 1] = '\n';
  }
  std::vector<std::string> batch = {
      open_event("o-0").substr(0, 40),                                    // truncated
      open_event("o-1") + ", \"note\": \"caf\xC3\"}",                     // invalid UTF-8
      open_event("o-2") + ", \"huge\": 123456789012345678901234567890}",  // beyond 64 bits
      open_event("o-3") + ", \"deep\": " + std::string(5000, '[') + std::string(5000, ']') + "}",
      open_event("o-4", "\"ten\"") + ", \"amount\": 12.5}",  // repeated key, last counts
      open_event("o-5") + ", \"amount\": \"ten\"}",          // repeated key, last counts
      multiline,                                             // line breaks inside
      open_event("o-7") + ", \"extra\": 1e400}",             // a number beyond a double
      open_event("o-8") + ", \"Amount\": \"ten\", \"nested\": {\"a\": 1, \"a\": 2}}",
      "\xEF\xBB\xBF" + Event("o-9", "created", "2026-01-01T10:00:00Z"),  // a byte order mark
  };
  ASSERT_OK_AND_ASSIGN(IngestOutcome outcome, runner_->Ingest("order_events", batch));
  EXPECT_EQ(outcome.received, 10);
  EXPECT_EQ(outcome.accepted, 5);
  ASSERT_THAT(outcome.rejections, SizeIs(5));
  EXPECT_EQ(outcome.rejections[0].index, 0u);
  EXPECT_EQ(outcome.rejections[0].reason,
            "not valid JSON at its end (byte 40): unexpected end of input; expected ':'");
  EXPECT_EQ(outcome.rejections[1].index, 1u);
  EXPECT_EQ(outcome.rejections[1].reason,
            "not valid JSON at byte 223: invalid string: ill-formed UTF-8 byte");
  EXPECT_EQ(outcome.rejections[2].index, 3u);
  EXPECT_EQ(outcome.rejections[2].reason,
            "nests arrays or objects 5001 levels deep; at most 1024 are accepted");
  EXPECT_EQ(outcome.rejections[3].index, 5u);
  EXPECT_EQ(outcome.rejections[3].reason,
            "amount: expected a number (DECIMAL(12,2)), got a string \"ten\"");
  EXPECT_EQ(outcome.rejections[4].index, 7u);
  EXPECT_EQ(outcome.rejections[4].reason,
            "not valid JSON at byte 223: number overflow parsing '1e400'");

  ASSERT_OK_AND_ASSIGN(engine::QueryResult orders,
                       store_->Query("SELECT order_id, amount, status FROM (" +
                                     store_->SnapshotOf("orders", store::AsOf::Current())->sql +
                                     ") ORDER BY order_id"));
  ASSERT_THAT(orders.rows, SizeIs(5));
  EXPECT_EQ(orders.rows[0][0], "o-2");
  EXPECT_EQ(orders.rows[1][0], "o-4");
  EXPECT_EQ(orders.rows[1][1], "12.50");
  EXPECT_EQ(orders.rows[2][0], "o-6");
  EXPECT_EQ(orders.rows[2][2], "created");
  EXPECT_EQ(orders.rows[3][0], "o-8");
  EXPECT_EQ(orders.rows[3][1], "10.50");
  EXPECT_EQ(orders.rows[4][0], "o-9");
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 10);
  EXPECT_EQ(status.ports[0].rejected, 5);
  EXPECT_EQ(status.ports[0].dead_letters, 5);
}

TEST_F(ProductRunnerTest, ConcurrentBatchesAllCommitAndLeaveNothingBehind) {
  ASSERT_NO_FATAL_FAILURE(Open());
  constexpr int kThreads = 4, kBatches = 5, kEvents = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::vector<std::string> batch;
        for (int e = 0; e < kEvents; ++e) {
          std::string order = "o-" + std::to_string((t * kBatches + b) * kEvents + e);
          batch.push_back(Event(order, "created", "2026-01-01T10:00:00Z"));
        }
        batch.push_back("{\"event_id\": 1}");  // one dead letter per batch
        Result<IngestOutcome> outcome = runner_->Ingest("order_events", batch);
        if (!outcome.ok() || outcome->accepted != kEvents || outcome->rejected != 1) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(Orders().rows, SizeIs(kThreads * kBatches * kEvents));
  // Batches that queued behind a commit shared the next one.
  EXPECT_GE(store_->Head().version, 1);
  EXPECT_LE(store_->Head().version, kThreads * kBatches);
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, kThreads * kBatches * (kEvents + 1));
  EXPECT_EQ(status.ports[0].committed + status.ports[0].rejected, status.ports[0].received);
  EXPECT_EQ(status.ports[0].dead_letters, kThreads * kBatches);
  ASSERT_THAT(status.ports[0].offsets, SizeIs(1));
  EXPECT_EQ(status.ports[0].offsets[0].offset, kThreads * kBatches * (kEvents + 1) - 1);
  // Each batch kept its own consecutive offsets: its dead letter (its last record) is at the
  // last offset of a run of kEvents + 1.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult letters,
                       store_->Query("SELECT count(DISTINCT \"offset\"), count(*) FILTER (WHERE "
                                     "\"offset\" % 21 <> 20) FROM quanta.dead_letters"));
  EXPECT_EQ(letters.rows[0][0], std::to_string(kThreads * kBatches));
  EXPECT_EQ(letters.rows[0][1], "0");
  // The batches' loaded rows and files are gone.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, store_->Connect());
  EXPECT_EQ(connection->HeldRowSets(), 0u);
  for (const auto& entry : std::filesystem::directory_iterator(folder_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr(".ingest-")));
  }
}

// Sends requests from threads of their own while the test holds the store's writer, one at a
// time so that they queue in a known order. The first becomes the next writer turn alone (it
// took its group before the others queued); the others queue behind it, and the turn after
// takes them all as one group.
class QueuedRequests {
 public:
  explicit QueuedRequests(ProductRunner& runner) : runner_(runner) {}
  ~QueuedRequests() { Join(); }

  void Send(std::vector<std::string> records, std::optional<std::string> key = std::nullopt,
            std::string port = "order_events") {
    std::size_t before = runner_.QueuedBatches();
    Result<IngestOutcome>* slot = &results_.emplace_back(Status::Internal("not answered"));
    threads_.emplace_back([this, slot, records = std::move(records), key = std::move(key),
                           port = std::move(port)] { *slot = runner_.Ingest(port, records, key); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (runner_.QueuedBatches() != before + 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(runner_.QueuedBatches(), before + 1) << "the request did not queue";
  }

  // Waits for every request; their outcomes in the order sent.
  std::deque<Result<IngestOutcome>>& Join() {
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    return results_;
  }

 private:
  ProductRunner& runner_;
  std::deque<Result<IngestOutcome>> results_;
  std::vector<std::thread> threads_;
};

TEST_F(ProductRunnerTest, QueuedRequestsShareOneCommitWithTheirOwnOffsetsCountsAndKeys) {
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string bad = R"({"event_id": "x"})";
  std::string time = "2026-01-01T10:00:00Z";
  const std::vector<std::string> request_a = {Event("o-a", "created", time)};
  const std::vector<std::string> request_b = {Event("o-b1", "created", time),
                                              Event("o-b2", "created", time),
                                              Event("o-b3", "created", time), bad};
  const std::vector<std::string> request_c = {Event("o-c1", "created", time),
                                              Event("o-c2", "created", time)};
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
    QueuedRequests queued(*runner_);
    ASSERT_NO_FATAL_FAILURE(queued.Send(request_a, "key-a"));
    ASSERT_NO_FATAL_FAILURE(queued.Send(request_b, "key-b"));
    ASSERT_NO_FATAL_FAILURE(queued.Send(request_c, "key-c"));
    ASSERT_NO_FATAL_FAILURE(queued.Send({bad, Event("o-d", "created", time)}));
    held->Abort();
    std::deque<Result<IngestOutcome>>& results = queued.Join();
    for (const auto& result : results) ASSERT_OK(result.status());
    const IngestOutcome &a = *results[0], &b = *results[1], &c = *results[2], &d = *results[3];
    EXPECT_EQ(a.commit.version, 1);
    EXPECT_EQ(b.commit.version, 2);
    EXPECT_EQ(c.commit.version, 2);
    EXPECT_EQ(d.commit.version, 2);
    EXPECT_EQ(b.received, 4);
    EXPECT_EQ(b.accepted, 3);
    EXPECT_EQ(b.rejected, 1);
    ASSERT_THAT(b.rejections, SizeIs(1));
    EXPECT_EQ(b.rejections[0].index, 3u);
    EXPECT_EQ(b.rejections[0].offset, 4);  // b took offsets 1..4, after a's 0
    ASSERT_THAT(b.commit.ports, SizeIs(1));
    ASSERT_THAT(b.commit.ports[0].offsets, SizeIs(1));
    EXPECT_EQ(b.commit.ports[0].offsets[0].first, 1);
    EXPECT_EQ(b.commit.ports[0].offsets[0].last, 4);
    EXPECT_EQ(c.received, 2);
    EXPECT_EQ(c.accepted, 2);
    EXPECT_EQ(c.commit.ports[0].offsets[0].first, 5);
    EXPECT_EQ(c.commit.ports[0].offsets[0].last, 6);
    EXPECT_EQ(d.accepted, 1);
    ASSERT_THAT(d.rejections, SizeIs(1));
    EXPECT_EQ(d.rejections[0].offset, 7);
  }
  EXPECT_EQ(store_->Head().version, 2);
  EXPECT_THAT(Orders().rows, SizeIs(7));

  // A retry answers its own request's counts, not the group's, and applies nothing.
  ASSERT_OK_AND_ASSIGN(IngestOutcome retry_b, runner_->Ingest("order_events", request_b, "key-b"));
  EXPECT_TRUE(retry_b.replayed);
  EXPECT_EQ(retry_b.commit.version, 2);
  EXPECT_EQ(retry_b.received, 4);
  EXPECT_EQ(retry_b.accepted, 3);
  EXPECT_EQ(retry_b.rejected, 1);
  ASSERT_OK_AND_ASSIGN(IngestOutcome retry_c, runner_->Ingest("order_events", request_c, "key-c"));
  EXPECT_TRUE(retry_c.replayed);
  EXPECT_EQ(retry_c.commit.version, 2);
  EXPECT_EQ(retry_c.received, 2);
  EXPECT_EQ(retry_c.rejected, 0);
  ASSERT_OK_AND_ASSIGN(IngestOutcome retry_a, runner_->Ingest("order_events", request_a, "key-a"));
  EXPECT_EQ(retry_a.commit.version, 1);
  EXPECT_EQ(retry_a.received, 1);
  EXPECT_EQ(store_->Head().version, 2);
  // Other records under a key of the group are refused, not answered as if applied.
  Result<IngestOutcome> reused = runner_->Ingest("order_events", request_a, "key-b");
  EXPECT_EQ(reused.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(reused.status().message(), HasSubstr("'key-b' was used by an earlier request"));

  // Counts reconcile, and each dead letter has its request's offset.
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 9);
  EXPECT_EQ(status.ports[0].committed, 7);
  EXPECT_EQ(status.ports[0].rejected, 2);
  EXPECT_EQ(status.ports[0].offsets[0].offset, 8);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult letters,
                       store_->Query("SELECT version, \"offset\" FROM quanta.dead_letters "
                                     "ORDER BY 2"));
  ASSERT_THAT(letters.rows, SizeIs(2));
  EXPECT_EQ(letters.rows[0][0], "2");
  EXPECT_EQ(letters.rows[0][1], "4");
  EXPECT_EQ(letters.rows[1][1], "7");

  // The keys survive closing and opening the store.
  runner_.reset();
  store_.reset();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK_AND_ASSIGN(std::optional<store::CommitInfo> found, store_->FindCommit("key-b"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->version, 2);
  ASSERT_NE(found->FindPort("order_events"), nullptr);
  EXPECT_EQ(found->FindPort("order_events")->received, 4);
}

TEST_F(ProductRunnerTest, AGroupMemberWhoseTransformFailsFailsAloneAndTheOthersCommit) {
  WriteTransform(
      "SELECT order_id, customer_id, product_id, category, quantity,\n"
      "  CASE WHEN order_id = 'o-boom' THEN error('no price for ' || order_id) ELSE amount END"
      " AS amount,\n  event_type AS status, occurred_at AS updated_at FROM order_events\n");
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string time = "2026-01-01T10:00:00Z";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
  QueuedRequests queued(*runner_);
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-1", "created", time)}));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-2", "created", time)}, "key-2"));
  ASSERT_NO_FATAL_FAILURE(
      queued.Send({Event("o-3", "created", time), Event("o-boom", "created", time)}, "key-3"));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-4", "created", time)}, "key-4"));
  held->Abort();
  std::deque<Result<IngestOutcome>>& results = queued.Join();
  ASSERT_OK(results[0].status());
  ASSERT_OK(results[1].status());
  ASSERT_FALSE(results[2].ok());
  EXPECT_EQ(results[2].status().code(), ErrorCode::kInvalidDocument);  // HTTP 422
  EXPECT_THAT(results[2].status().message(), HasSubstr("no price for o-boom"));
  ASSERT_OK(results[3].status());
  // Offsets stay consecutive: the failed request consumed none.
  EXPECT_EQ(results[3]->commit.ports[0].offsets[0].first, 2);

  engine::QueryResult orders = Orders();
  ASSERT_THAT(orders.rows, SizeIs(3));
  EXPECT_EQ(orders.rows[0][0], "o-1");
  EXPECT_EQ(orders.rows[1][0], "o-2");
  EXPECT_EQ(orders.rows[2][0], "o-4");
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 3);
  EXPECT_EQ(status.ports[0].committed + status.ports[0].rejected, status.ports[0].received);
  // The failed request's key was not taken: its retry (without the bad record) applies.
  ASSERT_OK_AND_ASSIGN(std::optional<store::CommitInfo> none, store_->FindCommit("key-3"));
  EXPECT_FALSE(none.has_value());
  ASSERT_OK_AND_ASSIGN(IngestOutcome retried,
                       runner_->Ingest("order_events", {Event("o-3", "created", time)}, "key-3"));
  EXPECT_FALSE(retried.replayed);
  EXPECT_THAT(Orders().rows, SizeIs(4));
}

TEST_F(ProductRunnerTest, AnUpsertAcrossGroupMembersKeepsTheLastEventInOffsetOrder) {
  // No ordering in the transform: the last row of a key in the batch wins.
  WriteTransform(
      "SELECT order_id, customer_id, product_id, category, quantity, amount, "
      "event_type AS status, occurred_at AS updated_at FROM order_events\n");
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string time = "2026-01-01T10:00:00Z";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
  QueuedRequests queued(*runner_);
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-1", "created", time)}));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-1", "paid", time), Event("o-2", "created", time)}));
  ASSERT_NO_FATAL_FAILURE(
      queued.Send({Event("o-2", "paid", time), Event("o-1", "cancelled", time)}));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-1", "shipped", time)}));
  held->Abort();
  for (const auto& result : queued.Join()) ASSERT_OK(result.status());
  EXPECT_EQ(store_->Head().version, 2);

  engine::QueryResult orders = Orders();
  ASSERT_THAT(orders.rows, SizeIs(2));
  EXPECT_EQ(orders.rows[0][6], "shipped");
  EXPECT_EQ(orders.rows[1][6], "paid");
  // The group is one version: o-1 has one row version from it, and version 1 is as before.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult versions,
                       store_->Query("SELECT count(*) FROM history.orders WHERE order_id = 'o-1' "
                                     "AND _quanta_from_version = 2"));
  EXPECT_EQ(versions.rows[0][0], "1");
  ASSERT_OK_AND_ASSIGN(engine::QueryResult first,
                       store_->ReadDataset("orders", store::AsOf::Version(1)));
  ASSERT_THAT(first.rows, SizeIs(1));
  EXPECT_EQ(first.rows[0][6], "created");
}

TEST_F(ProductRunnerTest, AGroupGivesWhatOneLargerBatchGivesToATransformReadingPrevious) {
  // A running total per order over previous."orders".
  WriteTransform(
      "SELECT e.order_id, e.customer_id, e.product_id, e.category,\n"
      "  coalesce(p.quantity, 0) + e.quantity AS quantity, e.amount, e.event_type AS status,\n"
      "  e.occurred_at AS updated_at\n"
      "FROM order_events e LEFT JOIN previous.orders p USING (order_id)\n");
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string time = "2026-01-01T10:00:00Z";
  std::vector<std::string> first = {Event("o-1", "created", time)};
  std::vector<std::string> second = {Event("o-1", "paid", time), Event("o-2", "created", time)};
  std::vector<std::string> third = {Event("o-3", "created", time), Event("o-1", "shipped", time)};
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
    QueuedRequests queued(*runner_);
    ASSERT_NO_FATAL_FAILURE(queued.Send(first));
    ASSERT_NO_FATAL_FAILURE(queued.Send(second));
    ASSERT_NO_FATAL_FAILURE(queued.Send(third));
    held->Abort();
    for (const auto& result : queued.Join()) ASSERT_OK(result.status());
  }
  EXPECT_EQ(store_->Head().version, 2);

  // The same events, the second and third requests as one batch, in a store of their own.
  std::unique_ptr<store::ProductStore> other_store;
  std::unique_ptr<ProductRunner> other_runner;
  ASSERT_NO_FATAL_FAILURE(OpenAt(folder_.path() / "one-batch.duckdb", other_store, other_runner));
  ASSERT_OK(other_runner->Ingest("order_events", first).status());
  std::vector<std::string> joined = second;
  joined.insert(joined.end(), third.begin(), third.end());
  ASSERT_OK(other_runner->Ingest("order_events", joined).status());

  ASSERT_OK_AND_ASSIGN(engine::QueryResult expected,
                       other_store->ReadDataset("orders", store::AsOf::Current(), "order_id"));
  engine::QueryResult grouped = Orders();
  EXPECT_EQ(grouped.rows, expected.rows);
  ASSERT_THAT(grouped.rows, SizeIs(3));
  EXPECT_EQ(grouped.rows[0][4], "2");  // 1 before the group, + 1 from its last o-1 event
}

TEST_F(ProductRunnerTest, ARequestRepeatingAKeyOfItsGroupReplaysTheFirst) {
  ASSERT_NO_FATAL_FAILURE(Open());
  std::string time = "2026-01-01T10:00:00Z";
  std::vector<std::string> batch = {Event("o-2", "created", time), R"({"event_id": "x"})"};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
  QueuedRequests queued(*runner_);
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-1", "created", time)}));
  ASSERT_NO_FATAL_FAILURE(queued.Send(batch, "key-1"));
  ASSERT_NO_FATAL_FAILURE(queued.Send(batch, "key-1"));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-3", "created", time)}));
  ASSERT_NO_FATAL_FAILURE(queued.Send({Event("o-4", "created", time)}, "key-1"));
  held->Abort();
  std::deque<Result<IngestOutcome>>& results = queued.Join();
  // The last request reuses the key with other records: refused, and o-4 is not stored.
  EXPECT_EQ(results[4].status().code(), ErrorCode::kInvalidDocument);
  results.pop_back();
  for (const auto& result : results) ASSERT_OK(result.status());
  EXPECT_FALSE(results[1]->replayed);
  EXPECT_TRUE(results[2]->replayed);
  EXPECT_EQ(results[2]->commit.version, results[1]->commit.version);
  EXPECT_EQ(results[2]->accepted, 1);
  EXPECT_EQ(results[2]->rejected, 1);
  EXPECT_EQ(results[3]->commit.ports[0].offsets[0].first, 3);  // after 0, 1..2
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  EXPECT_EQ(status.ports[0].received, 4);
  EXPECT_EQ(status.ports[0].rejected, 1);
  EXPECT_THAT(Orders().rows, SizeIs(3));
}

TEST_F(ProductRunnerTest, RequestsOfAnotherPortWaitForATurnOfTheirOwn) {
  // The funnel joins its inputs: requests of two ports in one batch would meet in the join.
  std::filesystem::remove_all(folder_.path() / "product");
  std::filesystem::copy("examples/marketing/funnel", folder_.path() / "product",
                        std::filesystem::copy_options::recursive);
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::BatchWriter> held, store_->BeginBatch());
  QueuedRequests queued(*runner_);
  ASSERT_NO_FATAL_FAILURE(queued.Send({"not json"}, std::nullopt, "orders"));
  ASSERT_NO_FATAL_FAILURE(queued.Send({"not json", "nor this"}, std::nullopt, "interactions"));
  ASSERT_NO_FATAL_FAILURE(queued.Send({"not json"}, std::nullopt, "orders"));
  ASSERT_NO_FATAL_FAILURE(queued.Send({"not json"}, std::nullopt, "interactions"));
  held->Abort();
  std::deque<Result<IngestOutcome>>& results = queued.Join();
  for (const auto& result : results) ASSERT_OK(result.status());
  // The first alone; then the front (interactions) with the other interactions request; then
  // the orders request that waited.
  EXPECT_EQ(results[0]->commit.version, 1);
  EXPECT_EQ(results[1]->commit.version, 2);
  EXPECT_EQ(results[3]->commit.version, 2);
  EXPECT_EQ(results[2]->commit.version, 3);
  EXPECT_EQ(results[3]->commit.ports[0].offsets[0].first, 2);  // after the first one's 0..1
  EXPECT_EQ(results[2]->commit.ports[0].offsets[0].first, 1);
  ASSERT_OK_AND_ASSIGN(store::StoreStatus status, store_->ReadStatus());
  for (const store::PortStatus& port : status.ports) {
    EXPECT_EQ(port.received, port.name == "interactions" ? 3 : port.name == "orders" ? 2 : 0);
    EXPECT_EQ(port.rejected, port.received);
  }
}

TEST_F(ProductRunnerTest, AnUnknownPortIsNamed) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Result<IngestOutcome> outcome = runner_->Ingest("nope", {"{}"});
  ASSERT_FALSE(outcome.ok());
  EXPECT_THAT(outcome.status().message(), HasSubstr("order_events"));
}

}  // namespace
}  // namespace quanta::pipeline
