// Networks of cells (DESIGN.md 2.2): the reference runner's network step
// against a per-synapse loop written here, topologies, parameter layout and the
// output-noise streams of neurons and synapses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "enu/model.hpp"
#include "enu/network.hpp"
#include "reference/reference.hpp"
#include "runner.hpp"

namespace enu {
namespace {

// |got - want| <= atol + rtol * |want| everywhere; NaN fails. The first few
// mismatches are printed with (step, lifetime, action) indices.
::testing::AssertionResult actions_close(const std::vector<float>& got, const std::vector<float>& want, int lifetimes,
                                         int actions, double atol, double rtol) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << want.size();
  std::ostringstream first;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = std::abs(double(got[i]) - double(want[i]));
    if (std::isfinite(got[i]) && std::isfinite(want[i]) && diff <= atol + rtol * std::abs(double(want[i]))) continue;
    if (++bad <= 5) {
      const size_t per_step = size_t(lifetimes) * actions;
      first << "\n  step " << i / per_step << " lifetime " << (i % per_step) / actions << " action " << i % actions
            << ": got " << got[i] << " want " << want[i] << " (diff " << diff << ")";
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << got.size() << " actions differ" << first.str();
}

// The network step written out as DESIGN.md 2.2 describes it, one synapse at a
// time, for one lifetime: every synapse reads [v[pre[j]] ; o_neu[n(j)]] from the
// previous tick, then each neuron gets the mean of its K synapse outputs (padded
// with zeros to 2C in SHARED mode); every cell's output gets its output noise
// (zero for the synapses unless output_noise_on is all), and the read-out is
// channel 0 of the last `outputs` neurons after the step's last tick.
class LoopNetwork {
 public:
  LoopNetwork(const NetworkSpec& spec, const float* theta) : spec_(spec), theta_(theta) {
    const Topology& t = spec.topology;
    syn_size_ = size_t(cell_layout(spec.synapse_cell()).state_size);
    neu_size_ = size_t(cell_layout(spec.neuron_cell()).state_size);
    synapse_state_.assign(size_t(t.synapses()) * syn_size_, 0.0f);
    neuron_state_.assign(size_t(t.neurons) * neu_size_, 0.0f);
  }

  // observation: [inputs x obs_channels] with obs_channels <= C.
  std::vector<float> step(const float* observation, int obs_channels, uint64_t seed, uint32_t member,
                          uint32_t lifetime, uint32_t generation) {
    const Topology& t = spec_.topology;
    const int C = spec_.channels, K = t.fan_in, N = t.neurons;
    const CellSpec syn = spec_.synapse_cell(), neu = spec_.neuron_cell();
    const int syn_o = cell_layout(syn).o, neu_o = cell_layout(neu).o;
    const float* theta_syn = theta_;
    const float* theta_neu = spec_.shared ? theta_ : theta_ + cell_layout(syn).param_count;

    // Sensory values zero-padded to C channels.
    std::vector<float> sensory(size_t(t.inputs) * C, 0.0f);
    for (int s = 0; s < t.inputs; ++s) {
      for (int c = 0; c < obs_channels; ++c) sensory[size_t(s) * C + c] = observation[size_t(s) * obs_channels + c];
    }
    for (int tick = 0; tick < spec_.ticks_per_step; ++tick, ++tick_) {
      // Every neuron output as it was at the end of the previous tick.
      std::vector<float> prev(size_t(N) * C);
      for (int n = 0; n < N; ++n) {
        for (int c = 0; c < C; ++c) prev[size_t(n) * C + c] = neuron_state_[size_t(n) * neu_size_ + neu_o + c];
      }
      std::vector<float> syn_noise(size_t(t.synapses()) * C), syn_out(size_t(t.synapses()) * C);
      fill_output_noise(spec_, CellRole::synapse, seed, member, lifetime, generation, uint32_t(tick_),
                        syn_noise.data());
      for (int n = 0; n < N; ++n) {
        for (int k = 0; k < K; ++k) {
          const int j = n * K + k, source = t.pre[size_t(j)];
          std::vector<float> x(size_t(2 * C));
          for (int c = 0; c < C; ++c) {
            x[size_t(c)] = source < t.inputs ? sensory[size_t(source) * C + c] : prev[size_t(source - t.inputs) * C + c];
            x[size_t(C + c)] = prev[size_t(n) * C + c];
          }
          float* state = &synapse_state_[size_t(j) * syn_size_];
          reference::cell_step(syn, theta_syn, x.data(), &syn_noise[size_t(j) * C], state);
          for (int c = 0; c < C; ++c) syn_out[size_t(j) * C + c] = state[syn_o + c];
        }
      }
      std::vector<float> noise(size_t(N) * C);
      fill_output_noise(spec_, CellRole::neuron, seed, member, lifetime, generation, uint32_t(tick_), noise.data());
      for (int n = 0; n < N; ++n) {
        std::vector<float> a(size_t(neu.inputs), 0.0f);  // [mean ; zeros] when shared
        for (int c = 0; c < C; ++c) {
          float sum = 0.0f;
          for (int k = 0; k < K; ++k) sum += syn_out[size_t(n * K + k) * C + c];
          a[size_t(c)] = sum / float(K);
        }
        reference::cell_step(neu, theta_neu, a.data(), &noise[size_t(n) * C], &neuron_state_[size_t(n) * neu_size_]);
      }
    }
    std::vector<float> actions;
    for (int k = 0; k < t.outputs; ++k) {
      actions.push_back(neuron_state_[size_t(N - t.outputs + k) * neu_size_ + neu_o]);
    }
    return actions;
  }

