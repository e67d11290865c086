#pragma once
// A population member's parameters rebuilt on the device from the centre and its
// Philox noise: theta = centre + sign(m) sigma eps_{m/2}, the same numbers as
// member_params() on the host, so nothing of size population x parameters
// crosses PCIe (unless the population's members are given as rows). Used by the fused kernels (into shared memory) and the layered
// path (into global memory).

#include "enu/evaluator.hpp"
#include "enu/philox.hpp"

namespace enu::cuda {

/// Writes local member `local`'s parameters into theta (never the centre's
/// memory); `thread` of `threads` cooperating threads, each taking every
/// threads-th block of four.
__device__ inline void build_member_theta(const Population& pop, int local, float* __restrict__ theta, size_t thread,
                                          size_t threads) {
  if (pop.rows) {  // given members: their row, already in device memory
    const float* row = pop.rows + size_t(local) * pop.param_count;
    for (size_t k = thread; k < pop.param_count; k += threads) theta[k] = row[k];
    return;
  }
  const int member = pop.first + local;
  const PhiloxKey key = stream_key(pop.seed, Stream::es_noise);
  const float scale = (member % 2 == 0 ? 1.0f : -1.0f) * pop.sigma;
  for (size_t block = thread; block * 4 < pop.param_count; block += threads) {
    float eps[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (!pop.centre_only) {
      normals4(PhiloxCounter{{uint32_t(block), uint32_t(member / 2), uint32_t(pop.generation), 0}}, key, eps);
    }
    for (int lane = 0; lane < 4 && block * 4 + lane < pop.param_count; ++lane) {
      const size_t k = block * 4 + lane;
      theta[k] = pop.centre_only ? pop.centre[k] : pop.centre[k] + scale * eps[lane];
    }
  }
}

}  // namespace enu::cuda
