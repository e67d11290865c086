// The CUDA backend against the CPU reference on fresh random parameters: per-step
// outputs of single cells and networks, fitness vectors of the single-unit
// tasks, and a whole ES generation. Every test skips, saying why, without a device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <tuple>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/cuda_backend.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/single_unit_tasks.hpp"
#include "enu/strategy.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

#define ENU_REQUIRE_DEVICE()                                              \
  do {                                                                    \
    std::string why_;                                                     \
    if (cuda_device_count(&why_) == 0) GTEST_SKIP() << "no CUDA device: " << why_; \
  } while (0)

// Published initialisation plus N(0, 0.1^2): gates away from their resting
// values, read-out graded rather than clamped.
std::vector<float> random_theta(const ModelSpec& model, uint64_t seed) {
  std::vector<float> theta(model.param_count());
  model.init_params(seed, theta.data());
  std::mt19937 rng{uint32_t(seed)};
  std::normal_distribution<float> noise(0.0f, 0.1f);
  for (float& t : theta) t += noise(rng);
  return theta;
}

std::vector<float> random_observations(size_t count, uint64_t seed) {
  std::mt19937 rng{uint32_t(seed)};
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> obs(count);
  for (float& o : obs) o = uniform(rng);
  return obs;
}

// The CPU reference runner over the same observations: [lifetimes x steps x actions].
std::vector<float> reference_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                                    const std::vector<float>& observations, int steps, const LifetimeSet& set) {
  auto runner = make_reference_runner(model, shape, set.count);
  const int A = model.action_count();
  const size_t obs_size = size_t(shape.sources) * shape.channels;
  runner->reset(theta.data(), kCentreMemberId, set, 0, set.count);
  std::vector<float> step_obs(set.count * obs_size), step_actions(size_t(set.count) * A), out(size_t(set.count) * steps * A);
  for (int t = 0; t < steps; ++t) {
    for (int e = 0; e < set.count; ++e) {
      std::copy_n(&observations[(size_t(e) * steps + t) * obs_size], obs_size, &step_obs[e * obs_size]);
    }
    runner->step(step_obs.data(), step_actions.data());
    for (int e = 0; e < set.count; ++e) {
      std::copy_n(&step_actions[size_t(e) * A], A, &out[(size_t(e) * steps + t) * A]);
    }
  }
  return out;
}

// Per element |gpu - cpu| <= atol + rtol |cpu| (NaN fails), and over the whole
// rollout sum (gpu-cpu)^2 / sum cpu^2 < 1e-8. The device uses expf/tanhf (a few
// ulp) and its own FMA order; after 60 steps of a contracting recurrence that
// stays near 1e-6 absolute, so atol 1e-4 leaves a wide margin while a wrong
// gate or index gives O(0.1) errors.
void expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  double err = 0.0, norm = 0.0;
  int bad = 0;
  std::ostringstream first;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double diff = std::abs(double(gpu[i]) - cpu[i]);
    err += diff * diff;
    norm += double(cpu[i]) * cpu[i];
    if (!(diff <= 1e-4 + 1e-3 * std::abs(cpu[i]))) {
      if (++bad <= 5) first << " [" << i << "] gpu " << gpu[i] << " cpu " << cpu[i];
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << cpu.size() << " differ:" << first.str();
  EXPECT_LT(err / std::max(norm, 1e-30), 1e-8) << what;
}

// Spike outputs are 0/1 steps: one that sits on the threshold may flip, so
// require agreement on 99% of steps instead of elementwise closeness.
void expect_mostly_equal(const std::vector<float>& gpu, const std::vector<float>& cpu, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size());
  int agree = 0;
  for (size_t i = 0; i < cpu.size(); ++i) agree += std::abs(gpu[i] - cpu[i]) <= 1e-3f;
  EXPECT_GE(agree, int(0.99 * cpu.size())) << what;
}

