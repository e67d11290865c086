#pragma once
/// @brief Entry points of the CUDA backend, implemented in cuda/ (only in builds with nvcc).

#include <string>

namespace enu {

/// Number of usable CUDA devices; 0 with `reason` set when there is no driver or device.
int cuda_device_count(std::string* reason);

}  // namespace enu
