// The blocks of a launch, run on the CPU. Every thread of a block is a fiber
// (Boost.Context's fcontext: a switch costs tens of nanoseconds) that runs until
// it reaches a barrier or returns. The scheduler runs the runnable threads in
// the chosen order, round after round, and after each round releases every
// barrier whose threads have all arrived: __syncthreads when the whole block
// waits at it, __syncwarp when the whole warp does, a warp-collective call
// (wmma, the shuffles) when every lane of its mask waits in it. When nothing
// can run and nothing can be released, the block is reported with where each
// thread is, instead of hanging. Blocks run one after another, in the
// schedule's order.
#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/detail/fcontext.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <new>
#include <numeric>
#include <string>
#include <vector>

#include "emulator.hpp"

// The emulation build always has AddressSanitizer (CMakeLists.txt), though this
// file is compiled without its checks: its stacks must be announced to it.
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

namespace enu::emulation {
namespace {

namespace fctx = boost::context::detail;

// Room for a thread's frames: the kernels need a few KiB, AddressSanitizer's
// redzones a few more.
constexpr size_t kStackBytes = size_t(128) << 10;

// ---- AddressSanitizer follows the stack switches -------------------------------------------
void start_switch(void** fake_stack_save, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
}
void finish_switch(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
}

[[noreturn]] void misuse(const char* what) {
  std::fprintf(stderr, "enu CUDA emulation: %s\n", what);
  std::abort();
}

/// Fiber stacks, mapped once per host thread and reused by every block, each
/// above an inaccessible guard page so that an overflow faults at once.
class StackPool {
 public:
  struct Stack {
    char* lowest = nullptr;  // the usable bottom, just above the guard page
    bool dirty = false;      // a thread was abandoned on it (frames still poisoned)
  };
  StackPool() : page_(size_t(sysconf(_SC_PAGESIZE))) {}
  ~StackPool() {
    for (Stack& s : stacks_) munmap(s.lowest - page_, kStackBytes + page_);
  }
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  Stack& operator[](size_t i) {
    while (stacks_.size() <= i) {
      void* mapped = mmap(nullptr, kStackBytes + page_, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (mapped == MAP_FAILED || mprotect(mapped, page_, PROT_NONE) != 0) misuse("cannot map a thread's stack");
      stacks_.push_back(Stack{static_cast<char*>(mapped) + page_, false});
    }
    return stacks_[i];
  }

 private:
  size_t page_;
  std::deque<Stack> stacks_;  // a deque: a grown pool keeps the stacks handed out where they are
};

enum class Status { runnable, at_warp_barrier, at_warp_collective, at_block_barrier, exited };

struct ThreadState {
  ThreadIndex index{};
  RunningThread view;
  Status status = Status::runnable;
  const char* file = nullptr;  // the barrier it waits at
  int line = 0;
  const char* collective = nullptr;  // the warp-collective call it waits in ("mma_sync")
  unsigned collective_mask = 0;      // the lanes that call takes part with
  fctx::fcontext_t context = nullptr;
  void* fake_stack = nullptr;
  StackPool::Stack* stack = nullptr;
};

/// Puts `items` in the schedule's order; `salt` makes each shuffle its own.
template <class T>
void apply_schedule(const ScheduleChoice& choice, uint64_t salt, std::vector<T>& items) {
  if (choice.schedule == Schedule::reversed) std::reverse(items.begin(), items.end());
  if (choice.schedule == Schedule::shuffled) shuffle(items, choice.seed ^ splitmix64(salt));
}

uint3 unflatten(uint64_t linear, dim3 shape) {
  return uint3{unsigned(linear % shape.x), unsigned(linear / shape.x % shape.y),
               unsigned(linear / (uint64_t(shape.x) * shape.y))};
}

std::string name_of(const char* what, uint3 i) {
  return std::string(what) + " (" + std::to_string(i.x) + ", " + std::to_string(i.y) + ", " + std::to_string(i.z) +
         ")";
}

class Block;
thread_local Block* current_block = nullptr;
thread_local ThreadState* current = nullptr;

/// The blocks of one launch, run one after another on the same workspace: the
/// threads' states and stacks, and the shared memory, allocated once per launch.
class Block {
 public:
  Block(const LaunchRecord& launch, const ScheduleChoice& choice, StackPool& stacks)
      : launch_(launch), choice_(choice), threads_(size_t(launch.block.x) * launch.block.y * launch.block.z),
        warp_epochs_((threads_.size() + kWarpSize - 1) / kWarpSize, 0),
        exchanges_(warp_epochs_.size()) {
    for (size_t i = 0; i < threads_.size(); ++i) {
      threads_[i].stack = &stacks[i];
      threads_[i].index = ThreadIndex{unflatten(i, launch.block), uint3{}, launch.block, launch.grid};
    }
    // Exactly the bytes asked for: an overrun is outside the allocation. A GPU's
    // shared memory starts well aligned; the kernel's offsets decide the rest.
    if (posix_memalign(&dynamic_, kAllocationAlignment, launch.shared_bytes) != 0) {
      misuse("no host memory for a block's shared memory");
    }
    watch(dynamic_, launch.shared_bytes, "dynamic shared memory (" + std::to_string(launch.shared_bytes) + " bytes)",
          true);
  }

