// The CPU backends beyond the parity suite (tests/parity/backend_parity.cpp,
// instantiated here for every registered CPU backend): the fast cell's row
// tiles; the fast evaluator against the reference on networks fed random
// observations and on random draws over the config space; its determinism
// across threads and work item sizes; and which of a model's outputs a task
// acts on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/model.hpp"
#include "enu/philox.hpp"
#include "fast/batched_cell.hpp"
#include "parity/parity.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace enu {

namespace parity {
// The parity suite over every registered CPU backend.
INSTANTIATE_TEST_SUITE_P(Registry, BackendParity, ::testing::ValuesIn(backends_to_check(false)), backend_name);
}  // namespace parity

namespace {

using parity::cell_theta;
using parity::compare;
using parity::network_theta;

const CellKind kKinds[] = {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm};

// ---- the fast cell's row tiles ---------------------------------------------------

// Rows are independent: a batch of 1,000 rows, which the fast cell steps in
// cache-sized tiles (several, the last one partial), gives every row exactly
// the outputs the same row gets stepped alone, bit for bit, for every cell kind
// over 20 steps with output noise.
TEST(BackendRunner, RowTilesDoNotChangeResults) {
  const int rows = 1000, steps = 20;
  for (CellKind kind : kKinds) {
    SCOPED_TRACE(to_string(kind));
    const CellSpec spec{kind, 4, 32, 3, false};
    const std::vector<float> theta = cell_theta(spec, 0.2f, 17);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<float> inputs(size_t(steps) * rows * spec.inputs), noise(size_t(steps) * rows * spec.outputs);
    for (float& x : inputs) x = unit(rng);
    for (float& x : noise) x = 0.05f * (unit(rng) - 0.5f);

    fast::BatchedCell batch(spec, rows);
    batch.set_params(theta.data());
    batch.reset(rows);
    std::vector<float> together(size_t(steps) * rows * spec.outputs);
    for (int t = 0; t < steps; ++t) {
      for (int r = 0; r < rows; ++r) {
        std::copy_n(&inputs[(size_t(t) * rows + r) * spec.inputs], spec.inputs, batch.input(r));
      }
      batch.step(&noise[size_t(t) * rows * spec.outputs]);
      for (int r = 0; r < rows; ++r) {
        std::copy_n(batch.output(r), spec.outputs, &together[(size_t(t) * rows + r) * spec.outputs]);
      }
    }

    fast::BatchedCell alone(spec, 1);
    alone.set_params(theta.data());
    for (int r = 0; r < rows; r += 37) {  // every 37th row: all tiles, both ends of each
      alone.reset(1);
      for (int t = 0; t < steps; ++t) {
        std::copy_n(&inputs[(size_t(t) * rows + r) * spec.inputs], spec.inputs, alone.input(0));
        alone.step(&noise[(size_t(t) * rows + r) * spec.outputs]);
        for (int k = 0; k < spec.outputs; ++k) {
          ASSERT_EQ(alone.output(0)[k], together[(size_t(t) * rows + r) * spec.outputs + k])
              << "row " << r << " step " << t << " output " << k;
        }
      }
    }
  }
}

// ---- evaluators ---------------------------------------------------------------------

// A task for networks: random observations from the environment stream (a pure
// function of seed, lifetime, generation, step) and fitness = mean action.
class RandomObservationTask final : public Task {
 public:
  RandomObservationTask(int sources, int channels, int actions, int steps)
      : sources_(sources), channels_(channels), actions_(actions), steps_(steps) {}
  std::string name() const override { return "random_observations"; }
  int steps() const override { return steps_; }
  ObservationShape observation_shape() const override { return {sources_, channels_}; }
  int action_count() const override { return actions_; }

