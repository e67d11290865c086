// Philox4x32-10 against Random123's known answers, the statistics of the
// normals and uniforms built on it, and the purity of the es_noise stream.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <set>
#include <vector>

#include "enu/evaluator.hpp"
#include "enu/philox.hpp"

namespace enu {
namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

struct Moments {
  double mean, variance;
};
Moments moments(const std::vector<float>& xs) {
  double sum = 0.0;
  for (float x : xs) sum += x;
  const double mean = sum / double(xs.size());
  double squares = 0.0;
  for (float x : xs) squares += (x - mean) * (x - mean);
  return {mean, squares / double(xs.size() - 1)};
}

// Kolmogorov-Smirnov statistic D of the sample against N(0, 1).
double ks_statistic(std::vector<float> xs) {
  std::sort(xs.begin(), xs.end());
  const double n = double(xs.size());
  double d = 0.0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double f = normal_cdf(xs[i]);
    d = std::max({d, double(i + 1) / n - f, f - double(i) / n});
  }
  return d;
}

// Mean within 5 standard errors of 0, variance within 5 standard errors of 1
// (for normal data the variance estimate has standard error sqrt(2/n)), and KS
// below the 0.1% critical value 1.95/sqrt(n).
void expect_standard_normal(const std::vector<float>& xs) {
  const double n = double(xs.size());
  for (float x : xs) ASSERT_TRUE(std::isfinite(x));
  const Moments m = moments(xs);
  EXPECT_LT(std::abs(m.mean), 5.0 / std::sqrt(n)) << "mean " << m.mean;
  EXPECT_LT(std::abs(m.variance - 1.0), 5.0 * std::sqrt(2.0 / n)) << "variance " << m.variance;
  const double d = ks_statistic(xs);
  EXPECT_LT(d, 1.95 / std::sqrt(n)) << "KS statistic " << d;
}

PhiloxCounter ctr(uint32_t a, uint32_t b, uint32_t c, uint32_t d) { return PhiloxCounter{{a, b, c, d}}; }
PhiloxKey key(uint32_t a, uint32_t b) { return PhiloxKey{{a, b}}; }

void expect_block(PhiloxCounter got, uint32_t e0, uint32_t e1, uint32_t e2, uint32_t e3) {
  EXPECT_EQ(got.v[0], e0);
  EXPECT_EQ(got.v[1], e1);
  EXPECT_EQ(got.v[2], e2);
  EXPECT_EQ(got.v[3], e3);
}

// Matches the published Random123 kat_vectors for philox4x32_10 (also checked
// against an independent from-the-paper Python implementation while writing this).
TEST(Philox, Random123KnownAnswers) {
  expect_block(philox4x32_10(ctr(0, 0, 0, 0), key(0, 0)), 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u);
  expect_block(philox4x32_10(ctr(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu), key(0xffffffffu, 0xffffffffu)),
               0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu);
  expect_block(philox4x32_10(ctr(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u), key(0xa4093822u, 0x299f31d0u)),
               0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u);
}

// Every counter word and every key word reaches the output (no ignored input).
TEST(Philox, EveryInputWordMatters) {
  const PhiloxCounter base = philox4x32_10(ctr(1, 2, 3, 4), key(5, 6));
  auto same = [](PhiloxCounter a, PhiloxCounter b) {
    return a.v[0] == b.v[0] && a.v[1] == b.v[1] && a.v[2] == b.v[2] && a.v[3] == b.v[3];
  };
  EXPECT_FALSE(same(base, philox4x32_10(ctr(0, 2, 3, 4), key(5, 6))));
  EXPECT_FALSE(same(base, philox4x32_10(ctr(1, 0, 3, 4), key(5, 6))));
  EXPECT_FALSE(same(base, philox4x32_10(ctr(1, 2, 0, 4), key(5, 6))));
  EXPECT_FALSE(same(base, philox4x32_10(ctr(1, 2, 3, 0), key(5, 6))));
  EXPECT_FALSE(same(base, philox4x32_10(ctr(1, 2, 3, 4), key(0, 6))));
  EXPECT_FALSE(same(base, philox4x32_10(ctr(1, 2, 3, 4), key(5, 0))));
}

// normals4 over 2^20 draws (all four lanes) is standard normal, and the cosine
// and sine halves of one Box-Muller pair are uncorrelated.
TEST(Philox, Normals4AreStandardNormal) {
  const size_t blocks = size_t(1) << 18;
  const PhiloxKey k = stream_key(12345, Stream::init);
  std::vector<float> xs;
  xs.reserve(4 * blocks);
  double cross01 = 0.0, cross23 = 0.0;
  for (size_t b = 0; b < blocks; ++b) {
    float out[4];
    normals4(ctr(uint32_t(b), 17, 0, 0), k, out);
    xs.insert(xs.end(), out, out + 4);
    cross01 += double(out[0]) * out[1];
    cross23 += double(out[2]) * out[3];
  }
  expect_standard_normal(xs);
  // E[xy] = 0 with standard error 1/sqrt(n) for independent standard normals.
  EXPECT_LT(std::abs(cross01 / double(blocks)), 5.0 / std::sqrt(double(blocks)));
  EXPECT_LT(std::abs(cross23 / double(blocks)), 5.0 / std::sqrt(double(blocks)));
}

