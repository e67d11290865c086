#pragma once
// Branch-free exp, sigmoid and tanh that the compiler vectorises across a loop
// (std::exp does not vectorise without -ffast-math). Cephes' expf polynomial:
// relative error below 2e-7 on the clamped range, far below the tolerances the
// backend tests allow against the std:: reference.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace enu::fast {

inline float exp_approx(float x) {
  // Ternaries, not std::fmin/fmax: those keep NaN semantics and become libcalls.
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float n = std::floor(x * 1.44269504088896341f + 0.5f);
  // x - n ln2 in two parts (Cody-Waite) to keep the reduced argument exact.
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

inline float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) { return 1.0f - 2.0f / (1.0f + exp_approx(2.0f * x)); }

}  // namespace enu::fast
