// The CPU emulation of CUDA (cuda/emulation) checked against what it claims:
// deliberately broken kernels are caught (a missing barrier, a divergent
// barrier, a shared index one past the end, blocks racing on global memory);
// correct kernels are clean and give the same bits under every schedule; the
// launch limits fail with the CUDA runtime's error codes; streams run their
// work only when synchronised; each emulated library call agrees with a naive
// implementation of its documented definition; and nvcuda::wmma computes its
// definition, refuses what the GPU refuses, and breaks code that assumes its
// unspecified element layout; vector accesses fault when misaligned, the
// fast-math intrinsics compute the hardware's model, the warp shuffles follow
// their documented semantics and are no memory barrier. Built only in the ENU_CUDA_EMULATION build; its
// kernels are compiled like cuda/'s, with the race detector's hooks.
#include <cublas_v2.h>
#include <gtest/gtest.h>

#include <mma.h>

#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_reduce.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernel_syntax.cuh"

namespace {

using enu::emulation::Schedule;
using enu::emulation::ScheduleChoice;

// ---- helpers: device buffers, launch outcomes -----------------------------------------

template <class T>
T* device_copy(const std::vector<T>& host) {
  T* device = nullptr;
  EXPECT_EQ(cudaMalloc(&device, host.size() * sizeof(T)), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(device, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  return device;
}

template <class T>
std::vector<T> host_copy(const T* device, size_t count) {
  std::vector<T> host(count);
  EXPECT_EQ(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
  return host;
}

/// What a launch ended with: the error at the next synchronisation and its text.
struct Outcome {
  cudaError_t error;
  std::string report;
};

Outcome synchronise() {
  const cudaError_t launch = cudaGetLastError();
  const cudaError_t error = launch != cudaSuccess ? launch : cudaDeviceSynchronize();
  return Outcome{error, cudaGetErrorString(error)};
}

/// Every test starts and ends on a clean device (a fault is sticky until a reset).
class Emulation : public ::testing::Test {
 protected:
  void SetUp() override {
    cudaDeviceReset();
    enu::emulation::set_schedule({Schedule::in_order, 0});
  }
  void TearDown() override { cudaDeviceReset(); }
};

// ---- broken kernels, and their corrected twins -------------------------------------------

// Each thread stores its value, then reads its neighbour's: without the barrier
// the neighbour may not have stored yet.
__global__ void neighbour_sum(bool with_barrier, float* out) {
  ENU_DYNAMIC_SHARED(float, values);
  const unsigned t = threadIdx.x;
  values[t] = float(t);
  if (with_barrier) __syncthreads();
  out[t] = values[t] + values[(t + 1) % blockDim.x];
}

TEST_F(Emulation, MissingSyncthreadsIsReportedAsARace) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(neighbour_sum, 1, 64, 64 * sizeof(float), 0)(true, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "the kernel with its barrier must be clean";
  EXPECT_EQ(host_copy(out, 64)[63], 63.0f + 0.0f);

  ENU_LAUNCH(neighbour_sum, 1, 64, 64 * sizeof(float), 0)(false, out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  // Names the kernel, the memory, the offset and both threads.
  EXPECT_NE(outcome.report.find("kernel neighbour_sum"), std::string::npos) << outcome.report;
  // In order, thread 0 runs first and reads thread 1's value before thread 1 stores it.
  EXPECT_NE(outcome.report.find("write-after-read race on dynamic shared memory (256 bytes), "
                                "byte offset 4: block (0, 0, 0) thread (0, 0, 0) read it at "),
            std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("then block (0, 0, 0) thread (1, 0, 0) wrote it at "), std::string::npos)
      << outcome.report;
}

// Under the reversed schedule the reads come first: the write is the racing access.
TEST_F(Emulation, MissingSyncthreadsIsReportedUnderEverySchedule) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  for (ScheduleChoice choice : {ScheduleChoice{Schedule::reversed, 0}, ScheduleChoice{Schedule::shuffled, 7}}) {
    cudaDeviceReset();
    ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
    enu::emulation::set_schedule(choice);
    ENU_LAUNCH(neighbour_sum, 1, 64, 64 * sizeof(float), 0)(false, out);
    const Outcome outcome = synchronise();
    EXPECT_EQ(outcome.error, cudaErrorLaunchFailure) << to_string(choice);
    EXPECT_NE(outcome.report.find("race on dynamic shared memory"), std::string::npos) << outcome.report;
  }
}

// Lane 0 of each warp hands a value to the other lanes through shared memory.
__global__ void warp_broadcast(bool with_barrier, float* out) {
  ENU_DYNAMIC_SHARED(float, slot);
  const unsigned warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) slot[warp] = float(warp + 1);
  if (with_barrier) __syncwarp();
  out[threadIdx.x] = slot[warp];
}

TEST_F(Emulation, MissingSyncwarpIsReportedAndSyncwarpOrdersTheWarp) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 128 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(warp_broadcast, 1, 128, 4 * sizeof(float), 0)(true, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "__syncwarp orders lane 0's store before the others' loads";
  EXPECT_EQ(host_copy(out, 128)[127], 4.0f);

  enu::emulation::set_schedule({Schedule::reversed, 0});
  ENU_LAUNCH(warp_broadcast, 1, 128, 4 * sizeof(float), 0)(false, out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("write-after-read race on dynamic shared memory"), std::string::npos)
      << outcome.report;
}

// Threads of one block hand data through global memory, as the fused network
// kernel does with its state: the same rules hold there.
__global__ void global_handoff(bool with_barrier, float* scratch, float* out) {
  if (threadIdx.x == 0) scratch[blockIdx.x] = 42.0f;
  if (with_barrier) __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = scratch[blockIdx.x];
}

TEST_F(Emulation, GlobalMemoryRacesWithinABlockAreReported) {
  float *scratch = nullptr, *out = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, 2 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(global_handoff, 2, 32, 0, 0)(true, scratch, out);
  ASSERT_EQ(synchronise().error, cudaSuccess);
  ENU_LAUNCH(global_handoff, 2, 32, 0, 0)(false, scratch, out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("race on device allocation"), std::string::npos) << outcome.report;
  EXPECT_NE(outcome.report.find("byte offset 0"), std::string::npos) << outcome.report;
}

// Blocks of one launch are never ordered: block 1 reading what block 0 wrote races.
__global__ void read_previous_block(float* data) {
  if (threadIdx.x != 0) return;
  data[blockIdx.x] = 1.0f;
  if (blockIdx.x > 0) data[gridDim.x + blockIdx.x] = data[blockIdx.x - 1];
}

TEST_F(Emulation, BlocksOfOneLaunchRaceOnGlobalMemory) {
  float* data = nullptr;
  ASSERT_EQ(cudaMalloc(&data, 8 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(read_previous_block, 4, 32, 0, 0)(data);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("block (0, 0, 0) thread (0, 0, 0) wrote it"), std::string::npos) << outcome.report;
  EXPECT_NE(outcome.report.find("then block (1, 0, 0) thread (0, 0, 0) read it"), std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("blocks of one launch are never ordered"), std::string::npos) << outcome.report;
}

// Half the block returns before the barrier the other half waits at.
__global__ void divergent_barrier(float* out) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

TEST_F(Emulation, DivergentBarrierNamesKernelBlockAndThreadsInsteadOfHanging) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(divergent_barrier, dim3(1, 2), 64, 0, 0)(out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("kernel divergent_barrier"), std::string::npos) << outcome.report;
  EXPECT_NE(outcome.report.find("block (0, 0, 0): its threads wait at barriers that can never complete: "
                                "threads 0-15 have returned; threads 16-63 wait at __syncthreads "
                                "(test_emulation.cpp:"),
            std::string::npos)
      << outcome.report;
  // Sticky, as a device fault is: every later call fails until the reset.
  float* more = nullptr;
  EXPECT_EQ(cudaMalloc(&more, 4), cudaErrorLaunchFailure);
}

// Half a warp returns before the __syncwarp the other half waits at.
__global__ void divergent_warp_barrier(float* out) {
  if (threadIdx.x % 32 < 16) return;
  __syncwarp();
  out[threadIdx.x] = 1.0f;
}

TEST_F(Emulation, DivergentSyncwarpIsReportedInsteadOfHanging) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(divergent_warp_barrier, 1, 64, 0, 0)(out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("threads 0-15 have returned; threads 16-31 wait at __syncwarp (test_emulation.cpp:"),
            std::string::npos)
      << outcome.report;
}

// Two halves of a warp wait at different __syncthreads: a divergent barrier.
__global__ void barriers_at_two_places(float* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 0.0f;
}

TEST_F(Emulation, SyncthreadsAtDifferentPlacesIsReported) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(barriers_at_two_places, 1, 32, 0, 0)(out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("__syncthreads reached at different places"), std::string::npos) << outcome.report;
}

// One float past the shared memory the launch asked for.
__global__ void one_past_the_end(float* out) {
  ENU_DYNAMIC_SHARED(float, values);
  values[threadIdx.x] = 1.0f;  // the launch gives blockDim.x - 1 floats
  out[threadIdx.x] = 0.0f;
}

TEST(EmulationDeathTest, SharedIndexOnePastTheEndIsCaughtByAddressSanitizer) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        float* out = nullptr;
        cudaMalloc(&out, 32 * sizeof(float));
        ENU_LAUNCH(one_past_the_end, 1, 32, 31 * sizeof(float), 0)(out);
        cudaDeviceSynchronize();
      },
      "heap-buffer-overflow.*WRITE of size 4.*one_past_the_end");
}

