// The benchmark harness: how it sizes a timed evaluation, that its derived rates
// follow from what it timed, and that stage profiling measures without changing
// results.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

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