  ~Block() {
    unwatch(dynamic_);
    std::free(dynamic_);
    for (const SharedVariable& v : statics_) {
      unwatch(v.memory);
      ::operator delete(v.memory, std::align_val_t(v.alignment));
    }
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  /// Runs block `linear` of the grid to its end (or to a barrier it can never pass).
  void run(uint64_t linear) {
    index_ = unflatten(linear, launch_.grid);
    block_epoch_ = 0;
    std::fill(warp_epochs_.begin(), warp_epochs_.end(), 0);
    // Shared memory starts undefined: 0xFF bytes, so a float read before any write is NaN.
    std::memset(dynamic_, 0xFF, launch_.shared_bytes);
    for (const SharedVariable& v : statics_) std::memset(v.memory, 0xFF, v.bytes);
    for (size_t i = 0; i < threads_.size(); ++i) {
      ThreadState& t = threads_[i];
      t.index.block_idx = index_;
      t.status = Status::runnable;
      t.fake_stack = nullptr;
      t.view = RunningThread{launch_.id, uint32_t(linear), uint32_t(i), 0, 0,
                             reinterpret_cast<uintptr_t>(t.stack->lowest),
                             reinterpret_cast<uintptr_t>(t.stack->lowest) + kStackBytes};
      if (t.stack->dirty) {
        __asan_unpoison_memory_region(t.stack->lowest, kStackBytes);
        t.stack->dirty = false;
      }
      t.context = fctx::make_fcontext(t.stack->lowest + kStackBytes, kStackBytes, &Block::entry);
    }
    for (uint64_t round = 0;; ++round) {
      runnable_.clear();
      for (uint32_t i = 0; i < threads_.size(); ++i) {
        if (threads_[i].status == Status::runnable) runnable_.push_back(i);
      }
      apply_schedule(choice_, (uint64_t(launch_.id) << 40) ^ (linear << 20) ^ round, runnable_);
      for (uint32_t i : runnable_) resume(threads_[i]);
      if (release_barriers() || !runnable_.empty()) continue;
      const auto exited = [](const ThreadState& t) { return t.status == Status::exited; };
      if (std::all_of(threads_.begin(), threads_.end(), exited)) return;
      fail("its threads wait at barriers that can never complete: " + where_threads_are());
      for (ThreadState& t : threads_) {
        if (t.status != Status::exited) t.stack->dirty = true;
      }
      return;
    }
  }

  // ---- called from the running thread ----------------------------------------------------
  void wait(ThreadState& t, Status status, const char* file, int line) {
    t.status = status;
    t.file = file;
    t.line = line;
    suspend(t);
  }

  /// warp_exchange (emulator.hpp) for thread `t`.
  WarpExchanged exchange(ThreadState& t, const char* operation, const char* file, int line, unsigned mask,
                         const void* mine, void* all, size_t bytes) {
    if (bytes > kWarpExchangeBytes) misuse("a warp exchange of more than kWarpExchangeBytes a lane");
    const unsigned lane = t.view.thread % kWarpSize, lanes = lanes_in_warp(t.view.thread);
    if ((mask >> lane & 1) == 0) misuse("a warp exchange whose mask excludes the calling lane");
    WarpExchange& slots = exchanges_[t.view.thread / kWarpSize];
    std::memcpy(slots.arriving[lane].data(), mine, bytes);
    t.collective = operation;
    t.collective_mask = mask & lanes_mask(lanes);
    wait(t, Status::at_warp_collective, file, line);
    for (unsigned l = 0; l < lanes; ++l) {
      std::memcpy(static_cast<unsigned char*>(all) + l * bytes, slots.released[l].data(), bytes);
    }
    return WarpExchanged{lane, lanes, t.collective_mask};
  }

  /// The threads of `thread`'s warp: 32, fewer in the last warp of a block that is not a multiple of 32.
  unsigned lanes_in_warp(uint32_t thread) const {
    const size_t first = thread - thread % kWarpSize;
    return unsigned(std::min<size_t>(kWarpSize, threads_.size() - first));
  }

  void* dynamic_shared() const { return dynamic_; }

  void* static_shared(const char* site, size_t bytes, size_t alignment) {
    for (const SharedVariable& v : statics_) {
      if (v.site == site) return v.memory;
    }
    void* memory = ::operator new(bytes, std::align_val_t(alignment));
    std::memset(memory, 0xFF, bytes);
    statics_.push_back(SharedVariable{site, memory, bytes, alignment});
    watch(memory, bytes, "__shared__ " + std::string(site), true);
    return memory;
  }

  // A fault found again (a stuck warp is looked at every round) is listed once.
  void fail(const std::string& fault) {
    if (std::find(faults_.begin(), faults_.end(), fault) == faults_.end()) faults_.push_back(fault);
  }
  const std::vector<std::string>& faults() const { return faults_; }
  const LaunchRecord& launch() const { return launch_; }
  uint3 index() const { return index_; }

 private:
  struct SharedVariable {
    std::string site;
    void* memory;
    size_t bytes, alignment;
  };

  // What the lanes of a warp hand each other: each lane writes its contribution
  // into `arriving` and waits; a release copies the released lanes' slots into
  // `released`, which they read when they run next. A lane that has read may
  // make its next call (writing `arriving`) before the others have read: no
  // release, hence no write to `released`, comes between.
  struct WarpExchange {
    using Slot = std::array<unsigned char, kWarpExchangeBytes>;
    std::array<Slot, kWarpSize> arriving, released;
  };

  static void entry(fctx::transfer_t from) {
    Block& block = *current_block;
    ThreadState& t = *static_cast<ThreadState*>(from.data);
    block.scheduler_ = from.fctx;
    finish_switch(nullptr, &block.scheduler_bottom_, &block.scheduler_size_);
    block.launch_.thread_body();
    t.status = Status::exited;
    block.suspend(t);  // never resumed
  }

  void resume(ThreadState& t) {
    current = &t;
    set_running_thread(&t.view);
    start_switch(&scheduler_fake_stack_, t.stack->lowest, kStackBytes);
    const fctx::transfer_t back = fctx::jump_fcontext(t.context, &t);
    finish_switch(scheduler_fake_stack_, nullptr, nullptr);
    t.context = back.fctx;
    set_running_thread(nullptr);
    current = nullptr;
  }

  void suspend(ThreadState& t) {
    start_switch(t.status == Status::exited ? nullptr : &t.fake_stack, scheduler_bottom_, scheduler_size_);
    const fctx::transfer_t back = fctx::jump_fcontext(scheduler_, nullptr);
    finish_switch(t.fake_stack, &scheduler_bottom_, &scheduler_size_);
    scheduler_ = back.fctx;
  }

  /// Releases every barrier all of whose threads have arrived; false when none.
  bool release_barriers() {
    const bool whole_block = std::all_of(threads_.begin(), threads_.end(), [](const ThreadState& t) {
      return t.status == Status::at_block_barrier;
    });
    if (whole_block) {
      for (const ThreadState& t : threads_) {
        if (t.file != threads_[0].file || t.line != threads_[0].line) {
          fail("__syncthreads reached at different places: " + where_threads_are());
          return false;
        }
      }
      ++block_epoch_;
      for (uint32_t& w : warp_epochs_) ++w;
      for (ThreadState& t : threads_) {
        t.status = Status::runnable;
        t.view.block_epoch = block_epoch_;
        t.view.warp_epoch = warp_epochs_[t.view.thread / kWarpSize];
      }
      return true;
    }
    bool released = false;
    for (size_t w = 0; w < warp_epochs_.size(); ++w) {
      const size_t first = w * kWarpSize, last = std::min(threads_.size(), first + kWarpSize);
      const bool whole_warp = std::all_of(threads_.begin() + first, threads_.begin() + last,
                                          [](const ThreadState& t) { return t.status == Status::at_warp_barrier; });
      if (whole_warp) {
        ++warp_epochs_[w];  // only __syncwarp orders memory
        for (size_t i = first; i < last; ++i) {
          threads_[i].status = Status::runnable;
          threads_[i].view.warp_epoch = warp_epochs_[w];
        }
        released = true;
        continue;
      }
      for (size_t i = first; i < last; ++i) {
        if (threads_[i].status == Status::at_warp_collective && collective_complete(first, threads_[i])) {
          release_collective(w, threads_[i].collective_mask);
          released = true;
        }
      }
    }
    return released;
  }

  /// True when every lane of `t`'s mask waits in the same call as `t` (the same
  /// place, the same mask). A lane of the mask elsewhere may still come (it may
  /// first have to pass another call), so a mismatch is no fault yet: when
  /// nothing can move any more, run() reports where every thread waits.
  bool collective_complete(size_t first, const ThreadState& t) const {
    for (unsigned l = 0; l < kWarpSize; ++l) {
      if ((t.collective_mask >> l & 1) == 0) continue;
      const ThreadState& other = threads_[first + l];
      if (other.status != Status::at_warp_collective || other.file != t.file || other.line != t.line ||
          other.collective_mask != t.collective_mask) {
        return false;
      }
    }
    return true;
  }

  /// Lets the lanes of `mask` in warp `w` go on, with what each contributed;
  /// a warp-collective call is no fence on a GPU, so the race detector sees no barrier.
  void release_collective(size_t w, unsigned mask) {
    WarpExchange& slots = exchanges_[w];
    for (unsigned l = 0; l < kWarpSize; ++l) {
      if ((mask >> l & 1) == 0) continue;
      slots.released[l] = slots.arriving[l];
      threads_[w * kWarpSize + l].status = Status::runnable;
    }
  }

  /// " with mask 0x0000ffff" for a collective call of part of a warp; "" for the whole warp.
  std::string mask_of(const ThreadState& t) const {
    if (t.collective_mask == lanes_mask(lanes_in_warp(t.view.thread))) return "";
    char text[32];
    std::snprintf(text, sizeof text, " with mask 0x%08x", t.collective_mask);
    return text;
  }

  /// "threads 0-31 wait at __syncwarp (file:line); threads 32-63 have returned"
  std::string where_threads_are() const {
    auto state_of = [this](const ThreadState& t) -> std::string {
      const std::string site = " (" + basename_of(t.file ? t.file : "") + ":" + std::to_string(t.line) + ")";
      switch (t.status) {
        case Status::exited: return "have returned";
        case Status::runnable: return "are running";
        case Status::at_warp_barrier: return "wait at __syncwarp" + site;
        case Status::at_warp_collective: return "wait in " + std::string(t.collective) + mask_of(t) + site;
        case Status::at_block_barrier: return "wait at __syncthreads" + site;
      }
      return "";
    };
    std::string text;
    for (size_t begin = 0; begin < threads_.size();) {
      const std::string state = state_of(threads_[begin]);
      size_t end = begin + 1;
      while (end < threads_.size() && state_of(threads_[end]) == state) ++end;
      if (!text.empty()) text += "; ";
      text += (end - begin == 1 ? "thread " + std::to_string(begin)
                                : "threads " + std::to_string(begin) + "-" + std::to_string(end - 1)) +
              " " + state;
      begin = end;
    }
    return text;
  }

  const LaunchRecord& launch_;
  uint3 index_{};
  ScheduleChoice choice_;
  std::vector<ThreadState> threads_;
  std::vector<uint32_t> runnable_;  // this round's threads, in the schedule's order
  uint32_t block_epoch_ = 0;
  std::vector<uint32_t> warp_epochs_;
  std::vector<WarpExchange> exchanges_;  // per warp
  void* dynamic_ = nullptr;
  std::vector<SharedVariable> statics_;
  std::vector<std::string> faults_;
  // The scheduler's side of the switches.
  fctx::fcontext_t scheduler_ = nullptr;
  void* scheduler_fake_stack_ = nullptr;
  const void* scheduler_bottom_ = nullptr;
  size_t scheduler_size_ = 0;
};

Block& block_of_kernel(const char* what) {
  if (!current_block || !current) {
    std::fprintf(stderr, "enu CUDA emulation: %s outside a kernel\n", what);
    std::abort();
  }
  return *current_block;
}

ScheduleChoice parse_schedule(const char* text) {
  const std::string s = text ? text : "";
  if (s.empty() || s == "in_order") return {Schedule::in_order, 0};
  if (s == "reversed") return {Schedule::reversed, 0};
  if (s.rfind("shuffled:", 0) == 0 && s.size() > 9 && s.find_first_not_of("0123456789", 9) == std::string::npos) {
    return {Schedule::shuffled, std::stoull(s.substr(9))};
  }
  std::fprintf(stderr,
               "enu CUDA emulation: ENU_EMULATION_SCHEDULE='%s': expected in_order, reversed or shuffled:SEED\n",
               s.c_str());
  std::exit(2);
}

ScheduleChoice& schedule_choice() {
  static ScheduleChoice choice = parse_schedule(std::getenv("ENU_EMULATION_SCHEDULE"));
  return choice;
}

}  // namespace

// ---- the kernel's view ---------------------------------------------------------------------
const ThreadIndex& current_thread() {
  block_of_kernel("a built-in variable (threadIdx, blockIdx, blockDim, gridDim) read");
  return current->index;
}

void syncthreads(const char* file, int line) {
  block_of_kernel("__syncthreads called").wait(*current, Status::at_block_barrier, file, line);
}

void syncwarp(unsigned mask, const char* file, int line) {
  Block& block = block_of_kernel("__syncwarp called");
  const unsigned lanes = block.lanes_in_warp(current->view.thread);
  const unsigned whole_warp = lanes_mask(lanes);
  if ((mask & whole_warp) != whole_warp) {
    block.fail(thread_name(current->view.block, current->view.thread) + " calls __syncwarp(" + std::to_string(mask) +
               ") at " + basename_of(file) + ":" + std::to_string(line) +
               ": the emulation takes masks that hold the whole warp only");
  }
  block.wait(*current, Status::at_warp_barrier, file, line);
}

WarpExchanged warp_exchange(const char* operation, const char* file, int line, unsigned mask, const void* mine,
                            void* all, size_t bytes) {
  return block_of_kernel(operation).exchange(*current, operation, file, line, mask, mine, all, bytes);
}

unsigned current_lane() {
  block_of_kernel("a warp-collective call");
  return current->view.thread % kWarpSize;
}

void* dynamic_shared() { return block_of_kernel("dynamic shared memory used").dynamic_shared(); }

void* static_shared(const char* site, size_t bytes, size_t alignment) {
  return block_of_kernel("a __shared__ variable used").static_shared(site, bytes, alignment);
}

void fail_kernel(const std::string& report) {
  block_of_kernel("fail_kernel called").fail(thread_name(current->view.block, current->view.thread) + ": " + report);
}

// ---- the race detector's view --------------------------------------------------------------
std::string thread_name(uint32_t block, uint32_t thread) {
  const LaunchRecord& launch = current_block->launch();
  return name_of("block", unflatten(block, launch.grid)) + " thread " +
         name_of("", unflatten(thread, launch.block)).substr(1);
}

void report_in_block(const std::string& fault) { current_block->fail(fault); }

// ---- schedules and grids --------------------------------------------------------------------
void set_schedule(ScheduleChoice choice) { schedule_choice() = choice; }
ScheduleChoice schedule() { return schedule_choice(); }

std::string to_string(ScheduleChoice choice) {
  switch (choice.schedule) {
    case Schedule::in_order: return "in_order";
    case Schedule::reversed: return "reversed";
    case Schedule::shuffled: return "shuffled:" + std::to_string(choice.seed);
  }
  return "";
}

std::vector<std::string> run_grid(const LaunchRecord& launch) {
  thread_local StackPool stacks;
  const ScheduleChoice choice = schedule();
  const uint64_t count = uint64_t(launch.grid.x) * launch.grid.y * launch.grid.z;
  std::vector<uint64_t> order(count);
  std::iota(order.begin(), order.end(), uint64_t(0));
  apply_schedule(choice, launch.id, order);
  Block block(launch, choice, stacks);
  current_block = &block;
  for (uint64_t linear : order) {
    block.run(linear);
    if (!block.faults().empty()) break;  // a faulting grid stops
  }
  current_block = nullptr;
  std::vector<std::string> faults;
  for (const std::string& f : block.faults()) faults.push_back(name_of("block", block.index()) + ": " + f);
  return faults;
}

}  // namespace enu::emulation
