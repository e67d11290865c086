// The CPU tasks: the reference LIF neuron and its closed-form rate, the STDP
// target rules, and the iaf / stdp / stdp_complex environments driven by
// oracle and naive agents.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <vector>

#include "enu/common.hpp"
#include "enu/config.hpp"
#include "enu/task.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

// ---- objectives ----------------------------------------------------------------

// sphere and rastrigin by hand: sphere{1,2,-3} = 14; rastrigin is 0 at the
// origin, sum x^2 at integer points, and 10 + 0.25 + 10 per coordinate at 0.5.
TEST(Objectives, HandValues) {
  const float x[] = {1.0f, 2.0f, -3.0f};
  EXPECT_DOUBLE_EQ(make_sphere()->value(x, 3), 14.0);
  const float zero[] = {0.0f, 0.0f};
  EXPECT_NEAR(make_rastrigin()->value(zero, 2), 0.0, 1e-9);
  const float integers[] = {1.0f, -2.0f};
  EXPECT_NEAR(make_rastrigin()->value(integers, 2), 5.0, 1e-9);
  const float halves[] = {0.5f, -0.5f, 0.5f};
  EXPECT_NEAR(make_rastrigin()->value(halves, 3), 3 * 20.25, 1e-9);
}

// The registry maps names to tasks and objectives and rejects the rest with enu::Error.
TEST(Registry, NamesAndErrors) {
  TaskConfig config;
  for (const char* name : {"iaf", "stdp", "stdp_complex"}) {
    config.name = name;
    EXPECT_EQ(make_task(config)->name(), name);
    EXPECT_FALSE(is_objective_task(name));
  }
  for (const char* name : {"sphere", "rastrigin"}) {
    config.name = name;
    EXPECT_EQ(make_objective(config)->name(), name);
    EXPECT_TRUE(is_objective_task(name));
    EXPECT_THROW(make_task(config), Error);
  }
  config.name = "no_such_task";
  EXPECT_THROW(make_task(config), Error);
  EXPECT_THROW(make_objective(config), Error);
  config.name = "iaf";
  EXPECT_THROW(make_objective(config), Error);
}

// ---- LIF reference neuron ----------------------------------------------------------

// Spike count of the reference neuron over `steps` steps of a constant current.
int simulated_spikes(const IafConfig& config, float current, int steps) {
  LifNeuron lif = LifNeuron::from(config);
  int spikes = 0;
  for (int s = 0; s < steps; ++s) spikes += lif.step(current) ? 1 : 0;
  return spikes;
}

// lif_analytic_rate by hand. Perfect integrator, threshold 0.5: 0.2 fires every
// 3 steps, 0.1 every 5, 0.5 and above every step, no current never. Leaky
// (tau 20, a = e^-0.05): 0.1 needs n >= ln(1 - 0.5 (1-a)/0.1)/ln a = 5.59, so 1/6;
// below the rheobase 0.5 (1-a) = 0.0244 it never fires.
TEST(Lif, AnalyticRateByHand) {
  IafConfig perfect;
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 0.2), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 0.1), 1.0 / 5.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 0.3), 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 2.0), 1.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(perfect, -0.1), 0.0);
  IafConfig leaky;
  leaky.leak_tau = 20.0f;
  EXPECT_DOUBLE_EQ(lif_analytic_rate(leaky, 0.1), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(leaky, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(leaky, 0.024), 0.0);
  EXPECT_DOUBLE_EQ(lif_analytic_rate(leaky, 0.0), 0.0);
  EXPECT_GT(lif_analytic_rate(leaky, 0.025), 0.0);
}

// LifNeuron::from: threshold from the config, decay exp(-1/tau) or 1 without leak, v = 0.
TEST(Lif, MakeLif) {
  IafConfig config;
  config.threshold = 0.7f;
  LifNeuron perfect = LifNeuron::from(config);
  EXPECT_EQ(perfect.threshold, 0.7f);
  EXPECT_EQ(perfect.decay, 1.0f);
  EXPECT_EQ(perfect.v, 0.0f);
  config.leak_tau = 20.0f;
  EXPECT_NEAR(LifNeuron::from(config).decay, std::exp(-0.05), 1e-7);
}

