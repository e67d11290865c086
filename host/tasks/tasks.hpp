#pragma once
// The CPU tasks and the pieces of them that analysis and tests reuse.

#include <memory>

#include "enu/config.hpp"
#include "enu/task.hpp"

namespace enu {

/// The task named by config.task.name; throws enu::Error for function tasks
/// (use make_objective) and unknown names.
std::shared_ptr<const Task> make_task(const TaskConfig& config);
/// sphere or rastrigin; throws enu::Error for other names.
std::shared_ptr<const Objective> make_objective(const TaskConfig& config);
bool is_objective_task(const std::string& name);

std::shared_ptr<const Task> make_iaf_task(const IafConfig& config);
std::shared_ptr<const Task> make_stdp_task(const StdpConfig& config, bool complex_rule);
std::shared_ptr<const Objective> make_sphere();
std::shared_ptr<const Objective> make_rastrigin();

/// The reference neuron of the iaf task: v <- v * decay + current, spike (and
/// v <- 0) when v >= threshold. decay = exp(-1/leak_tau), or 1 without leak.
/// The potential is a double so that the neuron fires when the exact sum of its
/// inputs crosses the threshold, as the closed-form rate assumes (float sums of
/// currents like 0.02 reach 0.5 one step early).
struct LifNeuron {
  double threshold = 0.5;
  double decay = 1.0;
  double v = 0.0;
  /// Integrates one step's current; true when the neuron fires.
  bool step(double current) {
    v = v * decay + current;
    if (v < threshold) return false;
    v = 0.0;
    return true;
  }
};
LifNeuron make_lif(const IafConfig& config);
/// Spikes per step of the reference neuron under a constant current, in closed
/// form: it fires every n steps, n the first step with v_n >= threshold.
double lif_analytic_rate(const IafConfig& config, double current);

/// The weight change of the target rule for one pre/post pair (dt = post - pre).
float stdp_dw(const StdpConfig& config, bool complex_rule, float modulator, int dt);
/// Observation channels of the stdp tasks at one step.
void stdp_observation(float potential, bool pre_spike, bool post_spike, float modulator, float out[4]);

}  // namespace enu
