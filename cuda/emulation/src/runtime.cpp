// The device and the runtime API: device memory (host memory that the race
// detector watches, filled with 0xFF so that a float read before any write is
// NaN), streams that queue their work and run it at the next synchronisation
// (so a result read before its stream is synchronised is still stale), sticky
// errors, and the launch checks of an H100/H200 with their CUDA error codes.
// One host thread at a time; the work of a stream runs on the thread that
// synchronises it.
#include <sys/sysinfo.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emulator.hpp"

struct CUstream_st {
  std::deque<std::function<void()>> pending;  // run in order at the next synchronisation
};

struct CUevent_st {
  bool completed = false;
  std::chrono::steady_clock::time_point at;
};

namespace enu::emulation {
namespace {

struct Allocation {
  size_t bytes = 0;
};

struct Device {
  std::map<uintptr_t, Allocation> allocations;  // by base address
  CUstream_st legacy_stream;                     // stream 0
  std::vector<std::unique_ptr<CUstream_st>> streams;
  std::vector<std::unique_ptr<CUevent_st>> events;
  std::map<const void*, int> max_dynamic_shared;  // per kernel, from cudaFuncSetAttribute
  cudaError_t sticky = cudaSuccess;                // a device fault: every later call returns it
  std::string sticky_report;
  uint32_t launches = 0;
  uint64_t allocations_made = 0;  // numbers the allocations in reports
  int current_device = 0;
};

Device& device() {
  static Device d;
  return d;
}

thread_local cudaError_t last_error = cudaSuccess;

cudaError_t result(cudaError_t error) {
  if (error != cudaSuccess) last_error = error;
  return error;
}

/// The allocation holding [pointer, pointer + bytes), or null.
const std::pair<const uintptr_t, Allocation>* allocation_of(const void* pointer, size_t bytes) {
  Device& d = device();
  const uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
  auto it = d.allocations.upper_bound(address);
  if (it == d.allocations.begin()) return nullptr;
  --it;
  const uintptr_t end = it->first + it->second.bytes;
  return address <= end && bytes <= end - address ? &*it : nullptr;
}

CUstream_st* stream_of(cudaStream_t stream) {
  Device& d = device();
  if (!stream) return &d.legacy_stream;
  for (const auto& s : d.streams) {
    if (s.get() == stream) return s.get();
  }
  return nullptr;
}

void set_sticky(cudaError_t error, const std::string& report) {
  Device& d = device();
  if (d.sticky != cudaSuccess) return;
  d.sticky = error;
  d.sticky_report = report;
  std::fprintf(stderr, "========= enu CUDA emulation: %s\n", report.c_str());
}

/// Runs the queued work of `stream`, in order; after a fault the rest is dropped.
void drain(CUstream_st& stream) {
  Device& d = device();
  while (!stream.pending.empty()) {
    std::function<void()> work = std::move(stream.pending.front());
    stream.pending.pop_front();
    if (d.sticky != cudaSuccess) continue;
    work();
  }
}

void drain_all() {
  Device& d = device();
  drain(d.legacy_stream);
  for (const auto& s : d.streams) drain(*s);
}

/// The device's memory is the host's: what it can still give, and all it has.
struct HostMemory {
  size_t free = 0, total = 0;
};
HostMemory host_memory() {
  struct sysinfo info {};
  if (sysinfo(&info) != 0) return {};
  return HostMemory{size_t(info.freeram + info.bufferram) * info.mem_unit, size_t(info.totalram) * info.mem_unit};
}

}  // namespace

bool is_device_range(const void* pointer, size_t bytes) { return allocation_of(pointer, bytes) != nullptr; }

cudaError_t enqueue(cudaStream_t stream, std::function<void()> work) {
  Device& d = device();
  if (d.sticky != cudaSuccess) return result(d.sticky);
  CUstream_st* s = stream_of(stream);
  if (!s) return result(cudaErrorInvalidResourceHandle);
  s->pending.push_back(std::move(work));
  return cudaSuccess;
}

void fail_queued_work(cudaError_t error, const std::string& report) { set_sticky(error, report); }

cudaError_t launch(const char* name, const void* kernel, dim3 grid, dim3 block, size_t shared_bytes,
                   cudaStream_t stream, std::function<void()> thread_body) {
  Device& d = device();
  if (d.sticky != cudaSuccess) return result(d.sticky);
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads == 0 || threads > kMaxThreadsPerBlock || block.x > kMaxBlockDim[0] || block.y > kMaxBlockDim[1] ||
      block.z > kMaxBlockDim[2] || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > kMaxGridDim[0] ||
      grid.y > kMaxGridDim[1] || grid.z > kMaxGridDim[2]) {
    return result(cudaErrorInvalidConfiguration);
  }
  const auto attribute = d.max_dynamic_shared.find(kernel);
  const size_t limit = attribute == d.max_dynamic_shared.end() ? kDefaultMaxDynamicShared : size_t(attribute->second);
  if (shared_bytes > limit) return result(cudaErrorInvalidValue);
  CUstream_st* s = stream_of(stream);
  if (!s) return result(cudaErrorInvalidResourceHandle);

