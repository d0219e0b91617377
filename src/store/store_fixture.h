#pragma once

// Shared by the store's tests only: a temporary folder per test and a small product layout.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "store/store_layout.h"

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

/// The orders product of the demo, reduced: `orders` (upsert by order_id), `events` (append),
/// and the input port `order_events`.
inline StoreLayout OrdersLayout() {
  StoreLayout layout;
  layout.datasets.push_back(
      {"orders",
       {{"order_id", "VARCHAR"}, {"status", "VARCHAR"}, {"amount", "DECIMAL(10,2)"}},
       WriteMode::kUpsert,
       {"order_id"},
       std::nullopt});
  layout.datasets.push_back(
      {"events",
       {{"event_id", "VARCHAR"}, {"order_id", "VARCHAR"}, {"step", "INTEGER"}},
       WriteMode::kAppend,
       {},
       std::nullopt});
  layout.input_ports.push_back({"order_events", std::nullopt});
  return layout;
}

}  // namespace quanta::store::testing