// es_noise of one member over 10^6 parameters is standard normal.
TEST(Philox, EsNoiseIsStandardNormal) {
  std::vector<float> xs(1000000);
  es_noise(99, 3, 5, 0, xs.size(), xs.data());
  expect_standard_normal(xs);
}

// Parameter k of many different pairs (a column across members) is standard
// normal too: the pair index, not only the parameter index, decorrelates.
TEST(Philox, EsNoiseAcrossPairsIsStandardNormal) {
  std::vector<float> xs;
  xs.reserve(200000);
  for (uint32_t pair = 0; pair < 50000; ++pair) {
    float four[4];
    es_noise(4, 11, pair, 0, 4, four);
    xs.insert(xs.end(), four, four + 4);
  }
  expect_standard_normal(xs);
}

// CounterRng::normal (cosine half only) is standard normal.
TEST(CounterRng, NormalIsStandardNormal) {
  CounterRng rng(stream_key(3, Stream::environment), 1, 2, 0);
  std::vector<float> xs(250000);
  for (float& x : xs) x = rng.normal();
  expect_standard_normal(xs);
}

// uniform(lo, hi) stays in [lo, hi) and has mean (lo+hi)/2 within 5 standard
// errors ((hi-lo)/sqrt(12 n)), for several ranges including the tasks' own.
TEST(CounterRng, UniformRangeAndMean) {
  const float ranges[][2] = {{0.0f, 1.0f}, {0.45f, 0.55f}, {0.01f, 0.02f}, {-3.0f, 5.0f}};
  uint32_t lane = 0;
  for (const auto& range : ranges) {
    const float lo = range[0], hi = range[1];
    CounterRng rng(stream_key(8, Stream::environment), lane++, 0, 0);
    const int n = 400000;
    double sum = 0.0;
    float smallest = hi, largest = lo;
    for (int i = 0; i < n; ++i) {
      const float u = rng.uniform(lo, hi);
      smallest = std::min(smallest, u);
      largest = std::max(largest, u);
      sum += u;
    }
    EXPECT_GE(smallest, lo);
    EXPECT_LT(largest, hi);
    const double expected = 0.5 * (double(lo) + double(hi));
    const double standard_error = (double(hi) - double(lo)) / std::sqrt(12.0 * n);
    EXPECT_NEAR(sum / n, expected, 5.0 * standard_error) << "[" << lo << ", " << hi << ")";
  }
}

// The documented half-open range [lo, hi) must hold for the largest possible
// draw too (top 24 bits all ones), not only for typical draws.
TEST(CounterRng, UniformNeverReturnsHiEvenForTheLargestDraw) {
  // Prefix (1675, 0, 0) under seed 7's environment key was found by a search to
  // produce such a draw early; the precondition below re-checks it.
  const PhiloxKey k = stream_key(7, Stream::environment);
  CounterRng scan(k, 1675, 0, 0);
  int index = -1;
  for (int i = 0; i < 8192 && index < 0; ++i) {
    if ((scan.next_u32() >> 8) == 0xFFFFFFu) index = i;
  }
  ASSERT_GE(index, 0) << "precondition: no maximal draw in the first 8192";
  const float ranges[][2] = {{0.0f, 1.0f}, {0.45f, 0.55f}, {0.01f, 0.02f}, {0.3f, 0.7f}};
  for (const auto& range : ranges) {
    CounterRng rng(k, 1675, 0, 0);
    for (int i = 0; i < index; ++i) rng.next_u32();
    const float u = rng.uniform(range[0], range[1]);
    EXPECT_GE(u, range[0]);
    EXPECT_LT(u, range[1]) << "uniform(" << range[0] << ", " << range[1] << ") returned hi for draw " << index;
  }
}

// randint(lo, hi) stays in [lo, hi], hits both ends, and is uniform by a
// chi-square test (99.9% critical value of chi^2 with 10 degrees of freedom: 29.6).
TEST(CounterRng, RandintCoversInclusiveRangeUniformly) {
  CounterRng rng(stream_key(21, Stream::environment), 0, 0, 0);
  const int lo = -3, hi = 7, n = 110000;
  std::vector<int> counts(size_t(hi - lo + 1), 0);
  for (int i = 0; i < n; ++i) {
    const int v = rng.randint(lo, hi);
    ASSERT_GE(v, lo);
    ASSERT_LE(v, hi);
    ++counts[size_t(v - lo)];
  }
  const double expected = double(n) / double(counts.size());
  double chi2 = 0.0;
  for (int c : counts) {
    EXPECT_GT(c, 0);
    chi2 += (c - expected) * (c - expected) / expected;
  }
  EXPECT_LT(chi2, 29.6);
  // A one-value range always returns that value.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(rng.randint(4, 4), 4);
}

