#pragma once

// Test support shared by the node's tests: the orders example as a deploy carries it, in two
// majors. Include only from *_test.cc files.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "node/product_catalog.h"
#include "store/clock.h"

namespace quanta::node::testing {

/// One order event of the orders example's input port.
inline std::string OrderEvent(const std::string& order, const std::string& type,
                              const std::string& time) {
  return R"({"event_id": "e-)" + order + "-" + type + R"(", "order_id": ")" + order +
         R"(", "customer_id": "c-1", "event_type": ")" + type +
         R"(", "product_id": "p-1", "category": "Shoes", "quantity": 1, "amount": 10.5, )" +
         R"("occurred_at": ")" + time + R"("})";
}

/// A product folder as a deploy carries it: relative path -> text.
inline ProductFiles ReadProductFiles(const std::filesystem::path& root) {
  ProductFiles files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    files[entry.path().lexically_relative(root).generic_string()] = text.str();
  }
  return files;
}

/// Replaces the first `from` in `files[path]`; fails the test when it is not there.
inline void ReplaceInFile(ProductFiles& files, const std::string& path, const std::string& from,
                          const std::string& to) {
  std::string& text = files.at(path);
  std::size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " is not in " << path;
  text.replace(at, from.size(), to);
}

inline store::Timestamp At(std::string_view text) { return *store::ParseTimestamp(text); }

/// The orders example as version 1.0.0 (`v1`) and as a breaking 2.0.0 (`v2`: status renamed
/// to order_status), read from examples/ (tests run from the repository's root).
struct OrdersMajors {
  ProductFiles v1;
  ProductFiles v2;
};

inline void ReadOrdersMajors(OrdersMajors& majors) {
  majors.v1 = ReadProductFiles("examples/orders/orders");
  majors.v2 = majors.v1;
  ProductFiles& v2 = majors.v2;
  ReplaceInFile(v2, "product.yaml", "version: 1.0.0\nstatus: active",
                "version: 2.0.0\nstatus: active");
  ReplaceInFile(v2, "product.yaml",
                "    version: 1.0.0\n    contractId: urn:quanta:orders:orders:contract:orders",
                "    version: 2.0.0\n    contractId: urn:quanta:orders:orders:contract:orders");
  ReplaceInFile(v2, "contracts/orders.yaml", "version: 1.0.0", "version: 2.0.0");
  ReplaceInFile(v2, "contracts/orders.yaml", "- name: status", "- name: order_status");
  ReplaceInFile(v2, "transforms/orders.sql", "AS status", "AS order_status");
}

}  // namespace quanta::node::testing
