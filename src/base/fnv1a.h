#pragma once

#include <cstdint>
#include <string_view>

namespace quanta {

/// FNV-1a, 64 bits: a digest of bytes fed in pieces that is the same on every machine, build and
/// run, for fingerprints that are stored or compared across processes (idempotency keys, cursors,
/// export names). Not for security: anyone can make two inputs collide.
class Fnv1a64 {
 public:
  static constexpr std::uint64_t kOffsetBasis = 14695981039346656037ull;

  explicit Fnv1a64(std::uint64_t basis = kOffsetBasis) : hash_(basis) {}

  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) Mix(c);
  }
  /// Add, then a 0xFF byte, which no UTF-8 text holds: ("ab", "c") and ("a", "bc") differ.
  void AddField(std::string_view text) {
    Add(text);
    Mix(0xFF);
  }
  std::uint64_t value() const { return hash_; }

 private:
  void Mix(unsigned char c) {
    hash_ ^= c;
    hash_ *= 1099511628211ull;
  }
  std::uint64_t hash_;
};

}  // namespace quanta