  class Env final : public Environment {
   public:
    Env(const RandomObservationTask& task, int capacity) : task_(task), sums_(size_t(capacity)) {}
    void reset(const LifetimeSet& set, int first, int count) override {
      set_ = set;
      first_ = first;
      count_ = count;
      std::fill(sums_.begin(), sums_.end(), 0.0);
    }
    void observe(int step, float* observations) override {
      const size_t stride = size_t(task_.sources_) * task_.channels_;
      for (int i = 0; i < count_; ++i) {
        CounterRng rng(stream_key(set_.seed, Stream::environment), uint32_t(first_ + i), uint32_t(set_.generation),
                       uint32_t(step));
        for (size_t k = 0; k < stride; ++k) observations[size_t(i) * stride + k] = rng.uniform(0.0f, 1.0f);
      }
    }
    void act(int, const float* actions) override {
      for (int i = 0; i < count_; ++i) {
        for (int k = 0; k < task_.actions_; ++k) sums_[size_t(i)] += actions[size_t(i) * task_.actions_ + k];
      }
    }
    void fitness(float* out) const override {
      for (int i = 0; i < count_; ++i) out[i] = float(sums_[size_t(i)] / (double(task_.steps_) * task_.actions_));
    }
    float last_reward(int) const override { return 0.0f; }

   private:
    const RandomObservationTask& task_;
    LifetimeSet set_;
    int first_ = 0, count_ = 0;
    std::vector<double> sums_;
  };

  std::unique_ptr<Environment> make_environment(int capacity) const override {
    return std::make_unique<Env>(*this, capacity);
  }

