#include "ports/event_loops.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <exception>

namespace quanta::ports {
namespace net = boost::asio;

namespace {

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs `run` until it returns normally. A handler that threw past its connection is a bug,
// but one connection's bug must not stop the loop that serves the others.
template <typename Run>
void RunReportingErrors(Run run) {
  for (;;) {
    try {
      run();
      return;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "quanta: internal error in the event loop: %s\n", error.what());
    }
  }
}

}  // namespace

struct EventLoops::Loop::WorkGuard {
  explicit WorkGuard(net::io_context& context) : guard(context.get_executor()) {}
  net::executor_work_guard<net::io_context::executor_type> guard;
};

// Concurrency hint 2: its own thread and, at times, a rescuer. (Hint 1 tells Asio that one
// thread runs the loop: a rescuer that ran the reactor would then leave the loop's own thread
// waiting for a wake-up that never comes.)
EventLoops::Loop::Loop() : context_(std::make_unique<net::io_context>(2)) {}

EventLoops::Loop::~Loop() = default;

bool EventLoops::Loop::Hold() {
  // A handler that the rescuer runs stays short: the rescue would have no one to end it.
  if (rescuing_.load()) return false;
  std::int64_t none = 0;
  if (!held_since_ns_.compare_exchange_strong(none, std::max<std::int64_t>(NowNs(), 1))) {
    return false;
  }
  holds_.fetch_add(1);
  return true;
}

void EventLoops::Loop::Release() {
  held_since_ns_.store(0);
  if (!rescuing_.load()) return;
  // The rescuer stops after the handler it runs now (this empty one, when it waits for one):
  // then the loop is this thread's alone again, and no two handlers of it ever run at once.
  net::post(*context_, [] {});
  std::unique_lock lock(rescue_mutex_);
  rescue_ended_.wait(lock, [&] { return !rescuing_.load(); });
}

void EventLoops::Loop::RunRescues() {
  std::unique_lock lock(rescue_mutex_);
  while (true) {
    rescue_wake_.wait(lock, [&] { return stop_ || rescue_hold_ != 0; });
    if (stop_) return;
    const std::uint64_t hold = rescue_hold_;
    rescue_hold_ = 0;
    // Set before looking at the hold, which Release clears before looking at this: one of
    // the two sees the other.
    rescuing_.store(true);
    lock.unlock();
    // One handler at a time, each time looking whether the hold still lasts.
    RunReportingErrors([&] {
      while (holds_.load() == hold && held_since_ns_.load() != 0 && !context_->stopped()) {
        context_->run_one_for(std::chrono::milliseconds(1));
      }
    });
    lock.lock();
    rescuing_.store(false);
    rescue_ended_.notify_all();
  }
}

EventLoops::EventLoops(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i)
    loops_.push_back(std::unique_ptr<Loop>(new Loop()));
}

// Handlers still queued (connections that did not drain) are destroyed with their loop.
EventLoops::~EventLoops() { Stop(); }

EventLoops::Loop& EventLoops::Next() { return *loops_[next_.fetch_add(1) % loops_.size()]; }

void EventLoops::Start() {
  if (started_) return;
  started_ = true;
  for (auto& loop : loops_) {
    loop->guard_ = std::make_unique<Loop::WorkGuard>(*loop->context_);
    loop->thread_ =
        std::thread([loop = loop.get()] { RunReportingErrors([&] { loop->context_->run(); }); });
    loop->rescuer_ = std::thread([loop = loop.get()] { loop->RunRescues(); });
  }
  watch_ = std::thread([this] { Watch(); });
}

void EventLoops::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(watch_mutex_);
    watch_stop_ = true;
  }
  watch_wake_.notify_all();
  watch_.join();
  for (auto& loop : loops_) {
    loop->guard_.reset();
    loop->context_->stop();
    {
      std::lock_guard lock(loop->rescue_mutex_);
      loop->stop_ = true;
    }
    loop->rescue_wake_.notify_all();
  }
  for (auto& loop : loops_) {
    loop->thread_.join();
    loop->rescuer_.join();
  }
}

void EventLoops::Watch() {
  std::vector<std::uint64_t> seen(loops_.size(), 0);
  bool busy = false;
  while (true) {
    {
      std::unique_lock lock(watch_mutex_);
      watch_wake_.wait_for(lock, std::chrono::milliseconds(busy ? 1 : 20),
                           [&] { return watch_stop_; });
      if (watch_stop_) return;
    }
    busy = false;
    const std::int64_t now = NowNs();
    for (std::size_t i = 0; i < loops_.size(); ++i) {
      Loop& loop = *loops_[i];
      const std::uint64_t holds = loop.holds_.load();
      const std::int64_t since = loop.held_since_ns_.load();
      busy = busy || holds != seen[i] || since != 0;
      seen[i] = holds;
      if (since == 0 || holds == loop.watched_hold_ ||
          now - since < std::chrono::nanoseconds(kRescueAfter).count()) {
        continue;
      }
      loop.watched_hold_ = holds;
      {
        std::lock_guard lock(loop.rescue_mutex_);
        loop.rescue_hold_ = holds;
      }
      loop.rescue_wake_.notify_one();
    }
  }
}

}  // namespace quanta::ports
