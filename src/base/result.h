#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "base/status.h"

namespace quanta {

/// Either a value of type T or a non-ok Status (Arrow's Result).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result holding no value needs an error Status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  /// The value; only valid when ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace quanta

#define QUANTA_CONCAT_INNER(a, b) a##b
#define QUANTA_CONCAT(a, b) QUANTA_CONCAT_INNER(a, b)
#define QUANTA_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()

/// Evaluates `expr` (a Result); returns its Status when not ok, else assigns the value to `lhs`.
#define QUANTA_ASSIGN_OR_RETURN(lhs, expr) \
  QUANTA_ASSIGN_OR_RETURN_IMPL(QUANTA_CONCAT(_result_, __LINE__), lhs, expr)