TEST(CudaParity, SingleCellsMatchReferencePerStep) {
  ENU_REQUIRE_DEVICE();
  const LifetimeSet set{11, 3, 5};
  const int steps = 60;
  // M = 32, 48, 100: one, two and four memory cells per lane (the kernels' variants).
  for (CellKind kind : {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm}) {
    for (int outputs : {1, 3}) {
      for (bool spiking : {false, true}) {
        for (int memory : {32, 48, 100}) {
          ModelSpec model;
          model.cell = CellSpec{kind, 4, memory, outputs, spiking};
          const ObservationShape shape{1, 4};
          const std::vector<float> theta = random_theta(model, 7 + outputs);
          const std::vector<float> obs = random_observations(size_t(set.count) * steps * 4, 5);
          const auto cpu = reference_replay(model, shape, theta, obs, steps, set);
          const auto gpu = cuda_replay(model, shape, theta, obs, steps, set);
          const std::string what = std::string(to_string(kind)) + " M=" + std::to_string(memory) + " O=" +
                                   std::to_string(outputs) + (spiking ? " spiking" : "");
          if (spiking) {
            expect_mostly_equal(gpu, cpu, what);
          } else {
            expect_close(gpu, cpu, what);
          }
        }
      }
    }
  }
}

NetworkSpec network(int inputs, int neurons, int outputs, int fan_in, int channels, int memory, uint64_t seed) {
  NetworkSpec net;
  net.topology = random_topology(inputs, neurons, outputs, fan_in, seed);
  net.channels = channels;
  net.memory = memory;
  return net;
}

TEST(CudaParity, NetworksMatchReferencePerStep) {
  ENU_REQUIRE_DEVICE();
  std::vector<std::pair<std::string, NetworkSpec>> cases;
  cases.emplace_back("published maze shape", network(4, 6, 3, 8, 16, 32, 1));
  NetworkSpec table = network(3, 4, 2, 3, 5, 7, 2);
  table.topology = topology_from_table(3, 2, {{0, 1, 2}, {3, 4, 0}, {5, 6, 1}, {2, 3, 4}}, "test");
  cases.emplace_back("explicit table, odd sizes", table);
  NetworkSpec shared = network(4, 6, 3, 8, 16, 32, 3);
  shared.shared = true;
  cases.emplace_back("SHARED", shared);
  NetworkSpec mixed = network(4, 5, 2, 4, 8, 16, 4);
  mixed.synapse_kind = CellKind::nfenu;
  mixed.neuron_kind = CellKind::gru;
  cases.emplace_back("NFENU synapses, GRU neurons", mixed);
  NetworkSpec lstm = network(4, 5, 2, 4, 8, 16, 5);
  lstm.synapse_kind = lstm.neuron_kind = CellKind::lstm;
  cases.emplace_back("LSTM", lstm);
  cases.emplace_back("M = 48: two memory cells per lane", network(4, 6, 3, 8, 8, 48, 6));
  NetworkSpec wide = network(3, 3, 2, 2, 4, 100, 7);
  wide.shared = true;  // one cell's parameters: within shared memory at M = 100
  cases.emplace_back("M = 100, SHARED: four memory cells per lane", wide);
  const LifetimeSet set{21, 4, 3};
  const int steps = 30;
  for (auto& [name, net] : cases) {
    for (int ticks : {1, 2}) {
      net.ticks_per_step = ticks;
      ModelSpec model;
      model.kind = ModelSpec::Kind::network;
      model.network = net;
      const ObservationShape shape{net.topology.inputs, 3};
      const std::vector<float> theta = random_theta(model, 9);
      const std::vector<float> obs = random_observations(size_t(set.count) * steps * shape.sources * 3, 6);
      const std::vector<float> cpu = reference_replay(model, shape, theta, obs, steps, set);
      for (CudaPath path : {CudaPath::fused, CudaPath::layered}) {
        expect_close(cuda_replay(model, shape, theta, obs, steps, set, CudaOptions{path}), cpu,
                     name + ", ticks " + std::to_string(ticks) + ", " + to_string(path));
      }
    }
  }
}

// Fitness per (member, lifetime) from both backends, summarised: how many agree
// within atol + rtol |cpu| (a NaN on either side never does), the two means, and
// the non-finite device values (with the first one's index). Each test sets its
// own bounds on these.
struct FitnessAgreement {
  int agree = 0;
  double cuda_mean = 0.0, cpu_mean = 0.0;
  int nonfinite = 0;
  size_t first_nonfinite = 0;
};

FitnessAgreement fitness_agreement(const std::vector<float>& cuda, const std::vector<float>& cpu, float atol,
                                   float rtol) {
  FitnessAgreement result;
  double cuda_sum = 0.0, cpu_sum = 0.0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    if (!std::isfinite(cuda[i]) && result.nonfinite++ == 0) result.first_nonfinite = i;
    result.agree += std::abs(cuda[i] - cpu[i]) <= atol + rtol * std::abs(cpu[i]);
    cuda_sum += cuda[i];
    cpu_sum += cpu[i];
  }
  result.cuda_mean = cuda_sum / double(cpu.size());
  result.cpu_mean = cpu_sum / double(cpu.size());
  return result;
}

