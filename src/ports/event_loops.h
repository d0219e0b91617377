#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace quanta::ports {

/// The node's event loop: one Boost.Asio io_context per thread, each run by its own thread,
/// with every network port's connections spread over them. A connection's reads, answers and
/// writes then happen on one thread, and a read that completes is handled by the thread that
/// waited for it: a loop shared by several threads hands each ready socket to another thread,
/// which costs a futex wake-up per round trip (a third of a short SQL statement's time).
///
/// A handler that may run long on its loop's thread says so with Hold (PgServer's inline runs
/// do); while it runs, the loop's other connections wait for it, so one that is held longer
/// than kRescueAfter gets a helper thread that runs the loop's other handlers until the hold
/// ends. Release waits for the helper to finish the handler it runs, so that handlers of one
/// loop never run at once, save the held one: it may only touch what the others leave alone
/// while it lasts (PgConnection: its session, while working_ turns its other handlers away).
///
/// Lifecycle: construct -> Start -> Stop (joins the threads; handlers not run are destroyed
/// with the object). Every method but Start and Stop may be called from any thread.
class EventLoops {
 public:
  /// How long a held loop's other connections wait before a helper runs them.
  static constexpr std::chrono::milliseconds kRescueAfter{2};

  explicit EventLoops(int threads);
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  class Loop;
  /// The loop for the next connection, round robin.
  Loop& Next();
  /// The first loop (for an acceptor and its timers).
  Loop& First() { return *loops_.front(); }
  std::size_t size() const { return loops_.size(); }

  void Start();
  /// Stops every loop and joins its threads. Safe to call more than once.
  void Stop();

  /// One io_context and the thread that runs it.
  class Loop {
   public:
    ~Loop();
    boost::asio::io_context& context() { return *context_; }
    /// Called by a handler of this loop about to do work that may take long: true when the
    /// loop had no hold already (Release it after), false when it had, or when this is the
    /// helper running the loop for one: then the work belongs on another thread.
    bool Hold();
    /// Ends the hold; waits for a helper running the loop to finish its handler.
    void Release();

   private:
    friend class EventLoops;
    Loop();
    // The rescuer's thread: waits to be woken for a hold, then runs the loop's handlers
    // until that hold ends.
    void RunRescues();

    struct WorkGuard;  // keeps the loop's run() going while it has nothing to do
    std::unique_ptr<boost::asio::io_context> context_;
    std::unique_ptr<WorkGuard> guard_;
    std::thread thread_;
    // When the current hold began (steady clock, ns); 0: none.
    std::atomic<std::int64_t> held_since_ns_{0};
    std::atomic<std::uint64_t> holds_{0};  // holds begun, for the watch
    std::uint64_t watched_hold_ = 0;       // the watch's: the hold it last looked at

    std::thread rescuer_;
    std::mutex rescue_mutex_;
    std::condition_variable rescue_wake_;
    std::condition_variable rescue_ended_;
    std::atomic<bool> rescuing_{false};  // the rescuer runs the loop's handlers now
    std::uint64_t rescue_hold_ = 0;      // guarded by rescue_mutex_: the hold to rescue, 0: none
    bool stop_ = false;                  // guarded by rescue_mutex_
  };

 private:
  // On the watch thread: wakes the rescuer of a loop held past kRescueAfter. Looks every
  // millisecond while holds go on, every 20 while none has begun since its last look.
  void Watch();

  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<std::size_t> next_{0};
  std::thread watch_;
  std::mutex watch_mutex_;
  std::condition_variable watch_wake_;
  bool watch_stop_ = false;  // guarded by watch_mutex_
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace quanta::ports
