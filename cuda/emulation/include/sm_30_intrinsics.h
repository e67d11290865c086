#pragma once
// The warp shuffles as the emulation build sees them: __shfl_sync,
// __shfl_up_sync, __shfl_down_sync and __shfl_xor_sync for the types CUDA's
// sm_30_intrinsics.h gives them, with the semantics of the CUDA Programming
// Guide and of PTX's shfl.sync (README.md here):
//
// - Warp-collective over the lanes of `mask`: each of them makes the same call
//   (the same place, the same mask) and the lanes wait for each other; a lane of
//   the mask that never arrives fails the launch with where each thread is. A
//   caller outside its own mask, a width that is not a power of 2 up to 32, and
//   a lane reading a lane outside the mask (an undefined value on the GPU) fail
//   the launch. Lanes past the end of a short last warp do not count.
// - width splits the warp into segments of width lanes. srcLane, delta and
//   laneMask count modulo 32 (PTX reads their low 5 bits); srcLane then modulo
//   width, within the caller's segment. up and down return the caller's own
//   value when the source lies outside its segment; xor when it lies in a later
//   segment (an earlier one is read).
// - A shuffle orders no memory accesses: the race detector sees no barrier.
//
// The calls are macros (at the end) that pass their call site, as __syncwarp
// does, so that a report names the kernel's line.

#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

namespace enu::emulation {

/// PTX's shfl modes: idx, up, down, bfly.
enum class Shuffle { index, up, down, xor_lanes };

/// The shuffle of the calling lane: contributes `value` and returns the value of
/// the lane it reads (src/shuffle.cpp).
uint64_t shuffle(const CallSite& site, const char* operation, Shuffle mode, unsigned mask, uint64_t value, int64_t b,
                 int width);

template <class T>
T shuffle(const CallSite& site, const char* operation, Shuffle mode, unsigned mask, T var, int64_t b, int width) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "a shuffle moves 4 or 8 bytes");
  uint64_t bits = 0;  // var in its low bytes (x86-64 is little-endian)
  std::memcpy(&bits, &var, sizeof var);
  bits = shuffle(site, operation, mode, mask, bits, b, width);
  std::memcpy(&var, &bits, sizeof var);
  return var;
}

}  // namespace enu::emulation

// The overloads of sm_30_intrinsics.h (the half types aside), each with its call site first.
#define ENU_EMULATION_SHUFFLES(T)                                                                                 \
  inline T __shfl_sync(const ::enu::emulation::CallSite& site, unsigned mask, T var, int srcLane,                \
                       int width = warpSize) {                                                                   \
    return ::enu::emulation::shuffle(site, "__shfl_sync", ::enu::emulation::Shuffle::index, mask, var, srcLane,   \
                                     width);                                                                     \
  }                                                                                                              \
  inline T __shfl_up_sync(const ::enu::emulation::CallSite& site, unsigned mask, T var, unsigned int delta,      \
                          int width = warpSize) {                                                                \
    return ::enu::emulation::shuffle(site, "__shfl_up_sync", ::enu::emulation::Shuffle::up, mask, var, delta,     \
                                     width);                                                                     \
  }                                                                                                              \
  inline T __shfl_down_sync(const ::enu::emulation::CallSite& site, unsigned mask, T var, unsigned int delta,    \
                            int width = warpSize) {                                                              \
    return ::enu::emulation::shuffle(site, "__shfl_down_sync", ::enu::emulation::Shuffle::down, mask, var, delta, \
                                     width);                                                                     \
  }                                                                                                              \
  inline T __shfl_xor_sync(const ::enu::emulation::CallSite& site, unsigned mask, T var, int laneMask,           \
                           int width = warpSize) {                                                               \
    return ::enu::emulation::shuffle(site, "__shfl_xor_sync", ::enu::emulation::Shuffle::xor_lanes, mask, var,    \
                                     laneMask, width);                                                           \
  }
ENU_EMULATION_SHUFFLES(int)
ENU_EMULATION_SHUFFLES(unsigned int)
ENU_EMULATION_SHUFFLES(long)
ENU_EMULATION_SHUFFLES(unsigned long)
ENU_EMULATION_SHUFFLES(long long)
ENU_EMULATION_SHUFFLES(unsigned long long)
ENU_EMULATION_SHUFFLES(float)
ENU_EMULATION_SHUFFLES(double)
#undef ENU_EMULATION_SHUFFLES

// A macro does not expand itself, so __shfl_sync(m, v, l) becomes
// __shfl_sync(CallSite{__FILE__, __LINE__}, m, v, l).
#define __shfl_sync(...) __shfl_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
#define __shfl_up_sync(...) __shfl_up_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
#define __shfl_down_sync(...) __shfl_down_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
#define __shfl_xor_sync(...) __shfl_xor_sync(::enu::emulation::CallSite{__FILE__, __LINE__}, __VA_ARGS__)
