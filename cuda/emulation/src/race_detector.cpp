// The race detector. The kernels are compiled with clang's
// -fsanitize-coverage=trace-loads,trace-stores, which calls the hooks at the end
// of this file before every load and store; inside a kernel, an access to a
// watched region (device memory, shared memory) is checked against the word's
// history: its last write and up to two reads since. Two accesses of one word by
// different threads, at least one a write, race unless a barrier both threads
// took part in lies between them (a __syncthreads of the block, or a __syncwarp
// of their warp); threads of different blocks of one launch always race. Words
// are 4 bytes: a narrower access is checked as its whole word.
#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "emulator.hpp"

extern "C" void __sanitizer_symbolize_pc(void* pc, const char* format, char* out, size_t size) __attribute__((weak));

namespace enu::emulation {
namespace {

// The hooks run before every load and store of every kernel: the checking path
// is kept inline (and this file is built without sanitizers, CMakeLists.txt).
#define ENU_HOT inline __attribute__((always_inline))

constexpr size_t kWord = 4;
constexpr size_t kReportsPerLaunch = 10;

struct Access {
  uint32_t launch = 0, block = 0, thread = 0, block_epoch = 0, warp_epoch = 0;
  uintptr_t pc = 0;  // the instruction, for the report
};

struct WordHistory {
  Access write, reads[2];
};

struct Region {
  uintptr_t begin = 0, end = 0;
  std::string description;
  bool per_block = false;
  WordHistory* history = nullptr;  // mapped at the first checked access; zero pages until touched

