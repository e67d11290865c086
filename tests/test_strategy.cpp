// OpenAI-ES: fitness shaping, mirrored members, the update direction, and the
// controller on plain objectives (sphere, rastrigin) and on bad fitness.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/common.hpp"
#include "enu/evaluator.hpp"
#include "enu/strategy.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

double sum_of(const std::vector<double>& w) { return std::accumulate(w.begin(), w.end(), 0.0); }
double abs_sum_of(const std::vector<double>& w) {
  double s = 0.0;
  for (double x : w) s += std::abs(x);
  return s;
}
double squared_norm(const std::vector<float>& x) {
  double s = 0.0;
  for (float v : x) s += double(v) * v;
  return s;
}

// Every member (and the centre) gets the same fitness.
class ConstantEvaluator final : public Evaluator {
 public:
  explicit ConstantEvaluator(float value) : value_(value) {}
  std::string name() const override { return "constant"; }
  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    std::fill(fitness, fitness + size_t(pop.size) * lifetimes.count, value_);
  }

 private:
  float value_;
};

// -sphere, with chosen members of the (non-centre) population replaced by `bad`.
class BadMemberEvaluator final : public Evaluator {
 public:
  BadMemberEvaluator(std::vector<int> bad_members, float bad)
      : inner_(make_objective_evaluator(make_sphere())), bad_members_(std::move(bad_members)), bad_(bad) {}
  std::string name() const override { return "bad-member"; }
  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    inner_->evaluate(pop, lifetimes, fitness);
    if (pop.centre_only) return;
    for (int m : bad_members_) fitness[size_t(m) * lifetimes.count] = bad_;  // one lifetime spoils the mean
  }

 private:
  std::unique_ptr<Evaluator> inner_;
  std::vector<int> bad_members_;
  float bad_;
};

EsConfig small_config() {
  EsConfig c;
  c.population = 16;
  c.lifetimes = 2;
  c.sigma = 0.05f;
  c.learning_rate = 0.5f;
  return c;
}

EsState start_state(size_t n, float value) {
  EsState s;
  s.theta.assign(n, value);
  return s;
}

// ---- shape_fitness -----------------------------------------------------------

// Pareto weights on a hand-computed case: fitness {3,1,4,2} has ranks {3,1,4,2},
// so w_i = r_i^5 / (3^5 + 1 + 4^5 + 2^5) = r_i^5 / 1300.
TEST(ShapeFitness, ParetoHandComputed) {
  const std::vector<double> w = shape_fitness({3.0, 1.0, 4.0, 2.0}, Shaping::pareto, 5.0f);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_NEAR(w[0], 243.0 / 1300.0, 1e-12);
  EXPECT_NEAR(w[1], 1.0 / 1300.0, 1e-12);
  EXPECT_NEAR(w[2], 1024.0 / 1300.0, 1e-12);
  EXPECT_NEAR(w[3], 32.0 / 1300.0, 1e-12);
}

// Pareto weights sum to 1, are positive, and strictly increase with fitness.
TEST(ShapeFitness, ParetoSumsToOneAndIncreasesWithRank) {
  std::vector<double> fitness;
  for (int i = 0; i < 64; ++i) fitness.push_back(std::sin(1.7 * i) * 100.0 - 0.3 * i);  // distinct, unordered
  const std::vector<double> w = shape_fitness(fitness, Shaping::pareto, 5.0f);
  EXPECT_NEAR(sum_of(w), 1.0, 1e-12);
  std::vector<size_t> order(fitness.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fitness[a] < fitness[b]; });
  EXPECT_GT(w[order[0]], 0.0);
  for (size_t i = 1; i < order.size(); ++i) EXPECT_GT(w[order[i]], w[order[i - 1]]) << "rank " << i + 1;
  // The best fifth holds most of the weight ("top 20% get 80%" with exponent 5).
  double top = 0.0;
  for (size_t i = order.size() - order.size() / 5; i < order.size(); ++i) top += w[order[i]];
  EXPECT_GT(top, 0.6);
}

