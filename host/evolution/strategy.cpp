// OpenAI-ES: evaluate mirrored pairs, shape fitness by rank, step the optimizer.
#include "enu/strategy.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace enu {

std::vector<double> shape_fitness(const std::vector<double>& fitness, Shaping shaping, float exponent) {
  const size_t P = fitness.size();
  std::vector<size_t> order(P);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fitness[a] < fitness[b]; });
  // Ranks 1 (worst) .. P (best); a run of ties shares the mean of its ranks.
  std::vector<double> rank(P);
  for (size_t begin = 0; begin < P;) {
    size_t end = begin + 1;
    while (end < P && fitness[order[end]] == fitness[order[begin]]) ++end;
    const double shared = 0.5 * double(begin + 1 + end);
    for (size_t i = begin; i < end; ++i) rank[order[i]] = shared;
    begin = end;
  }
  std::vector<double> weights(P);
  double norm = 0.0;
  for (size_t i = 0; i < P; ++i) {
    weights[i] = shaping == Shaping::pareto ? std::pow(rank[i] / double(P), double(exponent))
                                            : (P > 1 ? (rank[i] - 1.0) / double(P - 1) - 0.5 : 0.0);
    norm += std::abs(weights[i]);
  }
  if (norm > 0.0) {
    for (double& w : weights) w /= norm;
  }
  return weights;
}

void es_direction(const std::vector<double>& weights, float sigma, uint64_t seed, uint64_t generation,
                  size_t param_count, float* direction) {
  std::vector<double> sum(param_count, 0.0);
  std::vector<float> eps(param_count);
  for (size_t pair = 0; 2 * pair + 1 < weights.size(); ++pair) {
    const double coefficient = weights[2 * pair] - weights[2 * pair + 1];
    if (coefficient == 0.0) continue;  // equal weights cancel exactly
    es_noise(seed, generation, uint32_t(pair), 0, param_count, eps.data());
    // One rounding per pair on every build, FMA hardware or not (what a numpy
    // reimplementation must do to match: docs/python.md).
    for (size_t k = 0; k < param_count; ++k) sum[k] = std::fma(coefficient, double(eps[k]), sum[k]);
  }
  for (size_t k = 0; k < param_count; ++k) direction[k] = float(double(sigma) * sum[k]);
}

namespace {

class HostUpdater final : public EsUpdater {
 public:
  std::string name() const override { return "host"; }
  void apply(const EsConfig& config, uint64_t seed, uint64_t generation, float sigma,
             const std::vector<double>& member_fitness, EsState& state) override {
    const std::vector<double> weights = shape_fitness(member_fitness, config.shaping, config.pareto_exponent);
    direction_.resize(state.theta.size());
    es_direction(weights, sigma, seed, generation, state.theta.size(), direction_.data());
    optimizer_step(config, direction_.data(), state);
  }

 private:
  std::vector<float> direction_;
};

}  // namespace

std::unique_ptr<EsUpdater> make_host_updater() { return std::make_unique<HostUpdater>(); }

EvolutionStrategy::EvolutionStrategy(const EsConfig& config, uint64_t seed, EsState state,
                                     std::shared_ptr<EsUpdater> updater)
    : config_(config), seed_(seed), state_(std::move(state)),
      updater_(updater ? std::move(updater) : make_host_updater()) {
  const size_t n = state_.theta.size();
  if (state_.moment1.empty()) state_.moment1.assign(n, 0.0f);
  if (config_.optimizer == OptimizerKind::adam && state_.moment2.empty()) state_.moment2.assign(n, 0.0f);
  if (state_.moment1.size() != n || (config_.optimizer == OptimizerKind::adam && state_.moment2.size() != n)) {
    throw Error("optimizer state does not match the " + std::to_string(n) + " parameters");
  }
}

float EvolutionStrategy::sigma_at(uint64_t generation) const {
  return std::max(config_.sigma_min, float(double(config_.sigma) * std::pow(double(config_.sigma_decay), double(generation))));
}

