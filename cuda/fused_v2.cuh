#pragma once
// The fused v2 network kernel (docs/gpu_v2.md; the design: ../shared/GPU-V2.md
// section 3): one block per member and group of its lifetimes, all cell
// instances of the group as rows of warp-level GEMM tiles over the member's
// weights, held once in shared memory. Takes ENU, NFENU and GRU cells of memory
// <= 32 (v1 and the layered path take the rest).

#include <cuda_runtime.h>

#include <string>

#include "population_kernels.cuh"

namespace enu::cuda {

constexpr int kFusedV2MaxMemory = 32;
/// A block's thread e steps lifetime e's task: at most one lifetime a thread.
constexpr int kFusedV2MaxLifetimesPerBlock = 256;

/// Why the v2 kernel cannot take the network's cells, or "" when it can.
std::string fused_v2_cell_limit(const DeviceNetwork& net);

/// Shared memory of a block that runs `lifetimes_per_block` lifetimes, in bytes.
size_t fused_v2_shared_bytes(const DeviceNetwork& net, size_t param_count, int observation_size,
                             int lifetimes_per_block);

/// The most lifetimes a block holds within `shared_limit` bytes, at most
/// `lifetimes`; 0 when not even one fits.
int fused_v2_lifetimes_per_block(const DeviceNetwork& net, size_t param_count, int observation_size, int lifetimes,
                                 size_t shared_limit);

/// Blocks of a launch: a member's lifetimes in groups of `lifetimes_per_block`.
size_t fused_v2_blocks(const Population& pop, const LifetimeSet& lifetimes, int lifetimes_per_block);

/// Rows [synapse, neuron, environment, block-ticks] per block of phase_clocks.
constexpr int kPhaseClockColumns = 4;

/// fitness[m * lifetimes.count + e] for every member and lifetime, with the gate
/// GEMMs in `precision`; blocks of `lifetimes_per_block` lifetimes (from
/// fused_v2_lifetimes_per_block). phase_clocks: null, or fused_v2_blocks() rows
/// of kPhaseClockColumns, written (PhaseClocks in enu/cuda_backend.hpp).
void launch_fused_v2(const DeviceNetwork& net, const Population& pop, const LifetimeSet& lifetimes,
                     const DeviceTask& task, CudaPrecision precision, int lifetimes_per_block, float* fitness,
                     unsigned long long* phase_clocks, cudaStream_t stream);

}  // namespace enu::cuda