// The same population on the same lifetimes: fitness per (member, lifetime).
TEST(CudaParity, SingleUnitTaskFitnessMatchesCpu) {
  ENU_REQUIRE_DEVICE();
  // Each task at each kernel width: memory 32, 48 and 100 take one, two and four cells per lane.
  for (const auto& [name, memory] : {std::pair{"iaf", 32}, std::pair{"stdp", 48}, std::pair{"stdp_complex", 100},
                                     std::pair{"iaf", 100}, std::pair{"stdp", 32}, std::pair{"iaf", 48}}) {
    TaskConfig task;
    task.name = name;
    ModelSpec model;
    model.cell = CellSpec{CellKind::enu, 4, memory, 1, task.name == "iaf"};
    const std::vector<float> centre = random_theta(model, 3);
    const Population pop = Population::mirrored(centre.data(), centre.size(), 8, 0.05f).with_seed(17).at_generation(2);
    const LifetimeSet lifetimes{17, 2, 6};
    std::vector<float> cpu(48), gpu(48);
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(task), 1, 6)->evaluate(pop, lifetimes, cpu.data());
    make_cuda_evaluator(model, task)->evaluate(pop, lifetimes, gpu.data());
    // iaf scores spike timing: a spike on the threshold may flip on one side, so
    // allow a few lifetimes off and compare the population means.
    const FitnessAgreement agreement = fitness_agreement(gpu, cpu, 1e-4f, 1e-3f);
    const std::string what = std::string(name) + " M=" + std::to_string(memory);
    ASSERT_EQ(agreement.nonfinite, 0) << what << " lifetime " << agreement.first_nonfinite;
    EXPECT_GE(agreement.agree, task.name == "iaf" ? 45 : 48) << what;
    EXPECT_NEAR(agreement.cuda_mean, agreement.cpu_mean, 1e-2 * std::abs(agreement.cpu_mean) + 1e-6) << what;
  }
}

// One ES generation on stdp (graded outputs): identical fitness ranks, hence the
// same update up to float rounding of the centre.
TEST(CudaParity, EsGenerationMatchesCpu) {
  ENU_REQUIRE_DEVICE();
  TaskConfig task;
  task.name = "stdp";
  ModelSpec model;
  model.cell = CellSpec{CellKind::enu, 4, 16, 1, false};
  EsConfig es;
  es.population = 16;
  es.lifetimes = 4;
  es.optimizer = OptimizerKind::adam;
  es.learning_rate = 0.01f;
  EsState start;
  start.theta = random_theta(model, 5);
  // The device generation runs its update on the device too.
  EvolutionStrategy on_cpu(es, 9, start), on_gpu(es, 9, start, make_cuda_updater());
  auto cpu = make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(task), 2, 4);
  auto gpu = make_cuda_evaluator(model, task);
  const GenerationReport r_cpu = on_cpu.step(*cpu), r_gpu = on_gpu.step(*gpu);
  EXPECT_NEAR(r_gpu.centre, r_cpu.centre, 1e-5 + 1e-3 * std::abs(r_cpu.centre));
  EXPECT_NEAR(r_gpu.best, r_cpu.best, 1e-5 + 1e-3 * std::abs(r_cpu.best));
  const auto& a = on_gpu.state().theta;
  const auto& b = on_cpu.state().theta;
  double worst = 0.0;
  for (size_t k = 0; k < a.size(); ++k) worst = std::max(worst, double(std::abs(a[k] - b[k])));
  EXPECT_LT(worst, 1e-5) << "centres after one generation differ: different ranks?";
}

ModelSpec maze_network(int channels, int memory) {
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  model.network = network(kMazeSources, 6, kMazeActions, 8, channels, memory, 1);
  model.network.output_noise = 0.01f;
  return model;
}

