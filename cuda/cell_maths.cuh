#pragma once
// The element-wise maths of a cell step, shared by the fused kernels and the
// layered path: the expressions of the CPU reference (host/reference/cell_step.cpp).

#include <cuda_runtime.h>

namespace enu::cuda {

__device__ __forceinline__ float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/// clamp(v, 0, 1) as std::clamp computes it on the host: NaN stays NaN. (fminf
/// and fmaxf would turn it into 0 and hide a diverged member from the
/// non-finite policy, which must see the same members on every backend.)
__device__ __forceinline__ float clamp01(float v) { return v < 0.0f ? 0.0f : (1.0f < v ? 1.0f : v); }

}  // namespace enu::cuda
