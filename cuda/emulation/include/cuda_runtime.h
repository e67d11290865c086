#pragma once
// The CUDA runtime as the emulation build sees it (cuda/emulation/README.md):
// the types, qualifiers, built-in variables, runtime calls and device functions that cuda/ uses,
// with the values and error codes of CUDA 12/13, run on the CPU. Each thread of
// a block is a fiber; barriers, shared memory, streams and the device's limits
// mean what they mean on an H100/H200.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <vector_types.h>      // uint3, dim3, float2, float4, int4
#include <vector_functions.h>  // make_float2, make_float4, make_int4

// ---- qualifiers: every function is a host function here ------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)  // a register and occupancy hint to ptxas; nothing to emulate

// ---- types and constants ------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDeviceFunction = 98,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorNotReady = 600,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
enum cudaDeviceAttr { cudaDevAttrMultiProcessorCount = 16, cudaDevAttrMaxSharedMemoryPerBlockOptin = 97 };
#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01

struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem, sharedMemPerBlock, sharedMemPerBlockOptin;
  int warpSize, maxThreadsPerBlock, maxThreadsDim[3], maxGridSize[3], multiProcessorCount, major, minor;
};

constexpr int warpSize = 32;

// ---- the runtime API (cuda/emulation/src/runtime.cpp) ----------------------------------
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaDeviceReset();
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);

cudaError_t cudaMalloc(void** pointer, size_t bytes);
template <class T>
cudaError_t cudaMalloc(T** pointer, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(pointer), bytes);
}
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = 0);
cudaError_t cudaMemset(void* dst, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream = 0);

cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);

cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);

cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value);
template <class Kernel>
cudaError_t cudaFuncSetAttribute(Kernel* kernel, cudaFuncAttribute attr, int value) {
  return cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel), attr, value);
}

// ---- device maths the kernels call that the C library spells differently --------------
inline int max(int a, int b) { return a > b ? a : b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }

// ---- the emulator: what a kernel launch, a barrier and a built-in variable are ---------
namespace enu::emulation {

/// The thread a fiber runs: its indices and the launch's shape.
struct ThreadIndex {
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
};
/// The calling fiber's indices; only valid inside a kernel.
const ThreadIndex& current_thread();

/// __syncthreads() and __syncwarp(mask) at a call site (named in reports).
void syncthreads(const char* file, int line);
void syncwarp(unsigned mask, const char* file, int line);
struct CallSite {
  const char* file;
  int line;
  void syncwarp(unsigned mask = 0xffffffffu) const { ::enu::emulation::syncwarp(mask, file, line); }
};

/// The block's dynamic shared memory (exactly the bytes the launch asked for),
/// and the block's instance of a static __shared__ variable declared at `site`.
void* dynamic_shared();
void* static_shared(const char* site, size_t bytes, size_t alignment);

/// Records a read or write of device or shared memory by the calling thread for
/// the race detector: the kernels' own accesses are recorded by the compiler's
/// load/store hooks; the emulated libraries record theirs with these.
void record_read(const void* address, size_t bytes);
void record_write(const void* address, size_t bytes);

/// Inside a kernel: the launch fails (sticky, as a device fault is) with `report`,
/// which cudaGetErrorString then returns; the block runs on.
void fail_kernel(const std::string& report);

/// Checks the launch configuration against the device and queues the grid on
/// `stream`: `thread_body` runs once per thread (on that thread's fiber).
cudaError_t launch(const char* name, const void* kernel, dim3 grid, dim3 block, size_t shared_bytes,
                   cudaStream_t stream, std::function<void()> thread_body);

/// Queues host work on `stream` as an emulated library call: it runs when the
/// stream reaches it, after everything queued before it.
cudaError_t enqueue(cudaStream_t stream, std::function<void()> work);
/// Inside queued work: fails the call with `error` (sticky, as a device fault is)
/// and `report`, which cudaGetErrorString then returns.
void fail_queued_work(cudaError_t error, const std::string& report);
/// True when [pointer, pointer + bytes) lies inside one device allocation.
bool is_device_range(const void* pointer, size_t bytes);

/// The order in which runnable threads (and a grid's blocks) are run between
/// barriers. A correct kernel gives the same bits under every schedule.
enum class Schedule { in_order, reversed, shuffled };
struct ScheduleChoice {
  Schedule schedule = Schedule::in_order;
  uint64_t seed = 0;  // for shuffled
};
/// From ENU_EMULATION_SCHEDULE (in_order, reversed or shuffled:SEED) unless set here.
void set_schedule(ScheduleChoice choice);
ScheduleChoice schedule();
std::string to_string(ScheduleChoice choice);

/// Turns a kernel and its arguments into a launch: the arguments are converted
/// to the kernel's parameter types now (as <<<>>> does) and every thread gets
/// its own copy, so a kernel may modify its by-value parameters.
template <class... Params>
class Launch {
 public:
  Launch(const char* name, void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes,
         cudaStream_t stream)
      : name_(name), kernel_(kernel), grid_(grid), block_(block), shared_(shared_bytes), stream_(stream) {}

  template <class... Args>
  void operator()(Args&&... args) const {
    std::tuple<std::decay_t<Params>...> params(std::forward<Args>(args)...);
    auto* kernel = kernel_;
    launch(name_, reinterpret_cast<const void*>(kernel_), grid_, block_, shared_, stream_,
           [kernel, params]() { std::apply(kernel, params); });
  }

 private:
  const char* name_;
  void (*kernel_)(Params...);
  dim3 grid_, block_;
  size_t shared_;
  cudaStream_t stream_;
};

}  // namespace enu::emulation

#define threadIdx (::enu::emulation::current_thread().thread_idx)
#define blockIdx (::enu::emulation::current_thread().block_idx)
#define blockDim (::enu::emulation::current_thread().block_dim)
#define gridDim (::enu::emulation::current_thread().grid_dim)
#define __syncthreads() ::enu::emulation::syncthreads(__FILE__, __LINE__)
#define __syncwarp(...) ::enu::emulation::CallSite{__FILE__, __LINE__}.syncwarp(__VA_ARGS__)

// What nvcc's cuda_runtime.h brings along for device code too: the fast-math
// intrinsics and clock64, and the warp shuffles (which need CallSite and warpSize above).
#include <device_functions.h>
#include <sm_30_intrinsics.h>
