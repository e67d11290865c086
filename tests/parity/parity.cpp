#include "parity.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace enu::parity {

Comparison compare(const std::vector<float>& values, const std::vector<float>& reference, double atol, double rtol,
                   const Layout& layout) {
  Comparison c;
  EXPECT_EQ(values.size(), reference.size());
  if (values.size() != reference.size()) {
    c.bad = c.total = 1;
    return c;
  }
  double err2 = 0.0, ref2 = 0.0, sum = 0.0, reference_sum = 0.0;
  std::ostringstream first;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double diff = std::abs(double(values[i]) - double(reference[i]));
    err2 += diff * diff;  // NaN and inf carry through
    ref2 += double(reference[i]) * reference[i];
    sum += values[i];
    reference_sum += reference[i];
    ++c.total;
    if (!std::isfinite(values[i]) && c.nonfinite++ == 0) c.first_nonfinite = i;
    if (std::isfinite(values[i]) && std::isfinite(reference[i]) && diff <= atol + rtol * std::abs(reference[i])) {
      continue;
    }
    if (++c.bad > 5) continue;
    first << "\n ";
    size_t stride = reference.size();
    for (const auto& [name, size] : layout) {
      stride /= size_t(size);
      first << ' ' << name << ' ' << (i / stride) % size_t(size);
    }
    first << ": " << values[i] << ", reference " << reference[i] << " (diff " << diff << ")";
  }
  c.nmse = err2 / std::max(ref2, 1e-30);
  c.mean = sum / double(reference.size());
  c.reference_mean = reference_sum / double(reference.size());
  c.first = first.str();
  return c;
}

// The fast CPU backend: each step differs from the reference by a few float
// ulps (exp_approx has ~2e-7 relative error, the GEMM contracts to FMAs and
// sums in another order) and the recurrence carries them along. In the stable
// setups the largest difference over 100 steps is 5e-7 and the normalised
// squared error below 1e-12 (measured), so atol 2e-5 + rtol 2e-4 leaves a 40x
// margin and nmse < 1e-10 a 100x margin, while a real bug (a wrong gate, a stale
// input, a misplaced noise draw) is > 1e-3 within a few steps.
// CUDA: the device uses expf/tanhf (a few ulp) and its own FMA order; after 60
// steps of a contracting recurrence that stays near 1e-6 absolute, so atol 1e-4
// + rtol 1e-3 and nmse < 1e-8 leave a wide margin while a wrong gate or index
// gives O(0.1) errors.
Tolerance step_tolerance(const Backend& backend) {
  switch (backend.kind()) {
    case BackendKind::cpu:
      return {2e-5, 2e-4, 1e-10};
    case BackendKind::cuda:
      return {1e-4, 1e-3, 1e-8};
    default:
      ADD_FAILURE() << backend.name() << " has no per-step tolerance against the reference";
      return {0.0, 0.0, 0.0};
  }
}

Tolerance unscreened_tolerance(const Backend& backend) {
  const Tolerance own = step_tolerance(backend);
  return {std::max(own.atol, 1e-4), std::max(own.rtol, 1e-3), std::max(own.max_nmse, 1e-8)};
}

void expect_close(const std::vector<float>& values, const std::vector<float>& reference, const Tolerance& tolerance,
                  const Layout& layout, const std::string& what) {
  const Comparison c = compare(values, reference, tolerance.atol, tolerance.rtol, layout);
  EXPECT_EQ(c.bad, 0) << what << ": " << c.bad << " of " << c.total << " values differ:" << c.first;
  EXPECT_LT(c.nmse, tolerance.max_nmse) << what << ": normalised squared error";  // NaN fails too
}

double agreement(const std::vector<float>& values, const std::vector<float>& reference) {
  int agree = 0;
  for (size_t i = 0; i < reference.size(); ++i) agree += std::abs(values[i] - reference[i]) <= 1e-3f;
  return double(agree) / double(reference.size());
}

std::vector<float> random_theta(const ModelSpec& model, uint64_t seed) {
  std::vector<float> theta(model.param_count());
  model.init_params(seed, theta.data());
  std::mt19937 rng{uint32_t(seed)};
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (float& t : theta) t += noise(rng);
  return theta;
}

void fill_cell_theta(const CellSpec& cell, float scale, std::mt19937& rng, float* theta, float readout_scale) {
  const CellLayout l = cell_layout(cell);
  std::normal_distribution<float> gate(0.0f, scale),
      readout(0.0f, readout_scale > 0.0f ? readout_scale : 0.3f / std::sqrt(float(cell.memory)));
  std::uniform_real_distribution<float> bias(0.3f, 0.7f);
  for (size_t i = 0; i < l.w_out; ++i) theta[i] = gate(rng);
  for (size_t i = l.w_out; i < l.param_count; ++i) theta[i] = readout(rng);
  for (int k = 0; k < cell.outputs; ++k) theta[l.w_out + size_t(cell.memory) * cell.outputs + k] = bias(rng);
}