  /// The state after the last step as ModelState holds it: outputs and h of
  /// every neuron and every synapse.
  ModelState state() const {
    const CellLayout syn = cell_layout(spec_.synapse_cell()), neu = cell_layout(spec_.neuron_cell());
    const int C = spec_.channels, M = spec_.memory;
    auto rows = [](const std::vector<float>& cells, size_t stride, int offset, int width) {
      std::vector<float> out;
      for (size_t k = 0; k < cells.size() / stride; ++k) {
        const auto first = cells.begin() + ptrdiff_t(k * stride) + offset;
        out.insert(out.end(), first, first + width);
      }
      return out;
    };
    ModelState s;
    s.neuron_outputs = rows(neuron_state_, neu_size_, neu.o, C);
    s.neuron_h = rows(neuron_state_, neu_size_, neu.h, M);
    s.synapse_outputs = rows(synapse_state_, syn_size_, syn.o, C);
    s.synapse_h = rows(synapse_state_, syn_size_, syn.h, M);
    return s;
  }

 private:
  NetworkSpec spec_;
  const float* theta_;
  size_t syn_size_ = 0, neu_size_ = 0;
  std::vector<float> synapse_state_, neuron_state_;
  int tick_ = 0;
};

// Every parameter drawn from N(0, 0.5^2).
std::vector<float> random_weights(const ModelSpec& model, std::mt19937& rng) {
  std::normal_distribution<float> weight(0.0f, 0.5f);
  std::vector<float> theta(model.param_count());
  for (float& w : theta) w = weight(rng);
  return theta;
}

// Sets the read-out bias rows of both blocks (the same row twice when shared).
void lift_readout_bias(const NetworkSpec& net, std::vector<float>& theta, std::mt19937& rng) {
  std::uniform_real_distribution<float> bias(0.3f, 0.7f);
  const CellLayout syn = cell_layout(net.synapse_cell()), neu = cell_layout(net.neuron_cell());
  const int C = net.channels, M = net.memory;
  for (int k = 0; k < C; ++k) {
    theta[net.synapse_offset() + syn.w_out + size_t(M) * C + k] = bias(rng);
    theta[net.neuron_offset() + neu.w_out + size_t(M) * C + k] = bias(rng);
  }
}

struct NetCase {
  std::string name;
  Topology topology;
};

// Largest |a - b|; infinite for a size mismatch or a NaN on either side.
double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double most = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(double(a[i]) - double(b[i]));
    most = std::isnan(diff) ? INFINITY : std::max(most, diff);
  }
  return most;
}

std::vector<NetCase> small_topologies() {
  // 3 inputs + 4 neurons = 7 sources; neuron 1 reads itself, neuron 3 the last neuron.
  const std::vector<std::vector<int>> table = {{0, 1, 2}, {4, 3, 0}, {5, 6, 1}, {2, 3, 6}};
  return {{"random", random_topology(3, 4, 2, 3, 42)}, {"table", topology_from_table(3, 2, table, "test")}};
}

