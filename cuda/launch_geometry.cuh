#pragma once
// How the CUDA backend cuts work into threads, warps and blocks: the warp, the
// grid's limits, counts divided into blocks, grid-stride loops, and the
// rounding of shared-memory segments. Every kernel and launcher takes these
// from here.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

namespace enu::cuda {

constexpr int kWarp = 32;

/// gridDim.x on every card since sm_30; y and z stop at 65,535.
constexpr size_t kMaxGridX = 2147483647;

/// The fused kernels give each lane at most this many memory cells (their
/// accumulators live in registers), so they take cells of memory up to
/// kFusedMaxMemory; the layered path has no such limit.
constexpr int kMaxCellsPerLane = 4;
constexpr int kFusedMaxMemory = kMaxCellsPerLane * kWarp;

/// ceil(n / d): the blocks (or warps, or float4s) that cover n items.
__host__ __device__ constexpr size_t ceil_div(size_t n, size_t d) { return (n + d - 1) / d; }

/// n floats rounded up to whole float4s, so that each shared-memory segment
/// starts 16-byte aligned.
__host__ __device__ constexpr size_t round_up4(size_t n) { return ceil_div(n, 4) * 4; }

/// Blocks of `threads` for a grid-stride loop over `work` items: one item a
/// thread, up to `max_blocks` blocks, beyond which the loop takes the rest.
inline int grid_stride_blocks(size_t work, int threads, size_t max_blocks) {
  return int(std::min(ceil_div(work, size_t(threads)), max_blocks));
}

}  // namespace enu::cuda

/// for (size_t i = 0; i < n; ++i) shared by the whole grid: each thread takes
/// every (gridDim.x * blockDim.x)-th item from its global index on.
#define ENU_GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)
