// DuckDB must write a commit to stable storage before Commit returns, or an acknowledged
// batch could vanish with a power cut even though it survives a killed process. This test
// counts the fsync calls DuckDB makes (the definitions below take the place of the C
// library's for the whole test binary, and forward to the kernel).

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "store/product_store.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace {
std::atomic<long> sync_calls{0};
}  // namespace

extern "C" int fsync(int fd) {
  sync_calls.fetch_add(1);
  return static_cast<int>(syscall(SYS_fsync, fd));
}

extern "C" int fdatasync(int fd) {
  sync_calls.fetch_add(1);
  return static_cast<int>(syscall(SYS_fdatasync, fd));
}

namespace quanta::store {
namespace {

TEST(StoreDurabilityTest, EveryCommitIsSyncedToDiskBeforeItReturns) {
  testing::TemporaryFolder folder;
  StoreOptions options;
  options.open_check = OpenCheck::kQuick;
  ASSERT_OK_AND_ASSIGN(auto store, ProductStore::Open(folder.path() / "orders.duckdb",
                                                      testing::OrdersLayout(), options));
  for (int batch = 1; batch <= 3; ++batch) {
    ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
    ASSERT_OK(writer->StageRows("orders", "SELECT 'o-1' AS order_id, 'created' AS status"));
    ASSERT_OK(writer->AddReceived("order_events", 1));
    ASSERT_OK(writer->SetOffset("order_events", batch));
    long before = sync_calls.load();
    ASSERT_OK(writer->Commit());
    EXPECT_GT(sync_calls.load(), before) << "commit " << batch << " returned without an fsync";
  }
  // An aborted batch writes nothing durable.
  ASSERT_OK_AND_ASSIGN(auto writer, store->BeginBatch());
  ASSERT_OK(writer->StageRows("orders", "SELECT 'o-2' AS order_id"));
  long before = sync_calls.load();
  writer->Abort();
  EXPECT_EQ(sync_calls.load(), before);
}

}  // namespace
}  // namespace quanta::store
