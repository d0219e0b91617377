#pragma once

#include <gtest/gtest.h>

#include <string>

#include "base/result.h"

namespace quanta::testing_support {
inline std::string StatusString(const Status& status) { return status.ToString(); }
template <typename T>
std::string StatusString(const Result<T>& result) {
  return result.status().ToString();
}
// A copy of the status, taken while `expr`'s temporaries are alive: ASSERT_OK(f().status())
// must not keep a reference into f()'s result past the statement.
inline Status StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}
}  // namespace quanta::testing_support

/// Fails the test, printing the status, when `expr` (a Status or Result) is not ok.
#define ASSERT_OK(expr)                                                            \
  do {                                                                             \
    const ::quanta::Status _assert_ok = ::quanta::testing_support::StatusOf(expr); \
    ASSERT_TRUE(_assert_ok.ok()) << _assert_ok.ToString();                         \
  } while (false)

#define EXPECT_OK(expr)                                                            \
  do {                                                                             \
    const ::quanta::Status _expect_ok = ::quanta::testing_support::StatusOf(expr); \
    EXPECT_TRUE(_expect_ok.ok()) << _expect_ok.ToString();                         \
  } while (false)

/// Evaluates `expr` (a Result), fails the test when it is not ok, else moves its value to `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(QUANTA_CONCAT(_assert_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, expr)                           \
  auto result = (expr);                                                        \
  ASSERT_TRUE(result.ok()) << ::quanta::testing_support::StatusString(result); \
  lhs = std::move(result).value()
