#pragma once
// The parity harness (after ggml's test-backend-ops): every registered backend
// against the reference backend, step by step (Backend::replay) and fitness by
// fitness, through one comparator. backend_parity.cpp holds the suite; the CPU
// test binary instantiates it for the CPU backends, the gpu one for the GPU
// backends, so that `ctest -L gpu` selects the GPU cases.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backends.hpp"

/// In a test of the CUDA backend: skips it, with the registry's reason, where
/// this build or machine cannot run that backend.
#define ENU_REQUIRE_DEVICE()                                                              \
  do {                                                                                    \
    const std::string why_ = ::enu::find_backend(::enu::BackendKind::cuda).unavailable(); \
    if (!why_.empty()) GTEST_SKIP() << "cuda cannot run here: " << why_;                  \
  } while (0)

namespace enu::parity {

// ---- the comparator ---------------------------------------------------------------

/// How a flat vector is indexed, outermost first, to name a mismatch: e.g.
/// {{"lifetime", 5}, {"step", 60}, {"action", 3}}.
using Layout = std::vector<std::pair<const char*, int>>;

/// A backend's values against the reference's, element by element.
struct Comparison {
  int bad = 0, total = 0;  // outside atol + rtol |reference|, or non-finite on either side
  int nonfinite = 0;       // the backend's non-finite values, the first at first_nonfinite
  size_t first_nonfinite = 0;
  double nmse = 0.0;       // sum (x - ref)^2 / sum ref^2: drift that stays under the elementwise bound
  double mean = 0.0, reference_mean = 0.0;
  std::string first;       // the first five mismatches, with their indices
};

Comparison compare(const std::vector<float>& values, const std::vector<float>& reference, double atol, double rtol,
                   const Layout& layout);

/// Per-step tolerance of a backend against the reference: what its arithmetic
/// explains (approximate exp, FMA contraction, another summation order).
struct Tolerance {
  double atol, rtol, max_nmse;
};
Tolerance step_tolerance(const Backend& backend);
/// The same for cases not screened for stability (no 1-ulp twin), where float
/// rounding may grow: at most atol 1e-4, rtol 1e-3, nmse 1e-8, the CUDA
/// backend's bounds, for every backend.
Tolerance unscreened_tolerance(const Backend& backend);

/// compare() under `tolerance`: no element outside it, and nmse below its bound (NaN fails).
void expect_close(const std::vector<float>& values, const std::vector<float>& reference, const Tolerance& tolerance,
                  const Layout& layout, const std::string& what);

/// Fraction of elements within 1e-3 of the reference: spike outputs are 0/1
/// steps, and one sitting on its threshold may flip.
double agreement(const std::vector<float>& values, const std::vector<float>& reference);

// ---- parameters and observations ------------------------------------------------------

/// Published initialisation plus N(0, 0.1^2): gates away from their resting
/// values, read-out graded rather than clamped.
std::vector<float> random_theta(const ModelSpec& model, uint64_t seed);

/// One cell's theta: gate and candidate weights (and their biases) N(0, scale^2);
/// the read-out small, N(0, (0.3 / sqrt(M))^2), with biases in [0.3, 0.7], so
/// that o = clamp(W_o [h;1]) stays graded even once the steep ENU memory
/// saturates at +-1: a read-out clamped at 0 would hide any error upstream.
/// readout_scale overrides the read-out weights' std when positive.
void fill_cell_theta(const CellSpec& cell, float scale, std::mt19937& rng, float* theta, float readout_scale = 0.0f);
std::vector<float> cell_theta(const CellSpec& cell, float scale, uint32_t seed, float readout_scale = 0.0f);

/// Random network theta scaled like the cells' stable regime: gate weights
/// N(0, s^2) with s = 1.2 / sqrt(U + 1) per block (0.2 for a cell with U ~ 40),
/// the read-out as in fill_cell_theta.
std::vector<float> network_theta(const NetworkSpec& net, uint32_t seed);

/// A network of a random fan-in topology.
NetworkSpec network(int inputs, int neurons, int outputs, int fan_in, int channels, int memory, uint64_t seed);

/// `count` observations uniform in [0, 1].
std::vector<float> random_observations(size_t count, uint64_t seed);

/// Fraction of values strictly inside (0, 1): not clamped.
double graded_fraction(const std::vector<float>& values);

// ---- replays ------------------------------------------------------------------------

/// The rows of a replay: [lifetimes x steps x actions].
Layout replay_layout(const ReplayRequest& request);

/// One replay on a backend and on the reference, plus the reference on the same
/// observations with the first step's nudged by one ulp: how far that twin
/// drifts from the reference measures how strongly the dynamics amplify float
/// rounding (their largest Lyapunov exponent), whatever the backend.
struct Rollouts {
  std::vector<float> backend, reference, twin;
};
Rollouts roll_out(const Backend& backend, const ReplayRequest& request);

/// The elementwise comparison is only meaningful where the dynamics are stable:
/// the twin stayed within 1e-5 of the reference.
void expect_stable(const Rollouts& r, const std::string& what);

/// Chaotic regime: the backend may drift from the reference only as fast as the
/// reference drifts from its 1-ulp twin. The running maxima over steps must
/// satisfy backend <= 20 x twin + 1e-5 (measured ratio for the fast CPU
/// backend: up to 4) until the twin has drifted by 1e-2; past that both are O(1)
/// apart and nothing can be compared.
void expect_drift_within_chaos(const Rollouts& r, const ReplayRequest& request, const std::string& what);

// ---- the suite ------------------------------------------------------------------------

/// The registered backends other than the reference that run on a GPU (or not).
std::vector<const Backend*> backends_to_check(bool on_gpu);

/// A registered backend against the reference; skipped, with the registry's
/// reason, where this build or machine cannot run it.
class BackendParity : public ::testing::TestWithParam<const Backend*> {
 protected:
  void SetUp() override;
  const Backend& backend() const { return *GetParam(); }
};

std::string backend_name(const ::testing::TestParamInfo<const Backend*>& info);

}  // namespace enu::parity