// A block-wide tree reduction with barriers: correct, so every schedule gives its bits.
__global__ void tree_sum(const float* in, float* out) {
  ENU_DYNAMIC_SHARED(float, partial);
  const unsigned t = threadIdx.x;
  partial[t] = in[blockIdx.x * blockDim.x + t];
  __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) partial[t] += partial[t + half];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

TEST_F(Emulation, ACorrectKernelGivesTheSameBitsUnderEverySchedule) {
  std::vector<float> in(4 * 256);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& x : in) x = uniform(rng);
  std::vector<std::vector<float>> results;
  for (ScheduleChoice choice : {ScheduleChoice{Schedule::in_order, 0}, ScheduleChoice{Schedule::reversed, 0},
                                ScheduleChoice{Schedule::shuffled, 1}, ScheduleChoice{Schedule::shuffled, 2}}) {
    enu::emulation::set_schedule(choice);
    float* d_in = device_copy(in);
    float* d_out = nullptr;
    ASSERT_EQ(cudaMalloc(&d_out, 4 * sizeof(float)), cudaSuccess);
    ENU_LAUNCH(tree_sum, 4, 256, 256 * sizeof(float), 0)(d_in, d_out);
    ASSERT_EQ(synchronise().error, cudaSuccess) << to_string(choice);
    results.push_back(host_copy(d_out, 4));
    cudaFree(d_in);
    cudaFree(d_out);
  }
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(std::memcmp(results[i].data(), results[0].data(), 4 * sizeof(float)), 0) << "schedule " << i;
  }
  // The tree's own order on the host: pairs at distance 128, 64, ..., 1.
  std::vector<float> partial(in.begin(), in.begin() + 256);
  for (unsigned half = 128; half > 0; half /= 2) {
    for (unsigned t = 0; t < half; ++t) partial[t] += partial[t + half];
  }
  EXPECT_EQ(results[0][0], partial[0]);
}

// ---- the device's limits --------------------------------------------------------------------

__global__ void store_index(float* out) { out[blockIdx.y * blockDim.x + threadIdx.x] = float(threadIdx.x); }
__global__ void store_index_too(float* out) { out[threadIdx.x] = 0.0f; }

TEST_F(Emulation, LaunchLimitsFailWithTheRuntimesErrors) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 2048 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(store_index, 1, 1025, 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration) << "more than 1,024 threads per block";
  ENU_LAUNCH(store_index, dim3(1, 65536), 32, 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration) << "gridDim.y above 65,535";
  ENU_LAUNCH(store_index, dim3(1, 1, 65536), 32, 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration) << "gridDim.z above 65,535";
  ENU_LAUNCH(store_index, dim3(1, 1), dim3(2, 2, 65), 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration) << "blockDim.z above 64";
  ENU_LAUNCH(store_index, 0, 32, 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration) << "an empty grid";
  ENU_LAUNCH(store_index, dim3(1, 2), 1024, 0, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the largest block is fine";

  // Dynamic shared memory above 48 KiB only after cudaFuncSetAttribute on that very kernel.
  const size_t big = 48 * 1024 + 4;
  ENU_LAUNCH(store_index, 1, 32, big, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  ASSERT_EQ(cudaFuncSetAttribute(store_index_too, cudaFuncAttributeMaxDynamicSharedMemorySize, int(big)), cudaSuccess);
  ENU_LAUNCH(store_index, 1, 32, big, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue) << "the attribute of another kernel does not count";
  ASSERT_EQ(cudaFuncSetAttribute(store_index, cudaFuncAttributeMaxDynamicSharedMemorySize, int(big)), cudaSuccess);
  ENU_LAUNCH(store_index, 1, 32, big, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  // The card's whole opt-in budget, to the byte, and not a word more.
  const size_t most = 227 * 1024;
  ASSERT_EQ(cudaFuncSetAttribute(store_index, cudaFuncAttributeMaxDynamicSharedMemorySize, int(most)), cudaSuccess);
  ENU_LAUNCH(store_index, 1, 32, most, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "exactly 227 KiB";
  ENU_LAUNCH(store_index, 1, 32, most + 4, 0)(out);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue) << "227 KiB and 4 bytes";
  EXPECT_EQ(cudaFuncSetAttribute(store_index, cudaFuncAttributeMaxDynamicSharedMemorySize, int(most + 4)),
            cudaErrorInvalidValue);
  EXPECT_EQ(cudaFuncSetAttribute(store_index, cudaFuncAttributeMaxDynamicSharedMemorySize, 227 * 1024 + 1),
            cudaErrorInvalidValue)
      << "never above the card's 227 KiB";
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess) << "launch errors are not sticky";
}

// ---- streams: work runs when the stream is synchronised --------------------------------------

TEST_F(Emulation, AsyncCopiesCompleteOnlyAtSynchronisation) {
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  const std::vector<float> source{1.0f, 2.0f, 3.0f};
  float* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, 3 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(device, source.data(), 3 * sizeof(float), cudaMemcpyHostToDevice, stream), cudaSuccess);
  std::vector<float> back(3, -1.0f);
  ASSERT_EQ(cudaMemcpyAsync(back.data(), device, 3 * sizeof(float), cudaMemcpyDeviceToHost, stream), cudaSuccess);
  EXPECT_EQ(back[0], -1.0f) << "read before the stream was synchronised";
  ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_EQ(back, source);
  EXPECT_EQ(cudaMemcpyAsync(device, source.data(), 4 * sizeof(float), cudaMemcpyHostToDevice, stream),
            cudaErrorInvalidValue)
      << "a copy past the end of the allocation";
  ASSERT_EQ(cudaStreamDestroy(stream), cudaSuccess);
}

TEST_F(Emulation, FreshDeviceMemoryReadsAsNaN) {
  float* device = nullptr;
  ASSERT_EQ(cudaMalloc(&device, 4 * sizeof(float)), cudaSuccess);
  for (float x : host_copy(device, 4)) EXPECT_TRUE(std::isnan(x));
}

// ---- cuBLAS against its definition ----------------------------------------------------------

// Column-major op(X)(r, c) of a matrix stored with leading dimension ld.
float op_at(const std::vector<float>& x, size_t offset, bool transposed, int ld, int r, int c) {
  return transposed ? x[offset + c + size_t(r) * ld] : x[offset + r + size_t(c) * ld];
}

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