  size_t words() const { return (end - begin + kWord - 1) / kWord; }
  ~Region() {
    if (history) munmap(history, words() * sizeof(WordHistory));
  }
};

struct State {
  std::vector<std::unique_ptr<Region>> regions;  // by begin
  uint32_t report_launch = 0;
  size_t reports = 0;
  std::set<std::pair<uintptr_t, uintptr_t>> reported;  // (earlier pc, later pc) pairs of this launch
};

State& state() {
  static State s;
  return s;
}

thread_local const RunningThread* running = nullptr;
thread_local Region* last_region = nullptr;  // where the last checked access fell

Region* find(uintptr_t address) {
  std::vector<std::unique_ptr<Region>>& regions = state().regions;
  auto it = std::upper_bound(regions.begin(), regions.end(), address,
                             [](uintptr_t a, const std::unique_ptr<Region>& r) { return a < r->begin; });
  if (it == regions.begin()) return nullptr;
  --it;
  return address < (*it)->end ? it->get() : nullptr;
}

/// The emulation's headers ("/path/cuda/emulation/include/"), from this file's path.
const std::string& emulation_headers() {
  static const std::string headers = [] {
    std::string path = __FILE__;
    return path.substr(0, path.rfind("src/race_detector.cpp")) + "include/";
  }();
  return headers;
}

/// "file:line in function" for a code address, where a symbolizer is at hand:
/// the innermost function outside the emulation's headers, so that an access
/// inside float4's copy or a wmma load names the kernel's line.
std::string describe_code(uintptr_t pc) {
  char text[2048] = "";
  if (__sanitizer_symbolize_pc) {
    // pc is the return address of the hook's call; pc - 1 lies in the access's instruction.
    // One frame per inlined function, innermost first, each ended by a 0, the last by two.
    __sanitizer_symbolize_pc(reinterpret_cast<void*>(pc - 1), "%s:%l in %f", text, sizeof text);
  }
  const char* chosen = text;
  for (const char* frame = text; frame < text + sizeof text && *frame; frame += std::strlen(frame) + 1) {
    if (std::string(frame).rfind(emulation_headers(), 0) != 0) {
      chosen = frame;
      break;
    }
  }
  if (chosen[0] == '\0' || std::string(chosen).rfind("<null>", 0) == 0) {
    std::snprintf(text, sizeof text, "code address %#zx", size_t(pc));
    chosen = text;
  }
  return chosen;
}

/// True when `earlier` is ordered before the running thread's access `now`.
ENU_HOT bool ordered(const Access& earlier, const RunningThread& now, bool per_block) {
  if (earlier.launch != now.launch) return true;                // another launch (or no access yet)
  if (earlier.block != now.block) return per_block;             // shared: another block's bytes; global: a race
  if (earlier.thread == now.thread) return true;
  if (earlier.block_epoch < now.block_epoch) return true;       // a __syncthreads since
  return earlier.thread / kWarpSize == now.thread / kWarpSize && earlier.warp_epoch < now.warp_epoch;
}

/// True when the fault of the instructions (`earlier_pc`, `pc`) is to be reported:
/// the first time in this launch, and among its first kReportsPerLaunch.
bool first_report(const RunningThread& now, uintptr_t earlier_pc, uintptr_t pc) {
  State& s = state();
  if (s.report_launch != now.launch) {
    s.report_launch = now.launch;
    s.reports = 0;
    s.reported.clear();
  }
  if (!s.reported.insert({earlier_pc, pc}).second) return false;  // the same instructions, already named
  if (++s.reports > kReportsPerLaunch) {
    if (s.reports == kReportsPerLaunch + 1) {
      report_in_block("more faults; only the first " + std::to_string(kReportsPerLaunch) + " are listed");
    }
    return false;
  }
  return true;
}

void report(const char* kind, const Region& region, uintptr_t address, const Access& earlier, bool earlier_wrote,
            const RunningThread& now, bool now_writes, uintptr_t pc) {
  if (!first_report(now, earlier.pc, pc)) return;
  report_in_block(std::string(kind) + " race on " + region.description + ", byte offset " +
                  std::to_string(address - region.begin) + ": " + thread_name(earlier.block, earlier.thread) +
                  (earlier_wrote ? " wrote" : " read") + " it at " + describe_code(earlier.pc) + ", then " +
                  thread_name(now.block, now.thread) + (now_writes ? " wrote" : " read") + " it at " +
                  describe_code(pc) +
                  (earlier.block != now.block ? ": blocks of one launch are never ordered"
                                              : ", with no barrier of both threads between"));
}

WordHistory* map_history(Region& region) {
  void* mapped = mmap(nullptr, region.words() * sizeof(WordHistory), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) {
    std::fprintf(stderr, "enu CUDA emulation: no memory for the race detector's history of %s\n",
                 region.description.c_str());
    std::abort();
  }
  return region.history = static_cast<WordHistory*>(mapped);
}

ENU_HOT void check_word(Region& region, size_t word, bool write, const RunningThread& now, uintptr_t pc) {
  WordHistory& h = (region.history ? region.history : map_history(region))[word];
  const bool per_block = region.per_block;
  if (!ordered(h.write, now, per_block)) {
    report(write ? "write-after-write" : "read-after-write", region, region.begin + word * kWord, h.write, true, now,
           write, pc);
  }
  const Access access{now.launch, now.block, now.thread, now.block_epoch, now.warp_epoch, pc};
  if (write) {
    for (const Access& r : h.reads) {
      if (!ordered(r, now, per_block)) {
        report("write-after-read", region, region.begin + word * kWord, r, false, now, true, pc);
      }
    }
    h = WordHistory{access, {}};
    return;
  }
  // Keep up to two reads that a later write could race with: this thread's
  // own slot is refreshed, an ordered (stale) slot is reused.
  for (Access& r : h.reads) {
    if (r.thread == now.thread && r.block == now.block && r.launch == now.launch) {
      r = access;
      return;
    }
  }
  for (Access& r : h.reads) {
    if (ordered(r, now, per_block)) {
      r = access;
      return;
    }
  }
}

/// The watched region holding `address`, or null.
ENU_HOT Region* region_of(uintptr_t address) {
  Region* region = last_region;
  if (!region || address < region->begin || address >= region->end) {
    region = find(address);
    if (region) last_region = region;
  }
  return region;
}

ENU_HOT void check(const void* pointer, size_t bytes, bool write, uintptr_t pc) {
  const RunningThread* now = running;
  if (!now) return;
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  if (address >= now->stack_begin && address < now->stack_end) return;  // its own locals
  Region* region = region_of(address);
  if (!region) return;
  const size_t first = (address - region->begin) / kWord;
  const size_t last = (std::min(address + bytes, region->end) - 1 - region->begin) / kWord;
  for (size_t word = first; word <= last; ++word) check_word(*region, word, write, *now, pc);
}

}  // namespace

void watch(const void* begin, size_t bytes, const std::string& description, bool per_block) {
  if (bytes == 0) return;
  auto region = std::make_unique<Region>();
  region->begin = reinterpret_cast<uintptr_t>(begin);
  region->end = region->begin + bytes;
  region->description = description;
  region->per_block = per_block;
  std::vector<std::unique_ptr<Region>>& regions = state().regions;
  regions.insert(std::upper_bound(regions.begin(), regions.end(), region->begin,
                                  [](uintptr_t a, const std::unique_ptr<Region>& r) { return a < r->begin; }),
                 std::move(region));
}

void unwatch(const void* begin) {
  std::vector<std::unique_ptr<Region>>& regions = state().regions;
  const uintptr_t address = reinterpret_cast<uintptr_t>(begin);
  auto it = std::find_if(regions.begin(), regions.end(), [&](const auto& r) { return r->begin == address; });
  if (it == regions.end()) return;
  if (last_region == it->get()) last_region = nullptr;
  regions.erase(it);
}

void set_running_thread(const RunningThread* thread) { running = thread; }

namespace {

/// A vector access at a misaligned address faults on the GPU: reported once per instruction.
void check_alignment(const void* pointer, size_t bytes, const char* type, bool write, const RunningThread& now,
                     uintptr_t pc) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  // Keyed by the instruction, with 0 or 1 (no instruction) for the race's earlier one.
  if (address % bytes == 0 || !first_report(now, write ? 1 : 0, pc)) return;
  const Region* region = region_of(address);
  char raw[32];
  std::snprintf(raw, sizeof raw, "address %#zx", size_t(address));
  const std::string where =
      region ? region->description + " at byte offset " + std::to_string(address - region->begin) : raw;
  report_in_block("misaligned address: " + thread_name(now.block, now.thread) + (write ? " wrote a " : " read a ") +
                  type + " (" + std::to_string(bytes) + " bytes) " + (write ? "to " : "from ") + where + " at " +
                  describe_code(pc) + "; a " + type + " needs an address that is a multiple of " +
                  std::to_string(bytes));
}

}  // namespace

