#pragma once
// What the emulator's three parts share: the device (runtime.cpp: memory,
// streams, errors, limits), the blocks (block.cpp: a fiber per thread, barriers,
// shared memory, schedules) and the race detector (race_detector.cpp).

#include <cuda_runtime.h>

#include <cstdint>
#include <functional>
#include <string>
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
