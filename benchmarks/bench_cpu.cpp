// Google Benchmark harness for the CPU backends (DESIGN.md section 5): the
// machine's measured FP32 FMA peak, then single-unit and network steps of the
// fast and reference runners, whole-evaluator throughput and resident memory.
// Every throughput figure is also given as a fraction of the peak measured by
// this same binary at the same thread count. benchmarks/README.md explains the
// counters; benchmarks/RESULTS.md records runs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cpu_evaluator.hpp"
#include "cpu_peak.hpp"
#include "enu/evaluator.hpp"
#include "enu/model.hpp"
#include "enu/network.hpp"
#include "enu/task.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---- 1. the machine's FP32 FMA peak (host/cpu/cpu_peak.cpp) ------------------------

constexpr int64_t kFmaIterations = 4'000'000;  // ~0.02 s per thread at ~50 GFLOP/s/core

void BM_FmaPeak(benchmark::State& state) {
  const int threads = int(state.range(0));
  double flops = 0.0;
  const auto start = Clock::now();
  for (auto _ : state) flops += enu::fma_chains_threaded(threads, kFmaIterations);
  state.counters["GFLOP/s"] = flops * 1e-9 / seconds_since(start);
  // The best-of-10 figure the other benchmarks divide by.
  state.counters["peak_GFLOP/s"] = enu::cpu_peak_gflops(threads);
}
BENCHMARK(BM_FmaPeak)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->MinTime(0.3);

// ---- shared helpers ---------------------------------------------------------------

// Work-rate counters from totals over all iterations: cell steps (ENU ticks),
// FLOPs, optionally lifetimes, plus peak_frac against the peak at `threads`.
// Rates are per second of wall-clock time of the timed loop, measured here
// (the same span Google Benchmark times with UseRealTime), so that peak_frac
// is a plain ratio rather than a "/s" rate counter.
struct Work {
  double cell_steps = 0.0;
  double flops = 0.0;
  double lifetimes = 0.0;
};

void report(benchmark::State& state, const Work& work, double seconds, int threads) {
  const double gflops = work.flops * 1e-9 / seconds;
  state.counters["ticks/s"] = work.cell_steps / seconds;
  state.counters["GFLOP/s"] = gflops;
  if (work.lifetimes > 0) state.counters["lifetimes/s"] = work.lifetimes / seconds;
  state.counters["peak_frac"] = gflops / enu::cpu_peak_gflops(threads);
}

enu::ModelSpec single_unit_model() {
  enu::ModelSpec model;
  model.kind = enu::ModelSpec::Kind::cell;
  model.cell.kind = enu::CellKind::enu;
  model.cell.inputs = 4;
  model.cell.memory = 32;
  model.cell.outputs = 1;
  return model;
}

// The published maze network (DESIGN.md sections 2.2 and 5): 4 inputs, 6
// neurons of which 3 are read out, fan-in 8, C = 16, M = 32, ENU everywhere.
enu::ModelSpec maze_network_model() {
  enu::ModelSpec model;
  model.kind = enu::ModelSpec::Kind::network;
  model.network.topology = enu::random_topology(4, 6, 3, 8, /*seed=*/1);
  model.network.channels = 16;
  model.network.memory = 32;
  model.network.synapse_kind = enu::CellKind::enu;
  model.network.neuron_kind = enu::CellKind::enu;
  model.network.output_noise = 0.01f;
  return model;
}

// Deterministic pseudo-random floats in [0, 1) (a 64-bit LCG: benchmark inputs only).
struct Lcg {
  uint64_t state;
  float next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return float(state >> 40) * (1.0f / 16777216.0f);
  }
};

// ---- 2, 3. one runner step ----------------------------------------------------------

// Steps `lifetimes` lifetimes of one member with fresh random observations,
// cycling through a pool of them so that generating inputs is not timed.
void run_step_benchmark(benchmark::State& state, const enu::ModelSpec& model, enu::ObservationShape shape,
                        bool fast, int lifetimes) {
  auto runner = fast ? enu::make_fast_runner(model, shape, lifetimes)
                     : enu::make_reference_runner(model, shape, lifetimes);
  std::vector<float> theta(model.param_count());
  model.init_params(7, theta.data());
  const enu::LifetimeSet set{11, 0, lifetimes};
  runner->reset(theta.data(), 0, set, 0, lifetimes);

  constexpr int kObservationPool = 64;
  const size_t obs_size = size_t(lifetimes) * shape.sources * shape.channels;
  std::vector<float> observations(kObservationPool * obs_size);
  Lcg rng{12345};
  for (float& x : observations) x = rng.next();
  std::vector<float> actions(size_t(lifetimes) * model.output_count());

  enu::cpu_peak_gflops(1);  // measured (once) before the clock starts
  int64_t steps = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    runner->step(&observations[size_t(steps % kObservationPool) * obs_size], actions.data());
    benchmark::DoNotOptimize(actions.data());
    benchmark::ClobberMemory();
    ++steps;
  }
  const double seconds = seconds_since(start);
  Work work;
  work.cell_steps = double(steps) * lifetimes * model.cell_steps_per_step();
  work.flops = double(steps) * lifetimes * model.flops_per_step();
  report(state, work, seconds, 1);
  state.counters["lifetimes"] = lifetimes;
}

