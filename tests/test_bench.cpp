// The benchmark harness: how it sizes a timed evaluation, that its derived rates
// follow from what it timed, and that stage profiling measures without changing
// results.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "backends.hpp"
#include "bench.hpp"
#include "cpu_evaluator.hpp"
#include "enu/config.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

const std::string kConfigs = std::string(ENU_SOURCE_DIR) + "/configs";

TEST(BenchSizing, FullSettingWhenItFits) {
  const BenchSize size = fit_to_budget(512, 400, true, 1e-6, 1.0);  // 0.2 s of work
  EXPECT_EQ(size.members, 512);
  EXPECT_EQ(size.steps, 400);
}

TEST(BenchSizing, ShortensAdjustableLifetimesBeforeDroppingMembers) {
  // 1 ms per member-step, 10 s: 10,000 member-steps = 512 members x 19.5 steps;
  // steps stop at 20, so members drop to the even count that fits: 500.
  BenchSize size = fit_to_budget(512, 400, true, 1e-3, 10.0);
  EXPECT_EQ(size.steps, 20);
  EXPECT_EQ(size.members, 500);
  // 40,000 member-steps: 512 members x 78 steps.
  size = fit_to_budget(512, 400, true, 1e-3, 40.0);
  EXPECT_EQ(size.members, 512);
  EXPECT_EQ(size.steps, 78);
}

TEST(BenchSizing, FixedLifetimesDropMembersOnlyAndKeepAtLeastTwo) {
  BenchSize size = fit_to_budget(512, 100, false, 1e-3, 10.0);  // 100 members of 100 steps
  EXPECT_EQ(size.steps, 100);
  EXPECT_EQ(size.members, 100);
  size = fit_to_budget(512, 100, false, 1.0, 1.0);  // not even one member fits
  EXPECT_EQ(size.members, 2);
  EXPECT_EQ(size.steps, 100);
  size = fit_to_budget(7, 15, true, 1.0, 1.0);  // lifetimes shorter than the floor stay whole
  EXPECT_EQ(size.steps, 15);
  EXPECT_EQ(size.members, 2);
}

TEST(BenchCases, StandardAndSweepSettingsLoadFromTheConfigs) {
  const std::vector<BenchCase> standard = standard_cases(kConfigs);
  ASSERT_EQ(standard.size(), 3u);
  EXPECT_EQ(standard[0].config.es.population * standard[0].config.es.lifetimes, 512 * 8);
  EXPECT_EQ(standard[1].config.es.population * standard[1].config.es.lifetimes, 512 * 32);
  const ModelSpec large = standard[2].config.model_spec();
  EXPECT_EQ(large.network.topology.neurons, 256);
  EXPECT_EQ(large.network.topology.synapses(), 256 * 64);
  const std::vector<BenchCase> sweep = sweep_cases(kConfigs);
  EXPECT_EQ(sweep.size(), 9u);
  EXPECT_EQ(select_cases(sweep, {"net N=24 K=16"}).at(0).config.model_spec().network.topology.fan_in, 16);
  EXPECT_THROW(select_cases(standard, {"mazes"}), Error);
}

// A GPU-like backend with the CUDA backend's three network paths, for the rows
// `enu bench` makes without a device.
class ThreePathBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::cuda; }
  bool on_gpu() const override { return true; }
  std::unique_ptr<Evaluator> make_evaluator(const EvaluatorRequest&) const override { throw Error("not here"); }
  BenchHardware bench_hardware(int) const override { return {"gpu", 1.0, 1}; }
  std::vector<CudaPath> network_paths(const NetworkSpec&) const override {
    return {CudaPath::fused_v2, CudaPath::fused, CudaPath::layered};
  }
  std::vector<float> replay(const ReplayRequest&) const override { throw Error("not here"); }
};

std::vector<std::string> labels(const std::vector<BenchVariant>& variants) {
  std::vector<std::string> out;
  for (const BenchVariant& v : variants) out.push_back(v.label);
  return out;
}

// The published maze on a backend with several network paths: every path, and
// fused_v2 in each precision; the other paths keep the setting's own precision.
// A single cell, or a backend with one way to run a network: one row, named by
// its hardware alone.
TEST(BenchVariants, FusedV2InEachPrecisionBesideTheOtherPaths) {
  std::vector<BenchCase> cases = standard_cases(kConfigs);
  BenchCase maze = cases[0], stdp = cases[1];
  maze.config.run.cuda_precision = CudaPrecision::tf32x3;  // what the non-v2 rows carry along
  const std::vector<BenchVariant> v = bench_variants(ThreePathBackend{}, maze, "gpu");
  const std::vector<std::string> expected{"gpu fused_v2 fp32", "gpu fused_v2 tf32", "gpu fused_v2 tf32x3", "gpu fused",
                                          "gpu layered"};
  EXPECT_EQ(labels(v), expected);
  ASSERT_EQ(v.size(), 5u);
  const std::vector<std::pair<CudaPath, CudaPrecision>> ways{
      {CudaPath::fused_v2, CudaPrecision::fp32}, {CudaPath::fused_v2, CudaPrecision::tf32},
      {CudaPath::fused_v2, CudaPrecision::tf32x3}, {CudaPath::fused, CudaPrecision::tf32x3},
      {CudaPath::layered, CudaPrecision::tf32x3}};
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(v[i].path, ways[i].first) << v[i].label;
    EXPECT_EQ(v[i].precision, ways[i].second) << v[i].label;
  }

  const std::vector<BenchVariant> cell = bench_variants(ThreePathBackend{}, stdp, "gpu");
  ASSERT_EQ(cell.size(), 1u);
  EXPECT_EQ(cell[0].label, "gpu");
  EXPECT_EQ(cell[0].path, CudaPath::automatic);
  for (const BenchCase& c : cases) {
    const std::vector<BenchVariant> cpu = bench_variants(find_backend(BackendKind::cpu), c, "cpu (2 threads)");
    ASSERT_EQ(cpu.size(), 1u) << c.name;
    EXPECT_EQ(cpu[0].label, "cpu (2 threads)") << c.name;
    EXPECT_EQ(cpu[0].path, CudaPath::automatic) << c.name;
  }

  // The CUDA backend's own paths need no device: in a build with CUDA, the
  // published maze gets the same five rows (a build without it has one way).
  const Backend& cuda = find_backend(BackendKind::cuda);
  if (cuda.network_paths(maze.config.model_spec().network).size() > 1) {
    EXPECT_EQ(labels(bench_variants(cuda, maze, "gpu")), expected);
  } else {
    EXPECT_EQ(labels(bench_variants(cuda, maze, "gpu")), std::vector<std::string>{"gpu"});
  }
}

