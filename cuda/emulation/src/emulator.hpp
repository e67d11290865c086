#pragma once
// What the emulator's parts share: the device (runtime.cpp: memory, streams,
// errors, limits), the blocks (block.cpp: a fiber per thread, barriers, shared
// memory, schedules, the warp exchange), the race detector (race_detector.cpp)
// and the libraries (cublas.cpp, wmma.cpp).

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace enu::emulation {

// ---- the device: an H100/H200 as its limits and error codes present it -----------------
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr unsigned kMaxBlockDim[3] = {1024, 1024, 64};
constexpr unsigned kMaxGridDim[3] = {2147483647u, 65535u, 65535u};
constexpr int kDefaultMaxDynamicShared = 48 * 1024;  // without cudaFuncSetAttribute
constexpr int kMaxSharedPerBlockOptin = 232448;      // 227 KiB, sm_90
constexpr int kMultiprocessors = 132;                // H100 SXM / H200
constexpr unsigned kWarpSize = 32;
constexpr size_t kAllocationAlignment = 256;         // of cudaMalloc's memory (and here of shared memory)

/// One kernel launch as the block runner needs it.
struct LaunchRecord {
  uint32_t id = 0;  // 1, 2, ...: accesses of different launches never race
  std::string name;
  dim3 grid, block;
  size_t shared_bytes = 0;
  std::function<void()> thread_body;
};

/// Runs every block of `launch` under the current schedule; returns what went
/// wrong (races, divergent barriers, faults), empty when the launch succeeded.
std::vector<std::string> run_grid(const LaunchRecord& launch);

/// "kernel.cu" of "/path/to/kernel.cu": a call site as reports name it.
inline std::string basename_of(const char* file) {
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}

/// The lanes [0, lanes) as a mask.
constexpr unsigned lanes_mask(unsigned lanes) { return lanes >= kWarpSize ? 0xffffffffu : (1u << lanes) - 1; }

/// The rendezvous of a warp-collective call (nvcuda::wmma's *_sync, the
/// shuffles): the calling thread contributes `bytes` (at most kWarpExchangeBytes)
/// from `mine` and waits until every lane of `mask` (which must hold the caller;
/// lanes past a short last warp do not count) has made the same call, at the same
/// place with the same mask; then `all` receives every lane's contribution, lane
/// by lane (a lane outside the mask: whatever it last contributed). Unlike
/// __syncwarp it orders no memory accesses: the race detector sees no barrier.
/// Lanes that never arrive fail the launch with where each thread is.
constexpr size_t kWarpExchangeBytes = 32;
struct WarpExchanged {
  unsigned lane, lanes;  // the caller's lane; the warp's lanes (32 but in a short last warp)
  unsigned mask;         // the lanes that took part: the mask asked for, less lanes past the warp's end
};
WarpExchanged warp_exchange(const char* operation, const char* file, int line, unsigned mask, const void* mine,
                            void* all, size_t bytes);
/// The running thread's lane in its warp.
unsigned current_lane();

// ---- random draws: the shuffled schedule, the wmma element mapping -------------------
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A Fisher-Yates shuffle of `items`, its draws the splitmix64 sequence after `seed`.
template <class T>
void shuffle(std::vector<T>& items, uint64_t seed) {
  uint64_t state = splitmix64(seed);
  for (size_t i = items.size(); i > 1; --i) {
    state = splitmix64(state);
    std::swap(items[i - 1], items[state % i]);
  }
}

// ---- what the race detector sees of the running thread --------------------------------
/// The thread a fiber runs, with the barriers its block and its warp have
/// completed so far: two accesses are ordered when a barrier that both threads
/// took part in lies between them.
struct RunningThread {
  uint32_t launch = 0, block = 0, thread = 0;  // block: linear index in the grid (mod 2^32)
  uint32_t block_epoch = 0, warp_epoch = 0;
  uintptr_t stack_begin = 0, stack_end = 0;    // its own stack: never shared, never checked
};
/// The thread whose accesses are checked from now on; null outside kernels.
void set_running_thread(const RunningThread* thread);
/// "block (x, y, z) thread (x, y, z)" of the running launch.
std::string thread_name(uint32_t block, uint32_t thread);
/// Adds a fault to the running block's report.
void report_in_block(const std::string& fault);

// ---- memory the race detector watches -------------------------------------------------
/// Device allocations (for the launch's whole grid) and a block's shared memory
/// (its history forgotten when another block uses the same bytes).
void watch(const void* begin, size_t bytes, const std::string& description, bool per_block);
void unwatch(const void* begin);

}  // namespace enu::emulation
