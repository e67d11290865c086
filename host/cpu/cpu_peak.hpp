#pragma once
// The FP32 FMA peak of this CPU as this build reaches it, measured rather than
// taken from a datasheet: the denominator of every CPU "fraction of peak".

#include <cstdint>

namespace enu {

/// Runs independent 8-wide FMA chains on `threads` threads for `iterations`
/// each; returns the FLOPs done (all threads together).
double fma_chains_threaded(int threads, int64_t iterations);

/// Best GFLOP/s of ten short runs of fma_chains_threaded, measured once per
/// thread count per process and cached.
double cpu_peak_gflops(int threads);

}  // namespace enu
