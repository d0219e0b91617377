#include "ports/body_channel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace quanta::ports {
namespace {

using namespace std::chrono_literals;

TEST(BodyChannelTest, ProducerWaitsWhileTheBufferIsFull) {
  std::atomic<int> wakes{0};
  BodyChannel channel(100, [&] { wakes++; });
  std::atomic<int> written{0};
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(channel.Write(std::string(40, 'a')));
      written++;
    }
    channel.Finish(Status::Ok());
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(written.load(), 3) << "120 bytes queued: the fourth write must wait";
  std::size_t received = 0;
  bool finished = false;
  while (!finished) {
    BodyChannel::Batch batch = channel.Take();
    std::size_t bytes = 0;
    for (const std::string& chunk : batch.chunks) bytes += chunk.size();
    received += bytes;
    channel.Sent(bytes);
    finished = batch.finished;
    if (batch.chunks.empty() && !finished) std::this_thread::sleep_for(1ms);
  }
  producer.join();
  EXPECT_EQ(received, 400u);
  EXPECT_LE(channel.peak_pending_bytes(), 140u);
}

TEST(BodyChannelTest, WakesTheConsumerOnlyAfterItFoundNothing) {
  std::atomic<int> wakes{0};
  BodyChannel channel(1000, [&] { wakes++; });
  EXPECT_TRUE(channel.Write("a"));
  EXPECT_EQ(wakes.load(), 0);  // nobody waits yet
  EXPECT_EQ(channel.Take().chunks.size(), 1u);
  EXPECT_TRUE(channel.Take().chunks.empty());  // now the consumer waits
  EXPECT_TRUE(channel.Write("b"));
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_TRUE(channel.Write("c"));
  EXPECT_EQ(wakes.load(), 1);  // one wake per wait
}

TEST(BodyChannelTest, CancelReleasesABlockedProducer) {
  BodyChannel channel(10, nullptr);
  ASSERT_TRUE(channel.Write(std::string(20, 'x')));
  std::atomic<bool> result{true};
  std::thread producer([&] { result = channel.Write("more"); });
  std::this_thread::sleep_for(50ms);
  channel.Cancel();
  producer.join();
  EXPECT_FALSE(result.load());
  EXPECT_TRUE(channel.Cancelled());
}

TEST(BodyChannelTest, DrainWakesAWaitingProducer) {
  BodyChannel channel(10, nullptr);
  std::atomic<bool> stop{false};
  std::thread producer([&] { stop = channel.WaitForStop(10s); });
  std::this_thread::sleep_for(50ms);
  auto start = std::chrono::steady_clock::now();
  channel.BeginDrain();
  producer.join();
  EXPECT_TRUE(stop.load());
  EXPECT_TRUE(channel.Draining());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_FALSE(BodyChannel(10, nullptr).WaitForStop(10ms));
}

TEST(BodyChannelTest, FinishReportsTheProducersFailure) {
  BodyChannel channel(10, nullptr);
  channel.Finish(Status::NotFound("no dataset"));
  BodyChannel::Batch batch = channel.Take();
  EXPECT_TRUE(batch.finished);
  EXPECT_FALSE(batch.started);
  EXPECT_EQ(batch.failure.code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace quanta::ports
