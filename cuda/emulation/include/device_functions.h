#pragma once
// The device functions of CUDA's crt/device_functions.h (and clock64 of
// sm_20_intrinsics.h) that the kernels use, as the emulation build sees them.
//
// The fast-math intrinsics, modelled on what the hardware computes:
// - __expf(x) = ex2.approx(x * log2(e)), the product rounded to FP32 first (nvcc
//   emits exactly that multiplication). For large |x| that rounding is the
//   dominant error: __expf(85) is 40 ulps below expf(85). ex2.approx itself
//   (about 2 ulps, subnormal results flushed under -ftz) is modelled by the
//   host's exp2f, so the last bit or two may differ from the card's.
// - __fdividef(x, y) = x * (1 / y), the reciprocal correctly rounded (the card's
//   rcp.approx is within an ulp of it); for 2^126 < |y| < 2^128 the reciprocal
//   is a subnormal, flushed to zero, so the result is 0 for finite x and NaN for
//   infinite x, as the CUDA Math API documents.
// - __frcp_rn, __fmaf_rn: IEEE round-to-nearest, so exact: 1 / x and fmaf.
// - __saturatef(x): x clamped to [+0, 1]; NaN gives +0.
// fminf, fmaxf, fmaf, expf, tanhf are the host's (<cmath>): fminf, fmaxf and
// fmaf are exact on both; expf and tanhf are within an ulp or two of the
// card's libdevice, not bit for bit.
//
// clock64() is a counter: each call returns a larger value than any call before
// it (of any thread). It measures nothing about speed; it lets code that calls
// it compile and run. clock() is the C library's (<ctime>), the processor time
// of the whole process: non-decreasing, no more.

#include <atomic>
#include <cmath>
#include <ctime>

inline float __expf(float x) {
  const float log2e = 0x1.715476p+0f;  // log2(e) rounded to FP32, as nvcc's constant
  const float exponent = x * log2e;    // rounded to FP32 here, as on the card
  return std::exp2(exponent);
}

inline float __fdividef(float x, float y) {
  const float magnitude = std::fabs(y);
  if (magnitude > 0x1p126f && std::isfinite(magnitude)) return x * std::copysign(0.0f, y);  // |y| < 2^128
  return x * (1.0f / y);
}

inline float __frcp_rn(float x) { return 1.0f / x; }

inline float __fmaf_rn(float x, float y, float z) { return std::fma(x, y, z); }

inline float __saturatef(float x) {
  if (!(x > 0.0f)) return 0.0f;  // x <= 0 and NaN
  return x < 1.0f ? x : 1.0f;
}

inline long long int clock64() {
  static std::atomic<long long> ticks{0};
  return ++ticks;
}