// Simulated perfect integrator fires at lif_analytic_rate over 10,000 steps
// (a count differs from steps * rate by less than one spike), for round currents
// 0.01 .. 0.20 and for a fine sweep between them.
TEST(Lif, PerfectIntegratorMatchesAnalyticRate) {
  IafConfig config;
  const int steps = 10000;
  std::vector<float> currents;
  for (int k = 1; k <= 20; ++k) currents.push_back(float(0.01 * k));
  for (int j = 0; j < 97; ++j) currents.push_back(float(0.0101 + 0.19 * j / 97.0));
  for (float current : currents) {
    const double simulated = double(simulated_spikes(config, current, steps)) / steps;
    const double analytic = lif_analytic_rate(config, current);
    EXPECT_NEAR(simulated, analytic, 1.0 / steps)
        << "current " << current << ": simulated every " << 1.0 / simulated << " steps, analytic every "
        << 1.0 / analytic;
  }
}

// Leaky variant (tau 20): simulated rate matches the closed form, including
// currents below the rheobase, which never fire.
TEST(Lif, LeakyMatchesAnalyticRateIncludingBelowRheobase) {
  IafConfig config;
  config.leak_tau = 20.0f;
  const int steps = 10000;
  for (int k = 1; k <= 40; ++k) {
    const float current = 0.005f * float(k);
    const int spikes = simulated_spikes(config, current, steps);
    const double analytic = lif_analytic_rate(config, current);
    EXPECT_NEAR(double(spikes) / steps, analytic, 1.0 / steps) << "current " << current;
    if (current < 0.024f) {
      EXPECT_EQ(spikes, 0) << "current " << current << " is below the rheobase";
    }
  }
}

// ---- STDP rules ----------------------------------------------------------------

// Simple rule with the defaults (A = 0.5, tau = 10): dw = m A sign(dt) exp(-|dt|/tau).
TEST(Stdp, SimpleRuleAtKnownDt) {
  const StdpConfig config;
  EXPECT_NEAR(stdp_dw(config, false, 1.0f, 10), 0.5 * std::exp(-1.0), 1e-6);
  EXPECT_NEAR(stdp_dw(config, false, 1.0f, -5), -0.5 * std::exp(-0.5), 1e-6);
  EXPECT_NEAR(stdp_dw(config, false, 1.0f, 1), 0.5 * std::exp(-0.1), 1e-6);
  EXPECT_EQ(stdp_dw(config, false, 1.0f, 0), 0.0f);
  for (int dt = -30; dt <= 30; ++dt) {
    EXPECT_EQ(stdp_dw(config, false, 0.0f, dt), 0.0f) << "dt " << dt;  // no modulator, no learning
    EXPECT_FLOAT_EQ(stdp_dw(config, false, 1.0f, dt), -stdp_dw(config, false, 1.0f, -dt)) << "dt " << dt;
  }
}

// Complex rule, modulator present: symmetric, positive, A exp(-|dt|/tau).
TEST(Stdp, ComplexRuleWithModulatorIsSymmetric) {
  const StdpConfig config;
  for (int dt = 0; dt <= 30; ++dt) {
    const float plus = stdp_dw(config, true, 1.0f, dt), minus = stdp_dw(config, true, 1.0f, -dt);
    EXPECT_EQ(plus, minus) << "dt " << dt;
    EXPECT_GT(plus, 0.0f) << "dt " << dt;
    EXPECT_NEAR(plus, 0.5 * std::exp(-dt / 10.0), 1e-6) << "dt " << dt;
  }
}

