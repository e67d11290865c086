#pragma once
/// @brief Shared basics: host/device qualifiers and the engine's error types.

#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define ENU_HD __host__ __device__ __forceinline__
#else
#define ENU_HD inline
#endif

namespace enu {

/// A user-facing error: bad config, bad checkpoint, impossible request.
/// The message names the problem and where it is; the CLI prints it and exits 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace enu