TEST_F(Emulation, SgemmStridedBatchedFollowsItsDefinition) {
  cublasHandle_t blas = nullptr;
  ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
  const int m = 5, n = 3, k = 4, batch = 3;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      for (float beta : {0.0f, 0.5f}) {
        // Leading dimensions and strides wider than needed: padding must not be read or written.
        const int lda = (ta ? k : m) + 2, ldb = (tb ? n : k) + 1, ldc = m + 3;
        const long long sa = (long long)lda * (ta ? m : k) + 5, sb = (long long)ldb * (tb ? k : n),
                        sc = (long long)ldc * n + 2;
        const std::vector<float> A = random_vector(size_t(sa) * batch, 1), B = random_vector(size_t(sb) * batch, 2);
        std::vector<float> C = random_vector(size_t(sc) * batch, 3);
        if (beta == 0.0f) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
        std::vector<float> expected = C;
        const float alpha = 1.5f;
        for (int i = 0; i < batch; ++i) {
          for (int r = 0; r < m; ++r) {
            for (int c = 0; c < n; ++c) {
              double sum = 0.0;
              for (int p = 0; p < k; ++p) {
                sum += double(op_at(A, size_t(i * sa), ta, lda, r, p)) * op_at(B, size_t(i * sb), tb, ldb, p, c);
              }
              float& out = expected[size_t(i * sc) + r + size_t(c) * ldc];
              out = float(alpha * sum + (beta == 0.0f ? 0.0 : beta * double(out)));
            }
          }
        }
        float *dA = device_copy(A), *dB = device_copy(B), *dC = device_copy(C);
        ASSERT_EQ(cublasSgemmStridedBatched(blas, ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m,
                                            n, k, &alpha, dA, lda, sa, dB, ldb, sb, &beta, dC, ldc, sc, batch),
                  CUBLAS_STATUS_SUCCESS);
        const std::vector<float> got = host_copy(dC, C.size());
        for (size_t j = 0; j < C.size(); ++j) {
          if (std::isnan(expected[j])) {
            EXPECT_TRUE(std::isnan(got[j])) << "padding of C written at " << j;
          } else {
            EXPECT_NEAR(got[j], expected[j], 1e-5f) << "ta " << ta << " tb " << tb << " beta " << beta << " at " << j;
          }
        }
        cudaFree(dA);
        cudaFree(dB);
        cudaFree(dC);
      }
    }
  }
  // Arguments cuBLAS refuses.
  const float one = 1.0f;
  EXPECT_EQ(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, 4, 2, 3, &one, nullptr, 3, 0, nullptr, 3, 0,
                                      &one, nullptr, 4, 0, 1),
            CUBLAS_STATUS_INVALID_VALUE)
      << "lda below m";
  EXPECT_EQ(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_T, 4, 2, 3, &one, nullptr, 4, 0, nullptr, 1, 0,
                                      &one, nullptr, 4, 0, 1),
            CUBLAS_STATUS_INVALID_VALUE)
      << "ldb below n for op(B) = B^T";
  ASSERT_EQ(cublasDestroy(blas), CUBLAS_STATUS_SUCCESS);
}

TEST_F(Emulation, SgemmOperandPastItsAllocationIsAnIllegalAddress) {
  cublasHandle_t blas = nullptr;
  ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
  float *A = nullptr, *B = nullptr, *C = nullptr;
  ASSERT_EQ(cudaMalloc(&A, 4 * 3 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&B, 3 * 2 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&C, 4 * 2 * sizeof(float)), cudaSuccess);
  const float one = 1.0f, zero = 0.0f;
  // strideA 12 and batch 2 reach 12 floats past A.
  ASSERT_EQ(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, 4, 2, 3, &one, A, 4, 12, B, 3, 0, &zero, C, 4,
                                      0, 2),
            CUBLAS_STATUS_SUCCESS);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorIllegalAddress);
  EXPECT_NE(outcome.report.find("operand A spans floats [0, 24)"), std::string::npos) << outcome.report;
  cublasDestroy(blas);
}

TEST_F(Emulation, TensorOpMathRoundsOperandsToTf32) {
  cublasHandle_t blas = nullptr;
  ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
  // 1 + 2^-12 is below half a TF32 step (2^-11) and rounds to 1; 1 + 2^-11 is a
  // tie and rounds away from zero, to 1 + 2^-10.
  const std::vector<float> a{1.0f + std::ldexp(1.0f, -12), 1.0f + std::ldexp(1.0f, -11)}, b{1.0f};
  float *dA = device_copy(a), *dB = device_copy(b), *dC = nullptr;
  ASSERT_EQ(cudaMalloc(&dC, 2 * sizeof(float)), cudaSuccess);
  const float one = 1.0f, zero = 0.0f;
  for (bool tf32 : {false, true}) {
    ASSERT_EQ(cublasSetMathMode(blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), CUBLAS_STATUS_SUCCESS);
    ASSERT_EQ(cublasSgemmStridedBatched(blas, CUBLAS_OP_N, CUBLAS_OP_N, 2, 1, 1, &one, dA, 2, 0, dB, 1, 0, &zero, dC,
                                        2, 0, 1),
              CUBLAS_STATUS_SUCCESS);
    const std::vector<float> c = host_copy(dC, 2);
    EXPECT_EQ(c[0], tf32 ? 1.0f : a[0]);
    EXPECT_EQ(c[1], tf32 ? 1.0f + std::ldexp(1.0f, -10) : a[1]);
  }
  cublasDestroy(blas);
}

TEST_F(Emulation, SgemvFollowsItsDefinition) {
  cublasHandle_t blas = nullptr;
  ASSERT_EQ(cublasCreate(&blas), CUBLAS_STATUS_SUCCESS);
  const int m = 4, n = 3, lda = 6;
  const std::vector<float> A = random_vector(size_t(lda) * n, 4);
  for (bool t : {false, true}) {
    for (int incx : {1, -2}) {
      const int xl = t ? m : n, yl = t ? n : m, incy = 3;
      const std::vector<float> x = random_vector(size_t(xl) * std::abs(incx), 5);
      std::vector<float> y(size_t(yl) * incy, std::numeric_limits<float>::quiet_NaN());  // beta = 0: never read
      std::vector<float> expected = y;
      const float alpha = 0.5f, beta = 0.0f;
      for (int i = 0; i < yl; ++i) {
        double sum = 0.0;
        for (int j = 0; j < xl; ++j) {
          const float element = t ? A[j + size_t(i) * lda] : A[i + size_t(j) * lda];
          const size_t xi = incx > 0 ? size_t(j) * incx : size_t(xl - 1 - j) * -incx;  // BLAS negative increments
          sum += double(element) * x[xi];
        }
        expected[size_t(i) * incy] = float(alpha * sum);
      }
      float *dA = device_copy(A), *dx = device_copy(x), *dy = device_copy(y);
      ASSERT_EQ(cublasSgemv(blas, t ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, &alpha, dA, lda, dx, incx, &beta, dy, incy),
                CUBLAS_STATUS_SUCCESS);
      const std::vector<float> got = host_copy(dy, y.size());
      for (size_t i = 0; i < y.size(); ++i) {
        if (std::isnan(expected[i])) {
          EXPECT_TRUE(std::isnan(got[i])) << "y written between its increments at " << i;
        } else {
          EXPECT_NEAR(got[i], expected[i], 1e-6f) << "t " << t << " incx " << incx << " at " << i;
        }
      }
      cudaFree(dA);
      cudaFree(dx);
      cudaFree(dy);
    }
  }
  const float one = 1.0f;
  EXPECT_EQ(cublasSgemv(blas, CUBLAS_OP_N, 4, 3, &one, nullptr, 3, nullptr, 1, &one, nullptr, 1),
            CUBLAS_STATUS_INVALID_VALUE)
      << "lda below m";
  EXPECT_EQ(cublasSgemv(blas, CUBLAS_OP_N, 4, 3, &one, nullptr, 4, nullptr, 0, &one, nullptr, 1),
            CUBLAS_STATUS_INVALID_VALUE)
      << "a zero increment";
  cublasDestroy(blas);
}

// ---- CUB and Thrust against their definitions -------------------------------------------------