// The device's maze lifetimes replayed on the CPU: the host MazeLifetime fed the
// device's read-outs must see exactly the device's observations at every step
// and end with exactly its fitness (same integer moves, same float energy and
// reward sums); the CPU reference network fed the device's observations must
// give the device's read-outs. Checked for both network paths.
void expect_replays_on_host(const TaskConfig& task, const ModelSpec& model, const std::vector<float>& theta,
                            const LifetimeSet& set, const DeviceRecording& gpu, const std::string& what) {
  const bool double_maze = task.name == "double_tmaze";
  const int steps = task.maze.steps, O = kMazeSources * kMazeChannels;
  for (int e = 0; e < set.count; ++e) {
    MazeLifetime life;
    life.start({task.maze, double_maze}, set.seed, set.generation, e);
    for (int t = 0; t < steps; ++t) {
      float seen[kMazeSources * kMazeChannels];
      life.observe(seen);
      const size_t at = size_t(e) * steps + t;
      for (int i = 0; i < O; ++i) {
        ASSERT_EQ(seen[i], gpu.observations[at * O + i]) << what << " lifetime " << e << " step " << t << " input " << i;
      }
      life.act(&gpu.actions[at * kMazeActions]);
    }
    EXPECT_EQ(life.fitness(), gpu.fitness[size_t(e)]) << what << " lifetime " << e;
  }
  expect_close(gpu.actions, reference_replay(model, {kMazeSources, kMazeChannels}, theta, gpu.observations, steps, set),
               what + " read-outs");
}

TEST(CudaParity, MazeEnvironmentsAgreeStepForStep) {
  ENU_REQUIRE_DEVICE();
  // The fused maze kernel with one, two and four memory cells per lane (M = 100
  // fits in shared memory only as one SHARED cell).
  struct Case {
    const char* name;
    int memory, steps, lifetimes;
    bool shared;
  };
  for (const Case& c : {Case{"tmaze", 16, 150, 6, false}, Case{"double_tmaze", 48, 150, 6, false},
                        Case{"tmaze", 100, 40, 2, true}}) {
    TaskConfig task;
    task.name = c.name;
    task.maze.steps = c.steps;
    task.maze.balanced_orders = task.name == "double_tmaze";  // each way of choosing the input order, once
    ModelSpec model = maze_network(8, c.memory);
    model.network.shared = c.shared;
    const std::vector<float> theta = random_theta(model, 13);
    const LifetimeSet set{31, 7, c.lifetimes};
    for (CudaPath path : {CudaPath::fused, CudaPath::layered}) {
      expect_replays_on_host(task, model, theta, set, cuda_record(model, task, theta, set, CudaOptions{path}),
                             std::string(c.name) + " M=" + std::to_string(c.memory) + ", " + to_string(path));
    }
  }
}

// Whole lifetimes diverge once an argmax near a tie falls the other way, so
// require nearly every (member, lifetime) to agree and the means to match.
TEST(CudaParity, MazeTaskFitnessMatchesCpu) {
  ENU_REQUIRE_DEVICE();
  for (const char* name : {"tmaze", "double_tmaze"}) {
    TaskConfig task;
    task.name = name;
    task.maze.steps = 150;
    const ModelSpec model = maze_network(8, 16);
    const std::vector<float> centre = random_theta(model, 4);
    const Population pop = Population::mirrored(centre.data(), centre.size(), 8, 0.05f).with_seed(19).at_generation(3);
    const LifetimeSet lifetimes{19, 3, 4};
    std::vector<float> cpu(32), gpu(32);
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(task), 1, 4)->evaluate(pop, lifetimes, cpu.data());
    // The layered path in chunks of 3 members (3 + 3 + 2): chunk boundaries must not show.
    for (const CudaOptions& options : {CudaOptions{CudaPath::fused}, CudaOptions{CudaPath::layered, false, 3}}) {
      const std::string what = std::string(name) + ", " + to_string(options.path);
      // NaN first: a row this path never writes fails instead of keeping the other path's value.
      std::fill(gpu.begin(), gpu.end(), std::numeric_limits<float>::quiet_NaN());
      make_cuda_evaluator(model, task, options)->evaluate(pop, lifetimes, gpu.data());
      const FitnessAgreement agreement = fitness_agreement(gpu, cpu, 1e-5f, 0.0f);
      EXPECT_GE(agreement.agree, 30) << what;
      EXPECT_NEAR(agreement.cuda_mean, agreement.cpu_mean, 0.05 * std::abs(agreement.cpu_mean) + 1e-3) << what;
    }
  }
}