// Ties share the mean of their ranks: {1,2,2,3} has ranks {1, 2.5, 2.5, 4}.
TEST(ShapeFitness, TiesShareWeights) {
  const std::vector<double> w = shape_fitness({1.0, 2.0, 2.0, 3.0}, Shaping::pareto, 5.0f);
  const double r1 = 1.0, r2 = std::pow(2.5, 5.0), r4 = std::pow(4.0, 5.0);
  const double norm = r1 + 2.0 * r2 + r4;
  EXPECT_EQ(w[1], w[2]);
  EXPECT_NEAR(w[0], r1 / norm, 1e-12);
  EXPECT_NEAR(w[1], r2 / norm, 1e-12);
  EXPECT_NEAR(w[3], r4 / norm, 1e-12);
  const std::vector<double> c = shape_fitness({5.0, 5.0, 1.0, 5.0}, Shaping::centred_ranks, 5.0f);
  EXPECT_EQ(c[0], c[1]);
  EXPECT_EQ(c[0], c[3]);
  EXPECT_NEAR(sum_of(c), 0.0, 1e-12);
}

// All-equal fitness gives all-equal weights for both shapings.
TEST(ShapeFitness, ConstantFitnessGivesEqualWeights) {
  const std::vector<double> p = shape_fitness(std::vector<double>(10, -3.5), Shaping::pareto, 5.0f);
  for (double x : p) EXPECT_EQ(x, p[0]);
  EXPECT_NEAR(sum_of(p), 1.0, 1e-12);
  const std::vector<double> c = shape_fitness(std::vector<double>(10, -3.5), Shaping::centred_ranks, 5.0f);
  for (double x : c) EXPECT_EQ(x, 0.0);
}

// Centred ranks on {3,1,4,2}: (r-1)/3 - 1/2 = {1/6, -1/2, 1/2, -1/6}, scaled to
// sum |w| = 1: {1/8, -3/8, 3/8, -1/8}.
TEST(ShapeFitness, CentredRanksHandComputed) {
  const std::vector<double> w = shape_fitness({3.0, 1.0, 4.0, 2.0}, Shaping::centred_ranks, 5.0f);
  EXPECT_NEAR(w[0], 1.0 / 8.0, 1e-12);
  EXPECT_NEAR(w[1], -3.0 / 8.0, 1e-12);
  EXPECT_NEAR(w[2], 3.0 / 8.0, 1e-12);
  EXPECT_NEAR(w[3], -1.0 / 8.0, 1e-12);
}

// Centred ranks sum to 0 with sum |w| = 1 and increase with fitness (odd and even P).
TEST(ShapeFitness, CentredRanksSumZeroAbsSumOne) {
  for (int P : {5, 64}) {
    std::vector<double> fitness;
    for (int i = 0; i < P; ++i) fitness.push_back(std::cos(2.3 * i) + 0.01 * i);
    const std::vector<double> w = shape_fitness(fitness, Shaping::centred_ranks, 5.0f);
    EXPECT_NEAR(sum_of(w), 0.0, 1e-12) << "P " << P;
    EXPECT_NEAR(abs_sum_of(w), 1.0, 1e-12) << "P " << P;
    for (int a = 0; a < P; ++a) {
      for (int b = 0; b < P; ++b) {
        if (fitness[size_t(a)] < fitness[size_t(b)]) {
          EXPECT_LT(w[size_t(a)], w[size_t(b)]);
        }
      }
    }
  }
}

// ---- member_params and es_direction ------------------------------------------