// make_reference_runner(network) against LoopNetwork over 20 steps for C = 4,
// M = 3, 3 inputs, 4 neurons, K = 3, two read-out neurons; random and explicit
// topologies, ticks_per_step 1 and 3, output noise 0 and 0.01 (on the neurons,
// and on all cells), shared or not.
// Two lifetimes (first = 1, so lifetime ids 1 and 2) with different random
// observations of 3 channels each (zero-padded to C = 4 by the runner). The
// state read_state shows after each step (outputs and h of every neuron and
// synapse, after the step's last tick) is the loop's too.
// Tolerance 1e-6 absolute: both sides run the same float cell step in the same
// order, so only a different summation order in the mean could separate them.
TEST(NetworkStep, ReferenceRunnerMatchesPerSynapseLoop) {
  const int steps = 20, lifetimes = 2, first = 1, obs_channels = 3;
  const uint64_t seed = 9;
  const uint32_t member = 7, generation = 3;
  int graded_total = 0, actions_total = 0;
  for (const NetCase& topo : small_topologies()) {
    for (int ticks : {1, 3}) {
      for (auto [noise, cells] : {std::pair{0.0f, NoiseCells::neurons}, std::pair{0.01f, NoiseCells::neurons},
                                  std::pair{0.01f, NoiseCells::all}}) {
        for (bool shared : {false, true}) {
          SCOPED_TRACE(topo.name + " ticks " + std::to_string(ticks) + " noise " + std::to_string(noise) + " on " +
                       to_string(cells) + (shared ? " shared" : " separate"));
          ModelSpec model;
          model.kind = ModelSpec::Kind::network;
          NetworkSpec& net = model.network;
          net.topology = topo.topology;
          net.channels = 4;
          net.memory = 3;
          net.shared = shared;
          net.ticks_per_step = ticks;
          net.output_noise = noise;
          net.output_noise_on = cells;
          validate(net, "test");
          std::mt19937 rng(1234);
          std::vector<float> theta = random_weights(model, rng);
          // Read-out biases in [0.3, 0.7] so that outputs sit inside (0, 1) rather
          // than clamped at 0, where a wrong input would go unnoticed.
          lift_readout_bias(net, theta, rng);

          const ObservationShape shape{3, obs_channels};
          auto runner = make_reference_runner(model, shape, lifetimes);
          runner->reset(theta.data(), member, LifetimeSet{seed, generation, 3}, first, lifetimes);
          std::vector<LoopNetwork> loops(size_t(lifetimes), LoopNetwork(net, theta.data()));

          std::uniform_real_distribution<float> input(0.0f, 1.0f);
          const int A = model.output_count();
          std::vector<float> got, want, obs(size_t(lifetimes) * shape.sources * shape.channels), actions(size_t(lifetimes) * A);
          int graded = 0;
          for (int s = 0; s < steps; ++s) {
            for (float& v : obs) v = input(rng);
            runner->step(obs.data(), actions.data());
            got.insert(got.end(), actions.begin(), actions.end());
            for (int i = 0; i < lifetimes; ++i) {
              const std::vector<float> a =
                  loops[size_t(i)].step(&obs[size_t(i) * shape.sources * shape.channels], obs_channels, seed, member,
                                        uint32_t(first + i), generation);
              want.insert(want.end(), a.begin(), a.end());
              for (float v : a) graded += v > 0.0f && v < 1.0f;
              ModelState shown;
              ASSERT_TRUE(runner->read_state(i, shown));
              const ModelState loop = loops[size_t(i)].state();
              EXPECT_LE(max_difference(shown.neuron_outputs, loop.neuron_outputs), 1e-6) << "step " << s;
              EXPECT_LE(max_difference(shown.neuron_h, loop.neuron_h), 1e-6) << "step " << s;
              EXPECT_LE(max_difference(shown.synapse_outputs, loop.synapse_outputs), 1e-6) << "step " << s;
              EXPECT_LE(max_difference(shown.synapse_h, loop.synapse_h), 1e-6) << "step " << s;
            }
          }
          EXPECT_TRUE(actions_close(got, want, lifetimes, A, 1e-6, 0.0));
          graded_total += graded;
          actions_total += int(want.size());
        }
      }
    }
  }
  // Non-degenerate: most read-outs are strictly inside (0, 1), not clamped.
  EXPECT_GT(graded_total, actions_total / 2);
}

