// iaf: one cell imitates an integrate-and-fire neuron (Extended Data Fig. 2).
#include <algorithm>
#include <cmath>
#include <vector>

#include "enu/philox.hpp"
#include "tasks/tasks.hpp"

namespace enu {

LifNeuron make_lif(const IafConfig& config) {
  LifNeuron lif;
  lif.threshold = config.threshold;
  lif.decay = config.leak_tau > 0.0f ? std::exp(-1.0 / config.leak_tau) : 1.0;
  return lif;
}

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

// Per lifetime: the current of each window, the reference neuron, and both
// times since the last spike. Fitness penalises their difference (timing) and
// outputs away from 0 and 1 (spike size).
class IafEnvironment final : public Environment {
 public:
  IafEnvironment(const IafConfig& config, int capacity)
      : config_(config), currents_(size_t(capacity) * config.windows), lif_(size_t(capacity)),
        since_ref_(size_t(capacity)), since_unit_(size_t(capacity)), timing_(size_t(capacity)),
        size_(size_t(capacity)), reward_(size_t(capacity)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    const PhiloxKey key = stream_key(set.seed, Stream::environment);
    for (int i = 0; i < count; ++i) {
      CounterRng rng(key, uint32_t(first + i), uint32_t(set.generation), 0);
      for (int w = 0; w < config_.windows; ++w) {
        const float unit = rng.uniform(config_.current_lo, config_.current_hi);
        currents_[size_t(i) * config_.windows + w] = unit * float(rng.randint(1, config_.multiplier_max));
      }
      lif_[size_t(i)] = make_lif(config_);
      since_ref_[size_t(i)] = since_unit_[size_t(i)] = 0;
      timing_[size_t(i)] = size_[size_t(i)] = 0.0;
    }
  }

  void observe(int step, float* observations) override {
    for (int i = 0; i < count_; ++i) observations[i] = current(i, step);
  }

  void act(int step, const float* actions) override {
    for (int i = 0; i < count_; ++i) {
      const float output = actions[i];
      since_ref_[size_t(i)] = lif_[size_t(i)].step(current(i, step)) ? 0 : since_ref_[size_t(i)] + 1;
      since_unit_[size_t(i)] = output > 0.5f ? 0 : since_unit_[size_t(i)] + 1;
      const double timing = std::abs(since_unit_[size_t(i)] - since_ref_[size_t(i)]);
      const double size = std::min(output, 1.0f - output);
      timing_[size_t(i)] += timing;
      size_[size_t(i)] += size;
      reward_[size_t(i)] = float(-(timing + config_.size_penalty * size));
    }
  }

  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) {
      out[i] = float(-(timing_[size_t(i)] + config_.size_penalty * size_[size_t(i)]) / config_.steps);
    }
  }

  float last_reward(int i) const override { return reward_[size_t(i)]; }

 private:
  float current(int i, int step) const {
    const int window = step * config_.windows / config_.steps;
    return currents_[size_t(i) * config_.windows + window];
  }

  IafConfig config_;
  int count_ = 0;
  std::vector<float> currents_;
  std::vector<LifNeuron> lif_;
  std::vector<int> since_ref_, since_unit_;
  std::vector<double> timing_, size_;
  std::vector<float> reward_;
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