TEST_F(Emulation, RadixSortPairsIsAStableSortOfTheChosenBits) {
  // Doubles with ties, negatives and both zeros: ascending, ties (and -0.0 / +0.0) in input order.
  const std::vector<double> keys{3.0, -1.0, 0.0, 3.0, -0.0, -7.5, 2.0, 0.0, -1.0};
  std::vector<int> values(keys.size());
  std::iota(values.begin(), values.end(), 0);
  std::vector<int> expected = values;
  std::stable_sort(expected.begin(), expected.end(), [&](int a, int b) { return keys[size_t(a)] < keys[size_t(b)]; });
  double *d_keys = device_copy(keys), *d_sorted = nullptr;
  int *d_values = device_copy(values), *d_order = nullptr;
  ASSERT_EQ(cudaMalloc(&d_sorted, keys.size() * sizeof(double)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&d_order, keys.size() * sizeof(int)), cudaSuccess);
  size_t bytes = 0;
  ASSERT_EQ(cub::DeviceRadixSort::SortPairs(nullptr, bytes, d_keys, d_sorted, d_values, d_order, int(keys.size())),
            cudaSuccess);
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, bytes), cudaSuccess);
  ASSERT_EQ(cub::DeviceRadixSort::SortPairs(scratch, bytes, d_keys, d_sorted, d_values, d_order, int(keys.size())),
            cudaSuccess);
  EXPECT_EQ(host_copy(d_order, keys.size()), expected);
  size_t small = bytes - 1;
  EXPECT_EQ(cub::DeviceRadixSort::SortPairs(scratch, small, d_keys, d_sorted, d_values, d_order, int(keys.size())),
            cudaErrorInvalidValue)
      << "less scratch than the size query asked for";

  // Unsigned keys on bits [4, 8) only: the low nibble does not order them.
  const std::vector<unsigned> ukeys{0x35, 0x21, 0x3F, 0x20, 0x14};
  std::vector<int> uexpected(ukeys.size());
  std::iota(uexpected.begin(), uexpected.end(), 0);
  std::stable_sort(uexpected.begin(), uexpected.end(),
                   [&](int a, int b) { return (ukeys[size_t(a)] >> 4) < (ukeys[size_t(b)] >> 4); });
  unsigned *du = device_copy(ukeys), *du_sorted = nullptr;
  ASSERT_EQ(cudaMalloc(&du_sorted, ukeys.size() * sizeof(unsigned)), cudaSuccess);
  std::vector<int> uvalues(ukeys.size());
  std::iota(uvalues.begin(), uvalues.end(), 0);
  int* duv = device_copy(uvalues);
  ASSERT_EQ(cub::DeviceRadixSort::SortPairs(scratch, bytes, du, du_sorted, duv, d_order, int(ukeys.size()), 4, 8),
            cudaSuccess);
  std::vector<int> got = host_copy(d_order, ukeys.size());
  EXPECT_EQ(got, uexpected);
}

struct Square {
  const float* data;
  float operator()(size_t i) const { return data[i] * data[i]; }
};
struct Times {
  size_t factor;
  size_t operator()(size_t i) const { return i * factor; }
};

TEST_F(Emulation, SegmentedSumOverIteratorsFollowsItsDefinition) {
  const std::vector<float> data{1, 2, 3, 4, 5, 6};
  float* d_data = device_copy(data);
  float* d_out = nullptr;
  ASSERT_EQ(cudaMalloc(&d_out, 4 * sizeof(float)), cudaSuccess);
  // Segments [0, 2), [2, 4), [4, 6) of the squares, then an empty one [6, 6)... the
  // begin offsets 0, 2, 4, 6 and ends 2, 4, 6, 6 given as iterators.
  const auto squares = thrust::make_transform_iterator(thrust::counting_iterator<size_t>(0), Square{d_data});
  const auto begins = thrust::make_transform_iterator(thrust::counting_iterator<size_t>(0), Times{2});
  const std::vector<size_t> ends{2, 4, 6, 6};
  size_t* d_ends = device_copy(ends);
  size_t bytes = 0;
  ASSERT_EQ(cub::DeviceSegmentedReduce::Sum(nullptr, bytes, squares, d_out, 4, begins, d_ends), cudaSuccess);
  void* scratch = nullptr;
  ASSERT_EQ(cudaMalloc(&scratch, bytes), cudaSuccess);
  ASSERT_EQ(cub::DeviceSegmentedReduce::Sum(scratch, bytes, squares, d_out, 4, begins, d_ends), cudaSuccess);
  EXPECT_EQ(host_copy(d_out, 4), (std::vector<float>{1 + 4, 9 + 16, 25 + 36, 0}));
}

TEST(EmulationThrust, IteratorsComputeTheirElements) {
  const thrust::counting_iterator<size_t> count(5);
  EXPECT_EQ(count[3], 8u);
  EXPECT_EQ(*(count + 2), 7u);
  const auto doubled = thrust::make_transform_iterator(count, Times{2});
  EXPECT_EQ(doubled[1], 12u);
  EXPECT_EQ((doubled + 4) - doubled, 4);
}

__global__ void block_sum(const double* in, double* out, float* nonzero_thread_result) {
  using Reduce = cub::BlockReduce<double, 256>;
  ENU_SHARED(typename Reduce::TempStorage, storage);
  const double total = Reduce(storage).Sum(in[threadIdx.x]);
  if (threadIdx.x == 0) out[0] = total;
  if (threadIdx.x == 1) nonzero_thread_result[0] = float(total);
}

TEST_F(Emulation, BlockReduceSumsIntoThreadZeroOnly) {
  std::vector<double> in(256);
  for (size_t i = 0; i < in.size(); ++i) in[i] = double(i) * 0.5;
  double* d_in = device_copy(in);
  double* d_out = nullptr;
  float* d_other = nullptr;
  ASSERT_EQ(cudaMalloc(&d_out, sizeof(double)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&d_other, sizeof(float)), cudaSuccess);
  ENU_LAUNCH(block_sum, 1, 256, 0, 0)(d_in, d_out, d_other);
  ASSERT_EQ(synchronise().error, cudaSuccess);
  EXPECT_EQ(host_copy(d_out, 1)[0], 0.5 * 255 * 256 / 2);
  EXPECT_TRUE(std::isnan(host_copy(d_other, 1)[0])) << "the aggregate is defined in thread 0 only";

  ENU_LAUNCH(block_sum, 1, 128, 0, 0)(d_in, d_out, d_other);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("cub::BlockReduce<T, 256> used in a block of 128 x 1 x 1 threads"), std::string::npos)
      << outcome.report;
}

// ---- nvcuda::wmma against its definition --------------------------------------------------------

namespace wmma = nvcuda::wmma;