/// 3 inputs, 4 neurons (2 read out), random fan-in 3, C = 4, M = 3.
ModelSpec small_random_network() {
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  model.network.topology = random_topology(3, 4, 2, 3, 42);
  model.network.channels = 4;
  model.network.memory = 3;
  return model;
}

// The noise path is live: the same network with output noise 0.01 reads out
// differently from the noiseless one (so the test above really compares noise),
// and two members (different noise streams) differ too.
TEST(NetworkStep, OutputNoiseChangesTheRollout) {
  const ModelSpec model = small_random_network();
  std::mt19937 rng(5);
  std::vector<float> theta = random_weights(model, rng);
  auto rollout = [&](float noise, uint32_t member) {
    ModelSpec m = model;
    m.network.output_noise = noise;
    auto runner = make_reference_runner(m, ObservationShape{3, 4}, 1);
    runner->reset(theta.data(), member, LifetimeSet{1, 0, 1}, 0, 1);
    std::vector<float> obs(12, 0.5f), out, a(2);
    for (int s = 0; s < 10; ++s) {
      runner->step(obs.data(), a.data());
      out.insert(out.end(), a.begin(), a.end());
    }
    return out;
  };
  EXPECT_NE(rollout(0.0f, 0), rollout(0.01f, 0));
  EXPECT_NE(rollout(0.01f, 0), rollout(0.01f, 1));
  EXPECT_EQ(rollout(0.01f, 1), rollout(0.01f, 1));
}

// Every synapse shares one parameter set and a neuron takes the mean of its
// synapses, so two inputs wired to the same neurons are interchangeable: swapping
// them in every observation leaves the read-outs as they were (up to summation
// order). Only the wiring tells inputs apart at birth (docs/maze.md, "The
// wiring"): an input wired to other neurons, swapped in, changes them.
TEST(NetworkStep, InputsWiredAlikeAreInterchangeable) {
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  // Sources 0-2 are the inputs, 3-5 the neurons; inputs 0 and 1 reach neurons 0, 1
  // and 2, input 2 only neuron 1.
  model.network.topology = topology_from_table(3, 2, {{0, 1, 3, 4}, {0, 1, 2, 5}, {0, 1, 4, 5}}, "test");
  model.network.channels = 3;
  model.network.memory = 4;
  std::mt19937 rng(21);
  std::vector<float> theta = random_weights(model, rng);
  lift_readout_bias(model.network, theta, rng);
  const int steps = 30, values = 3 * 3;
  std::vector<float> observations(size_t(steps) * values);
  std::uniform_real_distribution<float> input(0.0f, 1.0f);
  for (float& v : observations) v = input(rng);
  auto rollout = [&](int a, int b) {  // inputs a and b swapped in every observation
    auto runner = make_reference_runner(model, ObservationShape{3, 3}, 1);
    runner->reset(theta.data(), 0, LifetimeSet{1, 0, 1}, 0, 1);
    std::vector<float> out, actions(2);
    for (int s = 0; s < steps; ++s) {
      std::vector<float> obs(observations.begin() + s * values, observations.begin() + (s + 1) * values);
      for (int ch = 0; ch < 3; ++ch) std::swap(obs[size_t(a * 3 + ch)], obs[size_t(b * 3 + ch)]);
      runner->step(obs.data(), actions.data());
      out.insert(out.end(), actions.begin(), actions.end());
    }
    return out;
  };
  const std::vector<float> plain = rollout(0, 0);
  EXPECT_TRUE(actions_close(rollout(0, 1), plain, 1, 2, 1e-6, 0.0));
  const std::vector<float> other = rollout(0, 2);
  double largest = 0.0;
  for (size_t i = 0; i < plain.size(); ++i) largest = std::max(largest, double(std::abs(other[i] - plain[i])));
  EXPECT_GT(largest, 1e-3);
}

// ---- topologies ------------------------------------------------------------------

