#pragma once
// The CPU tasks and the pieces of them that analysis and tests reuse.

#include <memory>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/single_unit_tasks.hpp"
#include "enu/task.hpp"
#include "enu/task_table.hpp"

namespace enu {

/// The task named by config.task.name; throws enu::Error for function tasks
/// (use make_objective) and unknown names.
std::shared_ptr<const Task> make_task(const TaskConfig& config);
/// sphere or rastrigin; throws enu::Error for other names.
std::shared_ptr<const Objective> make_objective(const TaskConfig& config);

std::shared_ptr<const Task> make_iaf_task(const IafConfig& config);
std::shared_ptr<const Task> make_stdp_task(const StdpConfig& config, bool complex_rule);
std::shared_ptr<const Task> make_tmaze_task(const MazeConfig& config);
std::shared_ptr<const Task> make_double_tmaze_task(const MazeConfig& config);
/// Lifetime `i` (of the last reset) of a tmaze / double_tmaze environment, for
/// analysis: position, heading and the last step's events. nullptr for other tasks.
const MazeLifetime* maze_lifetime(const Environment& env, int i);
std::shared_ptr<const Objective> make_sphere();
std::shared_ptr<const Objective> make_rastrigin();

/// Spikes per step of the reference neuron under a constant current, in closed
/// form: it fires every n steps, n the first step with v_n >= threshold.
double lif_analytic_rate(const IafConfig& config, double current);

}  // namespace enu
