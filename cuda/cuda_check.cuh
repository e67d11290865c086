#pragma once
// Error checks that throw (never exit) and RAII owners of device memory.

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "enu/common.hpp"

namespace enu::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* expression, const char* file, int line) {
  throw Error(std::string("CUDA error: ") + expression + " failed with " + cudaGetErrorName(status) + " (" +
              cudaGetErrorString(status) + ") at " + file + ":" + std::to_string(line));
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* expression, const char* file,
                                            int line) {
  throw Error(std::string("cuBLAS error: ") + expression + " failed with " + cublasGetStatusString(status) + " at " +
              file + ":" + std::to_string(line));
}

}  // namespace enu::cuda

/// Evaluates `expression` once; throws enu::Error naming it, the file and line.
#define ENU_CUDA_CHECK(expression)                                                   \
  do {                                                                               \
    const cudaError_t enu_status_ = (expression);                                    \
    if (enu_status_ != cudaSuccess) {                                                \
      ::enu::cuda::throw_cuda_error(enu_status_, #expression, __FILE__, __LINE__);   \
    }                                                                                \
  } while (0)

/// After every launch: configuration errors now, execution errors at the next sync.
#define ENU_CUDA_CHECK_LAUNCH() ENU_CUDA_CHECK(cudaGetLastError())

/// The same for a cuBLAS call.
#define ENU_CUBLAS_CHECK(expression)                                                 \
  do {                                                                               \
    const cublasStatus_t enu_status_ = (expression);                                 \
    if (enu_status_ != CUBLAS_STATUS_SUCCESS) {                                      \
      ::enu::cuda::throw_cublas_error(enu_status_, #expression, __FILE__, __LINE__); \
    }                                                                                \
  } while (0)

namespace enu::cuda {

/// Device memory for `count` values of T, freed with its owner.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t count) { resize(count); }
  ~DeviceBuffer() { cudaFree(data_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  /// Reallocates only when growing; contents are not kept.
  void resize(size_t count) {
    if (count <= capacity_) {
      count_ = count;
      return;
    }
    cudaFree(data_);
    data_ = nullptr;
    ENU_CUDA_CHECK(cudaMalloc(&data_, count * sizeof(T)));
    count_ = capacity_ = count;
  }
  void upload(const T* host, size_t count, cudaStream_t stream) {
    resize(count);
    ENU_CUDA_CHECK(cudaMemcpyAsync(data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  }
  void download(T* host, size_t count, cudaStream_t stream) const {
    ENU_CUDA_CHECK(cudaMemcpyAsync(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  size_t count_ = 0, capacity_ = 0;
};

/// A stream owned for the lifetime of a backend.
class OwnedStream {
 public:
  OwnedStream() { ENU_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~OwnedStream() { cudaStreamDestroy(stream_); }
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  operator cudaStream_t() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace enu::cuda
