// Task kinds to task objects.
#include "tasks.hpp"

namespace enu {

std::shared_ptr<const Objective> make_objective(const TaskConfig& config) {
  switch (task_kind(config.name)) {
    case TaskKind::sphere: return make_sphere();
    case TaskKind::rastrigin: return make_rastrigin();
    default:
      throw Error("task '" + config.name + "' is not a function objective (" +
                  task_names([](const TaskEntry& t) { return t.model == ModelNeed::none; }) + ")");
  }
}

std::shared_ptr<const Task> make_task(const TaskConfig& config) {
  switch (task_kind(config.name)) {
    case TaskKind::iaf: return make_iaf_task(config.iaf);
    case TaskKind::stdp: return make_stdp_task(config.stdp, false);
    case TaskKind::stdp_complex: return make_stdp_task(config.stdp, true);
    case TaskKind::tmaze: return make_tmaze_task(config.maze);
    case TaskKind::double_tmaze: return make_double_tmaze_task(config.maze);
    case TaskKind::sphere:
    case TaskKind::rastrigin: break;
  }
  throw Error("task '" + config.name + "' is a function objective and has no environment");
}

}  // namespace enu
