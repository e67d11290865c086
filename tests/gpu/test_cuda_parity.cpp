// The CUDA backend beyond the parity suite (tests/parity/backend_parity.cpp,
// instantiated here for every registered GPU backend): a whole ES generation
// and the device ES update, the maze environments step for step, random draws
// over the configurations the device takes, TF32, populations above the grid's
// y limit, the network path auto takes, diverged members, and the errors. Every
// test skips, with the registry's reason, where the backend cannot run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <tuple>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/maze_tasks.hpp"
#include "maze_scripting.hpp"
#include "enu/single_unit_tasks.hpp"
#include "enu/strategy.hpp"
#include "parity/parity.hpp"
#include "runner.hpp"
#include "tasks.hpp"
#include "testing.hpp"  // cuda/: cuda_record

namespace enu {

namespace parity {
// The parity suite over every registered GPU backend.
INSTANTIATE_TEST_SUITE_P(Registry, BackendParity, ::testing::ValuesIn(backends_to_check(true)), backend_name);
}  // namespace parity

namespace {

using parity::compare;
using parity::random_observations;
using parity::random_theta;
using parity::network;

// One parameter vector replayed as the centre over lifetimes 0 .. set.count-1.
ReplayRequest centre_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                            const std::vector<float>& observations, int steps, const LifetimeSet& set) {
  return ReplayRequest{model, shape, theta, observations, steps, set, 0, set.count, CudaOptions{}};
}

// The CUDA paths that take `model`: each network path whose kernels take its
// cells, or the single-unit kernel.
std::vector<CudaPath> paths_for(const ModelSpec& model) {
  if (model.kind != ModelSpec::Kind::network) return {CudaPath::automatic};
  return find_backend(BackendKind::cuda).network_paths(model.network);
}

// `gpu`, the device's actions for `request`, against the reference's replay of
// it, under the CUDA backend's per-step tolerance (parity::step_tolerance).
void expect_close(const std::vector<float>& gpu, const ReplayRequest& request, const std::string& what) {
  parity::expect_close(gpu, find_backend(BackendKind::reference).replay(request),
                       parity::step_tolerance(find_backend(BackendKind::cuda)), parity::replay_layout(request), what);
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
  model.network = network(maze::kSources, 6, maze::kActions, 8, channels, memory, 1);
  model.network.output_noise = 0.01f;
  return model;
}

// The device's maze lifetimes replayed on the CPU: the host MazeLifetime fed the
// device's read-outs must see exactly the device's observations at every step
// and end with exactly its fitness (same integer moves, same float energy and
// reward sums); the CPU reference network fed the device's observations must
// give the device's read-outs. Checked for every network path that takes the network.
void expect_replays_on_host(const TaskConfig& task, const ModelSpec& model, const std::vector<float>& theta,
                            const LifetimeSet& set, const DeviceRecording& gpu, const std::string& what) {
  const bool double_maze = task.name == "double_tmaze";
  const int steps = task.maze.steps, O = maze::kSources * maze::kChannels;
  for (int e = 0; e < set.count; ++e) {
    MazeLifetime life;
    life.start({task.maze, double_maze}, set.seed, set.generation, e);
    for (int t = 0; t < steps; ++t) {
      float seen[maze::kSources * maze::kChannels];
      life.observe(seen);
      const size_t at = size_t(e) * steps + t;
      for (int i = 0; i < O; ++i) {
        ASSERT_EQ(seen[i], gpu.observations[at * O + i]) << what << " lifetime " << e << " step " << t << " input " << i;
      }
      life.act(&gpu.actions[at * maze::kActions]);
    }
    EXPECT_EQ(life.fitness(), gpu.fitness[size_t(e)]) << what << " lifetime " << e;
  }
  const ObservationShape shape{maze::kSources, maze::kChannels};
  expect_close(gpu.actions, centre_replay(model, shape, theta, gpu.observations, steps, set), what + " read-outs");
}

TEST(CudaParity, MazeEnvironmentsAgreeStepForStep) {
  ENU_REQUIRE_DEVICE();
  // The fused maze kernel with one, two and four memory cells per lane (M = 100
  // fits in shared memory only as one SHARED cell).
  struct Case {
    const char* name;
    int memory, steps, lifetimes;
    bool shared, published;  // published: the authors' rules, grid and moves
  };
  for (const Case& c : {Case{"tmaze", 16, 150, 6, false, false}, Case{"double_tmaze", 48, 150, 6, false, false},
                        Case{"tmaze", 100, 40, 2, true, false}, Case{"tmaze", 16, 80, 6, false, true},
                        Case{"double_tmaze", 16, 80, 6, false, true}}) {
    TaskConfig task;
    task.name = c.name;
    if (c.published) task.maze = testing_support::published_maze();
    task.maze.steps = c.steps;
    task.maze.balanced_orders = task.name == "double_tmaze";  // each way of choosing the input order, once
    ModelSpec model = maze_network(8, c.memory);
    model.network.shared = c.shared;
    const std::vector<float> theta = random_theta(model, 13);
    const LifetimeSet set{31, 7, c.lifetimes};
    for (CudaPath path : paths_for(model)) {
      expect_replays_on_host(task, model, theta, set, cuda_record(model, task, theta, set, CudaOptions{path}),
                             std::string(c.name) + " M=" + std::to_string(c.memory) + ", rules " +
                                 to_string(task.maze.rules) + ", " + to_string(path));
    }
  }
}

// Seeded draws over the configurations the device takes, each against the CPU
// reference: single cells of every kind with O = 1..3 (the task acts on channel
// 0), spare input channels and memory from 1 to 100 on iaf, stdp and
// stdp_complex (fitness); networks of random fan-in, channels, memory, cell
// kinds, SHARED, ticks and noise, on a maze (fitness) and on random
// observations (every step's read-out), on every path that takes them. The bounds are the parity
// suite's: continuous fitness within 1e-4 + 1e-3 |cpu|; where thresholds decide
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
      const int inputs = maze ? maze::kSources : pick(1, 4), outputs = maze ? maze::kActions : pick(1, 3);
      const int neurons = pick(outputs, 6);
      NetworkSpec& net = model.network;
      net = network(inputs, neurons, outputs, pick(1, std::min(6, inputs + neurons)), pick(maze ? 3 : 1, 7),
                    std::min(memory, 48), uint64_t(pick(1, 1000)));  // within the fused kernel's shared memory
      net.shared = pick(0, 2) == 0;
      net.synapse_kind = kind;
      net.neuron_kind = net.shared ? kind : kinds[pick(0, 3)];
      net.ticks_per_step = pick(1, 2);
      net.output_noise = maze || pick(0, 1) ? 0.01f : 0.0f;
      net.output_noise_on = pick(0, 1) ? NoiseCells::all : NoiseCells::neurons;
      model.kind = ModelSpec::Kind::network;
      thresholded = maze;
      what << " network " << inputs << " x " << neurons << " K " << net.topology.fan_in << " C " << net.channels
           << " M " << net.memory << (net.shared ? " SHARED" : "") << " ticks " << net.ticks_per_step << " noise on "
           << to_string(net.output_noise_on) << ", " << (maze ? task.name : "random observations");
      if (!maze) {
        const ObservationShape shape{inputs, pick(1, net.channels)};
        const int steps = 20;
        const std::vector<float> theta = random_theta(model, uint64_t(i));
        const std::vector<float> obs =
            random_observations(size_t(lifetimes.count) * steps * shape.sources * shape.channels, uint64_t(i));
        ReplayRequest request = centre_replay(model, shape, theta, obs, steps, lifetimes);
        for (CudaPath path : paths_for(model)) {
          request.cuda.path = path;
          expect_close(find_backend(BackendKind::cuda).replay(request), request, what.str() + ", " + to_string(path));
        }
        continue;
      }
    }
    const std::vector<float> centre = random_theta(model, uint64_t(i));
    const Population pop = Population::mirrored(centre.data(), centre.size(), 3, 0.05f).with_seed(51).at_generation(2);
    std::vector<float> cpu(9), gpu(9);
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(task), 1, 3)->evaluate(pop, lifetimes, cpu.data());
    for (CudaPath path : paths_for(model)) {
      std::fill(gpu.begin(), gpu.end(), std::numeric_limits<float>::quiet_NaN());
      make_cuda_evaluator(model, task, CudaOptions{path})->evaluate(pop, lifetimes, gpu.data());
      const parity::Comparison c = compare(gpu, cpu, 1e-4f, 1e-3f, {{"member", 3}, {"lifetime", 3}});
      EXPECT_EQ(c.nonfinite, 0) << what.str();
      EXPECT_LE(c.bad, thresholded ? 2 : 0) << what.str() << ", " << to_string(path) << ":" << c.first;
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
  ReplayRequest request = centre_replay(model, shape, theta, obs, steps, set);
  const std::vector<float> cpu = find_backend(BackendKind::reference).replay(request);
  request.cuda = CudaOptions{CudaPath::layered, true};
  const std::vector<float> tf32 = find_backend(BackendKind::cuda).replay(request);
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
// evaluated, on every network path, as on the CPU. Tiny lifetimes keep it cheap
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
  net.network = network(maze::kSources, 3, maze::kActions, 1, 3, 2, 1);
  for (const auto& [task, model, path] : {std::tuple{iaf, cell, CudaPath::automatic},
                                          std::tuple{maze, net, CudaPath::fused_v2},
                                          std::tuple{maze, net, CudaPath::fused},
                                          std::tuple{maze, net, CudaPath::layered}}) {
    const std::vector<float> centre = random_theta(model, 8);
    const Population pop = Population::mirrored(centre.data(), centre.size(), members, 0.05f)
                               .with_seed(29).at_generation(1);
    std::vector<float> cpu(members), gpu(members, std::numeric_limits<float>::quiet_NaN());
    make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(task), 2, 1)->evaluate(pop, lifetimes, cpu.data());
    make_cuda_evaluator(model, task, CudaOptions{path})->evaluate(pop, lifetimes, gpu.data());
    const std::string what = task.name + ", " + to_string(path);
    const parity::Comparison c = compare(gpu, cpu, 1e-4f, 1e-3f, {{"member", members}});
    ASSERT_EQ(c.nonfinite, 0) << what << ": member " << c.first_nonfinite << " not evaluated";
    EXPECT_LE(c.bad, members - int(0.99 * members)) << what << ":" << c.first;
    EXPECT_NEAR(c.mean, c.reference_mean, 1e-2 * std::abs(c.reference_mean) + 1e-4) << what;
  }
}

