#include "cpu_peak.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace enu {
namespace {

using v8 = float __attribute__((vector_size(32)));
constexpr int kFmaChains = 12;                  // > FMA latency x FMA pipes (4 x 2 on Zen 3 and Skylake)
constexpr int64_t kPeakIterations = 4'000'000;  // ~0.02 s per thread at ~50 GFLOP/s/core

// kFmaChains independent chains acc = acc * a + b on 8-wide vectors: with
// -march=native -ffp-contract=fast (the project's flags) each line is one
// vfmadd; the loop body holds no other dependent work. Returns the FLOPs done.
__attribute__((noinline)) double fma_chains(int64_t iterations, float* sink) {
  v8 acc[kFmaChains];
  for (int j = 0; j < kFmaChains; ++j) acc[j] = v8{} + float(j) * 1e-3f;
  const v8 a = v8{} + 0.999999f, b = v8{} + 1e-6f;
  for (int64_t it = 0; it < iterations; ++it) {
    for (int j = 0; j < kFmaChains; ++j) acc[j] = acc[j] * a + b;
  }
  v8 total{};
  for (int j = 0; j < kFmaChains; ++j) total += acc[j];
  float out = 0.0f;
  for (int l = 0; l < 8; ++l) out += total[l];
  *sink = out;
  return 2.0 * 8 * kFmaChains * double(iterations);
}

}  // namespace

double fma_chains_threaded(int threads, int64_t iterations) {
  std::vector<float> sinks(size_t(threads) * 16, 0.0f);  // 64 B apart: no false sharing
  std::vector<double> flops(size_t(threads), 0.0);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    pool.emplace_back([&, t] { flops[size_t(t)] = fma_chains(iterations, &sinks[size_t(t) * 16]); });
  }
  flops[0] = fma_chains(iterations, &sinks[0]);
  for (auto& th : pool) th.join();
  volatile float keep = sinks[0];  // the chains' results are used: nothing is optimised away
  (void)keep;
  double total = 0.0;
  for (double f : flops) total += f;
  return total;
}

double cpu_peak_gflops(int threads) {
  static std::mutex mutex;
  static std::map<int, double> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache.find(threads);
  if (found != cache.end()) return found->second;
  double best = 0.0;
  for (int trial = 0; trial < 10; ++trial) {
    const auto start = std::chrono::steady_clock::now();
    const double flops = fma_chains_threaded(threads, kPeakIterations);
    best = std::max(best, flops * 1e-9 / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  cache[threads] = best;
  return best;
}

}  // namespace enu
