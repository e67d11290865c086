#pragma once
// cub::DeviceSegmentedReduce::Sum as the emulation build sees it, from CUB's
// documented semantics: the size query (d_temp_storage == nullptr) writes the
// scratch bytes and does nothing else; the real call needs at least that much
// device scratch, and queues d_out[s] = the sum of d_in[i] over
// begin[s] <= i < end[s] (zero, the value type's default, for an empty segment)
// on `stream`.

#include <cuda_runtime.h>

#include <iterator>
#include <string>
#include <type_traits>

namespace cub {

struct DeviceSegmentedReduce {
  template <class InputIt, class OutputIt, class BeginOffsetIt, class EndOffsetIt>
  static cudaError_t Sum(void* d_temp_storage, size_t& temp_storage_bytes, InputIt d_in, OutputIt d_out,
                         int num_segments, BeginOffsetIt d_begin_offsets, EndOffsetIt d_end_offsets,
                         cudaStream_t stream = 0) {
    const size_t needed = 256 + sizeof(long long) * size_t(num_segments < 0 ? 0 : num_segments);
    if (d_temp_storage == nullptr) {
      temp_storage_bytes = needed;
      return cudaSuccess;
    }
    if (num_segments < 0 || temp_storage_bytes < needed ||
        !enu::emulation::is_device_range(d_temp_storage, temp_storage_bytes)) {
      return cudaErrorInvalidValue;
    }
    if constexpr (std::is_pointer_v<OutputIt>) {
      if (!enu::emulation::is_device_range(d_out, sizeof(*d_out) * size_t(num_segments))) return cudaErrorInvalidValue;
    }
    using Value = typename std::iterator_traits<InputIt>::value_type;
    return enu::emulation::enqueue(stream, [=]() {
      for (int s = 0; s < num_segments; ++s) {
        Value total{};
        for (auto i = d_begin_offsets[s]; i < d_end_offsets[s]; ++i) total = total + d_in[i];
        d_out[s] = total;
      }
    });
  }
};

}  // namespace cub