void vector_access(const void* from, const void* to, size_t bytes, const char* type) {
  const RunningThread* now = running;
  if (!now) return;
  const uintptr_t pc = uintptr_t(__builtin_return_address(0));
  check_alignment(from, bytes, type, false, *now, pc);
  check_alignment(to, bytes, type, true, *now, pc);
  check(from, bytes, false, pc);
  check(to, bytes, true, pc);
}


void record_read(const void* address, size_t bytes) {
  check(address, bytes, false, uintptr_t(__builtin_return_address(0)));
}
void record_write(const void* address, size_t bytes) {
  check(address, bytes, true, uintptr_t(__builtin_return_address(0)));
}

}  // namespace enu::emulation

// The compiler's hooks, one per access width, called before the access; the
// return address lies in the instrumented function, next to the access.
#define ENU_EMULATION_ACCESS_HOOKS(bytes, type)                                                 \
  extern "C" void __sanitizer_cov_load##bytes(type* address) {                                 \
    enu::emulation::check(address, bytes, false, uintptr_t(__builtin_return_address(0)));       \
  }                                                                                             \
  extern "C" void __sanitizer_cov_store##bytes(type* address) {                                \
    enu::emulation::check(address, bytes, true, uintptr_t(__builtin_return_address(0)));        \
  }
ENU_EMULATION_ACCESS_HOOKS(1, uint8_t)
ENU_EMULATION_ACCESS_HOOKS(2, uint16_t)
ENU_EMULATION_ACCESS_HOOKS(4, uint32_t)
ENU_EMULATION_ACCESS_HOOKS(8, uint64_t)
ENU_EMULATION_ACCESS_HOOKS(16, __int128)