/// What the tensor cores read of an unconverted float: its top 19 bits.
float tf32_truncated(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits &= 0xFFFFE000u;
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

/// Element (r, c) of a matrix at `base` with leading dimension ld.
float at(const std::vector<float>& m, size_t base, unsigned ld, bool row_major, unsigned r, unsigned c) {
  return m[base + (row_major ? size_t(r) * ld + c : size_t(c) * ld + r)];
}

/// The operands of D = A B + C for several 16 x 16 tiles: A is 16 x (8 k_tiles),
/// B (8 k_tiles) x 16; warp w of the grid works on the tiles that start
/// w * tile_floats after each pointer.
struct TileProblem {
  const float *a, *b, *c;
  float* d;
  unsigned lda, ldb, ldc, ldd, k_tiles;
  wmma::layout_t c_layout, d_layout;
  size_t tile_floats;
};

template <class LayoutA, class LayoutB>
struct Layouts {
  using A = LayoutA;
  using B = LayoutB;
};

template <class L>
__global__ void tiles_multiply_add(TileProblem p) {
  constexpr bool a_rows = std::is_same_v<typename L::A, wmma::row_major>;
  constexpr bool b_rows = std::is_same_v<typename L::B, wmma::row_major>;
  const size_t tile = (blockIdx.x * blockDim.x + threadIdx.x) / 32 * p.tile_floats;
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, typename L::A> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, typename L::B> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::load_matrix_sync(acc, p.c + tile, p.ldc, p.c_layout);
  for (unsigned kt = 0; kt < p.k_tiles; ++kt) {
    // The k-th 8 columns of A and 8 rows of B.
    wmma::load_matrix_sync(a, p.a + tile + kt * 8 * (a_rows ? 1 : p.lda), p.lda);
    wmma::load_matrix_sync(b, p.b + tile + kt * 8 * (b_rows ? p.ldb : 1), p.ldb);
    wmma::mma_sync(acc, a, b, acc);
  }
  wmma::store_matrix_sync(p.d + tile, acc, p.ldd, p.d_layout);
}

/// Runs tiles_multiply_add<L> on random tiles (each matrix's leading dimension
/// 4 floats wider than its rows or columns) and checks every element of D
/// against the triple loop on the TF32-truncated operands. Products of two TF32
/// values are exact in FP32 and the 8 k_tiles additions each round once, so
/// |D - exact| <= (8 k_tiles + 1) 2^-24 (|C| + sum |A B|) (the +1: slack for
/// the double reference). Returns D, padding included (still NaN: never written).
template <class L>
std::vector<float> check_tiles(unsigned tiles, unsigned warps_per_block, unsigned k_tiles, wmma::layout_t c_layout,
                               wmma::layout_t d_layout) {
  constexpr bool a_rows = std::is_same_v<typename L::A, wmma::row_major>;
  constexpr bool b_rows = std::is_same_v<typename L::B, wmma::row_major>;
  const bool c_rows = c_layout == wmma::mem_row_major, d_rows = d_layout == wmma::mem_row_major;
  const unsigned k = 8 * k_tiles;
  const unsigned lda = (a_rows ? k : 16) + 4, ldb = 16 + 4, ldc = 16 + 4, ldd = 16 + 4;
  const size_t tile_floats = size_t(std::max(lda, ldb)) * std::max(k, 16u);  // a multiple of 8: 32-byte aligned
  const size_t floats = tile_floats * tiles;
  const std::vector<float> A = random_vector(floats, 11), B = random_vector(floats, 12), C = random_vector(floats, 13);
  float *dA = device_copy(A), *dB = device_copy(B), *dC = device_copy(C), *dD = nullptr;
  EXPECT_EQ(cudaMalloc(&dD, floats * sizeof(float)), cudaSuccess);
  const TileProblem problem{dA, dB, dC, dD, lda, ldb, ldc, ldd, k_tiles, c_layout, d_layout, tile_floats};
  ENU_LAUNCH(tiles_multiply_add<L>, tiles / warps_per_block, 32 * warps_per_block, 0, 0)(problem);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaSuccess) << outcome.report;
  const std::vector<float> D = host_copy(dD, floats);
  for (unsigned t = 0; t < tiles; ++t) {
    const size_t base = t * tile_floats;
    for (unsigned r = 0; r < 16; ++r) {
      for (unsigned c = 0; c < 16; ++c) {
        double exact = at(C, base, ldc, c_rows, r, c), magnitude = std::fabs(exact);
        for (unsigned p = 0; p < k; ++p) {
          const double product = double(tf32_truncated(at(A, base, lda, a_rows, r, p))) *
                                 tf32_truncated(at(B, base, ldb, b_rows, p, c));
          exact += product;
          magnitude += std::fabs(product);
        }
        const double bound = (8 * k_tiles + 1) * std::ldexp(magnitude, -24);
        EXPECT_NEAR(at(D, base, ldd, d_rows, r, c), exact, bound) << "tile " << t << " (" << r << ", " << c << ")";
      }
    }
  }
  for (size_t i = 0; i < floats; ++i) {
    const size_t within = i % tile_floats;
    const unsigned major = unsigned(within / ldd), minor = unsigned(within % ldd);
    if (major >= 16 || minor >= 16) EXPECT_TRUE(std::isnan(D[i])) << "padding of D written at " << i;
  }
  cudaFree(dA);
  cudaFree(dB);
  cudaFree(dC);
  cudaFree(dD);
  return D;
}

using RowRow = Layouts<wmma::row_major, wmma::row_major>;
using RowCol = Layouts<wmma::row_major, wmma::col_major>;
using ColRow = Layouts<wmma::col_major, wmma::row_major>;
using ColCol = Layouts<wmma::col_major, wmma::col_major>;

TEST_F(Emulation, WmmaOneWarpMatchesTheTripleLoopInEveryLayout) {
  for (wmma::layout_t c_layout : {wmma::mem_row_major, wmma::mem_col_major}) {
    for (wmma::layout_t d_layout : {wmma::mem_row_major, wmma::mem_col_major}) {
      SCOPED_TRACE(testing::Message() << "C " << c_layout << " D " << d_layout << " (0: row major)");
      check_tiles<RowRow>(1, 1, 1, c_layout, d_layout);
      check_tiles<RowCol>(1, 1, 1, c_layout, d_layout);
      check_tiles<ColRow>(1, 1, 1, c_layout, d_layout);
      check_tiles<ColCol>(1, 1, 1, c_layout, d_layout);
    }
  }
}

// Four warps in two blocks, each on its own tile, each accumulating two k-steps
// into one fragment (mma_sync(acc, a, b, acc)). The accumulation order does not
// depend on the element mapping, so every schedule gives the same bits.
TEST_F(Emulation, WmmaWarpsOnTheirOwnTilesGiveTheSameBitsUnderEverySchedule) {
  std::vector<std::vector<float>> results;
  for (ScheduleChoice choice : {ScheduleChoice{Schedule::in_order, 0}, ScheduleChoice{Schedule::reversed, 0},
                                ScheduleChoice{Schedule::shuffled, 5}}) {
    SCOPED_TRACE(to_string(choice));
    enu::emulation::set_schedule(choice);
    results.push_back(check_tiles<RowCol>(4, 2, 2, wmma::mem_row_major, wmma::mem_col_major));
  }
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(std::memcmp(results[i].data(), results[0].data(), results[0].size() * sizeof(float)), 0)
        << "schedule " << i;
  }
}

__global__ void to_tf32(const float* in, float* out, unsigned n) {
  if (threadIdx.x < n) out[threadIdx.x] = wmma::__float_to_tf32(in[threadIdx.x]);
}

TEST_F(Emulation, FloatToTf32RoundsToNearestWithTiesAwayFromZero) {
  const float inf = std::numeric_limits<float>::infinity(), max = std::numeric_limits<float>::max();
  const float tie = 1.0f + std::ldexp(1.0f, -11);  // halfway between 1 and 1 + 2^-10
  const std::vector<std::pair<float, float>> cases{
      {1.5f, 1.5f},                                          // already TF32
      {1.0f + std::ldexp(1.0f, -12), 1.0f},                  // below half a step: down
      {tie, 1.0f + std::ldexp(1.0f, -10)},                   // a tie: away from zero (to even would give 1)
      {-tie, -1.0f - std::ldexp(1.0f, -10)},                 // and away from zero when negative
      {-1.0f - std::ldexp(1.0f, -12), -1.0f},                // towards zero when below half
      {2.0f - std::ldexp(1.0f, -11), 2.0f},                  // a tie whose carry reaches the exponent
      {max, inf},                                            // past the largest TF32: infinity
      {inf, inf},
      {-inf, -inf},
  };
  std::vector<float> in;
  for (const auto& c : cases) in.push_back(c.first);
  in.push_back(std::numeric_limits<float>::quiet_NaN());
  float *d_in = device_copy(in), *d_out = nullptr;
  ASSERT_EQ(cudaMalloc(&d_out, in.size() * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(to_tf32, 1, 32, 0, 0)(d_in, d_out, unsigned(in.size()));
  ASSERT_EQ(synchronise().error, cudaSuccess);
  const std::vector<float> out = host_copy(d_out, in.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(out[i], cases[i].second) << std::hexfloat << cases[i].first;
  }
  EXPECT_TRUE(std::isnan(out.back()));
}

// A = 16 x 8 of `value`, B = 8 x 16 of ones, C = 0: D = 8 value as mma_sync reads it.
__global__ void eight_times(float value, bool convert, float* d) {
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::fill_fragment(a, value);
  wmma::fill_fragment(b, 1.0f);
  wmma::fill_fragment(acc, 0.0f);
  // Element-wise, so right whatever element each x[i] holds.
  if (convert) {
    for (int i = 0; i < a.num_elements; ++i) a.x[i] = wmma::__float_to_tf32(a.x[i]);
  }
  wmma::mma_sync(acc, a, b, acc);
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_row_major);
}

TEST_F(Emulation, MmaSyncTruncatesUnconvertedOperandsAndUsesConvertedOnes) {
  // 1 + 2^-11 + 2^-12 rounds up to 1 + 2^-10 but truncates to 1.
  const float value = 1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -12);
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 256 * sizeof(float)), cudaSuccess);
  for (bool convert : {false, true}) {
    ENU_LAUNCH(eight_times, 1, 32, 0, 0)(value, convert, d);
    ASSERT_EQ(synchronise().error, cudaSuccess);
    const float expected = convert ? 8.0f * (1.0f + std::ldexp(1.0f, -10)) : 8.0f;
    for (float x : host_copy(d, 256)) ASSERT_EQ(x, expected) << "convert " << convert;
  }
}