// Members 2i and 2i+1 are centre +- sigma * eps_i: each matches its formula to
// float rounding, and their average is the centre to rounding.
TEST(MemberParams, MirroredPairsAroundCentre) {
  const size_t n = 37;
  std::vector<float> centre(n);
  for (size_t k = 0; k < n; ++k) centre[k] = float(std::sin(double(k))) * 2.0f;
  const Population pop = Population::mirrored(centre.data(), n, 8, 0.3f).with_seed(42).at_generation(7);
  std::vector<float> plus(n), minus(n), eps(n);
  for (int pair = 0; pair < 4; ++pair) {
    member_params(pop, 2 * pair, plus.data());
    member_params(pop, 2 * pair + 1, minus.data());
    es_noise(42, 7, uint32_t(pair), 0, n, eps.data());
    for (size_t k = 0; k < n; ++k) {
      // One float rounding of the sum (and of sigma * eps) at most: 2 ulps of the magnitudes involved.
      const double scale = std::abs(double(centre[k])) + std::abs(0.3 * eps[k]);
      const double tol = 2.0 * 1.2e-7 * scale;
      EXPECT_NEAR(plus[k], centre[k] + 0.3 * double(eps[k]), tol) << "pair " << pair << " k " << k;
      EXPECT_NEAR(minus[k], centre[k] - 0.3 * double(eps[k]), tol) << "pair " << pair << " k " << k;
      EXPECT_NEAR(0.5 * (double(plus[k]) + minus[k]), centre[k], tol) << "pair " << pair << " k " << k;
    }
  }
  // Different pairs have different noise.
  std::vector<float> other(n);
  member_params(pop, 2, other.data());
  member_params(pop, 0, plus.data());
  EXPECT_NE(other, plus);
}

// A centre-only population's member is the centre, bit for bit.
TEST(MemberParams, CentreOnlyIsTheCentre) {
  std::vector<float> centre = {1.5f, -2.25f, 0.0f, 3.0e-8f, 1e6f};
  // Built with noise it must not draw: sigma 0.5 at seed 1, generation 2.
  Population pop = Population::mirrored(centre.data(), centre.size(), 1, 0.5f).with_seed(1).at_generation(2);
  pop.centre_only = true;
  std::vector<float> out(centre.size(), 99.0f);
  member_params(pop, 0, out.data());
  EXPECT_EQ(out, centre);
  EXPECT_EQ(pop.member_id(0), 0xFFFFFFFFu);
}

// A slice (a distributed rank's share) starting at member `first` gives local
// member m the parameters and stream id of member first + m of the whole
// population, bit for bit, across a mirrored pair's boundary too.
TEST(MemberParams, SliceIsTheWholePopulationsMembers) {
  std::vector<float> centre(37);
  for (size_t k = 0; k < centre.size(); ++k) centre[k] = 0.1f * float(k) - 1.0f;
  const Population whole = Population::mirrored(centre.data(), centre.size(), 10, 0.03f).with_seed(11).at_generation(4);
  Population slice = whole;
  slice.first = 3;
  slice.size = 4;
  std::vector<float> expected(centre.size()), got(centre.size());
  for (int m = 0; m < slice.size; ++m) {
    member_params(whole, slice.first + m, expected.data());
    member_params(slice, m, got.data());
    EXPECT_EQ(got, expected) << "local member " << m;
    EXPECT_EQ(slice.member_id(m), whole.member_id(slice.first + m));
  }
}

// Mirrored members of equal weight cancel exactly: the direction is all +0.0f.
TEST(EsDirection, EqualWeightsGiveExactlyZero) {
  const size_t n = 101;
  for (Shaping shaping : {Shaping::pareto, Shaping::centred_ranks}) {
    const std::vector<double> w = shape_fitness(std::vector<double>(32, 1.25), shaping, 5.0f);
    std::vector<float> direction(n, 1.0f);
    es_direction(w, 0.02f, 3, 4, n, direction.data());
    for (size_t k = 0; k < n; ++k) ASSERT_EQ(direction[k], 0.0f) << "k " << k;
  }
}