// Complex rule, modulator absent: A cos^2(pi dt / 10) exp(-|dt|/20) has maxima at
// dt = 0 and +-10 and vanishes at +-5.
TEST(Stdp, ComplexRuleWithoutModulatorPeaksAtZeroAndTen) {
  const StdpConfig config;
  auto dw = [&](int dt) { return stdp_dw(config, true, 0.0f, dt); };
  EXPECT_NEAR(dw(0), 0.5, 1e-6);
  EXPECT_NEAR(dw(10), 0.5 * std::exp(-0.5), 1e-6);
  EXPECT_NEAR(dw(-10), 0.5 * std::exp(-0.5), 1e-6);
  EXPECT_NEAR(dw(5), 0.0, 1e-6);
  EXPECT_NEAR(dw(-5), 0.0, 1e-6);
  for (int peak : {-10, 0, 10}) {
    EXPECT_GT(dw(peak), dw(peak - 1)) << "peak " << peak;
    EXPECT_GT(dw(peak), dw(peak + 1)) << "peak " << peak;
  }
  for (int dt = -20; dt <= 20; ++dt) EXPECT_GE(dw(dt), 0.0f) << "dt " << dt;
}

// The observation channels are [potential, pre spike, post spike, modulator].
TEST(Stdp, ObservationChannels) {
  float out[4];
  stdp_observation(0.5f, true, false, 1.0f, out);
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], 1.0f);
  EXPECT_EQ(out[2], 0.0f);
  EXPECT_EQ(out[3], 1.0f);
  stdp_observation(0.46f, false, true, 0.0f, out);
  EXPECT_EQ(out[0], 0.46f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[2], 1.0f);
  EXPECT_EQ(out[3], 0.0f);
}

// ---- environments ------------------------------------------------------------------

// All observations of `count` lifetimes starting at `first`, [step][i * width + c].
std::vector<std::vector<float>> observe_all(const Task& task, const LifetimeSet& set, int first, int count) {
  const ObservationShape shape = task.observation_shape();
  const int width = shape.sources * shape.channels;
  auto env = task.make_environment(count);
  env->reset(set, first, count);
  std::vector<std::vector<float>> steps;
  std::vector<float> actions(size_t(count) * task.action_count(), 0.0f);
  for (int s = 0; s < task.steps(); ++s) {
    steps.emplace_back(size_t(count) * width);
    env->observe(s, steps.back().data());
    env->act(s, actions.data());
  }
  return steps;
}

TaskConfig named(const char* name) {
  TaskConfig config;
  config.name = name;
  return config;
}

// iaf: one channel; the observation is the current, in [0.01, 0.2] and constant
// within each of the 4 windows of 25 steps; windows differ somewhere.
TEST(IafEnvironment, ObservationIsPiecewiseConstantCurrent) {
  auto task = make_task(named("iaf"));
  ASSERT_EQ(task->steps(), 100);
  ASSERT_EQ(task->observation_shape().sources * task->observation_shape().channels, 1);
  ASSERT_EQ(task->action_count(), 1);
  const int count = 16;
  const auto obs = observe_all(*task, LifetimeSet{5, 3, count}, 0, count);
  int changes = 0;
  for (int i = 0; i < count; ++i) {
    for (int s = 0; s < 100; ++s) {
      const float x = obs[size_t(s)][size_t(i)];
      EXPECT_GE(x, 0.01f);
      EXPECT_LE(x, 0.2f);
      if (s % 25 != 0) {
        EXPECT_EQ(x, obs[size_t(s - 1)][size_t(i)]) << "lifetime " << i << " step " << s;
      } else if (s > 0) {
        changes += x != obs[size_t(s - 1)][size_t(i)];
      }
    }
  }
  EXPECT_GT(changes, count);  // 3 boundaries per lifetime: most of them change
}

// iaf with 90 steps and 3 windows: constant over windows of 30 steps.
TEST(IafEnvironment, WindowsFollowTheConfig) {
  TaskConfig config = named("iaf");
  config.iaf.steps = 90;
  config.iaf.windows = 3;
  auto task = make_task(config);
  const auto obs = observe_all(*task, LifetimeSet{9, 0, 4}, 0, 4);
  ASSERT_EQ(obs.size(), 90u);
  for (int i = 0; i < 4; ++i) {
    for (int s = 1; s < 90; ++s) {
      if (s % 30 != 0) {
        EXPECT_EQ(obs[size_t(s)][size_t(i)], obs[size_t(s - 1)][size_t(i)]) << "step " << s;
      }
    }
  }
}