// Two ways to make D: the right one changes every element alike (x = 2x + 1);
// the wrong one assumes lane l's x[i] is element (l / 2, 8 (l % 2) + i) and
// writes that element's index there.
__global__ void accumulator_by_layout(bool assume_layout, const float* c, float* d) {
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::load_matrix_sync(acc, c, 16, wmma::mem_row_major);
  const unsigned lane = threadIdx.x % 32;
  for (int i = 0; i < acc.num_elements; ++i) {
    acc.x[i] = assume_layout ? float((lane / 2) * 16 + (lane % 2) * 8 + unsigned(i)) : 2.0f * acc.x[i] + 1.0f;
  }
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_row_major);
}

TEST_F(Emulation, WmmaCodeThatAssumesALayoutGivesWrongMatrices) {
  const std::vector<float> C = random_vector(256, 21);
  std::vector<float> indices(256);
  std::iota(indices.begin(), indices.end(), 0.0f);
  float *dC = device_copy(C), *dD = nullptr;
  ASSERT_EQ(cudaMalloc(&dD, 256 * sizeof(float)), cudaSuccess);
  std::vector<std::vector<float>> assumed;
  for (ScheduleChoice choice : {ScheduleChoice{Schedule::in_order, 0}, ScheduleChoice{Schedule::reversed, 0}}) {
    enu::emulation::set_schedule(choice);
    ENU_LAUNCH(accumulator_by_layout, 1, 32, 0, 0)(false, dC, dD);
    ASSERT_EQ(synchronise().error, cudaSuccess);
    const std::vector<float> right = host_copy(dD, 256);
    for (size_t i = 0; i < 256; ++i) ASSERT_EQ(right[i], 2.0f * C[i] + 1.0f) << to_string(choice) << " at " << i;

    ENU_LAUNCH(accumulator_by_layout, 1, 32, 0, 0)(true, dC, dD);
    ASSERT_EQ(synchronise().error, cudaSuccess);
    std::vector<float> wrong = host_copy(dD, 256);
    EXPECT_NE(wrong, indices) << "the guessed layout is not " << to_string(choice) << "'s mapping";
    assumed.push_back(wrong);
    std::sort(wrong.begin(), wrong.end());
    EXPECT_EQ(wrong, indices) << "each element is held once: the mapping is a permutation";
  }
  EXPECT_NE(assumed[0], assumed[1]) << "in_order and reversed draw different mappings";
}

// Every lane loads an accumulator from `p` (or, wrongly, from its own pointer).
__global__ void load_accumulator(const float* p, unsigned ldm, bool pointer_per_lane, float* d) {
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  wmma::load_matrix_sync(acc, pointer_per_lane ? p + 8 * (threadIdx.x % 32) : p, ldm, wmma::mem_col_major);
  wmma::store_matrix_sync(d, acc, 16, wmma::mem_col_major);
}

TEST_F(Emulation, WmmaArgumentsTheGpuRefusesFailTheLaunch) {
  float *c = nullptr, *d = nullptr;
  ASSERT_EQ(cudaMalloc(&c, 8 * 256 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&d, 256 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(load_accumulator, 1, 32, 0, 0)(c, 20, false, d);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "ldm 20, an aligned pointer: allowed";

  const struct {
    const float* p;
    unsigned ldm;
    bool per_lane;
    const char* problem;
  } cases[] = {
      {c, 18, false, "ldm 18 is not a multiple of 4 floats (16 bytes)"},
      {c + 4, 16, false, "the pointer lies 16 bytes past a 32-byte (256-bit) boundary"},
      {c, 16, true, "lanes 0 and 1 pass different arguments (pointer, ldm or layout)"},
  };
  for (const auto& bad : cases) {
    ENU_LAUNCH(load_accumulator, 1, 32, 0, 0)(bad.p, bad.ldm, bad.per_lane, d);
    const Outcome outcome = synchronise();
    EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
    EXPECT_NE(outcome.report.find("thread (0, 0, 0): load_matrix_sync at test_emulation.cpp:"), std::string::npos)
        << outcome.report;
    EXPECT_NE(outcome.report.find(bad.problem), std::string::npos) << outcome.report;
    cudaDeviceReset();
    ASSERT_EQ(cudaMalloc(&c, 8 * 256 * sizeof(float)), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&d, 256 * sizeof(float)), cudaSuccess);
  }

  // A block of 48 threads: its second warp has 16 lanes.
  ENU_LAUNCH(load_accumulator, 1, 48, 0, 0)(c, 16, false, d);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("thread (32, 0, 0): load_matrix_sync at test_emulation.cpp:"), std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("a warp of 16 threads (the block's last); wmma needs all 32 lanes"),
            std::string::npos)
      << outcome.report;
}

/// A lane's share of A and B full of ones and of a zero accumulator: for the
/// kernels below, which need an mma_sync to happen (each element of A B is 8).
struct OnesProduct {
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc;
  __device__ OnesProduct() {
    wmma::fill_fragment(a, 1.0f);
    wmma::fill_fragment(b, 1.0f);
    wmma::fill_fragment(acc, 0.0f);
  }
};

// Lane 5 returns before the mma_sync that the rest of its warp waits in.
__global__ void lane_skips_mma(float* d) {
  OnesProduct p;
  if (threadIdx.x == 5) return;
  wmma::mma_sync(p.acc, p.a, p.b, p.acc);
  wmma::store_matrix_sync(d, p.acc, 16, wmma::mem_row_major);
}

TEST_F(Emulation, ALaneThatSkipsMmaSyncFailsTheLaunchInsteadOfHanging) {
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 256 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(lane_skips_mma, 1, 32, 0, 0)(d);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("its threads wait at barriers that can never complete: threads 0-4 wait in mma_sync "
                                "(test_emulation.cpp:"),
            std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("; thread 5 "), std::string::npos) << outcome.report;  // has returned
  EXPECT_NE(outcome.report.find("; threads 6-31 wait in mma_sync"), std::string::npos) << outcome.report;
}

// Thread 0 stores a float in shared memory and `reader` loads it, with an
// mma_sync of every warp between, and a __syncthreads too when `fenced`.
__global__ void handoff_around_mma(unsigned reader, bool fenced, float* out) {
  ENU_DYNAMIC_SHARED(float, slot);
  if (threadIdx.x == 0) slot[0] = 1.0f;
  OnesProduct p;
  wmma::mma_sync(p.acc, p.a, p.b, p.acc);
  if (fenced) __syncthreads();
  if (threadIdx.x == reader) out[0] = slot[0] + p.acc.x[0];
}

TEST_F(Emulation, MmaSyncIsNoMemoryBarrierForTheRaceDetector) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, sizeof(float)), cudaSuccess);
  ENU_LAUNCH(handoff_around_mma, 1, 64, sizeof(float), 0)(32u, true, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "with __syncthreads the handoff is ordered";
  EXPECT_EQ(host_copy(out, 1)[0], 1.0f + 8.0f);

  // Thread 32 is in the other warp; thread 1 in the writer's own, which mma_sync does not order either.
  for (unsigned reader : {32u, 1u}) {
    ENU_LAUNCH(handoff_around_mma, 1, 64, sizeof(float), 0)(reader, false, out);
    const Outcome outcome = synchronise();
    EXPECT_EQ(outcome.error, cudaErrorLaunchFailure) << "reader " << reader;
    EXPECT_NE(outcome.report.find("read-after-write race on dynamic shared memory (4 bytes), byte offset 0: "
                                  "block (0, 0, 0) thread (0, 0, 0) wrote it"),
              std::string::npos)
        << outcome.report;
    cudaDeviceReset();
    ASSERT_EQ(cudaMalloc(&out, sizeof(float)), cudaSuccess);
  }
}

// ---- vector types: one access each, faulting when misaligned ----------------------------------

// Each thread copies float4 i of `in` to float4 i of `out` through shared memory.
__global__ void copy_float4(const float4* in, float4* out) {
  ENU_DYNAMIC_SHARED(float4, staged);
  staged[threadIdx.x] = in[threadIdx.x];
  __syncthreads();
  out[threadIdx.x] = staged[blockDim.x - 1 - threadIdx.x];
}