// A CounterRng is a pure function of (key, prefix): two with equal inputs agree,
// and the draw sequence runs through the block lanes in order.
TEST(CounterRng, SequenceIsBlockLanesInOrder) {
  const PhiloxKey k = stream_key(5, Stream::environment);
  CounterRng a(k, 9, 8, 7), b(k, 9, 8, 7);
  for (uint32_t block = 0; block < 5; ++block) {
    const PhiloxCounter expected = philox4x32_10(ctr(block, 9, 8, 7), k);
    for (int lane = 0; lane < 4; ++lane) {
      const uint32_t x = a.next_u32();
      EXPECT_EQ(x, expected.v[lane]);
      EXPECT_EQ(b.next_u32(), x);
    }
  }
}

// es_noise(first, count) equals the same slice of one long call, for starts and
// lengths that are not multiples of the 4-wide Philox block.
TEST(EsNoise, SliceEqualsSliceOfLongerCall) {
  const size_t total = 203;
  std::vector<float> whole(total);
  es_noise(77, 12, 3, 0, total, whole.data());
  for (size_t first : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(4), size_t(5), size_t(7), size_t(50),
                       size_t(101), size_t(202)}) {
    for (size_t count : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(4), size_t(5), size_t(9), size_t(64)}) {
      if (first + count > total) continue;
      std::vector<float> part(count + 1, -12345.0f);
      es_noise(77, 12, 3, first, count, part.data());
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(part[i], whole[first + i]) << "first " << first << " count " << count << " i " << i;
      }
      EXPECT_EQ(part[count], -12345.0f) << "wrote past count (first " << first << ", count " << count << ")";
    }
  }
}

// es_noise is deterministic: the same arguments give bit-identical output.
TEST(EsNoise, RepeatedCallsAreIdentical) {
  std::vector<float> a(97), b(97);
  es_noise(5, 6, 7, 3, a.size(), a.data());
  es_noise(5, 6, 7, 3, b.size(), b.data());
  EXPECT_EQ(a, b);
}

size_t equal_count(const std::vector<float>& a, const std::vector<float>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return same;
}

// A different pair, generation or seed gives an unrelated stream (no element
// in common position among 256).
TEST(EsNoise, DifferentPairGenerationSeedGiveDifferentStreams) {
  constexpr size_t n = 256;
  auto draw = [](uint64_t seed, uint64_t generation, uint32_t pair) {
    std::vector<float> v(n);
    es_noise(seed, generation, pair, 0, n, v.data());
    return v;
  };
  const std::vector<float> base = draw(1, 0, 0);
  EXPECT_EQ(equal_count(base, draw(1, 0, 1)), 0u) << "pair";
  EXPECT_EQ(equal_count(base, draw(1, 1, 0)), 0u) << "generation";
  EXPECT_EQ(equal_count(base, draw(2, 0, 0)), 0u) << "seed";
  EXPECT_EQ(equal_count(draw(1, 5, 9), draw(1, 9, 5)), 0u) << "pair and generation swapped";
  // Seeds that differ only in their high 32 bits are different runs too.
  EXPECT_EQ(equal_count(base, draw(1 + (uint64_t(1) << 40), 0, 0)), 0u) << "high seed bits";
}

bool same_key(PhiloxKey a, PhiloxKey b) { return a.v[0] == b.v[0] && a.v[1] == b.v[1]; }

// stream_key gives each Stream its own key for a seed, and each seed its own
// key for a stream.
TEST(StreamKey, DistinctPerStreamAndSeed) {
  const Stream streams[] = {Stream::es_noise, Stream::init, Stream::environment, Stream::output_noise,
                            Stream::synapse_noise};
  for (uint64_t seed : {uint64_t(0), uint64_t(1), uint64_t(2), uint64_t(123456789), ~uint64_t(0)}) {
    for (size_t i = 0; i < std::size(streams); ++i) {
      for (size_t j = i + 1; j < std::size(streams); ++j) {
        EXPECT_FALSE(same_key(stream_key(seed, streams[i]), stream_key(seed, streams[j])))
            << "seed " << seed << " streams " << i << ", " << j;
      }
    }
  }
  std::set<uint64_t> keys;
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    const PhiloxKey k = stream_key(seed, Stream::es_noise);
    keys.insert(uint64_t(k.v[0]) | (uint64_t(k.v[1]) << 32));
  }
  EXPECT_EQ(keys.size(), 1000u);
}

}  // namespace
}  // namespace enu
