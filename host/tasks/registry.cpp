// Task names to task objects.
#include "tasks/tasks.hpp"

namespace enu {

bool is_objective_task(const std::string& name) { return name == "sphere" || name == "rastrigin"; }

std::shared_ptr<const Objective> make_objective(const TaskConfig& config) {
  if (config.name == "sphere") return make_sphere();
  if (config.name == "rastrigin") return make_rastrigin();
  throw Error("task '" + config.name + "' is not a function objective (sphere, rastrigin)");
}

std::shared_ptr<const Task> make_task(const TaskConfig& config) {
  if (config.name == "iaf") return make_iaf_task(config.iaf);
  if (config.name == "stdp") return make_stdp_task(config.stdp, false);
  if (config.name == "stdp_complex") return make_stdp_task(config.stdp, true);
  if (config.name == "tmaze") return make_tmaze_task(config.maze);
  if (config.name == "double_tmaze") return make_double_tmaze_task(config.maze);
  throw Error("task '" + config.name + "' has no environment (allowed: iaf, stdp, stdp_complex, tmaze, double_tmaze)");
}

}  // namespace enu
