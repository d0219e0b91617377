#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "ports/http_message.h"

namespace quanta::ports {

/// The queue between a streamed body's producer (a blocking-pool thread calling Write) and the
/// connection that sends it (the event loop calling Take and Sent). Bounded: Write waits while
/// more than `buffer_bytes` are queued or being sent, so a slow client slows the producer down
/// instead of the server buffering the whole result. Thread-safe.
class BodyChannel : public BodyWriter {
 public:
  /// `wake` is called (from the producer's thread, without locks held) when the consumer asked
  /// for data and found none, and data or the end has arrived since: it should schedule Take.
  BodyChannel(std::size_t buffer_bytes, std::function<void()> wake);

  bool Write(std::string chunk) override;
  bool Cancelled() const override;
  bool Draining() const override;
  bool WaitForStop(std::chrono::milliseconds timeout) override;

  /// What the consumer got from Take.
  struct Batch {
    std::vector<std::string> chunks;  ///< to send, in order; may be empty
    bool finished = false;            ///< the producer returned and every chunk has been taken
    Status failure;                   ///< when finished: what the producer returned
    bool started = false;  ///< whether any chunk was ever written (headers must go first)
  };
  /// Consumer: takes every queued chunk. When it returns no chunk and not finished, `wake` is
  /// called once more data or the end arrives.
  Batch Take();
  /// Consumer: `bytes` taken earlier have been written to the socket; lets the producer go on.
  void Sent(std::size_t bytes);
  /// Producer side is done (called by the server with the producer's result).
  void Finish(Status result);
  /// The client is gone or the connection is being cut: Write returns false from now on.
  void Cancel();
  /// The server is shutting down: Draining() becomes true and waiters of WaitForStop wake.
  void BeginDrain();

  /// The most bytes ever queued or in flight at once (for tests of the backpressure bound).
  std::size_t peak_pending_bytes() const;

 private:
  void WakeIfWaiting(std::unique_lock<std::mutex>& lock);

  const std::size_t buffer_bytes_;
  const std::function<void()> wake_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> queue_;
  std::size_t pending_bytes_ = 0;  // queued plus taken and not yet sent
  std::size_t peak_pending_bytes_ = 0;
  bool consumer_waiting_ = false;
  bool started_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  bool draining_ = false;
  Status failure_;
};

}  // namespace quanta::ports