// The direction is sigma * sum_i (w_2i - w_2i+1) eps_i: a single weight on
// member 2 gives +sigma eps_1, on member 3 gives -sigma eps_1, and two pairs add.
TEST(EsDirection, IsSignedWeightedSumOfPairNoise) {
  const size_t n = 29;
  const float sigma = 0.1f;
  std::vector<float> eps0(n), eps1(n), d(n);
  es_noise(9, 2, 0, 0, n, eps0.data());
  es_noise(9, 2, 1, 0, n, eps1.data());
  es_direction({0.0, 0.0, 1.0, 0.0}, sigma, 9, 2, n, d.data());
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(d[k], sigma * eps1[k], 1e-6f);
  es_direction({0.0, 0.0, 0.0, 1.0}, sigma, 9, 2, n, d.data());
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(d[k], -sigma * eps1[k], 1e-6f);
  es_direction({0.75, 0.25, 0.0, 0.5}, sigma, 9, 2, n, d.data());
  for (size_t k = 0; k < n; ++k) EXPECT_NEAR(d[k], sigma * (0.5f * eps0[k] - 0.5f * eps1[k]), 1e-6f);
}

// ---- EvolutionStrategy -------------------------------------------------------

// sigma_g = max(sigma_min, sigma * decay^g), by hand: 0.1, 0.05, 0.025, then the floor.
TEST(EvolutionStrategy, SigmaSchedule) {
  EsConfig c = small_config();
  c.sigma = 0.1f;
  c.sigma_decay = 0.5f;
  c.sigma_min = 0.02f;
  EvolutionStrategy es(c, 1, start_state(3, 0.0f));
  EXPECT_FLOAT_EQ(es.sigma_at(0), 0.1f);
  EXPECT_FLOAT_EQ(es.sigma_at(1), 0.05f);
  EXPECT_FLOAT_EQ(es.sigma_at(2), 0.025f);
  EXPECT_FLOAT_EQ(es.sigma_at(3), 0.02f);
  EXPECT_FLOAT_EQ(es.sigma_at(50), 0.02f);
}

// A constant fitness leaves theta bit-for-bit unchanged for SGD (and Adam), and
// the report says best = mean = centre = that constant.
TEST(EvolutionStrategy, ConstantFitnessLeavesThetaUnchanged) {
  for (OptimizerKind optimizer : {OptimizerKind::sgd, OptimizerKind::adam}) {
    EsConfig c = small_config();
    c.optimizer = optimizer;
    EsState s;
    for (int k = 0; k < 20; ++k) s.theta.push_back(0.37f * float(k) - 2.0f);
    const std::vector<float> before = s.theta;
    EvolutionStrategy es(c, 5, s);
    ConstantEvaluator evaluator(-2.5f);
    for (int g = 0; g < 5; ++g) {
      const GenerationReport r = es.step(evaluator);
      EXPECT_EQ(r.generation, uint64_t(g));
      EXPECT_EQ(r.best, -2.5);
      EXPECT_EQ(r.mean, -2.5);
      EXPECT_EQ(r.centre, -2.5);
      EXPECT_EQ(r.nonfinite, 0);
    }
    EXPECT_EQ(es.state().generation, 5u);
    ASSERT_EQ(es.state().theta.size(), before.size());
    EXPECT_EQ(std::memcmp(es.state().theta.data(), before.data(), before.size() * sizeof(float)), 0)
        << "optimizer " << to_string(optimizer);
  }
}

// ES with mirrored sampling solves the 50-D sphere from all-ones to sum(theta^2) < 1e-3,
// with SGD-momentum and with Adam.
TEST(EvolutionStrategy, SolvesSphere50D) {
  for (OptimizerKind optimizer : {OptimizerKind::sgd, OptimizerKind::adam}) {
    EsConfig c;
    c.population = 64;
    c.lifetimes = 1;
    c.sigma = 0.05f;
    c.sigma_decay = 0.99f;
    c.sigma_min = 1e-4f;
    c.optimizer = optimizer;
    c.learning_rate = optimizer == OptimizerKind::sgd ? 1.0f : 0.02f;
    EvolutionStrategy es(c, 1, start_state(50, 1.0f));
    auto evaluator = make_objective_evaluator(make_sphere());
    for (int g = 0; g < 500; ++g) es.step(*evaluator);
    EXPECT_LT(squared_norm(es.state().theta), 1e-3) << "optimizer " << to_string(optimizer);
  }
}

