#pragma once

// Shared by the tests of the store and of the ports that read it: a temporary folder per test,
// a small product layout, and a test fixture with a store of that layout.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "store/product_store.h"
#include "store/store_layout.h"
#include "testing/matchers.h"

namespace quanta::store::testing {

/// A fresh folder under the system's temporary directory, removed with everything in it when
/// the object goes away.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("quanta-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// The orders product of the demo, reduced: `orders` (upsert by order_id, its lookup column),
/// `events` (append, no key), and the input port `order_events`.
inline StoreLayout OrdersLayout() {
  StoreLayout layout;
  layout.datasets.push_back(
      {"orders",
       {{"order_id", "VARCHAR"}, {"status", "VARCHAR"}, {"amount", "DECIMAL(10,2)"}},
       WriteMode::kUpsert,
       {"order_id"},
       std::nullopt,
       "order_id"});
  layout.datasets.push_back(
      {"events",
       {{"event_id", "VARCHAR"}, {"order_id", "VARCHAR"}, {"step", "INTEGER"}},
       WriteMode::kAppend,
       {},
       std::nullopt,
       ""});
  layout.input_ports.push_back({"order_events", std::nullopt});
  return layout;
}

/// A test with an OrdersLayout store in its own temporary folder, opened in SetUp.
class OrdersStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.open_check = OpenCheck::kQuick;
    options.settings = {{"threads", "2"}};
    ASSERT_OK_AND_ASSIGN(
        store_, ProductStore::Open(folder_.path() / "orders.duckdb", OrdersLayout(), options));
  }

  /// Commits `orders` rows given as SQL VALUES tuples (order_id, status, amount).
  void CommitOrders(std::string_view values) {
    ASSERT_OK_AND_ASSIGN(auto writer, store_->BeginBatch());
    ASSERT_OK(writer->StageRows(
        "orders", fmt::format("SELECT * FROM (VALUES {}) AS v(order_id, status, amount)", values)));
    ASSERT_OK(writer->Commit());
  }

  TemporaryFolder folder_;
  std::unique_ptr<ProductStore> store_;
};

}  // namespace quanta::store::testing
