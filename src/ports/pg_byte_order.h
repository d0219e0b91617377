#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace quanta::ports {

// The PostgreSQL wire protocol puts every integer in network byte order (big-endian). These
// appenders and readers are the one place that knows it; the codec and the type encoders use
// them.

/// Appends `value` as 2 big-endian bytes.
inline void AppendInt16(std::string& out, std::int16_t value) {
  auto bits = static_cast<std::uint16_t>(value);
  char bytes[2] = {static_cast<char>(bits >> 8), static_cast<char>(bits)};
  out.append(bytes, 2);
}

/// Appends `value` as 4 big-endian bytes.
inline void AppendInt32(std::string& out, std::int32_t value) {
  auto bits = static_cast<std::uint32_t>(value);
  char bytes[4] = {static_cast<char>(bits >> 24), static_cast<char>(bits >> 16),
                   static_cast<char>(bits >> 8), static_cast<char>(bits)};
  out.append(bytes, 4);
}

/// Appends `value` as 8 big-endian bytes.
inline void AppendInt64(std::string& out, std::int64_t value) {
  auto bits = static_cast<std::uint64_t>(value);
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(bits >> (56 - 8 * i));
  out.append(bytes, 8);
}

/// Overwrites the 4 bytes at `out[position]` with `value`, big-endian (a length placeholder).
inline void PatchInt32(std::string& out, std::size_t position, std::int32_t value) {
  auto bits = static_cast<std::uint32_t>(value);
  out[position] = static_cast<char>(bits >> 24);
  out[position + 1] = static_cast<char>(bits >> 16);
  out[position + 2] = static_cast<char>(bits >> 8);
  out[position + 3] = static_cast<char>(bits);
}

/// The 2 big-endian bytes at `bytes`; the caller checks that they exist.
inline std::int16_t LoadInt16(const char* bytes) {
  auto b = reinterpret_cast<const unsigned char*>(bytes);
  return static_cast<std::int16_t>(static_cast<std::uint16_t>((b[0] << 8) | b[1]));
}

/// The 4 big-endian bytes at `bytes`; the caller checks that they exist.
inline std::int32_t LoadInt32(const char* bytes) {
  auto b = reinterpret_cast<const unsigned char*>(bytes);
  return static_cast<std::int32_t>((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                   (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
}

/// The 8 big-endian bytes at `bytes`; the caller checks that they exist.
inline std::int64_t LoadInt64(const char* bytes) {
  auto b = reinterpret_cast<const unsigned char*>(bytes);
  std::uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
  return static_cast<std::int64_t>(bits);
}

}  // namespace quanta::ports
