#pragma once
/// @brief Philox4x32-10 counter-based generator (Salmon et al., SC'11) and the
/// engine's random streams. Every random number in a run is a pure function of
/// (run seed, stream, counter), so any process or backend can regenerate it.

#include <cmath>
#include <cstdint>

#include "enu/common.hpp"

namespace enu {

struct PhiloxCounter {
  uint32_t v[4];
};
struct PhiloxKey {
  uint32_t v[2];
};

/// Ten rounds of Philox4x32 on one counter.
ENU_HD PhiloxCounter philox4x32_10(PhiloxCounter ctr, PhiloxKey key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kMul0) * ctr.v[0];
    const uint64_t p1 = uint64_t(kMul1) * ctr.v[2];
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    ctr = PhiloxCounter{{hi1 ^ ctr.v[1] ^ key.v[0], lo1, hi0 ^ ctr.v[3] ^ key.v[1], lo0}};
    key.v[0] += kWeyl0;
    key.v[1] += kWeyl1;
  }
  return ctr;
}

/// Independent purposes draw from independent keys, so adding a draw to one
/// stream never shifts the numbers of another.
enum class Stream : uint32_t {
  es_noise = 1,       // counter {index/4, pair, generation, 0}
  init = 2,           // counter {index/4, block, 0, 0}
  environment = 3,    // counter {draw, lifetime, generation, 0}
  output_noise = 4,   // neurons: counter {(tick*N + neuron)*ceil(C/4) + c/4, member, lifetime, generation}
  synapse_noise = 5,  // synapses: counter {(tick*S + synapse)*ceil(C/4) + c/4, member, lifetime, generation}
};

/// SplitMix64 finaliser: spreads (seed, stream) over the 64-bit key space.
ENU_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

ENU_HD PhiloxKey stream_key(uint64_t seed, Stream stream) {
  const uint64_t k = splitmix64(seed ^ (uint64_t(stream) << 56));
  return PhiloxKey{{uint32_t(k), uint32_t(k >> 32)}};
}

/// Uniform in (0, 1]: never 0, so log() in Box-Muller is finite.
ENU_HD float uniform_open0(uint32_t bits) {
  return (float(bits >> 8) + 1.0f) * (1.0f / 16777216.0f);
}

/// Uniform in [0, 1).
ENU_HD float uniform01(uint32_t bits) { return float(bits >> 8) * (1.0f / 16777216.0f); }

/// Four standard normals from one Philox block (two Box-Muller pairs).
ENU_HD void normals4(PhiloxCounter ctr, PhiloxKey key, float out[4]) {
  const PhiloxCounter r = philox4x32_10(ctr, key);
  constexpr float kTwoPi = 6.28318530717958647692f;
  for (int pair = 0; pair < 2; ++pair) {
    const float radius = std::sqrt(-2.0f * std::log(uniform_open0(r.v[2 * pair])));
    const float angle = kTwoPi * uniform01(r.v[2 * pair + 1]);
    out[2 * pair] = radius * std::cos(angle);
    out[2 * pair + 1] = radius * std::sin(angle);
  }
}

/// A sequential stream of draws over a fixed counter prefix: draw i uses
/// counter {i/4, a, b, c}. Used where a task consumes numbers in program order.
class CounterRng {
 public:
  ENU_HD CounterRng(PhiloxKey key, uint32_t a, uint32_t b, uint32_t c) : key_(key), prefix_{a, b, c} {}

  ENU_HD uint32_t next_u32() {
    if ((index_ & 3u) == 0) {
      block_ = philox4x32_10(PhiloxCounter{{index_ >> 2, prefix_[0], prefix_[1], prefix_[2]}}, key_);
    }
    return block_.v[index_++ & 3u];
  }
  /// Uniform in [lo, hi). The largest draws can round up to hi in float; they
  /// are mapped to the float just below it.
  ENU_HD float uniform(float lo, float hi) {
    const float value = lo + (hi - lo) * uniform01(next_u32());
    return value < hi ? value : std::nextafter(hi, lo);
  }
  /// Uniform integer in [lo, hi] (inclusive); the tiny modulo bias is irrelevant at these ranges.
  ENU_HD int randint(int lo, int hi) { return lo + int(next_u32() % uint32_t(hi - lo + 1)); }
  /// Standard normal by Box-Muller; uses two draws and discards the sine half so
  /// that every call consumes the same count.
  ENU_HD float normal() {
    const float radius = std::sqrt(-2.0f * std::log(uniform_open0(next_u32())));
    return radius * std::cos(6.28318530717958647692f * uniform01(next_u32()));
  }

 private:
  PhiloxKey key_;
  uint32_t prefix_[3];
  uint32_t index_ = 0;
  PhiloxCounter block_{{0, 0, 0, 0}};
};

/// A lifetime's environment stream (see LifetimeSet).
ENU_HD CounterRng lifetime_rng(uint64_t seed, uint64_t generation, int lifetime) {
  return CounterRng(stream_key(seed, Stream::environment), uint32_t(lifetime), uint32_t(generation), 0);
}

}  // namespace enu
