// Device discovery for --backend auto|cuda. The population kernels arrive with
// the CUDA backend issue; this file already proves the optional CUDA build.
#include <cuda_runtime.h>

#include "enu/cuda_backend.hpp"

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

void cuda_use_device(int index) {
  const cudaError_t status = cudaSetDevice(index);
  if (status != cudaSuccess) {
    throw Error("cudaSetDevice(" + std::to_string(index) + "): " + cudaGetErrorString(status));
  }
}

}  // namespace enu