// iaf agents, each mapping (lifetime, observed current, step) to an output:
// runs `count` lifetimes and returns their fitness and the last rewards seen.
template <typename Agent>
std::vector<float> run_iaf(const IafConfig& iaf, int count, Agent agent, std::vector<float>* rewards = nullptr) {
  TaskConfig config = named("iaf");
  config.iaf = iaf;
  auto task = make_task(config);
  auto env = task->make_environment(count);
  env->reset(LifetimeSet{21, 4, count}, 0, count);
  const size_t n = static_cast<size_t>(count);
  std::vector<float> obs(n), actions(n);
  for (int s = 0; s < task->steps(); ++s) {
    env->observe(s, obs.data());
    for (int i = 0; i < count; ++i) actions[size_t(i)] = agent(i, obs[size_t(i)]);
    env->act(s, actions.data());
    if (rewards != nullptr) {
      for (int i = 0; i < count; ++i) rewards->push_back(env->last_reward(i));
    }
  }
  std::vector<float> fitness(n);
  env->fitness(fitness.data());
  return fitness;
}

// An agent that outputs the reference LIF's own spikes (simulated on the observed
// currents) scores exactly 0 with zero reward at every step; one that never spikes
// scores strictly less (any current >= 0.01 fires within 100 steps).
TEST(IafEnvironment, OracleScoresZeroSilentScoresNegative) {
  const IafConfig iaf;
  const int count = 12;
  std::vector<LifNeuron> own(size_t(count), LifNeuron::from(iaf));
  std::vector<float> rewards;
  const std::vector<float> oracle =
      run_iaf(iaf, count, [&](int i, float current) { return own[size_t(i)].step(current) ? 1.0f : 0.0f; }, &rewards);
  for (int i = 0; i < count; ++i) EXPECT_EQ(oracle[size_t(i)], 0.0f) << "lifetime " << i;
  for (float r : rewards) EXPECT_EQ(r, 0.0f);
  const std::vector<float> silent = run_iaf(iaf, count, [](int, float) { return 0.0f; });
  for (int i = 0; i < count; ++i) EXPECT_LT(silent[size_t(i)], 0.0f) << "lifetime " << i;
}

// Leaky reference neuron (tau 20): the oracle built on the same LifNeuron::from still
// scores exactly 0.
TEST(IafEnvironment, LeakyOracleScoresZero) {
  IafConfig iaf;
  iaf.leak_tau = 20.0f;
  const int count = 8;
  std::vector<LifNeuron> own(size_t(count), LifNeuron::from(iaf));
  const std::vector<float> oracle =
      run_iaf(iaf, count, [&](int i, float current) { return own[size_t(i)].step(current) ? 1.0f : 0.0f; });
  for (float f : oracle) EXPECT_EQ(f, 0.0f);
}

// Right timing with outputs 0.9 / 0.1 instead of 1 / 0 is penalised only
// through the size penalty: negative with size_penalty 1, exactly 0 with 0.
TEST(IafEnvironment, SizePenaltyScoresNonBinaryOutputs) {
  for (float penalty : {1.0f, 0.0f}) {
    IafConfig iaf;
    iaf.size_penalty = penalty;
    const int count = 6;
    std::vector<LifNeuron> own(size_t(count), LifNeuron::from(iaf));
    const std::vector<float> fitness =
        run_iaf(iaf, count, [&](int i, float current) { return own[size_t(i)].step(current) ? 0.9f : 0.1f; });
    for (float f : fitness) {
      if (penalty > 0.0f) {
        EXPECT_LT(f, 0.0f);
      } else {
        EXPECT_EQ(f, 0.0f);
      }
    }
  }
}

