// Regenerating a population member's parameters from the centre and the noise stream.
#include <algorithm>

#include "enu/evaluator.hpp"

namespace enu {

void es_noise(uint64_t seed, uint64_t generation, uint32_t pair, size_t first, size_t count, float* out) {
  const PhiloxKey key = stream_key(seed, Stream::es_noise);
  size_t k = first;
  const size_t end = first + count;
  while (k < end) {
    float draws[4];
    normals4(PhiloxCounter{{uint32_t(k / 4), pair, uint32_t(generation), 0}}, key, draws);
    for (size_t lane = k % 4; lane < 4 && k < end; ++lane, ++k) *out++ = draws[lane];
  }
}

void member_params(const Population& pop, int m, float* out) {
  if (pop.centre_only) {
    std::copy(pop.centre, pop.centre + pop.param_count, out);
    return;
  }
  if (pop.rows) {
    const float* row = pop.rows + size_t(m) * pop.param_count;
    std::copy(row, row + pop.param_count, out);
    return;
  }
  const int member = pop.first + m;
  es_noise(pop.seed, pop.generation, uint32_t(member / 2), 0, pop.param_count, out);
  const float scale = (member % 2 == 0 ? 1.0f : -1.0f) * pop.sigma;
  for (size_t k = 0; k < pop.param_count; ++k) out[k] = pop.centre[k] + scale * out[k];
}

}  // namespace enu