// Seeded draws over the configurations the device takes, each against the CPU
// reference: single cells of every kind with O = 1..3 (the task acts on channel
// 0), spare input channels and memory from 1 to 100 on iaf, stdp and
// stdp_complex (fitness); networks of random fan-in, channels, memory, cell
// kinds, SHARED, ticks and noise, on a maze (fitness) and on random
// observations (every step's read-out), on both paths. The bounds are the tests
// above's: continuous fitness within 1e-4 + 1e-3 |cpu|; where thresholds decide
// (spikes, iaf, the maze's argmax) at most 2 of a case's values may differ.
TEST(CudaParity, RandomConfigsMatchReference) {
  ENU_REQUIRE_DEVICE();
  std::mt19937 rng(20261202);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const CellKind kinds[] = {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm};
  const int memories[] = {1, 5, 9, 17, 31, 33, 63, 65, 100};
  const LifetimeSet lifetimes{51, 2, 3};
  for (int i = 0; i < 12; ++i) {
    const CellKind kind = kinds[pick(0, 3)];
    const int memory = memories[pick(0, 8)];
    std::ostringstream what;
    what << "case " << i << ": " << to_string(kind);
    TaskConfig task;
    task.iaf.steps = task.stdp.steps = 40;
    task.stdp.spike_mean = 20.0f;
    task.stdp.spike_std = 5.0f;
    task.maze.steps = 40;
    ModelSpec model;
    bool thresholded = false;
    if (i % 3 == 0) {  // a single cell on a single-unit task
      const char* names[] = {"iaf", "stdp", "stdp_complex"};
      task.name = names[pick(0, 2)];
      const bool spiking = task.name == "iaf" || pick(0, 3) == 0;
      model.cell = CellSpec{kind, (task.name == "iaf" ? 1 : 4) + pick(0, 3), memory, pick(1, 3), spiking};
      thresholded = spiking || task.name == "iaf";
      what << " cell I " << model.cell.inputs << " M " << memory << " O " << model.cell.outputs << ", " << task.name;
    } else {  // a network: a maze agent (i % 3 == 1) or random observations
      const bool maze = i % 3 == 1;
      task.name = pick(0, 1) ? "tmaze" : "double_tmaze";
      const int inputs = maze ? kMazeSources : pick(1, 4), outputs = maze ? kMazeActions : pick(1, 3);
      const int neurons = pick(outputs, 6);
      NetworkSpec& net = model.network;
      net = network(inputs, neurons, outputs, pick(1, std::min(6, inputs + neurons)), pick(maze ? 3 : 1, 7),
                    std::min(memory, 48), uint64_t(pick(1, 1000)));  // within the fused kernel's shared memory
      net.shared = pick(0, 2) == 0;
      net.synapse_kind = kind;
      net.neuron_kind = net.shared ? kind : kinds[pick(0, 3)];
      net.ticks_per_step = pick(1, 2);
      net.output_noise = maze || pick(0, 1) ? 0.01f : 0.0f;
      model.kind = ModelSpec::Kind::network;
      thresholded = maze;
      what << " network " << inputs << " x " << neurons << " K " << net.topology.fan_in << " C " << net.channels
           << " M " << net.memory << (net.shared ? " SHARED" : "") << " ticks " << net.ticks_per_step << ", "
           << (maze ? task.name : "random observations");
      if (!maze) {
        const ObservationShape shape{inputs, pick(1, net.channels)};
        const int steps = 20;
        const std::vector<float> theta = random_theta(model, uint64_t(i));
        const std::vector<float> obs =
            random_observations(size_t(lifetimes.count) * steps * shape.sources * shape.channels, uint64_t(i));
        const std::vector<float> cpu = reference_replay(model, shape, theta, obs, steps, lifetimes);
        for (CudaPath path : {CudaPath::fused, CudaPath::layered}) {
          expect_close(cuda_replay(model, shape, theta, obs, steps, lifetimes, CudaOptions{path}), cpu,
                       what.str() + ", " + to_string(path));
        }
        continue;
      }
    }
    const std::vector<float> centre = random_theta(model, uint64_t(i));
    const Population pop = Population::mirrored(centre.data(), centre.size(), 3, 0.05f).with_seed(51).at_generation(2);
    std::vector<float> cpu(9), gpu(9);
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(task), 1, 3)->evaluate(pop, lifetimes, cpu.data());
    const std::vector<CudaPath> paths = model.kind == ModelSpec::Kind::network
                                            ? std::vector<CudaPath>{CudaPath::fused, CudaPath::layered}
                                            : std::vector<CudaPath>{CudaPath::automatic};
    for (CudaPath path : paths) {
      std::fill(gpu.begin(), gpu.end(), std::numeric_limits<float>::quiet_NaN());
      make_cuda_evaluator(model, task, CudaOptions{path})->evaluate(pop, lifetimes, gpu.data());
      const FitnessAgreement agreement = fitness_agreement(gpu, cpu, 1e-4f, 1e-3f);
      EXPECT_EQ(agreement.nonfinite, 0) << what.str();
      EXPECT_GE(agreement.agree, thresholded ? 7 : 9) << what.str() << ", " << to_string(path);
    }
  }
}