// A short spike train scored by hand. current ~0.25 (lo 0.25, hi just above, one
// multiplier): the reference fires at steps 1 and 3. Unit outputs 0, 0.04, 0.6,
// 0.9. Published (spike above 0.05): the unit fires at 2 and 3; steps since the
// last spike, unit - reference: 1-1, 2-0, 0-1, 0-0, squared 0 + 4 + 1 + 0 = 5;
// (y - 1)^2 where y > 0.05: 0.16 + 0.01; fitness -(5 + 0.17) / 4 = -1.2925.
// enu (spike above 0.5): the same spikes; |differences| 0 + 2 + 1 + 0 = 3;
// min(y, 1 - y): 0 + 0.04 + 0.4 + 0.1 = 0.54; fitness -(3 + 0.54) / 4 = -0.885.
TEST(IafEnvironment, ShortSpikeTrainScoredByHand) {
  for (IafScoring scoring : {IafScoring::published, IafScoring::enu}) {
    IafConfig iaf;
    iaf.steps = 4;
    iaf.windows = 1;
    iaf.current_lo = 0.25f;
    iaf.current_hi = 0.2500001f;
    iaf.multiplier_max = 1;
    iaf.scoring = scoring;
    const float outputs[4] = {0.0f, 0.04f, 0.6f, 0.9f};
    int step = 0;
    const std::vector<float> fitness = run_iaf(iaf, 1, [&](int, float) { return outputs[step++]; });
    const double expected = scoring == IafScoring::published ? -1.2925 : -0.885;
    EXPECT_NEAR(fitness[0], expected, 1e-6) << to_string(scoring);
  }
}

// Published scoring: the oracle's spikes (output 1) score exactly 0. Spiking on
// time at 0.06 (just above 0.05) costs only (0.06 - 1)^2 per spike, and an
// output of 0.05 between spikes nothing; a unit at 0.05 throughout is silent.
TEST(IafEnvironment, PublishedScoringSpikesAbove005) {
  IafConfig iaf;
  iaf.scoring = IafScoring::published;
  const int count = 8;
  std::vector<LifNeuron> own(size_t(count), LifNeuron::from(iaf));
  const auto oracle = [&](int i, float current) { return own[size_t(i)].step(current) ? 1.0f : 0.0f; };
  for (float f : run_iaf(iaf, count, oracle)) EXPECT_EQ(f, 0.0f);
  own.assign(size_t(count), LifNeuron::from(iaf));
  std::vector<int> spikes(size_t(count), 0);
  const std::vector<float> low = run_iaf(iaf, count, [&](int i, float current) {
    const bool fires = own[size_t(i)].step(current);
    spikes[size_t(i)] += fires;
    return fires ? 0.06f : 0.05f;
  });
  const double miss = double(0.06f) - 1.0;
  for (int i = 0; i < count; ++i) {
    ASSERT_GT(spikes[size_t(i)], 0);
    EXPECT_NEAR(low[size_t(i)], -miss * miss * spikes[size_t(i)] / iaf.steps, 1e-6) << "lifetime " << i;
  }
  for (float f : run_iaf(iaf, count, [](int, float) { return 0.05f; })) EXPECT_LT(f, -1.0f);
}

// per_step: the multiplier is drawn per window and the base every step. With a
// narrow base range [0.01, 0.0101] the multiplier is round(current / 0.01): one
// integer in 1..9 through each window, several across windows, and the base
// current / multiplier in range and changing within windows.
TEST(IafEnvironment, PerStepDrawRedrawsTheBaseEveryStep) {
  TaskConfig config = named("iaf");
  config.iaf.current_draw = IafCurrentDraw::per_step;
  config.iaf.current_lo = 0.01f;
  config.iaf.current_hi = 0.0101f;
  config.iaf.multiplier_max = 9;
  auto task = make_task(config);
  const int count = 8, window = 25;
  const auto obs = observe_all(*task, LifetimeSet{4, 1, count}, 0, count);
  std::set<long> multipliers;
  int base_changes = 0;
  for (int i = 0; i < count; ++i) {
    for (int s = 0; s < 100; ++s) {
      const float x = obs[size_t(s)][size_t(i)];
      const long m = std::lround(x / 0.01f);
      multipliers.insert(m);
      ASSERT_GE(m, 1);
      ASSERT_LE(m, 9);
      EXPECT_GE(x / float(m), 0.01f * (1 - 1e-6f));
      EXPECT_LE(x / float(m), 0.0101f * (1 + 1e-6f));
      if (s % window != 0) {
        EXPECT_EQ(m, std::lround(obs[size_t(s - 1)][size_t(i)] / 0.01f)) << "lifetime " << i << " step " << s;
        base_changes += x != obs[size_t(s - 1)][size_t(i)];
      }
    }
  }
  EXPECT_GE(multipliers.size(), 5u);
  EXPECT_GT(base_changes, count * 96 * 9 / 10);  // nearly every step within a window draws anew
}

