#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace quanta::ports {

/// The bounds that keep one client from exhausting the HTTP server. Every limit answers with a
/// JSON error naming the limit and how to raise it; none of them stops the server serving others.
struct HttpLimits {
  /// Request line plus header fields; beyond it: 431 and the connection closes.
  std::size_t max_header_bytes = 16 * 1024;
  /// Request body, checked against Content-Length before any body byte is read and while a
  /// chunked body arrives; beyond it: 413 and the connection closes. Routes may set their own.
  std::uint64_t max_body_bytes = 16ull * 1024 * 1024;
  /// From the first byte of a request to its last: a client slower than this (slow loris) gets
  /// 408 and the connection closes.
  std::chrono::milliseconds request_timeout{30'000};
  /// How long a keep-alive connection may wait for its next request before it is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How long one write to a client may make no progress (a client that stops reading) before
  /// the connection is closed.
  std::chrono::milliseconds write_timeout{30'000};
  /// Open connections; the next one gets 503 and is closed.
  std::size_t max_connections = 1024;
  /// Bytes a streamed body may queue ahead of the socket before its producer waits.
  std::size_t stream_buffer_bytes = 1024 * 1024;
};

}  // namespace quanta::ports
