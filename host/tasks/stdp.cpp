// stdp and stdp_complex: one synapse cell whose output is the graded potential
// scaled by a weight that follows a (neuromodulated) STDP rule.
#include <vector>

#include "tasks.hpp"

namespace enu {
namespace {

class StdpEnvironment final : public Environment {
 public:
  StdpEnvironment(const StdpConfig& config, bool complex_rule, int capacity)
      : config_(config), complex_(complex_rule), lifetimes_(size_t(capacity)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    for (int i = 0; i < count; ++i) {
      lifetimes_[size_t(i)].start(config_, complex_, lifetime_rng(set.seed, set.generation, first + i));
    }
  }
  void observe(int step, float* observations) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].observe(config_, step, observations + 4 * i);
  }
  void act(int step, const float* actions) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].act(step, actions[i]);
  }
  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) out[i] = lifetimes_[size_t(i)].fitness(config_);
  }
  float last_reward(int i) const override { return lifetimes_[size_t(i)].reward; }

 private:
  StdpConfig config_;
  bool complex_;
  int count_ = 0;
  std::vector<StdpLifetime> lifetimes_;
};

class StdpTask final : public Task {
 public:
  StdpTask(const StdpConfig& config, bool complex_rule) : config_(config), complex_(complex_rule) {}
  std::string name() const override { return complex_ ? "stdp_complex" : "stdp"; }
  int steps() const override { return config_.steps; }
  ObservationShape observation_shape() const override { return {1, 4}; }
  int action_count() const override { return 1; }
  std::unique_ptr<Environment> make_environment(int capacity) const override {
    return std::make_unique<StdpEnvironment>(config_, complex_, capacity);
  }

 private:
  StdpConfig config_;
  bool complex_;
};

}  // namespace

std::shared_ptr<const Task> make_stdp_task(const StdpConfig& config, bool complex_rule) {
  return std::make_shared<StdpTask>(config, complex_rule);
}

}  // namespace enu