// The same (seed, generation, lifetime index) gives identical observations, also
// when the lifetime is reset inside another chunk; another generation or seed
// differs. Under both current draws.
TEST(IafEnvironment, LifetimesArePureFunctionsOfSeedGenerationIndex) {
  for (IafCurrentDraw draw : {IafCurrentDraw::per_window, IafCurrentDraw::per_step}) {
    TaskConfig config = named("iaf");
    config.iaf.current_draw = draw;
    auto task = make_task(config);
    const auto a = observe_all(*task, LifetimeSet{7, 2, 8}, 0, 8);
    const auto b = observe_all(*task, LifetimeSet{7, 2, 8}, 0, 8);
    EXPECT_EQ(a, b);
    const auto chunk = observe_all(*task, LifetimeSet{7, 2, 8}, 5, 3);  // lifetimes 5, 6, 7
    for (int s = 0; s < task->steps(); ++s) {
      for (int i = 0; i < 3; ++i) EXPECT_EQ(chunk[size_t(s)][size_t(i)], a[size_t(s)][size_t(5 + i)]);
    }
    EXPECT_NE(a, observe_all(*task, LifetimeSet{7, 3, 8}, 0, 8));
    EXPECT_NE(a, observe_all(*task, LifetimeSet{8, 2, 8}, 0, 8));
    // Lifetimes of one generation differ from each other.
    EXPECT_NE(a[0][0] + a[30][0] + a[60][0] + a[90][0], a[0][1] + a[30][1] + a[60][1] + a[90][1]);
  }
}

// stdp / stdp_complex observations: 4 channels, potential in [0.45, 0.55),
// exactly one pre and one post spike at different steps, modulator constant 0 or 1;
// over 400 lifetimes the modulator is 1 about half the time and spike steps
// have mean about 50 and spread about 7 (5-standard-error bounds).
TEST(StdpEnvironment, ObservationStructureAndStatistics) {
  for (const char* name : {"stdp", "stdp_complex"}) {
    auto task = make_task(named(name));
    ASSERT_EQ(task->observation_shape().sources * task->observation_shape().channels, 4);
    ASSERT_EQ(task->action_count(), 1);
    const int count = 400, steps = task->steps();
    const auto obs = observe_all(*task, LifetimeSet{13, 6, count}, 0, count);
    double modulated = 0.0, pre_sum = 0.0, pre_squares = 0.0;
    for (int i = 0; i < count; ++i) {
      int pre_count = 0, post_count = 0, pre = -1, post = -1;
      const float modulator = obs[0][size_t(4 * i + 3)];
      EXPECT_TRUE(modulator == 0.0f || modulator == 1.0f);
      for (int s = 0; s < steps; ++s) {
        const float* o = obs[size_t(s)].data() + 4 * i;
        EXPECT_GE(o[0], 0.45f);
        EXPECT_LT(o[0], 0.55f);
        EXPECT_TRUE(o[1] == 0.0f || o[1] == 1.0f);
        EXPECT_TRUE(o[2] == 0.0f || o[2] == 1.0f);
        EXPECT_EQ(o[3], modulator);
        if (o[1] == 1.0f) ++pre_count, pre = s;
        if (o[2] == 1.0f) ++post_count, post = s;
      }
      ASSERT_EQ(pre_count, 1) << name << " lifetime " << i;
      ASSERT_EQ(post_count, 1) << name << " lifetime " << i;
      EXPECT_NE(pre, post);
      modulated += modulator;
      pre_sum += pre;
      pre_squares += double(pre) * pre;
    }
    EXPECT_NEAR(modulated / count, 0.5, 5.0 * 0.5 / std::sqrt(double(count))) << name;
    const double mean = pre_sum / count, spread = std::sqrt(pre_squares / count - mean * mean);
    EXPECT_NEAR(mean, 50.0, 5.0 * 7.0 / std::sqrt(double(count))) << name;
    EXPECT_NEAR(spread, 7.0, 1.5) << name;
    // The potential is redrawn every step (it is not constant).
    EXPECT_NE(obs[0][0], obs[1][0]);
  }
}