// input_wiring names, for each input, the neurons with a synapse from it.
TEST(NetworkTopology, InputWiringNamesTheNeuronsEachInputFeeds) {
  const Topology t = topology_from_table(3, 2, {{0, 1, 3, 4}, {0, 1, 2, 5}, {0, 1, 4, 5}}, "test");
  EXPECT_EQ(input_wiring(t), "input 0 -> neurons 0 1 2; input 1 -> neurons 0 1 2; input 2 -> neurons 1 (read out: 1 2)");
  const Topology unfed = topology_from_table(2, 1, {{0, 2}, {2, 3}}, "test");
  EXPECT_EQ(input_wiring(unfed), "input 0 -> neurons 0; input 1 -> neurons none (read out: 1)");
}

// An explicit table is flattened neuron by neuron; ragged rows and sources
// outside [0, inputs + neurons) are rejected with enu::Error.
TEST(NetworkTopology, FromTable) {
  const Topology t = topology_from_table(2, 1, {{0, 1}, {2, 3}, {3, 4}}, "test");
  EXPECT_EQ(t.inputs, 2);
  EXPECT_EQ(t.neurons, 3);
  EXPECT_EQ(t.fan_in, 2);
  EXPECT_EQ(t.outputs, 1);
  EXPECT_EQ(t.pre, (std::vector<int>{0, 1, 2, 3, 3, 4}));
  EXPECT_EQ(t.synapses(), 6);
  EXPECT_EQ(t.sources(), 5);
  EXPECT_THROW(topology_from_table(2, 1, {{0, 1}, {2}}, "test"), Error);        // ragged
  EXPECT_THROW(topology_from_table(2, 1, {{0, 1}, {2, 3, 4}}, "test"), Error);  // ragged
  EXPECT_THROW(topology_from_table(2, 1, {{0, 1}, {2, 4}}, "test"), Error);     // 4 >= 2 + 2 sources
  EXPECT_THROW(topology_from_table(2, 1, {{0, -1}, {2, 3}}, "test"), Error);    // negative
  try {
    topology_from_table(2, 1, {{0, 1}, {2, 9}}, "model.network.topology.pre");
    ADD_FAILURE() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.network.topology.pre"), std::string::npos) << e.what();
  }
}

// random_topology: K distinct in-range sources per neuron, a pure function of
// the seed, and a different wiring for a different seed. K = sources gives a
// permutation of all sources.
TEST(NetworkTopology, RandomIsDistinctInRangeAndSeeded) {
  for (int K : {1, 3, 8, 10}) {
    const Topology t = random_topology(4, 6, 3, K, 11);
    ASSERT_EQ(int(t.pre.size()), 6 * K);
    EXPECT_EQ(t.fan_in, K);
    EXPECT_EQ(t.outputs, 3);
    for (int n = 0; n < t.neurons; ++n) {
      std::set<int> seen(t.pre.begin() + n * K, t.pre.begin() + (n + 1) * K);
      EXPECT_EQ(int(seen.size()), K) << "neuron " << n << " repeats a source";
      EXPECT_GE(*seen.begin(), 0);
      EXPECT_LT(*seen.rbegin(), t.sources());
    }
    EXPECT_EQ(random_topology(4, 6, 3, K, 11).pre, t.pre);
    if (K < t.sources()) {
      EXPECT_NE(random_topology(4, 6, 3, K, 12).pre, t.pre);
    }
  }
  // Every source gets picked by some neuron (no off-by-one at the ends): 20
  // neurons each pick 10 of 23 sources, so P(a given source is never picked) =
  // (13/23)^20 ~ 1e-5.
  const Topology wide = random_topology(3, 20, 1, 10, 3);
  std::set<int> all(wide.pre.begin(), wide.pre.end());
  EXPECT_EQ(*all.begin(), 0);
  EXPECT_EQ(*all.rbegin(), wide.sources() - 1);
}

// ---- parameter layout --------------------------------------------------------------