  auto record = std::make_shared<LaunchRecord>();
  record->id = ++d.launches;
  record->name = name;
  record->grid = grid;
  record->block = block;
  record->shared_bytes = shared_bytes;
  record->thread_body = std::move(thread_body);
  s->pending.push_back([record]() {
    const std::vector<std::string> faults = run_grid(*record);
    if (faults.empty()) return;
    std::string report = "kernel " + record->name + " (launch " + std::to_string(record->id) + ", schedule " +
                         to_string(schedule()) + ") failed:";
    for (const std::string& f : faults) report += "\n  " + f;
    set_sticky(cudaErrorLaunchFailure, report);
  });
  return cudaSuccess;
}

}  // namespace enu::emulation

using namespace enu::emulation;

// ---- device ------------------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int index) {
  if (index != 0) return result(cudaErrorInvalidDevice);
  device().current_device = index;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* index) {
  *index = device().current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int index) {
  if (index != 0) return result(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "NVIDIA H200 (enu CPU emulation)");
  prop->totalGlobalMem = host_memory().total;
  prop->sharedMemPerBlock = kDefaultMaxDynamicShared;
  prop->sharedMemPerBlockOptin = kMaxSharedPerBlockOptin;
  prop->warpSize = int(kWarpSize);
  prop->maxThreadsPerBlock = int(kMaxThreadsPerBlock);
  for (int i = 0; i < 3; ++i) {
    prop->maxThreadsDim[i] = int(kMaxBlockDim[i]);
    prop->maxGridSize[i] = int(kMaxGridDim[i]);
  }
  prop->multiProcessorCount = kMultiprocessors;
  prop->major = 9;
  prop->minor = 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int index) {
  if (index != 0) return result(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = kMultiprocessors; return cudaSuccess;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = kMaxSharedPerBlockOptin; return cudaSuccess;
  }
  return result(cudaErrorInvalidValue);
}

cudaError_t cudaDeviceSynchronize() {
  drain_all();
  return result(device().sticky);
}

cudaError_t cudaDeviceReset() {
  Device& d = device();
  d.legacy_stream.pending.clear();
  for (const auto& s : d.streams) s->pending.clear();
  for (const auto& [base, allocation] : d.allocations) {
    unwatch(reinterpret_cast<void*>(base));
    std::free(reinterpret_cast<void*>(base));
  }
  d.allocations.clear();
  d.max_dynamic_shared.clear();
  d.sticky = cudaSuccess;
  d.sticky_report.clear();
  last_error = cudaSuccess;
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  Device& d = device();
  if (d.sticky != cudaSuccess) return result(d.sticky);
  const HostMemory memory = host_memory();
  *free_bytes = memory.free;
  *total_bytes = memory.total;
  return cudaSuccess;
}