// A small maze network on one CPU thread.
BenchCase small_maze() {
  return BenchCase{"small", load_config(kConfigs + "/tmaze_small.yaml",
                                        {"es.population=6", "es.lifetimes=3", "task.maze.steps=30",
                                         "model.network.channels=4", "model.network.memory=6"})};
}

BenchEvaluatorFactory fast_cpu() {
  return [](const RunConfig& config, StageProfile* profile) {
    return make_cpu_evaluator(CpuRunnerKind::fast, config.model_spec(), make_task(config.task), 1, 3, profile);
  };
}

TEST(BenchRun, RatesFollowFromWhatWasTimed) {
  const BenchCase c = small_maze();
  BenchOptions options;
  options.budget_seconds = 100.0;  // the whole setting
  options.repetitions = 3;
  const BenchRow row = run_bench(c, "cpu", fast_cpu(), 50.0, options);
  EXPECT_EQ(row.measured_members, 6);
  EXPECT_EQ(row.measured_steps, 30);
  // 6 members x 3 lifetimes x 30 steps in median_seconds.
  EXPECT_NEAR(row.lifetime_steps_per_second * row.median_seconds, 6.0 * 3 * 30, 1e-6);
  EXPECT_NEAR(row.lifetimes_per_second() * row.median_seconds, 6.0 * 3, 1e-9);
  // A tick of the 4-3-3 net with 8 synapses per neuron steps 48 synapse and 6 neuron cells.
  EXPECT_NEAR(row.ticks_per_second, row.lifetime_steps_per_second * 54, 1e-6 * row.ticks_per_second);
  EXPECT_NEAR(row.peak_fraction(), row.gflops / 50.0, 1e-12);
  EXPECT_NEAR(row.generation_seconds, row.median_seconds, 1e-9);  // the full setting was timed
  ASSERT_TRUE(row.has_stages);
  for (int s = 0; s < int(Stage::count); ++s) EXPECT_GT(row.stages.seconds[s], 0.0) << kStageNames[s];
}

// The timer only reads clocks: fitness is bit-identical with and without it, the
// stages of a single cell leave the synapse stages empty, and the stages are
// disjoint intervals of the evaluation (their sum stays within its wall time).
TEST(StageProfile, MeasuresWithoutChangingResults) {
  for (const char* config : {"tmaze_small.yaml", "stdp.yaml"}) {
    const RunConfig run = load_config(kConfigs + "/" + config, {"es.lifetimes=4"});
    const ModelSpec model = run.model_spec();
    std::vector<float> centre(model.param_count());
    model.init_params(3, centre.data());
    const Population pop = Population::mirrored(centre.data(), centre.size(), 4, 0.05f).with_seed(5).at_generation(1);
    const LifetimeSet set{5, 1, 4};
    std::vector<float> plain(16), profiled(16);
    make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(run.task), 1, 4)->evaluate(pop, set, plain.data());
    StageProfile profile;
    auto evaluator = make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(run.task), 1, 4, &profile);
    const auto start = std::chrono::steady_clock::now();
    evaluator->evaluate(pop, set, profiled.data());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(plain, profiled) << config;
    EXPECT_LE(profile.total(), wall) << config;
    EXPECT_GT(profile.seconds[int(Stage::neuron_gemm)], 0.0) << config;
    EXPECT_GT(profile.seconds[int(Stage::environment)], 0.0) << config;
    const bool network = model.kind == ModelSpec::Kind::network;
    EXPECT_EQ(profile.seconds[int(Stage::synapse_gemm)] > 0.0, network) << config;
    EXPECT_EQ(profile.seconds[int(Stage::segmented_mean)] > 0.0, network) << config;
  }
}

TEST(StageProfile, ReferenceRunnerDoesNotTimeStages) {
  const RunConfig run = load_config(kConfigs + "/stdp.yaml");
  const ModelSpec model = run.model_spec();
  std::vector<float> centre(model.param_count(), 0.0f);
  const Population pop = Population::mirrored(centre.data(), centre.size(), 2, 0.05f).with_seed(5).at_generation(1);
  std::vector<float> fitness(4);
  StageProfile profile;
  make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(run.task), 1, 2, &profile)
      ->evaluate(pop, LifetimeSet{5, 1, 2}, fitness.data());
  EXPECT_EQ(profile.total(), 0.0);
}

}  // namespace
}  // namespace enu