TEST_F(Emulation, AlignedFloat4CopiesKeepTheirBits) {
  std::vector<float4> host(32);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (unsigned i = 0; i < 32; ++i) host[i] = make_float4(float(i), -0.0f, nan, 1e-40f * float(i));  // subnormal w
  float4* in = device_copy(host);
  float4* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(float4)), cudaSuccess);
  ENU_LAUNCH(copy_float4, 1, 32, 32 * sizeof(float4), 0)(in, out);
  ASSERT_EQ(synchronise().error, cudaSuccess);
  const std::vector<float4> got = host_copy(out, 32);
  for (unsigned i = 0; i < 32; ++i) {
    EXPECT_EQ(std::memcmp(&got[i], &host[31 - i], sizeof(float4)), 0) << "float4 " << i;
  }
}

// A float4 (or float2) access at float offset `floats` of shared or device memory.
__global__ void vector_at_offset(bool shared, bool two, unsigned floats, float* device, float* out) {
  ENU_DYNAMIC_SHARED(float, staged);
  float* base = shared ? staged : device;
  if (two) {
    const float2 v = *reinterpret_cast<const float2*>(base + floats);
    out[0] = v.x;
  } else {
    const float4 v = *reinterpret_cast<const float4*>(base + floats);
    out[0] = v.x;
  }
}

TEST_F(Emulation, MisalignedVectorAccessesFailTheLaunchAsOnTheGpu) {
  float *device = nullptr, *out = nullptr;
  ASSERT_EQ(cudaMalloc(&device, 16 * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&out, sizeof(float)), cudaSuccess);
  ENU_LAUNCH(vector_at_offset, 1, 1, 16 * sizeof(float), 0)(true, false, 4u, device, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "a float4 at float offset 4 is aligned";
  ENU_LAUNCH(vector_at_offset, 1, 1, 16 * sizeof(float), 0)(true, true, 2u, device, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "a float2 at float offset 2 is aligned";

  struct Case {
    bool shared, two;
    unsigned floats;
    std::string expected;
  };
  const Case cases[] = {
      {true, false, 1, "read a float4 (16 bytes) from dynamic shared memory (64 bytes) at byte offset 4 at "},
      {false, false, 1, "read a float4 (16 bytes) from device allocation"},
      {false, false, 2, "(64 bytes) at byte offset 8 at "},
      {true, true, 1, "read a float2 (8 bytes) from dynamic shared memory (64 bytes) at byte offset 4 at "},
      {false, true, 3, "read a float2 (8 bytes) from device allocation"},
  };
  for (const Case& c : cases) {
    ENU_LAUNCH(vector_at_offset, 1, 1, 16 * sizeof(float), 0)(c.shared, c.two, c.floats, device, out);
    const Outcome outcome = synchronise();
    EXPECT_EQ(outcome.error, cudaErrorLaunchFailure) << c.expected;
    EXPECT_NE(outcome.report.find("kernel vector_at_offset"), std::string::npos) << outcome.report;
    EXPECT_NE(outcome.report.find("misaligned address: block (0, 0, 0) thread (0, 0, 0) "), std::string::npos)
        << outcome.report;
    EXPECT_NE(outcome.report.find(c.expected), std::string::npos) << outcome.report;
    EXPECT_NE(outcome.report.find("test_emulation.cpp:"), std::string::npos)
        << "names the kernel's line: " << outcome.report;
    cudaDeviceReset();
    ASSERT_EQ(cudaMalloc(&device, 16 * sizeof(float)), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&out, sizeof(float)), cudaSuccess);
  }
}

// ---- fast-math intrinsics: the hardware's model, hand-worked ---------------------------------

TEST(EmulationIntrinsics, ExpfIsEx2OfTheProductRoundedToFp32) {
  // 85 * log2(e): the product of the FP32 constant 0x1.715476p+0 rounded to FP32
  // is 0x1.ea842cp+6, about 4e-6 below 85 log2(e); 2 to that power lies 40 ulps
  // below e^85, which expf rounds correctly to within an ulp.
  EXPECT_EQ(85.0f * 0x1.715476p+0f, 0x1.ea842cp+6f);
  EXPECT_EQ(__expf(85.0f), std::exp2(0x1.ea842cp+6f));
  int32_t fast, exact;
  const float fast_value = __expf(85.0f), exact_value = std::exp(85.0f);
  std::memcpy(&fast, &fast_value, 4);
  std::memcpy(&exact, &exact_value, 4);
  EXPECT_GE(exact - fast, 30) << "__expf is not expf: several ulps apart at 85";
  EXPECT_EQ(__expf(0.0f), 1.0f);
}

TEST(EmulationIntrinsics, FdividefIsZeroForHugeDivisors) {
  EXPECT_EQ(__fdividef(1.0f, 4.0f), 0.25f);
  EXPECT_EQ(__fdividef(3.0f, 0x1p126f), 3.0f * 0x1p-126f) << "2^126 itself is below the range";
  EXPECT_EQ(__fdividef(3.0f, 0x1.000002p126f), 0.0f);
  EXPECT_EQ(__fdividef(1e30f, -0x1.fffffep127f), 0.0f);
  EXPECT_TRUE(std::signbit(__fdividef(1.0f, -0x1p127f)));
  EXPECT_TRUE(std::isnan(__fdividef(std::numeric_limits<float>::infinity(), 0x1p127f)));
  EXPECT_EQ(__fdividef(1.0f, std::numeric_limits<float>::infinity()), 0.0f) << "|y| = 2^128 is outside the range";
}

TEST(EmulationIntrinsics, SaturateRecipFmaAndTheHostsMaths) {
  EXPECT_EQ(__saturatef(std::numeric_limits<float>::quiet_NaN()), 0.0f);
  EXPECT_FALSE(std::signbit(__saturatef(-0.0f))) << "+0 for x <= 0";
  EXPECT_EQ(__saturatef(-3.0f), 0.0f);
  EXPECT_EQ(__saturatef(0.375f), 0.375f);
  EXPECT_EQ(__saturatef(7.0f), 1.0f);
  EXPECT_EQ(__frcp_rn(3.0f), 1.0f / 3.0f);
  EXPECT_EQ(__frcp_rn(-0.0f), -std::numeric_limits<float>::infinity());
  // (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 exactly when fused; 0 when the product rounds first.
  EXPECT_EQ(__fmaf_rn(1.0f + 0x1p-23f, 1.0f - 0x1p-23f, -1.0f), -0x1p-46f);
  EXPECT_EQ(fmaf(1.0f + 0x1p-23f, 1.0f - 0x1p-23f, -1.0f), -0x1p-46f);
  EXPECT_EQ(fminf(std::numeric_limits<float>::quiet_NaN(), 2.0f), 2.0f);
  EXPECT_EQ(fmaxf(-1.0f, 2.0f), 2.0f);
  EXPECT_EQ(expf(0.0f), 1.0f);
  EXPECT_EQ(tanhf(0.0f), 0.0f);
}

// ---- clock64: a counter -----------------------------------------------------------------------

__global__ void two_clock_reads(long long* out) {
  const long long first = clock64();
  const long long second = clock64();
  out[threadIdx.x] = second >= first ? 1 : 0;
}

TEST_F(Emulation, Clock64ReadsInOneThreadDoNotDecrease) {
  long long* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 64 * sizeof(long long)), cudaSuccess);
  ENU_LAUNCH(two_clock_reads, 1, 64, 0, 0)(out);
  ASSERT_EQ(synchronise().error, cudaSuccess);
  for (long long ordered : host_copy(out, 64)) EXPECT_EQ(ordered, 1);
}

// ---- warp shuffles ------------------------------------------------------------------------------

/// What each lane gets back from the shuffles under test, lane by lane, per warp.
__global__ void shuffles(const int* in, int* sum, int* broadcast, int* down, int* up, int* segment_sum) {
  const unsigned t = threadIdx.x;
  const int v = in[t];
  int total = v;
  for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(0xffffffffu, total, offset);
  sum[t] = total;
  broadcast[t] = __shfl_sync(0xffffffffu, v, 5);
  down[t] = __shfl_down_sync(0xffffffffu, v, 3);
  up[t] = __shfl_up_sync(0xffffffffu, v, 3);
  int part = v;
  for (int offset = 4; offset > 0; offset /= 2) part += __shfl_down_sync(0xffffffffu, part, offset, 8);
  segment_sum[t] = __shfl_sync(0xffffffffu, part, 0, 8);  // lane 0 of each 8-lane segment holds its sum
}

