// Measurements, not tests: run with --gtest_also_run_disabled_tests
// --gtest_filter='StoreTiming*'. They print numbers for docs/store.md and assert nothing about
// time.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "store/product_store.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::store {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

TEST(StoreTiming, DISABLED_SmallCommitLatency) {
  for (const char* threshold : {"16MB", "64KB"}) {
    testing::TemporaryFolder folder;
    StoreOptions options;
    options.open_check = OpenCheck::kQuick;
    options.settings = {{"threads", std::getenv("T") ? std::getenv("T") : "2"},
                        {"checkpoint_threshold", threshold}};
    auto open_start = Clock::now();
    ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(folder.path() / "s.duckdb",
                                                        testing::OrdersLayout(), options));
    double open_ms = MillisecondsSince(open_start);
    constexpr int kBatches = 50;
    auto start = Clock::now();
    std::clock_t cpu_start = std::clock();
    for (int i = 1; i <= kBatches; ++i) {
      ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
      ASSERT_OK(writer->StageRows("events",
                                  "SELECT 'e' || n AS event_id, 'o-1' AS order_id, "
                                  "n AS step FROM range(3) AS r(n)"));
      ASSERT_OK(writer->StageRows("orders", fmt::format("SELECT 'o-{}' AS order_id", i % 7)));
      ASSERT_OK(writer->AddReceived("order_events", 3));
      ASSERT_OK(writer->SetOffset("order_events", i));
      ASSERT_OK(writer->Commit());
    }
    double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::printf("checkpoint_threshold %s: open %.1f ms, %.2f ms per small commit (%.2f ms CPU)\n",
                threshold, open_ms, MillisecondsSince(start) / kBatches, cpu_ms / kBatches);
  }
}

TEST(StoreTiming, DISABLED_UpsertMethods) {
  constexpr int kKeys = 1000000;
  constexpr int kBatches = 10;
  constexpr int kRowsPerBatch = 100000;
  for (UpsertMethod method : {UpsertMethod::kUpdateInsert, UpsertMethod::kMerge}) {
    testing::TemporaryFolder folder;
    StoreOptions options;
    options.open_check = OpenCheck::kQuick;
    options.upsert_method = method;
    ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(folder.path() / "s.duckdb",
                                                        testing::OrdersLayout(), options));
    {
      ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
      ASSERT_OK(writer->StageRows("orders", fmt::format("SELECT 'o-' || n AS order_id, 'created' "
                                                        "AS status, n AS amount FROM range({}) "
                                                        "AS r(n)",
                                                        kKeys)));
      ASSERT_OK(writer->Commit());
    }
    double total_ms = 0;
    for (int batch = 0; batch < kBatches; ++batch) {
      ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
      // Half the rows update existing keys, half add new ones.
      ASSERT_OK(writer->StageRows(
          "orders", fmt::format("SELECT 'o-' || (n * 7 % {0} + CASE WHEN n % 2 = 0 THEN 0 ELSE "
                                "{0} * ({1} + 1) END) AS order_id, 'paid' AS status, n AS amount "
                                "FROM range({2}) AS r(n)",
                                kKeys, batch, kRowsPerBatch)));
      auto start = Clock::now();
      ASSERT_OK(writer->Commit());
      total_ms += MillisecondsSince(start);
    }
    std::printf("%s: %.1f ms per commit of %d upserted rows into %d keys\n",
                method == UpsertMethod::kMerge ? "MERGE INTO" : "UPDATE + INSERT",
                total_ms / kBatches, kRowsPerBatch, kKeys);
  }
}

}  // namespace
}  // namespace quanta::store
