// Every registered backend against the reference backend: per-step outputs of
// single cells and networks (each network path the backend has), and fitness
// vectors of the single-unit and maze tasks. The cases of the fast CPU backend's
// runner tests and of the CUDA parity tests, each run on every backend under
// that backend's per-step tolerance (step_tolerance; unscreened_tolerance where
// the case was not screened for stability).
#include <algorithm>
#include <limits>

#include "enu/maze_tasks.hpp"
#include "maze_scripting.hpp"
#include "parity.hpp"

namespace enu::parity {
namespace {

const CellKind kKinds[] = {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm};

// The runner tests' replay: 5 lifetimes, not a multiple of the fast cell's
// 6-row tile, starting at lifetime 2 (the noise streams must follow the
// lifetime index, not the row).
ReplayRequest runner_replay(const ModelSpec& model, ObservationShape shape, std::vector<float> theta, int steps,
                            uint64_t obs_seed) {
  const int lifetimes = 5;
  const size_t obs_count = size_t(lifetimes) * steps * shape.sources * shape.channels;
  return ReplayRequest{model, shape, std::move(theta), random_observations(obs_count, obs_seed), steps,
                       LifetimeSet{77, 4, lifetimes + 2}, 2, lifetimes, CudaOptions{}};
}

// ---- single cells ---------------------------------------------------------------------

// Every cell kind, I = 4, M = 32, O = 1 and 3, on theta ~ N(0, 0.2^2) and on the
// published init, over 100 steps of random inputs in [0, 1], fed as 3 channels
// so that the backends zero-pad the fourth. With U ~ 40 inputs, 0.2 gives gate
// pre-activations of O(1) (x3 for the steep gates), well into the non-linear
// range, while the rollout stays stable. N(0, 0.3^2) is chaotic for the ENU
// (the 1-ulp twin drifts to O(1) within 60 steps); it is covered by
// SingleCellsChaotic.
TEST_P(BackendParity, SingleCellsGraded) {
  for (CellKind kind : kKinds) {
    for (int O : {1, 3}) {
      for (bool published : {false, true}) {
        const std::string what = std::string(to_string(kind)) + " O=" + std::to_string(O) +
                                 (published ? " published init" : " N(0,0.2^2)");
        SCOPED_TRACE(what);
        ModelSpec model;
        model.cell = CellSpec{kind, 4, 32, O, false};
        std::vector<float> theta = cell_theta(model.cell, 0.2f, 100 + O);
        if (published) model.init_params(21, theta.data());
        const ReplayRequest request = runner_replay(model, ObservationShape{1, 3}, theta, 100, 7);
        const Rollouts r = roll_out(backend(), request);
        expect_stable(r, what);
        // Not all clamped (the published init's zero read-out bias clamps most
        // single-output steps at 0, so only the random draws are held to this).
        if (!published) {
          EXPECT_GT(graded_fraction(r.reference), 0.25);
        }
        expect_close(r.backend, r.reference, step_tolerance(backend()), replay_layout(request), what);
      }
    }
  }
}

// theta ~ N(0, 0.3^2) everywhere (read-out biases in [0.3, 0.7]): gates deep in
// saturation and, for the ENU, chaotic dynamics through the fed-back output;
// the backend must track the reference as well as float rounding allows (see
// expect_drift_within_chaos).
TEST_P(BackendParity, SingleCellsChaotic) {
  for (CellKind kind : kKinds) {
    for (int O : {1, 3}) {
      const std::string what = std::string(to_string(kind)) + " O=" + std::to_string(O);
      SCOPED_TRACE(what);
      ModelSpec model;
      model.cell = CellSpec{kind, 4, 32, O, false};
      const ReplayRequest request =
          runner_replay(model, ObservationShape{1, 3}, cell_theta(model.cell, 0.3f, 100 + O, 0.3f), 100, 7);
      const Rollouts r = roll_out(backend(), request);
      expect_drift_within_chaos(r, request, what);
      EXPECT_GT(graded_fraction(r.reference), 0.05);  // not all clamped
    }
  }
}

// Spike mode: outputs are 0/1 steps of clamp(1000 y), so a ~1e-7 difference in
// y flips a step when y is that close to a threshold, and for the ENU the
// flipped output feeds back. Compare the fraction of agreeing steps instead:
// > 99%. The read-out bias is zeroed (as the published init has it) so that y
// can change sign; a few draws still sit on one side of the threshold
// throughout, but most cases must both spike and stay silent.
TEST_P(BackendParity, SingleCellsSpiking) {
  int cases = 0, both_sides = 0;
  for (CellKind kind : kKinds) {
    for (int O : {1, 3}) {
      for (bool published : {false, true}) {
        SCOPED_TRACE(std::string(to_string(kind)) + " O=" + std::to_string(O) + (published ? " published" : " random"));
        ModelSpec model;
        model.cell = CellSpec{kind, 4, 32, O, true};
        std::vector<float> theta = cell_theta(model.cell, 0.2f, 200 + O);
        const CellLayout l = cell_layout(model.cell);
        std::fill(theta.begin() + long(l.w_out + size_t(32) * O), theta.end(), 0.0f);  // read-out bias
        if (published) model.init_params(22, theta.data());
        const Rollouts r = roll_out(backend(), runner_replay(model, ObservationShape{1, 4}, theta, 100, 8));
        EXPECT_GT(agreement(r.backend, r.reference), 0.99);
        for (float v : r.backend) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << v;  // NaN fails
        const auto ones = std::count(r.reference.begin(), r.reference.end(), 1.0f);
        const auto zeros = std::count(r.reference.begin(), r.reference.end(), 0.0f);
        EXPECT_GT(ones + zeros, long(r.reference.size()) * 9 / 10);  // mostly binary
        ++cases;
        both_sides += ones > 0 && zeros > 0;
      }
    }
  }
  EXPECT_GE(both_sides, cases * 3 / 4);
}

// Every cell kind, O = 1 and 3, graded and spiking, at M = 32, 48 and 100: one,
// two and four memory cells per lane in the CUDA kernels' variants; 5 lifetimes
// of 60 steps from lifetime 0, on the published init plus N(0, 0.1^2), not
// screened for stability.
TEST_P(BackendParity, SingleCellsAtEveryKernelWidth) {
  const int steps = 60, lifetimes = 5;
  for (CellKind kind : kKinds) {
    for (int outputs : {1, 3}) {
      for (bool spiking : {false, true}) {
        for (int memory : {32, 48, 100}) {
          ModelSpec model;
          model.cell = CellSpec{kind, 4, memory, outputs, spiking};
          const ReplayRequest request{model,
                                      ObservationShape{1, 4},
                                      random_theta(model, 7 + outputs),
                                      random_observations(size_t(lifetimes) * steps * 4, 5),
                                      steps,
                                      LifetimeSet{11, 3, lifetimes},
                                      0,
                                      lifetimes,
                                      CudaOptions{}};
          const std::vector<float> values = backend().replay(request);
          const std::vector<float> reference = find_backend(BackendKind::reference).replay(request);
          const std::string what = std::string(to_string(kind)) + " M=" + std::to_string(memory) + " O=" +
                                   std::to_string(outputs) + (spiking ? " spiking" : "");
          if (spiking) {
            EXPECT_GT(agreement(values, reference), 0.99) << what;
          } else {
            expect_close(values, reference, unscreened_tolerance(backend()), replay_layout(request), what);
          }
        }
      }
    }
  }
}

// ---- networks -----------------------------------------------------------------------------

struct NetCase {
  std::string name;
  NetworkSpec spec;
  int steps;
};

std::vector<NetCase> runner_network_cases() {
  std::vector<NetCase> cases;
  NetworkSpec published;  // 4 inputs, 6 neurons, K = 8, C = 16, M = 32
  published.topology = random_topology(4, 6, 3, 8, 5);
  published.channels = 16;
  published.memory = 32;
  cases.push_back({"published-like", published, 40});

  NetworkSpec table;  // odd sizes everywhere: C = 5, M = 7
  table.topology = topology_from_table(3, 2, {{0, 1, 3}, {2, 4, 5}, {6, 3, 0}, {1, 5, 6}}, "test");
  table.channels = 5;
  table.memory = 7;
  cases.push_back({"table", table, 100});

  NetworkSpec shared;
  shared.topology = random_topology(3, 5, 2, 4, 6);
  shared.channels = 6;
  shared.memory = 8;
  shared.shared = true;
  cases.push_back({"shared", shared, 100});

  NetworkSpec mixed = shared;
  mixed.shared = false;
  mixed.synapse_kind = CellKind::nfenu;
  mixed.neuron_kind = CellKind::gru;
  cases.push_back({"nfenu synapses + gru neurons", mixed, 100});

  NetworkSpec lstm = shared;
  lstm.shared = false;
  lstm.synapse_kind = lstm.neuron_kind = CellKind::lstm;
  cases.push_back({"lstm", lstm, 100});

  // Output noise on every cell: the synapse stream must line up too, also
  // where C = 5 leaves a Philox block partly unused.
  NetworkSpec all_cells = published;
  all_cells.output_noise_on = NoiseCells::all;
  cases.push_back({"published-like, noise on all cells", all_cells, 40});
  NetworkSpec random_all;
  random_all.topology = random_topology(3, 4, 2, 3, 11);
  random_all.channels = 5;
  random_all.memory = 7;
  random_all.output_noise_on = NoiseCells::all;
  cases.push_back({"random fan-in C = 5, noise on all cells", random_all, 100});
  return cases;
}

// Networks of every shape above, ticks_per_step 1 and 2, output noise 0.01 (the
// shared noise streams must line up tick by tick), 5 lifetimes; the
// published-like net also on its published init. Observations have 3
// channels, zero-padded to C.
TEST_P(BackendParity, Networks) {
  for (const NetCase& net : runner_network_cases()) {
    for (int ticks : {1, 2}) {
      for (bool published : {false, true}) {
        if (published && net.name != "published-like") continue;
        ModelSpec model;
        model.kind = ModelSpec::Kind::network;
        model.network = net.spec;
        model.network.ticks_per_step = ticks;
        model.network.output_noise = 0.01f;
        validate(model.network, "test");
        std::vector<float> theta = network_theta(model.network, 300 + ticks);
        if (published) model.init_params(23, theta.data());
        ReplayRequest request = runner_replay(model, ObservationShape{net.spec.topology.inputs, 3}, theta,
                                              net.steps / (published ? 2 : 1), 9);
        for (CudaPath path : backend().network_paths(model.network)) {
          const std::string what = net.name + " ticks " + std::to_string(ticks) +
                                   (published ? " published init" : "") + ", path " + to_string(path);
          SCOPED_TRACE(what);
          request.cuda.path = path;
          const Rollouts r = roll_out(backend(), request);
          expect_stable(r, what);
          expect_close(r.backend, r.reference, step_tolerance(backend()), replay_layout(request), what);
          EXPECT_GT(graded_fraction(r.reference), 0.25);  // not all clamped
        }
      }
    }
  }
}

// Seven network shapes (the published maze shape, an explicit table of odd
// sizes, SHARED, mixed and LSTM cells, M = 48 and M = 100 in the CUDA kernels'
// wider variants), ticks 1 and 2, on every network path: 3 lifetimes of 30
// steps on the published init plus N(0, 0.1^2), not screened for stability.
TEST_P(BackendParity, NetworksOfEveryKernelShape) {
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
  wide.shared = true;  // one cell's parameters: within the fused kernel's shared memory at M = 100
  cases.emplace_back("M = 100, SHARED: four memory cells per lane", wide);
  const int steps = 30, lifetimes = 3;
  for (auto& [name, net] : cases) {
    for (int ticks : {1, 2}) {
      net.ticks_per_step = ticks;
      ModelSpec model;
      model.kind = ModelSpec::Kind::network;
      model.network = net;
      const ObservationShape shape{net.topology.inputs, 3};
      ReplayRequest request{model,
                            shape,
                            random_theta(model, 9),
                            random_observations(size_t(lifetimes) * steps * shape.sources * 3, 6),
                            steps,
                            LifetimeSet{21, 4, lifetimes},
                            0,
                            lifetimes,
                            CudaOptions{}};
      const std::vector<float> reference = find_backend(BackendKind::reference).replay(request);
      for (CudaPath path : backend().network_paths(model.network)) {
        request.cuda.path = path;
        expect_close(backend().replay(request), reference, unscreened_tolerance(backend()), replay_layout(request),
                     name + ", ticks " + std::to_string(ticks) + ", " + to_string(path));
      }
    }
  }
}

// ---- task fitness -------------------------------------------------------------------------

// Fitness per (member, lifetime) of one population on one set of lifetimes, on
// a backend; NaN first, so that a row it never writes fails.
std::vector<float> fitness_on(const Backend& backend, const EvaluatorRequest& request, const Population& pop,
                              const LifetimeSet& lifetimes) {
  std::vector<float> fitness(size_t(pop.size) * lifetimes.count, std::numeric_limits<float>::quiet_NaN());
  backend.make_evaluator(request)->evaluate(pop, lifetimes, fitness.data());
  return fitness;
}

// The same population of 8 members on the same 6 lifetimes: fitness per
// (member, lifetime), each task at each CUDA kernel width (memory 32, 48 and
// 100 take one, two and four cells per lane). iaf scores spike timing: a spike
// on the threshold may flip on one side, so a few lifetimes may be off there,
// and the population means must match.
TEST_P(BackendParity, SingleUnitTaskFitness) {
  for (const auto& [name, memory] : {std::pair{"iaf", 32}, std::pair{"stdp", 48}, std::pair{"stdp_complex", 100},
                                     std::pair{"iaf", 100}, std::pair{"stdp", 32}, std::pair{"iaf", 48}}) {
    EvaluatorRequest request;
    request.task.name = name;
    request.model.cell = CellSpec{CellKind::enu, 4, memory, 1, request.task.name == "iaf"};
    request.lifetimes_per_item = 6;
    const std::vector<float> centre = random_theta(request.model, 3);
    const Population pop =
      Population::mirrored(centre.data(), centre.size(), 8, 0.05f).with_seed(17).at_generation(2);
    const LifetimeSet lifetimes{17, 2, 6};
    const std::vector<float> reference = fitness_on(find_backend(BackendKind::reference), request, pop, lifetimes);
    const Comparison c = compare(fitness_on(backend(), request, pop, lifetimes), reference, 1e-4, 1e-3,
                                 {{"member", 8}, {"lifetime", 6}});
    const std::string what = std::string(name) + " M=" + std::to_string(memory);
    ASSERT_EQ(c.nonfinite, 0) << what << " lifetime " << c.first_nonfinite;
    EXPECT_LE(c.bad, request.task.name == "iaf" ? 3 : 0) << what << ":" << c.first;
    EXPECT_NEAR(c.mean, c.reference_mean, 1e-2 * std::abs(c.reference_mean) + 1e-6) << what;
  }
}

// Maze lifetimes diverge once an argmax near a tie falls the other way, so
// nearly every (member, lifetime) must agree and the means match; on every
// network path, the layered one in chunks of 3 members (3 + 3 + 2): chunk
// boundaries must not show. enu's first maze with output noise on the neurons,
// the published maze with noise on every cell (the authors' code).
TEST_P(BackendParity, MazeTaskFitness) {
  struct Case {
    const char* name;
    MazeConfig maze;
    NoiseCells noise_on;
    int steps;  // the published cases shorter: their 5-step trials meet the same events sooner
  };
  const MazeConfig first = MazeConfig{}, published = testing_support::published_maze();
  for (const Case& m : {Case{"tmaze", first, NoiseCells::neurons, 150},
                        Case{"double_tmaze", first, NoiseCells::neurons, 150},
                        Case{"tmaze", published, NoiseCells::all, 80},
                        Case{"double_tmaze", published, NoiseCells::all, 80}}) {
    const char* name = m.name;
    const NoiseCells noise_on = m.noise_on;
    EvaluatorRequest request;
    request.task.name = name;
    request.task.maze = m.maze;
    request.task.maze.steps = m.steps;
    request.model.kind = ModelSpec::Kind::network;
    request.model.network = network(maze::kSources, 6, maze::kActions, 8, 8, 16, 1);
    request.model.network.output_noise = 0.01f;
    request.model.network.output_noise_on = noise_on;
    request.lifetimes_per_item = 4;
    request.cuda.members_per_chunk = 3;
    const std::vector<float> centre = random_theta(request.model, 4);
    const Population pop =
      Population::mirrored(centre.data(), centre.size(), 8, 0.05f).with_seed(19).at_generation(3);
    const LifetimeSet lifetimes{19, 3, 4};
    const std::vector<float> reference = fitness_on(find_backend(BackendKind::reference), request, pop, lifetimes);
    for (CudaPath path : backend().network_paths(request.model.network)) {
      request.cuda.path = path;
      const std::string what = std::string(name) + ", rules " + to_string(m.maze.rules) + ", noise on " +
                               to_string(noise_on) + ", " + to_string(path);
      const Comparison c =
          compare(fitness_on(backend(), request, pop, lifetimes), reference, 1e-5, 0.0, {{"member", 8}, {"lifetime", 4}});
      EXPECT_LE(c.bad, 2) << what << ":" << c.first;
      EXPECT_NEAR(c.mean, c.reference_mean, 0.05 * std::abs(c.reference_mean) + 1e-3) << what;
    }
  }
}

// A population given as rows (an outside optimizer's members, the Python
// evaluator) is evaluated as the same members mirrored: the rows of
// member_params() give bit for bit the mirrored population's fitness on every
// backend and network path, the maze with noise on every cell included (member
// m's streams follow its index, not where its parameters came from).
TEST_P(BackendParity, GivenRowsAreTheirMembers) {
  EvaluatorRequest request;
  request.task.name = "tmaze";
  request.task.maze = testing_support::published_maze();
  request.task.maze.steps = 40;
  request.model.kind = ModelSpec::Kind::network;
  request.model.network = network(maze::kSources, 6, maze::kActions, 8, 8, 16, 1);
  request.model.network.output_noise = 0.01f;
  request.model.network.output_noise_on = NoiseCells::all;
  request.cuda.members_per_chunk = 3;
  const std::vector<float> centre = random_theta(request.model, 5);
  const int members = 6;
  const Population mirrored =
      Population::mirrored(centre.data(), centre.size(), members, 0.05f).with_seed(23).at_generation(4);
  std::vector<float> rows(size_t(members) * centre.size());
  for (int m = 0; m < members; ++m) member_params(mirrored, m, rows.data() + size_t(m) * centre.size());
  const Population given = Population::given_rows(rows.data(), centre.size(), members);
  const LifetimeSet lifetimes{23, 4, 3};
  for (CudaPath path : backend().network_paths(request.model.network)) {
    request.cuda.path = path;
    EXPECT_EQ(fitness_on(backend(), request, given, lifetimes), fitness_on(backend(), request, mirrored, lifetimes))
        << to_string(path);
  }
}

}  // namespace
}  // namespace enu::parity
