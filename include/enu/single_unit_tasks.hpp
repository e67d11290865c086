#pragma once
/// @brief One lifetime of each single-unit task (iaf, stdp, stdp_complex),
/// written once for the host and the device: both backends step the same code
/// on the same counter-based streams, so they meet identical lifetimes. Every
/// lifetime has the shape enu/task_lifetimes.hpp describes.

#include <cmath>
#include <cstdint>

#include "enu/config.hpp"
#include "enu/philox.hpp"
#include "enu/task_table.hpp"

namespace enu {

/// The reference neuron of the iaf task: v <- v * decay + current, spike (and
/// v <- 0) when v >= threshold. decay = exp(-1/leak_tau), or 1 without leak.
/// The potential is a double so that the neuron fires when the exact sum of its
/// inputs crosses the threshold, as the closed-form rate assumes (float sums of
/// currents like 0.02 reach 0.5 one step early).
struct LifNeuron {
  double threshold = 0.5;
  double decay = 1.0;
  double v = 0.0;

  ENU_HD static LifNeuron from(const IafConfig& config) {
    LifNeuron lif;
    lif.threshold = config.threshold;
    lif.decay = config.leak_tau > 0.0f ? exp(-1.0 / double(config.leak_tau)) : 1.0;
    return lif;
  }
  /// Integrates one step's current; true when the neuron fires.
  ENU_HD bool step(double current) {
    v = v * decay + current;
    if (v < threshold) return false;
    v = 0.0;
    return true;
  }
};

/// The output above which an iaf unit spikes, under each scoring.
ENU_HD float iaf_spike_threshold(IafScoring scoring) { return scoring == IafScoring::published ? 0.05f : 0.5f; }

/// iaf: the current is uniform(current_lo, current_hi) * randint(1,
/// multiplier_max), drawn at the start of every window (per_window), or with the
/// multiplier drawn there and the uniform base every step (per_step). Fitness
/// penalises the difference between the steps since the unit's last spike and
/// the reference's (timing), and outputs away from a spike's or silence's
/// (size), each as IafScoring says.
struct IafLifetime {
  using Settings = IafConfig;
  static constexpr ModelNeed kModel = ModelNeed::cell;
  static constexpr int kSources = 1, kChannels = 1, kActions = 1;  // in: the current; out: the unit's output
  static Settings settings_of(const TaskConfig& task, TaskKind) { return task.iaf; }
  static int steps(const Settings& settings) { return settings.steps; }

  Settings settings;
  CounterRng rng{PhiloxKey{{0, 0}}, 0, 0, 0};
  LifNeuron lif;
  int step = 0;
  float current = 0.0f, multiplier = 0.0f, reward = 0.0f;  // multiplier: per_step's, of this window
  int since_reference = 0, since_unit = 0;
  double timing = 0.0, size = 0.0;

