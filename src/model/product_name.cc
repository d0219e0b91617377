#include "model/product_name.h"

namespace quanta::model {

bool IsProductName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto letter_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!letter_or_digit(name.front())) return false;
  for (char c : name) {
    if (!letter_or_digit(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace quanta::model
