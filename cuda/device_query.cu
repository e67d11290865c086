// The device itself: discovery for --backend auto|cuda, its name, and its FP32
// FMA peak as measured (the denominator of `enu bench`'s GPU peak fractions).
#include <cuda_runtime.h>

#include <algorithm>

#include "cuda_check.cuh"
#include "enu/cuda_backend.hpp"
#include "kernel_syntax.cuh"

namespace enu {

int cuda_device_count(std::string* reason) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (reason) *reason = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device present";
  return count;
}

bool cuda_is_emulation() {
#if defined(ENU_CUDA_EMULATION)
  return true;
#else
  return false;
#endif
}

void cuda_use_device(int index) {
  const cudaError_t status = cudaSetDevice(index);
  if (status != cudaSuccess) {
    throw Error("cudaSetDevice(" + std::to_string(index) + "): " + cudaGetErrorString(status));
  }
}

namespace {

constexpr int kFmaChains = 8;  // independent chains per thread: hides the FMA latency at full occupancy

// Each thread runs kFmaChains chains acc = acc * a + b; one FFMA per line.
__global__ void fma_chains_kernel(int iterations, float a, float b, float* sink) {
  float acc[kFmaChains];
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) acc[j] = float(threadIdx.x + j) * 1e-3f;
  for (int it = 0; it < iterations; ++it) {
#pragma unroll
    for (int j = 0; j < kFmaChains; ++j) acc[j] = fmaf(acc[j], a, b);
  }
  float total = 0.0f;
#pragma unroll
  for (int j = 0; j < kFmaChains; ++j) total += acc[j];
  if (total == 12345.0f) *sink = total;  // keeps the chains alive; practically never stores
}

}  // namespace

std::string cuda_device_name() {
  int device = 0;
  ENU_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  ENU_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

double cuda_peak_gflops() {
  int device = 0, sms = 0;
  ENU_CUDA_CHECK(cudaGetDevice(&device));
  ENU_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  constexpr int kThreads = 256, kBlocksPerSm = 8, kIterations = 1 << 16;
  const int blocks = sms * kBlocksPerSm;
  cuda::DeviceBuffer<float> sink(1);
  cudaEvent_t start, stop;
  ENU_CUDA_CHECK(cudaEventCreate(&start));
  ENU_CUDA_CHECK(cudaEventCreate(&stop));
  float best_ms = 0.0f;
  for (int trial = 0; trial < 6; ++trial) {  // the first is a warm-up (clocks ramp, module loads)
    ENU_CUDA_CHECK(cudaEventRecord(start));
    ENU_LAUNCH(fma_chains_kernel, blocks, kThreads, 0, 0)(kIterations, 0.999999f, 1e-6f, sink.data());
    ENU_CUDA_CHECK_LAUNCH();
    ENU_CUDA_CHECK(cudaEventRecord(stop));
    ENU_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    ENU_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    if (trial > 0) best_ms = best_ms == 0.0f ? ms : std::min(best_ms, ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  const double flops = 2.0 * kFmaChains * double(kIterations) * blocks * kThreads;
  return flops / (double(best_ms) * 1e-3) * 1e-9;
}

}  // namespace enu