// theta = [theta_syn | theta_neu]; the published maze net (4 inputs, 6 neurons,
// K = 8, C = 16, M = 32) has 8304 + 6768 = 15072 parameters. SHARED keeps one
// block: the neuron cell takes 2C inputs so it has the synapse cell's shape.
TEST(NetworkParams, CountsAndSharedBlock) {
  NetworkSpec spec;
  spec.topology = random_topology(4, 6, 3, 8, 1);
  spec.channels = 16;
  spec.memory = 32;
  EXPECT_EQ(cell_layout(spec.synapse_cell()).param_count, 8304u);
  EXPECT_EQ(cell_layout(spec.neuron_cell()).param_count, 6768u);
  EXPECT_EQ(spec.param_count(), 15072u);
  EXPECT_EQ(spec.synapse_offset(), 0u);
  EXPECT_EQ(spec.neuron_offset(), 8304u);

  spec.shared = true;
  EXPECT_EQ(spec.neuron_cell().inputs, 32);
  EXPECT_EQ(spec.neuron_offset(), 0u);
  EXPECT_EQ(spec.param_count(), 8304u);
  EXPECT_EQ(cell_layout(spec.neuron_cell()).param_count, cell_layout(spec.synapse_cell()).param_count);

  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  model.network = spec;
  EXPECT_EQ(model.param_count(), 8304u);
  EXPECT_EQ(model.output_count(), 3);
  EXPECT_EQ(model.observation_capacity().sources, 4);
  EXPECT_EQ(model.observation_capacity().channels, 16);

  // Mixed kinds: NFENU synapses, GRU neurons, counted per block.
  spec.shared = false;
  spec.synapse_kind = CellKind::nfenu;
  spec.neuron_kind = CellKind::gru;
  EXPECT_EQ(spec.param_count(), size_t(32 + 32 + 1) * 96 + 33 * 16 + size_t(16 + 32 + 1) * 96 + 33 * 16);
  spec.shared = true;
  EXPECT_THROW(validate(spec, "test"), Error);  // shared needs one cell kind
}

// init_network_params: block 0 for the synapses, block 1 for the neurons, one
// block only when shared.
TEST(NetworkParams, InitUsesOneBlockPerCell) {
  NetworkSpec spec;
  spec.topology = random_topology(2, 3, 1, 2, 1);
  spec.channels = 4;
  spec.memory = 3;
  std::vector<float> theta(spec.param_count());
  init_network_params(spec, 8, theta.data());
  std::vector<float> syn(cell_layout(spec.synapse_cell()).param_count), neu(cell_layout(spec.neuron_cell()).param_count);
  init_cell_params(spec.synapse_cell(), 8, 0, syn.data());
  init_cell_params(spec.neuron_cell(), 8, 1, neu.data());
  EXPECT_TRUE(std::equal(syn.begin(), syn.end(), theta.begin()));
  EXPECT_TRUE(std::equal(neu.begin(), neu.end(), theta.begin() + long(syn.size())));
  spec.shared = true;
  std::vector<float> shared(spec.param_count());
  init_network_params(spec, 8, shared.data());
  EXPECT_EQ(shared, syn);
}

// ---- output noise --------------------------------------------------------------

// fill_output_noise is output_noise * N(0,1) per (cell, channel) for the
// synapses and for the neurons, a pure function of (seed, member, lifetime,
// generation, tick), with C not a multiple of 4 handled; the draws look
// standard normal (mean, variance over 6000 neuron or 12000 synapse values).
TEST(NetworkNoise, ScaledDeterministicAndKeyed) {
  NetworkSpec spec;
  spec.topology = random_topology(2, 5, 1, 2, 1);
  spec.channels = 6;
  spec.output_noise_on = NoiseCells::all;
  for (CellRole role : {CellRole::neuron, CellRole::synapse}) {
    SCOPED_TRACE(role == CellRole::neuron ? "neurons" : "synapses");
    const size_t n = size_t(spec.cells(role)) * 6;
    auto fill = [&](float scale, uint32_t member, uint32_t lifetime, uint32_t generation, uint32_t tick) {
      spec.output_noise = scale;
      std::vector<float> out(n, std::nanf(""));
      fill_output_noise(spec, role, 3, member, lifetime, generation, tick, out.data());
      return out;
    };
    const std::vector<float> unit = fill(1.0f, 0, 0, 0, 0), small = fill(0.01f, 0, 0, 0, 0);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(std::isfinite(unit[i])) << i;
      EXPECT_EQ(small[i], 0.01f * unit[i]) << i;
    }
    EXPECT_EQ(fill(1.0f, 0, 0, 0, 0), unit);
    EXPECT_NE(fill(1.0f, 1, 0, 0, 0), unit);
    EXPECT_NE(fill(1.0f, 0, 1, 0, 0), unit);
    EXPECT_NE(fill(1.0f, 0, 0, 1, 0), unit);
    EXPECT_NE(fill(1.0f, 0, 0, 0, 1), unit);
    for (float v : fill(0.0f, 0, 0, 0, 0)) EXPECT_EQ(v, 0.0f);
    double sum = 0.0, sum2 = 0.0;
    int count = 0;
    for (uint32_t tick = 0; tick < 200; ++tick) {
      for (float v : fill(1.0f, 2, 3, 4, tick)) {
        sum += v;
        sum2 += double(v) * v;
        ++count;
      }
    }
    const double mean = sum / count, var = sum2 / count - mean * mean;
    // 6000 draws: standard error 0.013 for the mean and ~0.018 for the variance; 5 sigma.
    EXPECT_NEAR(mean, 0.0, 0.065);
    EXPECT_NEAR(var, 1.0, 0.1);
  }
}