TEST_F(Emulation, WarpShufflesFollowTheirDocumentedSemanticsUnderEverySchedule) {
  const unsigned n = 64;  // two warps
  std::vector<int> in(n);
  std::mt19937 draw(7);
  for (int& x : in) x = int(draw() % 2001) - 1000;
  std::vector<int> sum(n), broadcast(n), down(n), up(n), segment_sum(n);
  for (unsigned t = 0; t < n; ++t) {
    const unsigned warp = t / 32 * 32, lane = t % 32, segment = t / 8 * 8;
    sum[t] = std::accumulate(in.begin() + warp, in.begin() + warp + 32, 0);
    broadcast[t] = in[warp + 5];
    down[t] = lane + 3 < 32 ? in[t + 3] : in[t];  // the top 3 lanes keep their own value
    up[t] = lane >= 3 ? in[t - 3] : in[t];         // the bottom 3 likewise
    segment_sum[t] = std::accumulate(in.begin() + segment, in.begin() + segment + 8, 0);
  }
  int* d_in = device_copy(in);
  int *d_sum = nullptr, *d_broadcast = nullptr, *d_down = nullptr, *d_up = nullptr, *d_segment = nullptr;
  for (int** p : {&d_sum, &d_broadcast, &d_down, &d_up, &d_segment}) {
    ASSERT_EQ(cudaMalloc(p, n * sizeof(int)), cudaSuccess);
  }
  for (ScheduleChoice schedule : {ScheduleChoice{Schedule::in_order, 0}, ScheduleChoice{Schedule::reversed, 0},
                                  ScheduleChoice{Schedule::shuffled, 3}}) {
    enu::emulation::set_schedule(schedule);
    ENU_LAUNCH(shuffles, 1, n, 0, 0)(d_in, d_sum, d_broadcast, d_down, d_up, d_segment);
    ASSERT_EQ(synchronise().error, cudaSuccess) << to_string(schedule);
    EXPECT_EQ(host_copy(d_sum, n), sum) << "butterfly sum, " << to_string(schedule);
    EXPECT_EQ(host_copy(d_broadcast, n), broadcast) << "broadcast from lane 5, " << to_string(schedule);
    EXPECT_EQ(host_copy(d_down, n), down) << to_string(schedule);
    EXPECT_EQ(host_copy(d_up, n), up) << to_string(schedule);
    EXPECT_EQ(host_copy(d_segment, n), segment_sum) << "width 8, " << to_string(schedule);
  }
}

// Lanes 0-15 shuffle among themselves, then the whole warp does: a partial mask waits for its lanes only.
__global__ void half_then_whole(float* out) {
  const unsigned lane = threadIdx.x;
  float v = float(lane);
  if (lane < 16) v = __shfl_xor_sync(0x0000ffffu, v, 1);
  out[lane] = __shfl_sync(0xffffffffu, v, 31 - lane);
}

TEST_F(Emulation, AShuffleWaitsForTheLanesOfItsMaskOnly) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(float)), cudaSuccess);
  ENU_LAUNCH(half_then_whole, 1, 32, 0, 0)(out);
  ASSERT_EQ(synchronise().error, cudaSuccess);
  const std::vector<float> got = host_copy(out, 32);
  for (unsigned lane = 0; lane < 32; ++lane) {
    const unsigned source = 31 - lane;
    EXPECT_EQ(got[lane], float(source < 16 ? source ^ 1 : source)) << lane;
  }
}

// Lane `skipper` returns before the shuffle that the rest of its warp waits in;
// with `excluded`, lane 3 calls it with a mask that leaves itself out.
__global__ void lane_skips_shuffle(unsigned skipper, bool excluded, int* out) {
  const unsigned lane = threadIdx.x;
  if (lane == skipper) return;
  const unsigned mask = excluded && lane == 3 ? 0xfffffff0u : 0xffffffffu;
  out[lane] = __shfl_down_sync(mask, int(lane), 1);
}

TEST_F(Emulation, ALaneThatSkipsAShuffleFailsTheLaunchInsteadOfHanging) {
  int* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(int)), cudaSuccess);
  ENU_LAUNCH(lane_skips_shuffle, 1, 32, 0, 0)(7u, false, out);
  Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("its threads wait at barriers that can never complete: threads 0-6 wait in "
                                "__shfl_down_sync (test_emulation.cpp:"),
            std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("; thread 7 have returned; threads 8-31 wait in __shfl_down_sync"), std::string::npos)
      << outcome.report;

  cudaDeviceReset();
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(int)), cudaSuccess);
  ENU_LAUNCH(lane_skips_shuffle, 1, 32, 0, 0)(32u, true, out);
  outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("thread (3, 0, 0): __shfl_down_sync at test_emulation.cpp:"), std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("lane 3 calls it with mask 0xfffffff0, which leaves the lane out"), std::string::npos)
      << outcome.report;
}

// Lanes 0-15 shuffle down by one among themselves (lane 15 reads lane 16, outside
// the mask), or the whole warp shuffles with `width`.
__global__ void undefined_shuffles(bool past_the_mask, int width, int* out) {
  const unsigned lane = threadIdx.x;
  if (past_the_mask) {
    if (lane < 16) out[lane] = __shfl_down_sync(0x0000ffffu, int(lane), 1);
  } else {
    out[lane] = __shfl_xor_sync(0xffffffffu, int(lane), 1, width);
  }
}

TEST_F(Emulation, ShufflesTheGpuLeavesUndefinedFailTheLaunch) {
  int* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(int)), cudaSuccess);
  ENU_LAUNCH(undefined_shuffles, 1, 32, 0, 0)(true, 32, out);
  Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("thread (15, 0, 0): __shfl_down_sync at test_emulation.cpp:"), std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("lane 15 reads lane 16, which is not in the mask 0x0000ffff"), std::string::npos)
      << outcome.report;

  cudaDeviceReset();
  ASSERT_EQ(cudaMalloc(&out, 32 * sizeof(int)), cudaSuccess);
  ENU_LAUNCH(undefined_shuffles, 1, 32, 0, 0)(false, 6, out);
  outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("thread (0, 0, 0): __shfl_xor_sync at test_emulation.cpp:"), std::string::npos)
      << outcome.report;
  EXPECT_NE(outcome.report.find("width 6 is not a power of 2 from 1 to 32"), std::string::npos) << outcome.report;
}

// Thread 0 stores a float in shared memory and thread `reader` loads it, with a
// shuffle of the whole warp between, and a __syncwarp too when `fenced`.
__global__ void handoff_around_shuffle(unsigned reader, bool fenced, float* out) {
  ENU_DYNAMIC_SHARED(float, slot);
  if (threadIdx.x == 0) slot[0] = 1.0f;
  const float neighbour = __shfl_xor_sync(0xffffffffu, float(threadIdx.x), 1);
  if (fenced) __syncwarp();
  if (threadIdx.x == reader) out[0] = slot[0] + neighbour;
}

TEST_F(Emulation, AShuffleIsNoMemoryBarrierForTheRaceDetector) {
  float* out = nullptr;
  ASSERT_EQ(cudaMalloc(&out, sizeof(float)), cudaSuccess);
  ENU_LAUNCH(handoff_around_shuffle, 1, 32, sizeof(float), 0)(1u, true, out);
  ASSERT_EQ(synchronise().error, cudaSuccess) << "with __syncwarp the handoff is ordered";
  EXPECT_EQ(host_copy(out, 1)[0], 1.0f + 0.0f);

  ENU_LAUNCH(handoff_around_shuffle, 1, 32, sizeof(float), 0)(1u, false, out);
  const Outcome outcome = synchronise();
  EXPECT_EQ(outcome.error, cudaErrorLaunchFailure);
  EXPECT_NE(outcome.report.find("read-after-write race on dynamic shared memory (4 bytes), byte offset 0: "
                                "block (0, 0, 0) thread (0, 0, 0) wrote it"),
            std::string::npos)
      << outcome.report;
}

}  // namespace