// ---- memory ------------------------------------------------------------------------------
cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  Device& d = device();
  *pointer = nullptr;
  if (d.sticky != cudaSuccess) return result(d.sticky);
  if (bytes > host_memory().free) return result(cudaErrorMemoryAllocation);
  void* memory = nullptr;
  if (posix_memalign(&memory, kAllocationAlignment, std::max<size_t>(bytes, 1)) != 0) {
    return result(cudaErrorMemoryAllocation);
  }
  std::memset(memory, 0xFF, bytes);
  d.allocations[reinterpret_cast<uintptr_t>(memory)] = Allocation{bytes};
  watch(memory, bytes, "device allocation " + std::to_string(++d.allocations_made) + " (" + std::to_string(bytes) +
                           " bytes)", false);
  *pointer = memory;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  if (!pointer) return cudaSuccess;
  drain_all();  // cudaFree synchronises the device
  Device& d = device();
  auto it = d.allocations.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == d.allocations.end()) return result(cudaErrorInvalidValue);
  unwatch(pointer);
  d.allocations.erase(it);
  std::free(pointer);
  return result(d.sticky);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  if (bytes == 0) return cudaSuccess;
  if (kind == cudaMemcpyDefault) {
    const bool from_device = is_device_range(src, bytes), to_device = is_device_range(dst, bytes);
    kind = from_device ? (to_device ? cudaMemcpyDeviceToDevice : cudaMemcpyDeviceToHost)
                       : (to_device ? cudaMemcpyHostToDevice : cudaMemcpyHostToHost);
  }
  const bool src_on_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  const bool dst_on_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  if ((src_on_device && !is_device_range(src, bytes)) || (dst_on_device && !is_device_range(dst, bytes))) {
    return result(cudaErrorInvalidValue);
  }
  if (!src_on_device) {
    // Pageable host memory is staged when the call is made, as the driver does.
    auto staged = std::make_shared<std::vector<unsigned char>>(static_cast<const unsigned char*>(src),
                                                               static_cast<const unsigned char*>(src) + bytes);
    return enqueue(stream, [dst, staged]() { std::memcpy(dst, staged->data(), staged->size()); });
  }
  return enqueue(stream, [dst, src, bytes]() { std::memmove(dst, src, bytes); });
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  const cudaError_t queued = cudaMemcpyAsync(dst, src, bytes, kind, 0);
  if (queued != cudaSuccess) return queued;
  return cudaDeviceSynchronize();
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return cudaSuccess;
  if (!is_device_range(dst, bytes)) return result(cudaErrorInvalidValue);
  return enqueue(stream, [dst, value, bytes]() { std::memset(dst, value, bytes); });
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  const cudaError_t queued = cudaMemsetAsync(dst, value, bytes, 0);
  if (queued != cudaSuccess) return queued;
  return cudaDeviceSynchronize();
}

// ---- streams and events --------------------------------------------------------------------
cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  if (flags > cudaStreamNonBlocking) return result(cudaErrorInvalidValue);
  Device& d = device();
  d.streams.push_back(std::make_unique<CUstream_st>());
  *stream = d.streams.back().get();
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  Device& d = device();
  CUstream_st* s = stream_of(stream);
  if (!s || !stream) return result(cudaErrorInvalidResourceHandle);
  drain(*s);  // its work still completes
  d.streams.erase(std::find_if(d.streams.begin(), d.streams.end(), [&](const auto& p) { return p.get() == s; }));
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  CUstream_st* s = stream_of(stream);
  if (!s) return result(cudaErrorInvalidResourceHandle);
  drain(*s);
  return result(device().sticky);
}

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  Device& d = device();
  d.events.push_back(std::make_unique<CUevent_st>());
  *event = d.events.back().get();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  Device& d = device();
  auto it = std::find_if(d.events.begin(), d.events.end(), [&](const auto& e) { return e.get() == event; });
  if (it == d.events.end()) return result(cudaErrorInvalidResourceHandle);
  d.events.erase(it);
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  event->completed = false;
  return enqueue(stream, [event]() {
    event->completed = true;
    event->at = std::chrono::steady_clock::now();
  });
}

cudaError_t cudaEventSynchronize(cudaEvent_t) {
  drain_all();
  return result(device().sticky);
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start->completed || !end->completed) return result(cudaErrorNotReady);
  *ms = std::chrono::duration<float, std::milli>(end->at - start->at).count();
  return cudaSuccess;
}

// ---- errors and attributes -----------------------------------------------------------------
cudaError_t cudaGetLastError() {
  const cudaError_t error = last_error;
  last_error = cudaSuccess;
  return error != cudaSuccess ? error : device().sticky;
}

cudaError_t cudaPeekAtLastError() { return last_error != cudaSuccess ? last_error : device().sticky; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDeviceFunction: return "cudaErrorInvalidDeviceFunction";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

/// CUDA's own strings; for the sticky fault, the emulation's report of it.
const char* cudaGetErrorString(cudaError_t error) {
  Device& d = device();
  if (error != cudaSuccess && error == d.sticky && !d.sticky_report.empty()) return d.sticky_report.c_str();
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDeviceFunction: return "invalid device function";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}

cudaError_t cudaFuncSetAttribute(const void* kernel, cudaFuncAttribute attr, int value) {
  if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 || value > kMaxSharedPerBlockOptin) {
    return result(cudaErrorInvalidValue);
  }
  device().max_dynamic_shared[kernel] = value;
  return cudaSuccess;
}
