#include "ports/event_loops.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <memory>
#include <set>
#include <thread>

namespace quanta::ports {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;

// Runs `work` on `loop` and waits (up to 10 s, a hang's limit) for what it returns.
template <typename Work>
auto RunOn(EventLoops::Loop& loop, Work work) {
  std::promise<decltype(work())> done;
  auto answer = done.get_future();
  net::post(loop.context(), [&] { done.set_value(work()); });
  EXPECT_EQ(answer.wait_for(10s), std::future_status::ready);
  return answer.get();
}

TEST(EventLoopsTest, EachLoopRunsItsHandlersOnItsOwnThread) {
  EventLoops loops(3);
  loops.Start();
  EXPECT_EQ(loops.size(), 3u);
  std::set<std::thread::id> threads;
  EventLoops::Loop* first_loop = nullptr;
  for (int i = 0; i < 3; ++i) {
    EventLoops::Loop& loop = loops.Next();
    if (i == 0) first_loop = &loop;
    std::thread::id first = RunOn(loop, [] { return std::this_thread::get_id(); });
    for (int j = 0; j < 20; ++j) {
      EXPECT_EQ(RunOn(loop, [] { return std::this_thread::get_id(); }), first);
    }
    threads.insert(first);
  }
  EXPECT_EQ(threads.size(), 3u);  // round robin: three loops, three threads
  EXPECT_EQ(&loops.Next(), first_loop);
  loops.Stop();
}

TEST(EventLoopsTest, AHeldLoopHasItsOtherHandlersRunByAHelper) {
  EventLoops loops(1);
  loops.Start();
  EventLoops::Loop& loop = loops.First();
  const std::thread::id own = RunOn(loop, [] { return std::this_thread::get_id(); });
  // A held handler that waits for another handler of its own loop: only a helper can run
  // that one. There the loop cannot be held: its long work would go elsewhere.
  struct Other {
    std::thread::id thread;
    bool could_hold = true;
  };
  std::promise<Other> other_ran;
  std::future<Other> other = other_ran.get_future();
  std::promise<bool> held_outcome;
  net::post(loop.context(), [&] {
    const bool held = loop.Hold();
    net::post(loop.context(), [&] {
      other_ran.set_value({std::this_thread::get_id(), loop.Hold()});
    });
    const bool answered = other.wait_for(10s) == std::future_status::ready;
    loop.Release();
    held_outcome.set_value(held && answered);
  });
  std::future<bool> outcome = held_outcome.get_future();
  ASSERT_EQ(outcome.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(outcome.get()) << "the other handler waited for the hold to end";
  Other seen = other.get();
  EXPECT_NE(seen.thread, own);
  EXPECT_FALSE(seen.could_hold);
  // Released, the loop is its own thread's again, and can be held again.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(RunOn(loop, [] { return std::this_thread::get_id(); }), own);
  }
  EXPECT_TRUE(RunOn(loop, [&] {
    const bool held = loop.Hold();
    if (held) loop.Release();
    return held;
  }));
  loops.Stop();
}

TEST(EventLoopsTest, StopEndsTheThreadsAndDropsWhatWasNotRun) {
  auto kept = std::make_shared<int>(7);
  std::weak_ptr<int> watch = kept;
  {
    EventLoops loops(2);
    loops.Start();
    loops.Stop();
    loops.Stop();  // twice is fine
    net::post(loops.Next().context(), [kept = std::move(kept)] { FAIL() << "ran after Stop"; });
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired()) << "a handler left in a loop is destroyed with it";
}

}  // namespace
}  // namespace quanta::ports
