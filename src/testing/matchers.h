#pragma once

#include <string>

#include <gtest/gtest.h>

#include "base/result.h"

namespace quanta::testing_support {
inline std::string StatusString(const Status& status) { return status.ToString(); }
template <typename T>
std::string StatusString(const Result<T>& result) {
  return result.status().ToString();
}
}  // namespace quanta::testing_support

/// Fails the test, printing the status, when `expr` (a Status or Result) is not ok.
#define ASSERT_OK(expr)                                                          \
  do {                                                                           \
    const auto& _assert_ok = (expr);                                             \
    ASSERT_TRUE(_assert_ok.ok()) << ::quanta::testing_support::StatusString(_assert_ok); \
  } while (false)

#define EXPECT_OK(expr)                                                          \
  do {                                                                           \
    const auto& _expect_ok = (expr);                                             \
    EXPECT_TRUE(_expect_ok.ok()) << ::quanta::testing_support::StatusString(_expect_ok); \
  } while (false)

/// Evaluates `expr` (a Result), fails the test when it is not ok, else moves its value to `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                            \
  ASSERT_OK_AND_ASSIGN_IMPL(QUANTA_CONCAT(_assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, expr)                             \
  auto result = (expr);                                                          \
  ASSERT_TRUE(result.ok()) << ::quanta::testing_support::StatusString(result);   \
  lhs = std::move(result).value()
