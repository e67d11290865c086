#pragma once
// The registry's entries, one source file each (host/backends/); only the
// registry itself lists them.

#include "backends.hpp"

namespace enu {

const Backend& reference_backend();
const Backend& cpu_backend();
/// The CUDA backend, or in a build without it an entry that says so.
const Backend& cuda_backend();

}  // namespace enu