void BM_SingleUnitStep_Fast(benchmark::State& state) {
  run_step_benchmark(state, single_unit_model(), {1, 4}, true, 32);
}
void BM_SingleUnitStep_Reference(benchmark::State& state) {
  run_step_benchmark(state, single_unit_model(), {1, 4}, false, 32);
}
void BM_MazeNetworkStep_Fast(benchmark::State& state) {
  run_step_benchmark(state, maze_network_model(), {4, 3}, true, 8);
}
void BM_MazeNetworkStep_Reference(benchmark::State& state) {
  run_step_benchmark(state, maze_network_model(), {4, 3}, false, 8);
}
BENCHMARK(BM_SingleUnitStep_Fast)->UseRealTime()->MinTime(0.3);
BENCHMARK(BM_SingleUnitStep_Reference)->UseRealTime()->MinTime(0.3);
BENCHMARK(BM_MazeNetworkStep_Fast)->UseRealTime()->MinTime(0.3);
BENCHMARK(BM_MazeNetworkStep_Reference)->UseRealTime()->MinTime(0.3);

// ---- 4. whole-evaluator throughput ------------------------------------------------

// A stand-in for the maze until it exists: 4 sources x 3 channels of
// deterministic pseudo-random observations, 3 actions, fitness = mean action.
// Cheap on purpose, so the figure is the model's cost, not the environment's.
class RandomInputTask final : public enu::Task {
 public:
  explicit RandomInputTask(int steps) : steps_(steps) {}
  std::string name() const override { return "random_input"; }
  int steps() const override { return steps_; }
  enu::ObservationShape observation_shape() const override { return {4, 3}; }
  int action_count() const override { return 3; }
  std::unique_ptr<enu::Environment> make_environment(int capacity) const override {
    return std::make_unique<Env>(capacity);
  }

 private:
  class Env final : public enu::Environment {
   public:
    explicit Env(int capacity) : sum_(size_t(capacity)), last_(size_t(capacity)) {}
    void reset(const enu::LifetimeSet& set, int first, int count) override {
      count_ = count;
      first_ = first;
      seed_ = set.seed ^ (set.generation << 32);
      std::fill(sum_.begin(), sum_.end(), 0.0f);
      std::fill(last_.begin(), last_.end(), 0.0f);
      steps_ = 0;
    }
    void observe(int step, float* observations) override {
      for (int i = 0; i < count_; ++i) {
        Lcg rng{seed_ + uint64_t(first_ + i) * 1000003u + uint64_t(step) * 7919u};
        for (int k = 0; k < 12; ++k) observations[size_t(i) * 12 + k] = rng.next();
      }
    }
    void act(int, const float* actions) override {
      for (int i = 0; i < count_; ++i) {
        last_[size_t(i)] = (actions[i * 3] + actions[i * 3 + 1] + actions[i * 3 + 2]) / 3.0f;
        sum_[size_t(i)] += last_[size_t(i)];
      }
      ++steps_;
    }
    void fitness(float* out) const override {
      for (int i = 0; i < count_; ++i) out[i] = steps_ ? sum_[size_t(i)] / float(steps_) : 0.0f;
    }
    float last_reward(int i) const override { return last_[size_t(i)]; }

   private:
    std::vector<float> sum_, last_;
    int count_ = 0, first_ = 0, steps_ = 0;
    uint64_t seed_ = 0;
  };
  int steps_;
};

struct EvaluatorCase {
  enu::ModelSpec model;
  std::shared_ptr<const enu::Task> task;
  enu::CpuRunnerKind kind;
  int threads;
  int members;
  int lifetimes;
  int lifetimes_per_item;
};