// TF32 tensor cores in the layered path's GEMMs: 10-bit mantissas on the
// products. The test measures the error on the published maze shape and prints
// it (benchmarks/device_check.sh reports it); it fails only beyond what TF32's
// rounding (2^-11 relative per product) can explain for outputs in [0, 1].
TEST(CudaParity, LayeredTf32ErrorIsMeasured) {
  ENU_REQUIRE_DEVICE();
  ModelSpec model;
  model.kind = ModelSpec::Kind::network;
  model.network = network(4, 6, 3, 8, 16, 32, 1);
  const ObservationShape shape{4, 3};
  const LifetimeSet set{41, 1, 4};
  const int steps = 50;
  const std::vector<float> theta = random_theta(model, 21);
  const std::vector<float> obs = random_observations(size_t(set.count) * steps * 12, 8);
  const std::vector<float> cpu = reference_replay(model, shape, theta, obs, steps, set);
  const std::vector<float> tf32 = cuda_replay(model, shape, theta, obs, steps, set, CudaOptions{CudaPath::layered, true});
  double worst = 0.0, sum = 0.0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double diff = std::abs(double(tf32[i]) - cpu[i]);
    worst = std::max(worst, diff);
    sum += diff;
  }
  std::printf("TF32 layered path vs FP32 reference: max |diff| %.3g, mean |diff| %.3g over %zu read-outs\n", worst,
              sum / double(cpu.size()), cpu.size());
  RecordProperty("tf32_max_abs_error", std::to_string(worst));
  EXPECT_LT(worst, 5e-2);
}

// The device update against the host's from the same state and fitnesses (ties
// included), over three generations of each shaping and optimizer: the same
// ranks and noise, so theta and the moments agree up to float summation order.
TEST(CudaParity, DeviceEsUpdateMatchesHost) {
  ENU_REQUIRE_DEVICE();
  const size_t D = 1001;  // not a multiple of 4: the last Philox block is partial
  for (Shaping shaping : {Shaping::pareto, Shaping::centred_ranks}) {
    for (OptimizerKind optimizer : {OptimizerKind::sgd, OptimizerKind::adam}) {
      EsConfig es;
      es.population = 16;
      es.shaping = shaping;
      es.optimizer = optimizer;
      es.learning_rate = optimizer == OptimizerKind::sgd ? 1.0f : 0.01f;
      es.weight_decay = 0.01f;
      EsState host_state;
      host_state.theta = random_observations(D, 3);
      host_state.moment1.assign(D, 0.0f);
      if (optimizer == OptimizerKind::adam) host_state.moment2.assign(D, 0.0f);
      EsState device_state = host_state;
      const std::vector<float> start = host_state.theta;
      auto host = make_host_updater();
      auto device = make_cuda_updater();
      for (uint64_t g = 0; g < 3; ++g) {
        std::vector<double> fitness(16);
        for (int m = 0; m < 16; ++m) fitness[size_t(m)] = double((m * 7 + int(g)) % 5);  // runs of ties
        host->apply(es, 9, g, 0.05f, fitness, host_state);
        device->apply(es, 9, g, 0.05f, fitness, device_state);
      }
      double moved = 0.0, worst = 0.0, worst_m1 = 0.0, scale_m1 = 0.0;
      for (size_t k = 0; k < D; ++k) {
        moved = std::max(moved, double(std::abs(host_state.theta[k] - start[k])));
        worst = std::max(worst, double(std::abs(device_state.theta[k] - host_state.theta[k])));
        worst_m1 = std::max(worst_m1, double(std::abs(device_state.moment1[k] - host_state.moment1[k])));
        scale_m1 = std::max(scale_m1, double(std::abs(host_state.moment1[k])));
      }
      const std::string what = std::string(to_string(shaping)) + " / " + to_string(optimizer);
      ASSERT_GT(moved, 0.0) << what;
      EXPECT_LT(worst, 1e-5 * moved + 1e-7) << what;
      EXPECT_LT(worst_m1, 1e-5 * scale_m1 + 1e-9) << what;
      EXPECT_EQ(device_state.optimizer_steps, host_state.optimizer_steps) << what;
    }
  }
}

