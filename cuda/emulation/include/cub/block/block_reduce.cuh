#pragma once
// cub::BlockReduce as the emulation build sees it, from CUB's documented
// semantics: every thread of a block of exactly BLOCK_DIM_X threads calls Sum,
// which contains a block-wide barrier; the aggregate is returned to thread 0
// only (other threads get NaN for floating types, so a kernel that reads it
// elsewhere shows it); the temp storage needs a barrier before it is reused,
// and its accesses go to the race detector, so a missing one is reported.

#include <cuda_runtime.h>

#include <limits>
#include <string>
#include <type_traits>

namespace cub {

template <class T, int BLOCK_DIM_X>
class BlockReduce {
 public:
  struct TempStorage {
    T partial[BLOCK_DIM_X];
  };

  explicit BlockReduce(TempStorage& storage) : storage_(storage) {
    const dim3 block = blockDim;
    if (threadIdx.x == 0 && (block.x != unsigned(BLOCK_DIM_X) || block.y != 1 || block.z != 1)) {
      enu::emulation::fail_kernel("cub::BlockReduce<T, " + std::to_string(BLOCK_DIM_X) + "> used in a block of " +
                                  std::to_string(block.x) + " x " + std::to_string(block.y) + " x " +
                                  std::to_string(block.z) + " threads");
    }
  }

  T Sum(T input) {
    const unsigned thread = threadIdx.x;
    enu::emulation::record_write(&storage_.partial[thread], sizeof(T));
    storage_.partial[thread] = input;
    __syncthreads();
    if (thread != 0) {
      if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::quiet_NaN();
      return input;
    }
    T total = T();
    for (int i = 0; i < BLOCK_DIM_X; ++i) {
      enu::emulation::record_read(&storage_.partial[i], sizeof(T));
      total = total + storage_.partial[i];
    }
    return total;
  }

 private:
  TempStorage& storage_;
};

}  // namespace cub