// Draw c of cell `cell` of `cells` at one tick, written out from the stream
// definitions in philox.hpp: counter {(tick*cells + cell)*ceil(C/4) + c/4,
// member, lifetime, generation}, lane c % 4 of the four normals of that block.
float documented_draw(Stream stream, uint64_t seed, uint32_t member, uint32_t lifetime, uint32_t generation,
                      uint32_t tick, int cells, int C, int cell, int c) {
  const uint32_t block = (tick * uint32_t(cells) + uint32_t(cell)) * uint32_t((C + 3) / 4) + uint32_t(c / 4);
  float normals[4];
  normals4(PhiloxCounter{{block, member, lifetime, generation}}, stream_key(seed, stream), normals);
  return normals[c % 4];
}

// output_noise_on: all adds to synapse j's channel c, before the clamp, the
// draw of the synapse stream (Stream::synapse_noise) times output_noise: one
// reference tick from the same state with and without that noise gives
// o_noisy = clamp(o + eps, 0, 1) exactly wherever o is graded (gain 1: o is
// then the pre-clamp value itself), and the memory h, updated before the
// read-out, is unchanged. With output_noise_on: neurons the synapses draw
// nothing. Either way the neurons draw the same numbers from their own stream.
TEST(NetworkNoise, AllCellsAddsTheSynapseStreamBeforeTheClamp) {
  const uint64_t seed = 11;
  const uint32_t member = 3, lifetime = 2, generation = 5, tick = 7;
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  NetworkSpec& net = model.network;
  net.topology = topology_from_table(2, 1, {{0, 1, 3}, {2, 4, 0}, {1, 3, 4}}, "test");
  net.channels = 6;  // two Philox blocks per cell, the second half used
  net.memory = 5;
  net.output_noise = 0.05f;
  net.output_noise_on = NoiseCells::all;
  // Small weights and read-out biases in [0.3, 0.7]: most outputs graded.
  std::mt19937 rng(8);
  std::normal_distribution<float> weight(0.0f, 0.15f);
  std::vector<float> theta(model.param_count());
  for (float& w : theta) w = weight(rng);
  lift_readout_bias(net, theta, rng);
  const int S = net.topology.synapses(), N = net.topology.neurons, C = net.channels;
  const CellLayout syn_l = cell_layout(net.synapse_cell()), neu_l = cell_layout(net.neuron_cell());

  // A state away from zero: ten noiseless ticks on random inputs.
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> sensory(size_t(net.topology.inputs) * C);
  std::vector<float> syn_state(size_t(S) * syn_l.state_size, 0.0f), neu_state(size_t(N) * neu_l.state_size, 0.0f);
  for (int warm = 0; warm < 10; ++warm) {
    for (float& v : sensory) v = unit(rng);
    reference::network_tick(net, theta.data(), sensory.data(), nullptr, nullptr, syn_state.data(), neu_state.data());
  }

  std::vector<float> syn_noise(size_t(S) * C);
  fill_output_noise(net, CellRole::synapse, seed, member, lifetime, generation, tick, syn_noise.data());
  std::vector<float> clean_syn = syn_state, clean_neu = neu_state, noisy_syn = syn_state, noisy_neu = neu_state;
  reference::network_tick(net, theta.data(), sensory.data(), nullptr, nullptr, clean_syn.data(), clean_neu.data());
  reference::network_tick(net, theta.data(), sensory.data(), syn_noise.data(), nullptr, noisy_syn.data(),
                          noisy_neu.data());
  int graded = 0, moved = 0;
  for (int j = 0; j < S; ++j) {
    const float* clean = &clean_syn[size_t(j) * syn_l.state_size];
    const float* noisy = &noisy_syn[size_t(j) * syn_l.state_size];
    for (int m = 0; m < net.memory; ++m) EXPECT_EQ(noisy[syn_l.h + m], clean[syn_l.h + m]) << "synapse " << j;
    for (int c = 0; c < C; ++c) {
      // eps is the documented draw (compared as stored: an FMA-contracted
      // o + 0.05 * draw below would round once where the cell rounds twice).
      const float eps = syn_noise[size_t(j) * C + c];
      EXPECT_EQ(eps,
                0.05f * documented_draw(Stream::synapse_noise, seed, member, lifetime, generation, tick, S, C, j, c))
          << "synapse " << j << " channel " << c;
      const float o = clean[syn_l.o + c];
      if (o <= 0.0f || o >= 1.0f) continue;
      EXPECT_EQ(noisy[syn_l.o + c], std::clamp(o + eps, 0.0f, 1.0f)) << "synapse " << j << " channel " << c;
      ++graded;
      moved += noisy[syn_l.o + c] != o;
    }
  }
  EXPECT_GT(graded, S * C * 3 / 4);  // the check above really ran
  EXPECT_GT(moved, graded * 9 / 10);

  // The neurons' draws: the output_noise stream whatever output_noise_on says.
  NetworkSpec neurons_only = net;
  neurons_only.output_noise_on = NoiseCells::neurons;
  EXPECT_EQ(neurons_only.noise_std(CellRole::synapse), 0.0f);
  EXPECT_EQ(neurons_only.noise_std(CellRole::neuron), 0.05f);
  EXPECT_EQ(net.noise_std(CellRole::synapse), 0.05f);
  std::vector<float> with_all(size_t(N) * C), with_neurons(size_t(N) * C);
  fill_output_noise(net, CellRole::neuron, seed, member, lifetime, generation, tick, with_all.data());
  fill_output_noise(neurons_only, CellRole::neuron, seed, member, lifetime, generation, tick, with_neurons.data());
  EXPECT_EQ(with_all, with_neurons);
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      EXPECT_EQ(with_all[size_t(n) * C + c],
                0.05f * documented_draw(Stream::output_noise, seed, member, lifetime, generation, tick, N, C, n, c));
      // Synapse n is not neuron n: another stream, other numbers.
      EXPECT_NE(syn_noise[size_t(n) * C + c], with_all[size_t(n) * C + c]);
    }
  }
}