// More members than a grid's y dimension takes (65,535): every member is
// evaluated, on both network paths, as on the CPU. Tiny lifetimes keep it cheap
// on a card; the CPU emulation still runs 17 million threads a launch, so
// tools/check.sh runs it under one schedule only.
TEST(CudaParity, PopulationsAboveGridDimYMatchCpu) {
  ENU_REQUIRE_DEVICE();
  const int members = 65537;
  const LifetimeSet lifetimes{23, 1, 1};
  TaskConfig iaf;
  iaf.name = "iaf";
  iaf.iaf.steps = 2;
  iaf.iaf.windows = 2;
  ModelSpec cell;
  cell.cell = CellSpec{CellKind::enu, 4, 2, 1, false};
  TaskConfig maze;
  maze.name = "tmaze";
  maze.maze.steps = 1;
  ModelSpec net;
  net.kind = ModelSpec::Kind::network;
  net.network = network(kMazeSources, 3, kMazeActions, 1, 3, 2, 1);
  for (const auto& [task, model, path] : {std::tuple{iaf, cell, CudaPath::automatic},
                                          std::tuple{maze, net, CudaPath::fused},
                                          std::tuple{maze, net, CudaPath::layered}}) {
    const std::vector<float> centre = random_theta(model, 8);
    const Population pop = Population::mirrored(centre.data(), centre.size(), members, 0.05f)
                               .with_seed(29).at_generation(1);
    std::vector<float> cpu(members), gpu(members, std::numeric_limits<float>::quiet_NaN());
    make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(task), 2, 1)->evaluate(pop, lifetimes, cpu.data());
    make_cuda_evaluator(model, task, CudaOptions{path})->evaluate(pop, lifetimes, gpu.data());
    const std::string what = task.name + ", " + to_string(path);
    const FitnessAgreement agreement = fitness_agreement(gpu, cpu, 1e-4f, 1e-3f);
    ASSERT_EQ(agreement.nonfinite, 0) << what << ": member " << agreement.first_nonfinite << " not evaluated";
    EXPECT_GE(agreement.agree, int(0.99 * members)) << what;
    EXPECT_NEAR(agreement.cuda_mean, agreement.cpu_mean, 1e-2 * std::abs(agreement.cpu_mean) + 1e-4) << what;
  }
}

