#include "thread_pool.hpp"

#include <algorithm>

namespace enu {

ThreadPool::ThreadPool(int threads) {
  const int total = size_for(threads);
  for (int w = 1; w < total; ++w) workers_.emplace_back([this, w] { work(w); });
}

int ThreadPool::size_for(int threads) {
  return threads > 0 ? threads : std::max(1, int(std::thread::hardware_concurrency()));
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t items, const std::function<void(int64_t, int)>& body) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    items_ = items;
    next_ = 0;
    busy_ = int(workers_.size());
    error_ = nullptr;
    ++round_;
  }
  wake_.notify_all();
  work(0);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return busy_ == 0; });
  body_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::work(int worker) {
  uint64_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (worker != 0) {
      wake_.wait(lock, [&] { return stop_ || round_ != seen; });
      if (stop_) return;
      seen = round_;
    }
    // Hand out items one at a time; they are coarse (a member's lifetimes).
    while (next_ < items_ && !error_) {
      const int64_t item = next_++;
      lock.unlock();
      try {
        (*body_)(item, worker);
      } catch (...) {
        lock.lock();
        if (!error_) error_ = std::current_exception();
        continue;
      }
      lock.lock();
    }
    if (worker == 0) return;
    if (--busy_ == 0) done_.notify_all();
  }
}

}  // namespace enu