 private:
  int sources_, channels_, actions_, steps_;
};

ModelSpec small_network_model() {
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  model.network.topology = random_topology(3, 4, 2, 3, 8);
  model.network.channels = 6;
  model.network.memory = 8;
  model.network.ticks_per_step = 2;
  model.network.output_noise = 0.01f;
  return model;
}

struct EvalCase {
  std::string name;
  ModelSpec model;
  std::shared_ptr<const Task> task;
};

std::vector<EvalCase> eval_cases() {
  std::vector<EvalCase> cases;
  ModelSpec cell;
  cell.cell = CellSpec{CellKind::enu, 4, 32, 1, false};
  TaskConfig stdp;
  stdp.name = "stdp";
  stdp.stdp.steps = 60;
  cases.push_back({"stdp", cell, make_task(stdp)});
  TaskConfig iaf;
  iaf.name = "iaf";
  iaf.iaf.steps = 60;
  cases.push_back({"iaf", cell, make_task(iaf)});
  cases.push_back({"network", small_network_model(), std::make_shared<RandomObservationTask>(3, 4, 2, 30)});
  return cases;
}

std::vector<float> evaluate(CpuRunnerKind kind, const EvalCase& c, const std::vector<float>& centre, int threads,
                            int lifetimes_per_item, int members, int lifetimes) {
  auto evaluator = make_cpu_evaluator(kind, c.model, c.task, threads, lifetimes_per_item);
  const Population pop =
      Population::mirrored(centre.data(), centre.size(), members, 0.05f).with_seed(31).at_generation(2);
  std::vector<float> fitness(size_t(members) * lifetimes, std::nanf(""));
  evaluator->evaluate(pop, LifetimeSet{31, 2, lifetimes}, fitness.data());
  return fitness;
}

std::vector<float> centre_for(const ModelSpec& model) {
  if (model.kind == ModelSpec::Kind::network) return network_theta(model.network, 41);
  return cell_theta(model.cell, 0.2f, 41);
}

// Fast and reference evaluators give the same fitness vectors for 6 members x 3
// lifetimes, sigma 0.05, on stdp and iaf (single cell) and the random-observation
// network task. Fitness is a mean (or -MSE) over the rollout, so per-step
// differences average out: atol 1e-5 + rtol 1e-4 (measured: at most 1e-6 on
// iaf's fitness of -5, i.e. 2e-7 relative).
TEST(BackendEvaluator, FastMatchesReference) {
  const int members = 6, lifetimes = 3;
  for (const EvalCase& c : eval_cases()) {
    SCOPED_TRACE(c.name);
    const std::vector<float> centre = centre_for(c.model);
    const std::vector<float> fast = evaluate(CpuRunnerKind::fast, c, centre, 2, 2, members, lifetimes);
    const std::vector<float> ref = evaluate(CpuRunnerKind::reference, c, centre, 2, 2, members, lifetimes);
    const parity::Comparison fitness = compare(fast, ref, 1e-5, 1e-4, {{"member", members}, {"lifetime", lifetimes}});
    EXPECT_EQ(fitness.bad, 0) << fitness.first;
    // Members differ from each other (the perturbations reach the runner).
    EXPECT_NE(ref[0], ref[size_t(lifetimes)]);
  }
}

// The fast evaluator is deterministic in the thread count and in how lifetimes
// are grouped into work items: threads 1, 2, 3 and lifetimes_per_item 1 and 4
// (5 lifetimes: items of 4 + 1) give bit-identical fitness vectors, because
// every row of a batched GEMM is computed in the same order whatever the batch.
TEST(BackendEvaluator, FastIsBitIdenticalAcrossThreadsAndItems) {
  const int members = 6, lifetimes = 5;
  for (const EvalCase& c : eval_cases()) {
    if (c.name == "iaf") continue;  // stdp covers the single cell
    SCOPED_TRACE(c.name);
    const std::vector<float> centre = centre_for(c.model);
    const std::vector<float> base = evaluate(CpuRunnerKind::fast, c, centre, 1, 1, members, lifetimes);
    for (float f : base) ASSERT_TRUE(std::isfinite(f));
    for (int threads : {1, 2, 3}) {
      for (int per_item : {1, 4}) {
        if (threads == 1 && per_item == 1) continue;
        const std::vector<float> other = evaluate(CpuRunnerKind::fast, c, centre, threads, per_item, members, lifetimes);
        for (size_t i = 0; i < base.size(); ++i) {
          EXPECT_EQ(other[i], base[i]) << "threads " << threads << " lifetimes_per_item " << per_item << " member "
                                       << i / lifetimes << " lifetime " << i % lifetimes;
        }
      }
    }
  }
}

// ---- which outputs a task acts on ---------------------------------------------------

// A single-unit task acts on output channel 0 of the cell, whatever O is. With
// O = 3 and two lifetimes per work item (where a stride of 1 instead of O would
// hand the second lifetime of each item channel 1 of the first), both
// evaluators must give the fitness of each lifetime run alone through the
// reference runner with the task reading channel 0: the reference evaluator
// bit for bit (the same scalar loops), the fast one within FastMatchesReference's
// tolerance.
TEST(BackendEvaluator, SingleUnitTasksActOnChannelZero) {
  const int members = 2, lifetimes = 4;
  for (const char* name : {"iaf", "stdp", "stdp_complex"}) {
    SCOPED_TRACE(name);
    TaskConfig config;
    config.name = name;
    config.iaf.steps = config.stdp.steps = 60;
    const std::shared_ptr<const Task> task = make_task(config);
    ModelSpec model;
    model.cell = CellSpec{CellKind::enu, 4, 8, 3, false};
    const std::vector<float> centre = cell_theta(model.cell, 0.2f, 41);
    // The population and lifetimes evaluate() hands the evaluators.
    const Population pop =
      Population::mirrored(centre.data(), centre.size(), members, 0.05f).with_seed(31).at_generation(2);
    const LifetimeSet set{31, 2, lifetimes};

    std::vector<float> alone(size_t(members) * lifetimes), theta(centre.size());
    const ObservationShape shape = task->observation_shape();
    std::vector<float> observations(size_t(shape.sources) * shape.channels), outputs(size_t(model.cell.outputs));
    auto runner = make_reference_runner(model, shape, 1);
    auto env = task->make_environment(1);
    for (int m = 0; m < members; ++m) {
      member_params(pop, m, theta.data());
      for (int e = 0; e < lifetimes; ++e) {
        runner->reset(theta.data(), pop.member_id(m), set, e, 1);
        env->reset(set, e, 1);
        for (int step = 0; step < task->steps(); ++step) {
          env->observe(step, observations.data());
          runner->step(observations.data(), outputs.data());
          env->act(step, &outputs[0]);  // one lifetime: its action is channel 0
        }
        env->fitness(&alone[size_t(m) * lifetimes + e]);
      }
    }

    for (CpuRunnerKind kind : {CpuRunnerKind::reference, CpuRunnerKind::fast}) {
      SCOPED_TRACE(kind == CpuRunnerKind::fast ? "fast" : "reference");
      const std::vector<float> fitness = evaluate(kind, EvalCase{name, model, task}, centre, 1, 2, members, lifetimes);
      for (size_t i = 0; i < alone.size(); ++i) {
        const double tolerance = kind == CpuRunnerKind::reference ? 0.0 : 1e-5 + 1e-4 * std::abs(alone[i]);
        EXPECT_LE(std::abs(double(fitness[i]) - alone[i]), tolerance)
            << "member " << i / lifetimes << " lifetime " << i % lifetimes << ": " << fitness[i]
            << ", alone on channel 0 " << alone[i];
      }
    }
  }
}

// ---- randomized: fast against reference across the config space -------------------

// One drawn configuration: a model, a task it fits, and how lifetimes are grouped.
struct DrawnCase {
  EvalCase eval;  // its name says what was drawn
  int lifetimes_per_item = 1;
  // Fitness decided by thresholds (spikes, o > 0.5, the maze's argmax), where a
  // rounding difference can flip a decision and with it the whole lifetime.
  bool thresholded = false;
};

DrawnCase draw_case(int family, std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  // Memory sizes on and off the multiples of 8 and 16 the fast GEMM tiles by.
  const int memories[] = {1, 3, 5, 7, 8, 12, 16, 17, 24, 33};
  const int memory = memories[pick(0, 9)];
  const CellKind kind = kKinds[pick(0, 3)];
  DrawnCase c;
  c.lifetimes_per_item = pick(1, 4);
  std::ostringstream what;
  what << "per item " << c.lifetimes_per_item << ", ";
  TaskConfig task;
  task.iaf.steps = task.stdp.steps = 40;
  task.stdp.spike_mean = 20.0f;
  task.stdp.spike_std = 5.0f;
  task.maze.steps = 60;
  if (family == 0 || family == 3) {  // a single cell: a single-unit task, or the whole agent of a maze
    const char* names[] = {"iaf", "stdp", "stdp_complex"};
    const bool maze = family == 3;
    task.name = maze ? (pick(0, 1) ? "tmaze" : "double_tmaze") : names[pick(0, 2)];
    const int inputs = maze ? maze::kSources * maze::kChannels : task_entry(task.name).min_inputs + pick(0, 3);
    const bool spiking = pick(0, 3) == 0;
    c.eval.model.cell = CellSpec{kind, inputs, memory, maze ? maze::kActions : pick(1, 3), spiking};
    c.thresholded = maze || spiking || task.name == "iaf";
    what << task.name << ", " << to_string(kind) << " cell I " << inputs << " M " << memory << " O "
         << c.eval.model.cell.outputs << (spiking ? " spiking" : "");
    c.eval.task = make_task(task);
  } else {  // a network: random observations, or a maze agent
    const bool maze = family == 2;
    if (maze) task.name = pick(0, 1) ? "tmaze" : "double_tmaze";
    NetworkSpec& net = c.eval.model.network;
    const int inputs = maze ? task_entry(task.name).min_inputs : pick(1, 4);
    const int outputs = maze ? maze::kActions : pick(1, 3);
    const int neurons = pick(outputs, 6);
    const int fan_in = pick(1, std::min(6, inputs + neurons));
    net.topology = random_topology(inputs, neurons, outputs, fan_in, uint64_t(pick(1, 1000)));
    net.channels = maze ? pick(maze::kChannels, 7) : pick(1, 7);
    net.memory = memory;
    net.shared = pick(0, 2) == 0;
    net.synapse_kind = kind;
    net.neuron_kind = net.shared ? kind : kKinds[pick(0, 3)];
    net.ticks_per_step = pick(1, 2);
    // Mazes as their configs have it: with noise. Without, read-out neurons fed
    // alike tie for the argmax so often that an ulp decides many moves.
    net.output_noise = maze || pick(0, 1) ? 0.01f : 0.0f;
    net.output_noise_on = pick(0, 1) ? NoiseCells::all : NoiseCells::neurons;
    net.spiking = pick(0, 3) == 0;
    validate(net, "draw_case");
    c.eval.model.kind = ModelSpec::Kind::network;
    c.thresholded = maze || net.spiking;
    const int channels = maze ? maze::kChannels : pick(1, net.channels);
    c.eval.task = maze ? make_task(task) : std::make_shared<RandomObservationTask>(inputs, channels, outputs, 30);
    what << (maze ? task.name : "random observations (" + std::to_string(channels) + " channels)") << ", network "
         << inputs << " inputs " << neurons << " neurons " << outputs << " out K " << fan_in << " C " << net.channels
         << " M " << memory << " " << to_string(net.synapse_kind) << "/" << to_string(net.neuron_kind)
         << (net.shared ? " shared" : "") << " ticks " << net.ticks_per_step << " noise " << net.output_noise
         << " on " << to_string(net.output_noise_on) << (net.spiking ? " spiking" : "");
  }
  c.eval.name = what.str();
  return c;
}

// Theta for a drawn model: weights N(0, s^2), s = 1.2 / sqrt(U + 1) per cell,
// the stable regime of the tests above, whatever the sizes.
std::vector<float> drawn_theta(const ModelSpec& model, uint32_t seed) {
  if (model.kind == ModelSpec::Kind::network) return network_theta(model.network, seed);
  const float scale = 1.2f / std::sqrt(float(cell_layout(model.cell).gate_inputs + 1));
  return cell_theta(model.cell, scale, seed);
}

// 48 seeded draws over the config space: every cell kind, O = 1..3, spare input
// channels (zero-padded), memory sizes on and off the GEMM tiles, networks of
// any fan-in and channel count, shared or not, with and without noise and
// spikes, and every task; 3 members x 5 lifetimes each, grouped 1..4 per work
// item, on both evaluators. Fitness must agree to FastMatchesReference's
// tolerance (atol 1e-5 + rtol 1e-4: per-step differences of a few ulps average
// out over a lifetime). Where thresholds decide the fitness, an ulp at a
// threshold flips a spike or a move and the rest of the lifetime with it: there
// at most 2% of the values may differ, and 3 of the 15 of any one case
// (measured over 41 draws of the 48 cases: none of ~20,000), while a wrong index
// or stride changes nearly all the values of the cases it touches. Run under the
// sanitizers, an out-of-bounds read or write in either backend fails it.
TEST(BackendEvaluator, RandomConfigsFastMatchesReference) {
  const int cases = 48, members = 3, lifetimes = 5;
  std::mt19937 rng(20261127);
  int thresholded_values = 0, thresholded_differ = 0;
  for (int i = 0; i < cases; ++i) {
    const DrawnCase c = draw_case(i % 4, rng);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.eval.name);
    const std::vector<float> centre = drawn_theta(c.eval.model, uint32_t(i));
    const std::vector<float> ref =
        evaluate(CpuRunnerKind::reference, c.eval, centre, 2, c.lifetimes_per_item, members, lifetimes);
    const std::vector<float> fast = evaluate(CpuRunnerKind::fast, c.eval, centre, 2, c.lifetimes_per_item, members, lifetimes);
    for (size_t k = 0; k < ref.size(); ++k) {
      ASSERT_TRUE(std::isfinite(ref[k]) && std::isfinite(fast[k])) << "value " << k << ": " << ref[k] << " " << fast[k];
    }
    const int differ = compare(fast, ref, 1e-5, 1e-4, {{"member", members}, {"lifetime", lifetimes}}).bad;
    EXPECT_LE(differ, c.thresholded ? 3 : 0) << "fitness values differ, of " << ref.size();
    if (c.thresholded) {
      thresholded_values += int(ref.size());
      thresholded_differ += differ;
    }
  }
  EXPECT_LE(thresholded_differ, thresholded_values / 50)
      << "fitness values that differ where thresholds decide, of " << thresholded_values;
}

}  // namespace
}  // namespace enu
