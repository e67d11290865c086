// stdp and stdp_complex: one synapse cell whose output is the graded potential
// scaled by a weight that follows a (neuromodulated) STDP rule.
#include <algorithm>
#include <cmath>
#include <vector>

#include "enu/philox.hpp"
#include "tasks/tasks.hpp"

namespace enu {

float stdp_dw(const StdpConfig& config, bool complex_rule, float modulator, int dt) {
  const float magnitude = std::abs(float(dt));
  if (!complex_rule) {
    const float sign = dt > 0 ? 1.0f : (dt < 0 ? -1.0f : 0.0f);
    return modulator * config.amplitude * sign * std::exp(-magnitude / config.tau);
  }
  if (modulator > 0.5f) return config.amplitude * std::exp(-magnitude / config.tau);
  const float wave = std::cos(3.14159265358979f * float(dt) / config.period);
  return config.amplitude * wave * wave * std::exp(-magnitude / config.tau_absent);
}

void stdp_observation(float potential, bool pre_spike, bool post_spike, float modulator, float out[4]) {
  out[0] = potential;
  out[1] = pre_spike ? 1.0f : 0.0f;
  out[2] = post_spike ? 1.0f : 0.0f;
  out[3] = modulator;
}

namespace {

struct StdpLifetime {
  int pre = 0, post = 0;
  float modulator = 0.0f, weight_after = 1.0f;
  double squared_error = 0.0;
  float potential = 0.0f, reward = 0.0f;
};

class StdpEnvironment final : public Environment {
 public:
  StdpEnvironment(const StdpConfig& config, bool complex_rule, int capacity)
      : config_(config), complex_(complex_rule), lifetimes_(size_t(capacity)), rngs_(size_t(capacity), CounterRng({{0, 0}}, 0, 0, 0)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    const PhiloxKey key = stream_key(set.seed, Stream::environment);
    for (int i = 0; i < count; ++i) {
      CounterRng rng(key, uint32_t(first + i), uint32_t(set.generation), 0);
      StdpLifetime& life = lifetimes_[size_t(i)];
      life = StdpLifetime{};
      life.modulator = rng.uniform(0.0f, 1.0f) < config_.modulator_probability ? 1.0f : 0.0f;
      life.pre = spike_time(rng);
      do {
        life.post = spike_time(rng);
      } while (life.post == life.pre);
      life.weight_after = 1.0f + stdp_dw(config_, complex_, life.modulator, life.post - life.pre);
      rngs_[size_t(i)] = rng;  // the per-step potentials continue this lifetime's stream
    }
  }

  void observe(int step, float* observations) override {
    for (int i = 0; i < count_; ++i) {
      StdpLifetime& life = lifetimes_[size_t(i)];
      life.potential = rngs_[size_t(i)].uniform(config_.potential_lo, config_.potential_hi);
      stdp_observation(life.potential, step == life.pre, step == life.post, life.modulator, observations + 4 * i);
    }
  }

  void act(int step, const float* actions) override {
    for (int i = 0; i < count_; ++i) {
      StdpLifetime& life = lifetimes_[size_t(i)];
      const float weight = step > std::max(life.pre, life.post) ? life.weight_after : 1.0f;
      const float error = actions[i] - life.potential * weight;
      life.squared_error += double(error) * error;
      life.reward = -error * error;
    }
  }

  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) out[i] = float(-lifetimes_[size_t(i)].squared_error / config_.steps);
  }

  float last_reward(int i) const override { return lifetimes_[size_t(i)].reward; }

 private:
  // round(N(mean, std)), kept inside the lifetime so that both spikes happen.
  int spike_time(CounterRng& rng) const {
    const int t = int(std::lround(config_.spike_mean + config_.spike_std * rng.normal()));
    return std::clamp(t, 0, config_.steps - 2);
  }

  StdpConfig config_;
  bool complex_;
  int count_ = 0;
  std::vector<StdpLifetime> lifetimes_;
  std::vector<CounterRng> rngs_;
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