// run.cuda_path auto takes the layered path for what the fused kernel cannot
// take (memory above 128, parameters beyond shared memory), and forcing the
// fused kernel there says why it cannot.
TEST(CudaPath, AutoTakesTheLayeredPathWhereTheFusedKernelCannot) {
  ENU_REQUIRE_DEVICE();
  TaskConfig maze;
  maze.name = "tmaze";
  maze.maze.steps = 20;
  ModelSpec wide = maze_network(4, 130);  // a cell memory the fused kernel does not take
  ModelSpec big = maze_network(64, 64);   // ~95,000 parameters: 370 KiB, beyond 227 KiB of shared memory
  for (const auto& [model, reason] : {std::pair{wide, "memory 130"}, std::pair{big, "KiB of shared memory"}}) {
    EXPECT_EQ(make_cuda_evaluator(model, maze)->name(), "cuda layered") << reason;
    try {
      make_cuda_evaluator(model, maze, CudaOptions{CudaPath::fused});
      ADD_FAILURE() << reason << ": the fused kernel was forced on a network it cannot take";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(make_cuda_evaluator(maze_network(8, 16), maze)->name(), "cuda fused");
  // By what fits, not by the synapse count: 640 synapses of small cells take the fused kernel.
  ModelSpec many = maze_network(8, 16);
  many.network = network(kMazeSources, 80, kMazeActions, 8, 8, 16, 1);
  EXPECT_EQ(make_cuda_evaluator(many, maze)->name(), "cuda fused");
  // The layered path has no memory limit: per-step parity at M = 130.
  const ObservationShape shape{kMazeSources, kMazeChannels};
  const LifetimeSet set{43, 2, 2};
  const int steps = 12;
  wide.network.output_noise = 0.0f;
  const std::vector<float> theta = random_theta(wide, 17);
  const std::vector<float> obs = random_observations(size_t(set.count) * steps * kMazeSources * kMazeChannels, 9);
  expect_close(cuda_replay(wide, shape, theta, obs, steps, set), reference_replay(wide, shape, theta, obs, steps, set),
               "M = 130, auto");
}

// A member whose read-out is NaN diverged: both backends must report it as
// non-finite (the device clamp used to turn NaN into 0), so that the
// non-finite policy sees the same members everywhere.
TEST(CudaParity, DivergedMembersAreNonFiniteOnBothBackends) {
  ENU_REQUIRE_DEVICE();
  for (const char* name : {"iaf", "stdp"}) {
    TaskConfig task;
    task.name = name;
    ModelSpec model;
    model.cell = CellSpec{CellKind::enu, 4, 16, 1, task.name == "iaf"};
    std::vector<float> centre = random_theta(model, 6);
    const CellLayout layout = cell_layout(model.cell);
    centre[layout.w_out + size_t(model.cell.memory) * model.cell.outputs] = std::numeric_limits<float>::quiet_NaN();
    const Population pop = Population::mirrored(centre.data(), centre.size(), 4, 0.05f).with_seed(5).at_generation(1);
    const LifetimeSet lifetimes{5, 1, 3};
    std::vector<float> cpu(12), gpu(12);
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(task), 1, 3)->evaluate(pop, lifetimes, cpu.data());
    make_cuda_evaluator(model, task)->evaluate(pop, lifetimes, gpu.data());
    for (size_t i = 0; i < cpu.size(); ++i) {
      EXPECT_FALSE(std::isfinite(cpu[i])) << name << " cpu " << i;
      EXPECT_EQ(std::isfinite(gpu[i]), std::isfinite(cpu[i])) << name << " member x lifetime " << i;
    }
  }
}

// A population of another model's parameter count is refused, as on the CPU.
TEST(CudaErrors, PopulationOfAnotherModelIsRefused) {
  ENU_REQUIRE_DEVICE();
  TaskConfig task;
  task.name = "stdp";
  ModelSpec model;
  model.cell = CellSpec{CellKind::enu, 4, 8, 1, false};
  const std::vector<float> centre(model.param_count() + 1, 0.0f);
  const Population pop = Population::mirrored(centre.data(), centre.size(), 2, 0.01f).with_seed(1).at_generation(0);
  std::vector<float> fitness(2);
  try {
    make_cuda_evaluator(model, task)->evaluate(pop, LifetimeSet{1, 0, 1}, fitness.data());
    FAIL() << "expected enu::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("population has " + std::to_string(centre.size()) + " parameters, the model " +
                                         std::to_string(model.param_count())),
              std::string::npos)
        << e.what();
  }
}

// A population the device cannot hold is refused with the size it needs.
TEST(CudaErrors, PopulationTooLargeSaysHowMuchIsNeeded) {
  ENU_REQUIRE_DEVICE();
  TaskConfig task;
  task.name = "stdp";
  ModelSpec model;
  model.cell = CellSpec{CellKind::enu, 4, 32, 1, false};
  const std::vector<float> centre(model.param_count(), 0.0f);
  const Population pop = Population::mirrored(centre.data(), centre.size(), 1 << 30, 0.01f)
                             .with_seed(1).at_generation(0);
  try {
    make_cuda_evaluator(model, task)->evaluate(pop, LifetimeSet{1, 0, 64}, nullptr);
    FAIL() << "expected enu::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MiB of device memory"), std::string::npos) << e.what();
  }
}

// A maze task on a single cell, or a single-unit task on a network, is refused
// by saying what the task takes.
TEST(CudaErrors, TaskAndModelKindMustMatch) {
  ENU_REQUIRE_DEVICE();
  TaskConfig maze;
  maze.name = "tmaze";
  ModelSpec cell;
  cell.cell = CellSpec{CellKind::enu, 4, 16, 3, false};
  TaskConfig stdp;
  stdp.name = "stdp";
  for (const auto& [model, task, expected] :
       {std::tuple{cell, maze, "takes a network"}, std::tuple{maze_network(4, 8), stdp, "takes a single cell"}}) {
    try {
      make_cuda_evaluator(model, task);
      ADD_FAILURE() << task.name << ": expected enu::Error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
}

// Tasks without a CUDA version are refused by name.
TEST(CudaErrors, UnsupportedTaskIsNamed) {
  ENU_REQUIRE_DEVICE();
  TaskConfig task;
  task.name = "sphere";
  ModelSpec model;
  try {
    make_cuda_evaluator(model, task);
    FAIL() << "expected enu::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sphere"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace enu