void run_evaluator_benchmark(benchmark::State& state, const EvaluatorCase& c) {
  auto evaluator = enu::make_cpu_evaluator(c.kind, c.model, c.task, c.threads, c.lifetimes_per_item);
  std::vector<float> centre(c.model.param_count());
  c.model.init_params(3, centre.data());
  enu::Population pop = enu::Population::mirrored(centre.data(), centre.size(), c.members, 0.01f).with_seed(5);
  std::vector<float> fitness(size_t(c.members) * c.lifetimes);

  enu::cpu_peak_gflops(c.threads);
  int64_t generations = 0;
  const auto start = Clock::now();
  for (auto _ : state) {
    pop.generation = uint64_t(generations);
    evaluator->evaluate(pop, enu::LifetimeSet{5, pop.generation, c.lifetimes}, fitness.data());
    benchmark::DoNotOptimize(fitness.data());
    benchmark::ClobberMemory();
    ++generations;
  }
  const double seconds = seconds_since(start);
  const double lifetimes = double(generations) * c.members * c.lifetimes;
  Work work;
  work.lifetimes = lifetimes;
  work.cell_steps = lifetimes * c.task->steps() * c.model.cell_steps_per_step();
  work.flops = lifetimes * c.task->steps() * c.model.flops_per_step();
  report(state, work, seconds, c.threads);
}

std::shared_ptr<const enu::Task> stdp_task() {
  enu::TaskConfig config;
  config.name = "stdp";
  return enu::make_task(config);
}

void BM_EvaluatorMaze_Fast(benchmark::State& state) {
  const int threads = int(state.range(0));
  run_evaluator_benchmark(state, {maze_network_model(), std::make_shared<RandomInputTask>(100),
                                  enu::CpuRunnerKind::fast, threads, 16, 8, 8});
}
void BM_EvaluatorMaze_Reference(benchmark::State& state) {
  // Fewer members: the reference backend is the slow baseline, and rates do not
  // depend on the population size.
  run_evaluator_benchmark(state, {maze_network_model(), std::make_shared<RandomInputTask>(100),
                                  enu::CpuRunnerKind::reference, 1, 4, 8, 8});
}
void BM_EvaluatorStdp_Fast(benchmark::State& state) {
  const int threads = int(state.range(0));
  run_evaluator_benchmark(state, {single_unit_model(), stdp_task(), enu::CpuRunnerKind::fast, threads, 64, 32, 32});
}
void BM_EvaluatorStdp_Reference(benchmark::State& state) {
  run_evaluator_benchmark(state, {single_unit_model(), stdp_task(), enu::CpuRunnerKind::reference, 1, 64, 32, 32});
}
BENCHMARK(BM_EvaluatorMaze_Fast)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->MinTime(0.5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluatorMaze_Reference)->UseRealTime()->MinTime(0.5)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluatorStdp_Fast)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->MinTime(0.5)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluatorStdp_Reference)->UseRealTime()->MinTime(0.5)->Unit(benchmark::kMillisecond);

// ---- 5. resident memory --------------------------------------------------------------

// VmRSS of this process in MiB (Linux), 0 where /proc is not available.
double resident_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  }
  return 0.0;
}

// The published population (512 members x 8 lifetimes) on the fast evaluator:
// memory before and after construction and after a few generations, each of
// only a few steps so that it stays quick. Buffers are allocated once at
// construction, so the last two figures should match.
void BM_MemoryFastEvaluator(benchmark::State& state) {
  constexpr int kMembers = 512, kLifetimes = 8, kSteps = 2, kGenerations = 3;
  const enu::ModelSpec model = maze_network_model();
  for (auto _ : state) {
    const double before = resident_mib();
    auto evaluator = enu::make_cpu_evaluator(enu::CpuRunnerKind::fast, model,
                                             std::make_shared<RandomInputTask>(kSteps), 2, kLifetimes);
    std::vector<float> centre(model.param_count());
    model.init_params(3, centre.data());
    std::vector<float> fitness(size_t(kMembers) * kLifetimes);
    const double constructed = resident_mib();
    enu::Population pop = enu::Population::mirrored(centre.data(), centre.size(), kMembers, 0.01f).with_seed(5);
    std::vector<double> after_generation;
    for (int g = 0; g < kGenerations; ++g) {
      pop.generation = uint64_t(g);
      evaluator->evaluate(pop, enu::LifetimeSet{5, pop.generation, kLifetimes}, fitness.data());
      benchmark::DoNotOptimize(fitness.data());
      after_generation.push_back(resident_mib());
    }
    state.counters["rss_MiB_before"] = before;
    state.counters["rss_MiB_constructed"] = constructed;
    state.counters["rss_MiB_after_gen1"] = after_generation.front();
    state.counters["rss_MiB_after"] = after_generation.back();
    std::fprintf(stderr, "memory: VmRSS %.1f MiB before, %.1f MiB with the fast evaluator (512 x 8, 2 threads),"
                 " %.1f MiB after generation 1, %.1f MiB after generation %d\n",
                 before, constructed, after_generation.front(), after_generation.back(), kGenerations);
  }
}
BENCHMARK(BM_MemoryFastEvaluator)->Iterations(1)->Repetitions(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