// Steady progress on 10-D rastrigin from all 2.5 (value 10*10 + 10*(6.25 + 10) = 262.5):
// after 200 generations the centre is at most half the start, and the last 20
// generations' centre fitness is far better than the first 20's.
TEST(EvolutionStrategy, ProgressOnRastrigin) {
  EsConfig c;
  c.population = 64;
  c.lifetimes = 1;
  c.sigma = 0.1f;
  c.learning_rate = 1.0f;
  EvolutionStrategy es(c, 3, start_state(10, 2.5f));
  auto objective = make_rastrigin();
  auto evaluator = make_objective_evaluator(objective);
  std::vector<double> centre;
  for (int g = 0; g < 200; ++g) {
    const GenerationReport r = es.step(*evaluator);
    if (g == 0) {
      EXPECT_NEAR(r.centre, -262.5, 1e-3);
    }
    EXPECT_LE(r.best, 0.0);  // rastrigin >= 0
    centre.push_back(r.centre);
  }
  const double final_value = objective->value(es.state().theta.data(), es.state().theta.size());
  EXPECT_LE(final_value, 0.5 * 262.5);
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 20; ++i) {
    first += centre[size_t(i)] / 20.0;
    last += centre[centre.size() - 20 + size_t(i)] / 20.0;
  }
  EXPECT_GT(last, 0.5 * first) << "first 20 mean " << first << ", last 20 mean " << last;
}

// One NaN member under nonfinite = worst: the run continues, report.nonfinite
// counts it, theta stays finite, and the sphere still improves.
TEST(EvolutionStrategy, NanMemberRankedWorst) {
  EsConfig c = small_config();
  c.nonfinite = NonFinitePolicy::worst;
  EvolutionStrategy es(c, 2, start_state(10, 1.0f));
  BadMemberEvaluator evaluator({5}, NAN);
  for (int g = 0; g < 30; ++g) {
    const GenerationReport r = es.step(evaluator);
    EXPECT_EQ(r.nonfinite, 1);
    EXPECT_TRUE(std::isfinite(r.best));
    EXPECT_TRUE(std::isfinite(r.mean));
  }
  for (float x : es.state().theta) ASSERT_TRUE(std::isfinite(x));
  EXPECT_LT(squared_norm(es.state().theta), 10.0);
}

// A worst-ranked non-finite member gets the lowest weight: the update equals the
// one where that member had a fitness below every finite member.
TEST(EvolutionStrategy, NonFiniteMemberUpdatesLikeAWorstFiniteOne) {
  EsConfig c = small_config();
  EvolutionStrategy with_nan(c, 4, start_state(6, 1.0f));
  EvolutionStrategy with_low(c, 4, start_state(6, 1.0f));
  BadMemberEvaluator nan_evaluator({3}, INFINITY);
  BadMemberEvaluator low_evaluator({3}, -1e30f);
  with_nan.step(nan_evaluator);
  with_low.step(low_evaluator);
  EXPECT_EQ(with_nan.state().theta, with_low.state().theta);
}

// nonfinite = abort: step throws enu::Error naming the generation and the member.
TEST(EvolutionStrategy, NanMemberAbortNamesGenerationAndMember) {
  EsConfig c = small_config();
  c.nonfinite = NonFinitePolicy::abort;
  EvolutionStrategy es(c, 2, start_state(4, 1.0f));
  auto fine = make_objective_evaluator(make_sphere());
  es.step(*fine);
  es.step(*fine);
  BadMemberEvaluator evaluator({7}, NAN);
  try {
    es.step(evaluator);
    FAIL() << "expected enu::Error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("generation 2"), std::string::npos) << message;
    EXPECT_NE(message.find("member 7"), std::string::npos) << message;
  }
}