// run.cuda_path auto takes the first of fused_v2, fused and layered that takes
// the network: fused_v2 for ENU, NFENU and GRU cells of memory <= 32, fused for
// LSTM cells and memory up to 128, layered beyond (memory above 128, parameters
// beyond shared memory); forcing a kernel on a network it cannot take says why.
TEST(CudaPath, AutoTakesTheFirstPathThatTakesTheNetwork) {
  ENU_REQUIRE_DEVICE();
  TaskConfig maze;
  maze.name = "tmaze";
  maze.maze.steps = 20;
  ModelSpec wide = maze_network(4, 130);  // a cell memory the fused kernel does not take
  ModelSpec big = maze_network(64, 64);   // ~95,000 parameters: 370 KiB, beyond 227 KiB of shared memory
  // `model` goes to `chosen` under auto; forcing `refused` on it fails, saying `reason`.
  const auto expect_path = [&](const ModelSpec& model, const char* chosen, CudaPath refused, const char* reason) {
    EXPECT_EQ(make_cuda_evaluator(model, maze)->name(), chosen) << reason;
    try {
      make_cuda_evaluator(model, maze, CudaOptions{refused});
      ADD_FAILURE() << reason << ": " << to_string(refused) << " was forced on a network it cannot take";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
  };
  expect_path(wide, "cuda layered", CudaPath::fused, "memory 130");
  expect_path(big, "cuda layered", CudaPath::fused, "KiB of shared memory");
  EXPECT_EQ(make_cuda_evaluator(maze_network(8, 16), maze)->name(), "cuda fused_v2 fp32");
  CudaOptions tf32;
  tf32.precision = CudaPrecision::tf32;
  EXPECT_EQ(make_cuda_evaluator(maze_network(16, 32), maze, tf32)->name(), "cuda fused_v2 tf32");
  // By what fits, not by the synapse count: 640 synapses of small cells take fused_v2.
  ModelSpec many = maze_network(8, 16);
  many.network = network(maze::kSources, 80, maze::kActions, 8, 8, 16, 1);
  EXPECT_EQ(make_cuda_evaluator(many, maze)->name(), "cuda fused_v2 fp32");
  ModelSpec lstm = maze_network(8, 16);
  lstm.network.synapse_kind = CellKind::lstm;
  ModelSpec m48 = maze_network(8, 48);
  expect_path(lstm, "cuda fused", CudaPath::fused_v2, "LSTM");
  expect_path(m48, "cuda fused", CudaPath::fused_v2, "memory 48");
  // The layered path has no memory limit: per-step parity at M = 130.
  const ObservationShape shape{maze::kSources, maze::kChannels};
  const LifetimeSet set{43, 2, 2};
  const int steps = 12;
  wide.network.output_noise = 0.0f;
  const std::vector<float> theta = random_theta(wide, 17);
  const std::vector<float> obs = random_observations(size_t(set.count) * steps * maze::kSources * maze::kChannels, 9);
  const ReplayRequest request = centre_replay(wide, shape, theta, obs, steps, set);
  expect_close(find_backend(BackendKind::cuda).replay(request), request, "M = 130, auto");
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