GenerationReport EvolutionStrategy::step(Evaluator& evaluator) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const uint64_t g = state_.generation;
  const int P = config_.population, E = config_.lifetimes;
  GenerationReport report;
  report.generation = g;
  report.sigma = sigma_at(g);

  const Population pop =
      Population::mirrored(state_.theta.data(), state_.theta.size(), P, report.sigma).with_seed(seed_).at_generation(g);
  const LifetimeSet lifetimes{seed_, g, E};
  fitness_.resize(size_t(P + 1) * E);
  evaluator.evaluate(pop, lifetimes, fitness_.data());
  const Population centre = Population::centre_alone(state_.theta.data(), state_.theta.size());
  evaluator.evaluate(centre, lifetimes, fitness_.data() + size_t(P) * E);
  const auto evaluated = Clock::now();

  auto mean_of = [&](int m) {
    double sum = 0.0;
    for (int e = 0; e < E; ++e) sum += fitness_[size_t(m) * E + e];
    return sum / E;
  };
  std::vector<double> member(static_cast<size_t>(P));
  std::vector<int> bad;
  double total = 0.0, worst = INFINITY;
  report.best = -INFINITY;
  for (int m = 0; m < P; ++m) {
    member[size_t(m)] = mean_of(m);
    if (!std::isfinite(member[size_t(m)])) {
      bad.push_back(m);
      continue;
    }
    worst = std::min(worst, member[size_t(m)]);
    report.best = std::max(report.best, member[size_t(m)]);
    total += member[size_t(m)];
  }
  report.centre = mean_of(P);
  report.nonfinite = int(bad.size());
  if (!bad.empty()) {
    const std::string which = "generation " + std::to_string(g) + ": " + std::to_string(bad.size()) + " of " +
                              std::to_string(P) + " members had non-finite fitness (first: member " +
                              std::to_string(bad[0]) + ")";
    if (config_.nonfinite == NonFinitePolicy::abort) throw Error(which + "; es.nonfinite = abort");
    if (double(bad.size()) > config_.max_nonfinite_fraction * P || bad.size() == size_t(P)) {
      throw Error(which + ", more than es.max_nonfinite_fraction = " + std::to_string(config_.max_nonfinite_fraction));
    }
    // Policy `worst`: rank them below every finite member.
    for (int m : bad) member[size_t(m)] = worst - 1.0;
  }
  report.mean = total / double(P - int(bad.size()));

  updater_->apply(config_, seed_, g, report.sigma, member, state_);
  ++state_.generation;

  const auto done = Clock::now();
  report.eval_seconds = std::chrono::duration<double>(evaluated - start).count();
  report.update_seconds = std::chrono::duration<double>(done - evaluated).count();
  report.lifetimes_per_second = double(P + 1) * E / std::max(report.eval_seconds, 1e-9);
  return report;
}

void optimizer_step(const EsConfig& config, const float* direction, EsState& state) {
  const size_t n = state.theta.size();
  const float lr = config.learning_rate, decay = config.weight_decay;
  if (config.optimizer == OptimizerKind::sgd) {
    for (size_t k = 0; k < n; ++k) {
      state.moment1[k] = config.momentum * state.moment1[k] + direction[k];
      state.theta[k] += lr * (state.moment1[k] - decay * state.theta[k]);
    }
    return;
  }
  ++state.optimizer_steps;
  const double t = double(state.optimizer_steps);
  const float correction1 = float(1.0 - std::pow(double(config.beta1), t));
  const float correction2 = float(1.0 - std::pow(double(config.beta2), t));
  for (size_t k = 0; k < n; ++k) {
    const float g = direction[k];
    state.moment1[k] = config.beta1 * state.moment1[k] + (1.0f - config.beta1) * g;
    state.moment2[k] = config.beta2 * state.moment2[k] + (1.0f - config.beta2) * g * g;
    const float step = (state.moment1[k] / correction1) / (std::sqrt(state.moment2[k] / correction2) + config.epsilon);
    state.theta[k] += lr * (step - decay * state.theta[k]);
  }
}

}  // namespace enu