// Through the reference runner: after the first tick a neuron's memory h
// depends on its synapses' outputs, not on its own output noise (which enters
// only its read-out). So output noise on the neurons leaves every h as without
// noise, and noise on all cells moves them: the runner draws synapse noise
// exactly when output_noise_on is all.
TEST(NetworkNoise, RunnerDrawsSynapseNoiseOnlyForAll) {
  const ModelSpec model = small_random_network();
  std::mt19937 rng(5);
  std::vector<float> theta = random_weights(model, rng);
  lift_readout_bias(model.network, theta, rng);
  auto neuron_h_after_one_tick = [&](float noise, NoiseCells cells) {
    ModelSpec m = model;
    m.network.output_noise = noise;
    m.network.output_noise_on = cells;
    auto runner = make_reference_runner(m, ObservationShape{3, 4}, 1);
    runner->reset(theta.data(), 1, LifetimeSet{1, 0, 1}, 0, 1);
    std::vector<float> obs(12, 0.5f), actions(2);
    runner->step(obs.data(), actions.data());
    ModelState state;
    EXPECT_TRUE(runner->read_state(0, state));
    return state.neuron_h;
  };
  const std::vector<float> quiet = neuron_h_after_one_tick(0.0f, NoiseCells::neurons);
  EXPECT_EQ(neuron_h_after_one_tick(0.01f, NoiseCells::neurons), quiet);
  EXPECT_EQ(neuron_h_after_one_tick(0.0f, NoiseCells::all), quiet);
  EXPECT_NE(neuron_h_after_one_tick(0.01f, NoiseCells::all), quiet);
}

}  // namespace
}  // namespace enu