// Runs `count` lifetimes of a stdp task with an agent mapping (observation, step,
// lifetime) to an output; returns the fitness.
template <typename Agent>
std::vector<float> run_stdp(const TaskConfig& config, int count, Agent agent) {
  auto task = make_task(config);
  auto env = task->make_environment(count);
  env->reset(LifetimeSet{31, 2, count}, 0, count);
  const size_t n = static_cast<size_t>(count);
  std::vector<float> obs(4 * n), actions(n);
  for (int s = 0; s < task->steps(); ++s) {
    env->observe(s, obs.data());
    for (int i = 0; i < count; ++i) actions[size_t(i)] = agent(obs.data() + 4 * i, s, i);
    env->act(s, actions.data());
  }
  std::vector<float> fitness(n);
  env->fitness(fitness.data());
  return fitness;
}

// An oracle that reconstructs pre, post and the modulator from the observations
// and outputs potential * weight (1 up to max(pre, post), then 1 + dw(post - pre))
// scores 0; a constant 0.5 output and an agent that never changes the weight
// score negative.
TEST(StdpEnvironment, OracleScoresZeroNaiveAgentsNegative) {
  for (bool complex_rule : {false, true}) {
    TaskConfig config = named(complex_rule ? "stdp_complex" : "stdp");
    const int count = 64;
    std::vector<int> pre(size_t(count), -1), post(size_t(count), -1);
    const std::vector<float> oracle = run_stdp(config, count, [&](const float* o, int s, int i) {
      if (o[1] == 1.0f) pre[size_t(i)] = s;
      if (o[2] == 1.0f) post[size_t(i)] = s;
      float weight = 1.0f;
      if (pre[size_t(i)] >= 0 && post[size_t(i)] >= 0 && s >= std::max(pre[size_t(i)], post[size_t(i)]) + 1) {
        weight = 1.0f + stdp_dw(config.stdp, complex_rule, o[3], post[size_t(i)] - pre[size_t(i)]);
      }
      return o[0] * weight;
    });
    for (int i = 0; i < count; ++i) {
      EXPECT_NEAR(oracle[size_t(i)], 0.0, 1e-12) << config.name << " lifetime " << i;
      EXPECT_LE(oracle[size_t(i)], 0.0f);
    }
    const std::vector<float> constant = run_stdp(config, count, [](const float*, int, int) { return 0.5f; });
    for (float f : constant) EXPECT_LT(f, 0.0f) << config.name;
    // Ignoring the weight change costs fitness in every lifetime where dw != 0.
    const std::vector<float> fixed_weight = run_stdp(config, count, [](const float* o, int, int) { return o[0]; });
    int worse = 0;
    for (float f : fixed_weight) worse += f < -1e-6f;
    EXPECT_GT(worse, count / 4) << config.name;
  }
}

// stdp lifetimes are pure functions of (seed, generation, index), chunking
// included; another generation gives other spike times and potentials.
TEST(StdpEnvironment, LifetimesArePureFunctionsOfSeedGenerationIndex) {
  auto task = make_task(named("stdp"));
  const auto a = observe_all(*task, LifetimeSet{3, 1, 6}, 0, 6);
  EXPECT_EQ(a, observe_all(*task, LifetimeSet{3, 1, 6}, 0, 6));
  const auto chunk = observe_all(*task, LifetimeSet{3, 1, 6}, 2, 4);
  for (int s = 0; s < task->steps(); ++s) {
    for (int c = 0; c < 16; ++c) EXPECT_EQ(chunk[size_t(s)][size_t(c)], a[size_t(s)][size_t(8 + c)]);
  }
  EXPECT_NE(a, observe_all(*task, LifetimeSet{3, 2, 6}, 0, 6));
  EXPECT_NE(a, observe_all(*task, LifetimeSet{4, 1, 6}, 0, 6));
}

}  // namespace
}  // namespace enu
