#pragma once
// The tasks on the CPU: Task and Environment objects over the lifetimes of
// enu/task_lifetimes.hpp, the function objectives, and what analysis and tests reuse.

#include <memory>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/task.hpp"
#include "enu/task_lifetimes.hpp"

namespace enu {

/// The task named by config.task.name; throws enu::Error for function tasks
/// (use make_objective) and unknown names.
std::shared_ptr<const Task> make_task(const TaskConfig& config);
/// sphere or rastrigin; throws enu::Error for other names.
std::shared_ptr<const Objective> make_objective(const TaskConfig& config);

/// Lifetime `i` (of the last reset) of a tmaze / double_tmaze environment, for
/// analysis: position, heading and the last step's events. nullptr for other tasks.
const MazeLifetime* maze_lifetime(const Environment& env, int i);
/// The settings a maze lifetime of `config` starts from; throws enu::Error when
/// the task is not a maze.
MazeLifetime::Settings maze_settings(const TaskConfig& config);
std::shared_ptr<const Objective> make_sphere();
std::shared_ptr<const Objective> make_rastrigin();

/// Spikes per step of the reference neuron under a constant current, in closed
/// form: it fires every n steps, n the first step with v_n >= threshold.
double lif_analytic_rate(const IafConfig& config, double current);

}  // namespace enu