  ENU_HD void start(const Settings& s, uint64_t seed, uint64_t generation, int lifetime) {
    *this = IafLifetime{};
    settings = s;
    rng = lifetime_rng(seed, generation, lifetime);
    lif = LifNeuron::from(s);
  }
  /// The observation of this step: the current.
  ENU_HD void observe(float out[kSources * kChannels]) {
    const bool window_starts = (step * settings.windows) % settings.steps == 0;
    if (settings.current_draw == IafCurrentDraw::per_window) {
      if (window_starts) {
        const float unit = rng.uniform(settings.current_lo, settings.current_hi);
        current = unit * float(rng.randint(1, settings.multiplier_max));
      }
    } else {
      if (window_starts) multiplier = float(rng.randint(1, settings.multiplier_max));
      current = rng.uniform(settings.current_lo, settings.current_hi) * multiplier;
    }
    out[0] = current;
  }
  ENU_HD void act(const float actions[kActions]) {
    const float output = actions[0];
    const bool published = settings.scoring == IafScoring::published;
    since_reference = lif.step(current) ? 0 : since_reference + 1;
    const bool spiked = output > iaf_spike_threshold(settings.scoring);
    since_unit = spiked ? 0 : since_unit + 1;
    const double difference = double(since_unit - since_reference);
    const double step_timing = published ? difference * difference : fabs(difference);
    const double miss = double(output) - 1.0;
    const double step_size = !published ? fmin(double(output), 1.0 - double(output)) : (spiked ? miss * miss : 0.0);
    timing += step_timing;
    size += step_size;
    reward = float(-(step_timing + settings.size_penalty * step_size));
    ++step;
  }
  ENU_HD float fitness() const { return float(-(timing + settings.size_penalty * size) / settings.steps); }
};

/// The weight change of the target rule for one pre/post pair (dt = post - pre).
ENU_HD float stdp_dw(const StdpConfig& config, bool complex_rule, float modulator, int dt) {
  const float magnitude = fabsf(float(dt));
  if (!complex_rule) {
    const float sign = dt > 0 ? 1.0f : (dt < 0 ? -1.0f : 0.0f);
    return modulator * config.amplitude * sign * expf(-magnitude / config.tau);
  }
  if (modulator > 0.5f) return config.amplitude * expf(-magnitude / config.tau);
  const float wave = cosf(3.14159265358979f * float(dt) / config.period);
  return config.amplitude * wave * wave * expf(-magnitude / config.tau_absent);
}

/// Observation channels of the stdp tasks at one step.
ENU_HD void stdp_observation(float potential, bool pre_spike, bool post_spike, float modulator, float out[4]) {
  out[0] = potential;
  out[1] = pre_spike ? 1.0f : 0.0f;
  out[2] = post_spike ? 1.0f : 0.0f;
  out[3] = modulator;
}

/// stdp / stdp_complex: the target is potential * weight, the weight 1 until
/// step max(pre, post) + 1 and 1 + dw(post - pre) from then on. Fitness is
/// minus the mean squared error.
struct StdpLifetime {
  struct Settings {
    StdpConfig rule;
    bool complex_rule = false;
  };
  static constexpr ModelNeed kModel = ModelNeed::cell;
  static constexpr int kSources = 1, kChannels = 4, kActions = 1;  // in: see stdp_observation; out: the target
  static Settings settings_of(const TaskConfig& task, TaskKind kind) {
    return {task.stdp, kind == TaskKind::stdp_complex};
  }
  static int steps(const Settings& settings) { return settings.rule.steps; }

  Settings settings;
  CounterRng rng{PhiloxKey{{0, 0}}, 0, 0, 0};
  int step = 0;
  int pre = 0, post = 0;
  float modulator = 0.0f, weight_after = 1.0f, potential = 0.0f, reward = 0.0f;
  double squared_error = 0.0;

  ENU_HD void start(const Settings& s, uint64_t seed, uint64_t generation, int lifetime) {
    *this = StdpLifetime{};
    settings = s;
    rng = lifetime_rng(seed, generation, lifetime);
    modulator = rng.uniform(0.0f, 1.0f) < s.rule.modulator_probability ? 1.0f : 0.0f;
    pre = spike_time();
    do {
      post = spike_time();
    } while (post == pre);
    weight_after = 1.0f + stdp_dw(s.rule, s.complex_rule, modulator, post - pre);
  }
  /// The observation of this step; draws this step's potential.
  ENU_HD void observe(float out[kSources * kChannels]) {
    potential = rng.uniform(settings.rule.potential_lo, settings.rule.potential_hi);
    stdp_observation(potential, step == pre, step == post, modulator, out);
  }
  ENU_HD void act(const float actions[kActions]) {
    const float weight = step > (pre > post ? pre : post) ? weight_after : 1.0f;
    const float error = actions[0] - potential * weight;
    squared_error += double(error) * error;
    reward = -error * error;
    ++step;
  }
  ENU_HD float fitness() const { return float(-squared_error / settings.rule.steps); }

 private:
  // round(N(mean, std)), kept inside the lifetime so that both spikes happen.
  ENU_HD int spike_time() {
    const StdpConfig& rule = settings.rule;
    const int t = int(lroundf(rule.spike_mean + rule.spike_std * rng.normal()));
    return t < 0 ? 0 : (t > rule.steps - 2 ? rule.steps - 2 : t);
  }
};

}  // namespace enu
