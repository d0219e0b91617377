#include "ports/body_channel.h"

#include <algorithm>

namespace quanta::ports {

BodyChannel::BodyChannel(std::size_t buffer_bytes, std::function<void()> wake)
    : buffer_bytes_(std::max<std::size_t>(buffer_bytes, 1)), wake_(std::move(wake)) {}

bool BodyChannel::Write(std::string chunk) {
  std::unique_lock lock(mutex_);
  if (cancelled_) return false;
  if (chunk.empty()) return true;  // an empty chunk would end a chunked body early
  changed_.wait(lock, [&] { return cancelled_ || pending_bytes_ < buffer_bytes_; });
  if (cancelled_) return false;
  pending_bytes_ += chunk.size();
  peak_pending_bytes_ = std::max(peak_pending_bytes_, pending_bytes_);
  started_ = true;
  queue_.push_back(std::move(chunk));
  WakeIfWaiting(lock);
  return true;
}

bool BodyChannel::Cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool BodyChannel::Draining() const {
  std::lock_guard lock(mutex_);
  return draining_;
}

bool BodyChannel::WaitForStop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return cancelled_ || draining_; });
}

BodyChannel::Batch BodyChannel::Take() {
  std::lock_guard lock(mutex_);
  Batch batch;
  batch.chunks.swap(queue_);
  batch.started = started_;
  if (batch.chunks.empty()) {
    if (finished_) {
      batch.finished = true;
      batch.failure = failure_;
    } else {
      consumer_waiting_ = true;
    }
  }
  return batch;
}

void BodyChannel::Sent(std::size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    pending_bytes_ -= std::min(bytes, pending_bytes_);
  }
  changed_.notify_all();
}

void BodyChannel::Finish(Status result) {
  std::unique_lock lock(mutex_);
  finished_ = true;
  failure_ = std::move(result);
  WakeIfWaiting(lock);
}

void BodyChannel::Cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    queue_.clear();
  }
  changed_.notify_all();
}

void BodyChannel::BeginDrain() {
  {
    std::lock_guard lock(mutex_);
    draining_ = true;
  }
  changed_.notify_all();
}

std::size_t BodyChannel::peak_pending_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_pending_bytes_;
}

void BodyChannel::WakeIfWaiting(std::unique_lock<std::mutex>& lock) {
  if (!consumer_waiting_) return;
  consumer_waiting_ = false;
  lock.unlock();
  if (wake_) wake_();
}

}  // namespace quanta::ports
