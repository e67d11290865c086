// iaf: one cell imitates an integrate-and-fire neuron (Extended Data Fig. 2).
#include <algorithm>
#include <cmath>
#include <vector>

#include "tasks.hpp"

namespace enu {

double lif_analytic_rate(const IafConfig& config, double current) {
  if (current <= 0.0) return 0.0;
  const double threshold = config.threshold;
  if (config.leak_tau <= 0.0f) return 1.0 / std::ceil(threshold / current);
  // v_n = current (1 - a^n) / (1 - a): fires once that reaches the threshold.
  const double a = std::exp(-1.0 / config.leak_tau);
  const double ceiling = current / (1.0 - a);
  if (ceiling < threshold) return 0.0;
  const double n = std::ceil(std::log(1.0 - threshold / ceiling) / std::log(a));
  return 1.0 / std::max(1.0, n);
}

namespace {

class IafEnvironment final : public Environment {
 public:
  IafEnvironment(const IafConfig& config, int capacity) : config_(config), lifetimes_(size_t(capacity)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    for (int i = 0; i < count; ++i) lifetimes_[size_t(i)].start(config_, lifetime_rng(set.seed, set.generation, first + i));
  }
  void observe(int step, float* observations) override {
    for (int i = 0; i < count_; ++i) observations[i] = lifetimes_[size_t(i)].observe(config_, step);
  }
  void act(int, const float* actions) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].act(config_, actions[i]);
  }
  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) out[i] = lifetimes_[size_t(i)].fitness(config_);
  }
  float last_reward(int i) const override { return lifetimes_[size_t(i)].reward; }

 private:
  IafConfig config_;
  int count_ = 0;
  std::vector<IafLifetime> lifetimes_;
};

class IafTask final : public Task {
 public:
  explicit IafTask(const IafConfig& config) : config_(config) {}
  std::string name() const override { return "iaf"; }
  int steps() const override { return config_.steps; }
  ObservationShape observation_shape() const override { return {1, 1}; }
  int action_count() const override { return 1; }
  std::unique_ptr<Environment> make_environment(int capacity) const override {
    return std::make_unique<IafEnvironment>(config_, capacity);
  }

 private:
  IafConfig config_;
};

}  // namespace

std::shared_ptr<const Task> make_iaf_task(const IafConfig& config) { return std::make_shared<IafTask>(config); }

}  // namespace enu
