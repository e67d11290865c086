#pragma once
// A fixed set of worker threads that run parallel_for over work items. Results
// never depend on which worker ran an item, so runs are identical for any
// thread count.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace enu {

class ThreadPool {
 public:
  /// threads == 0: one per hardware thread.
  explicit ThreadPool(int threads);
  /// The workers (the calling thread included) that ThreadPool(threads) has.
  static int size_for(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }
  /// Calls body(item, worker) for item in [0, items), worker in [0, size());
  /// the calling thread is worker 0. Rethrows the first exception a body threw.
  /// 64-bit items: members x lifetime chunks can exceed an int.
  void parallel_for(int64_t items, const std::function<void(int64_t item, int worker)>& body);

 private:
  void work(int worker);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int)>* body_ = nullptr;
  int64_t items_ = 0, next_ = 0;
  int busy_ = 0;
  uint64_t round_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace enu
