#include "engine/task_helpers.h"

#include <algorithm>

namespace quanta::engine {

TaskHelpers::TaskHelpers(duckdb_database database, int count) {
  if (count <= 0) return;
  state_ = duckdb_create_task_state(database);
  for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Run(); });
}

TaskHelpers::~TaskHelpers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  if (state_) duckdb_destroy_task_state(state_);
}

void TaskHelpers::Join() {
  if (long_statements_.fetch_add(1) == 0) {
    std::lock_guard lock(mutex_);  // so that no helper misses the change between test and wait
    wake_.notify_all();
  }
}

void TaskHelpers::Leave() { long_statements_.fetch_sub(1); }

void TaskHelpers::Run() {
  // While a long statement runs, its tasks may all be taken (by its own thread, by another
  // helper): look again after a pause that grows while there is nothing to do.
  constexpr std::chrono::microseconds kFirstPause{20}, kLongestPause{500};
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || long_statements_.load() > 0; });
    if (stopping_) return;
    lock.unlock();
    std::chrono::microseconds pause = kFirstPause;
    while (long_statements_.load() > 0 && !stopping_.load()) {
      // Each task runs to its end; a few at a time, so that the loop looks at the count often.
      if (duckdb_execute_n_tasks_state(state_, 4) > 0) {
        pause = kFirstPause;
        continue;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, kLongestPause);
    }
    lock.lock();
  }
}

}  // namespace quanta::engine