// More non-finite members than max_nonfinite_fraction * P stops the run even
// under policy worst; exactly that many does not.
TEST(EvolutionStrategy, TooManyNonFiniteMembersThrow) {
  EsConfig c = small_config();  // P = 16
  c.max_nonfinite_fraction = 0.25f;
  {
    EvolutionStrategy es(c, 2, start_state(4, 1.0f));
    BadMemberEvaluator evaluator({0, 3, 6, 9, 12}, NAN);  // 5 > 4
    EXPECT_THROW(es.step(evaluator), Error);
  }
  {
    EvolutionStrategy es(c, 2, start_state(4, 1.0f));
    BadMemberEvaluator evaluator({0, 3, 6, 9}, -INFINITY);  // 4 = 0.25 * 16
    const GenerationReport r = es.step(evaluator);
    EXPECT_EQ(r.nonfinite, 4);
  }
  {
    c.max_nonfinite_fraction = 1.0f;  // even then, all members bad is fatal
    EvolutionStrategy es(c, 2, start_state(4, 1.0f));
    ConstantEvaluator evaluator(NAN);
    EXPECT_THROW(es.step(evaluator), Error);
  }
}

// Two runs with the same seed give bit-identical theta; another seed does not.
TEST(EvolutionStrategy, SameSeedIsBitIdentical) {
  for (OptimizerKind optimizer : {OptimizerKind::sgd, OptimizerKind::adam}) {
    EsConfig c = small_config();
    c.optimizer = optimizer;
    c.learning_rate = 0.05f;
    auto run = [&](uint64_t seed) {
      EvolutionStrategy es(c, seed, start_state(30, 0.8f));
      auto evaluator = make_objective_evaluator(make_rastrigin());
      for (int g = 0; g < 15; ++g) es.step(*evaluator);
      return es.state();
    };
    const EsState a = run(11), b = run(11), other = run(12);
    ASSERT_EQ(a.theta.size(), b.theta.size());
    EXPECT_EQ(std::memcmp(a.theta.data(), b.theta.data(), a.theta.size() * sizeof(float)), 0);
    EXPECT_EQ(a.moment1, b.moment1);
    EXPECT_EQ(a.moment2, b.moment2);
    EXPECT_EQ(a.optimizer_steps, b.optimizer_steps);
    EXPECT_NE(a.theta, other.theta);
  }
}

// A run resumed from a copied state continues exactly like the uninterrupted run
// (the state holds everything that evolves).
TEST(EvolutionStrategy, ResumeFromStateIsBitIdentical) {
  EsConfig c = small_config();
  c.optimizer = OptimizerKind::adam;
  c.learning_rate = 0.05f;
  c.sigma_decay = 0.9f;
  auto evaluator = make_objective_evaluator(make_sphere());
  EvolutionStrategy whole(c, 8, start_state(12, 1.0f));
  for (int g = 0; g < 10; ++g) whole.step(*evaluator);
  EvolutionStrategy first(c, 8, start_state(12, 1.0f));
  for (int g = 0; g < 4; ++g) first.step(*evaluator);
  EvolutionStrategy second(c, 8, first.state());
  for (int g = 0; g < 6; ++g) second.step(*evaluator);
  EXPECT_EQ(second.state().generation, 10u);
  EXPECT_EQ(second.state().theta, whole.state().theta);
}

// Optimizer state of the wrong size is rejected with enu::Error.
TEST(EvolutionStrategy, MismatchedMomentsThrow) {
  EsConfig c = small_config();
  EsState s = start_state(5, 0.0f);
  s.moment1.assign(4, 0.0f);
  EXPECT_THROW(EvolutionStrategy(c, 1, s), Error);
}

}  // namespace
}  // namespace enu
