#pragma once
// cub::DeviceRadixSort::SortPairs as the emulation build sees it, from CUB's
// documented semantics: a stable ascending sort of (key, value) pairs by bits
// [begin_bit, end_bit) of each key's radix form (signed integers with the sign
// bit flipped; floating point with negative keys' bits all flipped, positive
// keys' sign bit flipped, and -0.0 sorted as +0.0; NaN by its bits); the size
// query (d_temp_storage == nullptr) only writes the scratch bytes.

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <type_traits>
#include <vector>

namespace cub {

namespace emulated {

/// The unsigned radix form of a key: ascending as unsigned <=> ascending as Key.
template <class Key>
auto radix_bits(Key key) {
  using Bits = std::conditional_t<sizeof(Key) == 8, uint64_t,
                                  std::conditional_t<sizeof(Key) == 4, uint32_t,
                                                     std::conditional_t<sizeof(Key) == 2, uint16_t, uint8_t>>>;
  constexpr Bits sign = Bits(Bits(1) << (8 * sizeof(Key) - 1));
  if constexpr (std::is_floating_point_v<Key>) {
    if (key == Key(0)) key = Key(0);  // -0.0 and +0.0 are one key
  }
  Bits bits;
  std::memcpy(&bits, &key, sizeof(Key));
  if constexpr (std::is_floating_point_v<Key>) return Bits((bits & sign) ? ~bits : (bits | sign));
  if constexpr (std::is_signed_v<Key>) return Bits(bits ^ sign);
  return bits;
}

}  // namespace emulated

struct DeviceRadixSort {
  template <class Key, class Value>
  static cudaError_t SortPairs(void* d_temp_storage, size_t& temp_storage_bytes, const Key* d_keys_in,
                               Key* d_keys_out, const Value* d_values_in, Value* d_values_out, int num_items,
                               int begin_bit = 0, int end_bit = int(sizeof(Key) * 8), cudaStream_t stream = 0) {
    const size_t needed = 256 + (sizeof(Key) + sizeof(Value)) * size_t(num_items < 0 ? 0 : num_items);
    if (d_temp_storage == nullptr) {
      temp_storage_bytes = needed;
      return cudaSuccess;
    }
    const size_t n = size_t(num_items < 0 ? 0 : num_items);
    if (num_items < 0 || begin_bit < 0 || end_bit > int(sizeof(Key) * 8) || begin_bit > end_bit ||
        temp_storage_bytes < needed || !enu::emulation::is_device_range(d_temp_storage, temp_storage_bytes) ||
        !enu::emulation::is_device_range(d_keys_in, n * sizeof(Key)) ||
        !enu::emulation::is_device_range(d_keys_out, n * sizeof(Key)) ||
        !enu::emulation::is_device_range(d_values_in, n * sizeof(Value)) ||
        !enu::emulation::is_device_range(d_values_out, n * sizeof(Value))) {
      return cudaErrorInvalidValue;
    }
    return enu::emulation::enqueue(stream, [=]() {
      using Bits = decltype(emulated::radix_bits(Key{}));
      const int width = end_bit - begin_bit;
      const Bits mask = width >= int(sizeof(Bits) * 8) ? Bits(~Bits(0)) : Bits((Bits(1) << width) - 1);
      std::vector<Bits> digits(n);
      for (size_t i = 0; i < n; ++i) digits[i] = Bits(emulated::radix_bits(d_keys_in[i]) >> begin_bit) & mask;
      std::vector<size_t> order(n);
      std::iota(order.begin(), order.end(), size_t(0));
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return digits[a] < digits[b]; });
      std::vector<Key> keys(n);
      std::vector<Value> values(n);
      for (size_t i = 0; i < n; ++i) {
        keys[i] = d_keys_in[order[i]];
        values[i] = d_values_in[order[i]];
      }
      std::copy(keys.begin(), keys.end(), d_keys_out);
      std::copy(values.begin(), values.end(), d_values_out);
    });
  }
};

}  // namespace cub