std::vector<float> cell_theta(const CellSpec& cell, float scale, uint32_t seed, float readout_scale) {
  std::vector<float> theta(cell_layout(cell).param_count);
  std::mt19937 rng(seed);
  fill_cell_theta(cell, scale, rng, theta.data(), readout_scale);
  return theta;
}

std::vector<float> network_theta(const NetworkSpec& net, uint32_t seed) {
  std::vector<float> theta(net.param_count());
  std::mt19937 rng(seed);
  const CellSpec cells[2] = {net.synapse_cell(), net.neuron_cell()};
  const size_t offsets[2] = {net.synapse_offset(), net.neuron_offset()};
  for (int b = 0; b < (net.shared ? 1 : 2); ++b) {
    const float scale = 1.2f / std::sqrt(float(cell_layout(cells[b]).gate_inputs + 1));
    fill_cell_theta(cells[b], scale, rng, theta.data() + offsets[b]);
  }
  return theta;
}

NetworkSpec network(int inputs, int neurons, int outputs, int fan_in, int channels, int memory, uint64_t seed) {
  NetworkSpec net;
  net.topology = random_topology(inputs, neurons, outputs, fan_in, seed);
  net.channels = channels;
  net.memory = memory;
  return net;
}

std::vector<float> random_observations(size_t count, uint64_t seed) {
  std::mt19937 rng{uint32_t(seed)};
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> obs(count);
  for (float& o : obs) o = uniform(rng);
  return obs;
}

double graded_fraction(const std::vector<float>& values) {
  return double(std::count_if(values.begin(), values.end(), [](float v) { return v > 0.0f && v < 1.0f; })) /
         double(values.size());
}

Layout replay_layout(const ReplayRequest& request) {
  return {{"lifetime", request.lifetimes}, {"step", request.steps}, {"action", request.model.output_count()}};
}

Rollouts roll_out(const Backend& backend, const ReplayRequest& request) {
  const Backend& reference = find_backend(BackendKind::reference);
  ReplayRequest nudged = request;
  const size_t per_step = size_t(request.shape.sources) * request.shape.channels;
  for (int e = 0; e < request.lifetimes; ++e) {
    float* first_step = &nudged.observations[size_t(e) * request.steps * per_step];
    for (size_t i = 0; i < per_step; ++i) first_step[i] = std::nextafter(first_step[i], 2.0f);
  }
  return {backend.replay(request), reference.replay(request), reference.replay(nudged)};
}

namespace {

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(double(a[i]) - double(b[i]));
    worst = std::isfinite(d) ? std::max(worst, d) : INFINITY;
  }
  return worst;
}

}  // namespace

void expect_stable(const Rollouts& r, const std::string& what) {
  EXPECT_LT(max_abs_diff(r.twin, r.reference), 1e-5)
      << what << ": a 1-ulp input change grows in the reference itself; the setup is chaotic";
}

void expect_drift_within_chaos(const Rollouts& r, const ReplayRequest& request, const std::string& what) {
  const int actions = request.model.output_count();
  double backend_max = 0.0, twin_max = 0.0;
  int compared = 0;
  for (int s = 0; s < request.steps; ++s) {
    for (int e = 0; e < request.lifetimes; ++e) {
      for (int a = 0; a < actions; ++a) {
        const size_t i = (size_t(e) * request.steps + s) * actions + a;
        const double db = std::abs(double(r.backend[i]) - r.reference[i]);
        backend_max = std::isfinite(db) ? std::max(backend_max, db) : INFINITY;
        twin_max = std::max(twin_max, std::abs(double(r.twin[i]) - r.reference[i]));
      }
    }
    if (twin_max > 1e-2) break;
    ++compared;
    ASSERT_LE(backend_max, 20.0 * twin_max + 1e-5) << what << ": step " << s << ", the backend drifted by "
                                                   << backend_max << " while the 1-ulp twin drifted by " << twin_max;
  }
  EXPECT_GE(compared, 10) << what;
}

std::vector<const Backend*> backends_to_check(bool on_gpu) {
  std::vector<const Backend*> checked;
  for (const Backend* backend : registered_backends()) {
    if (backend->kind() != BackendKind::reference && backend->on_gpu() == on_gpu) checked.push_back(backend);
  }
  return checked;
}

void BackendParity::SetUp() {
  const std::string why = backend().unavailable();
  if (!why.empty()) GTEST_SKIP() << backend().name() << " cannot run here: " << why;
}

std::string backend_name(const ::testing::TestParamInfo<const Backend*>& info) { return info.param->name(); }

}  // namespace enu::parity
