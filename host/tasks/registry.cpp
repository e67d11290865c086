// Task names to task objects.
#include "tasks/tasks.hpp"

namespace enu {

const std::vector<TaskEntry>& task_table() {
  static const std::vector<TaskEntry> table = {
      {"iaf", "iaf", ModelNeed::cell, 1, [](const TaskConfig& c) { return make_iaf_task(c.iaf); }, nullptr},
      {"stdp", "stdp", ModelNeed::cell, 4, [](const TaskConfig& c) { return make_stdp_task(c.stdp, false); }, nullptr},
      {"stdp_complex", "stdp", ModelNeed::cell, 4, [](const TaskConfig& c) { return make_stdp_task(c.stdp, true); },
       nullptr},
      {"tmaze", "maze", ModelNeed::agent, kMazeSources, [](const TaskConfig& c) { return make_tmaze_task(c.maze); },
       nullptr},
      {"double_tmaze", "maze", ModelNeed::agent, kMazeSources,
       [](const TaskConfig& c) { return make_double_tmaze_task(c.maze); }, nullptr},
      {"sphere", "function", ModelNeed::none, 0, nullptr, make_sphere},
      {"rastrigin", "function", ModelNeed::none, 0, nullptr, make_rastrigin},
  };
  return table;
}

namespace {

/// The names of the tasks `keep` accepts, comma-separated, for messages.
template <class Keep>
std::string task_names(Keep&& keep) {
  std::string names;
  for (const TaskEntry& t : task_table())
    if (keep(t)) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return names;
}

}  // namespace

const TaskEntry& task_entry(const std::string& name) {
  for (const TaskEntry& t : task_table())
    if (name == t.name) return t;
  throw Error("unknown task '" + name + "' (tasks: " + task_names([](const TaskEntry&) { return true; }) + ")");
}

bool is_objective_task(const std::string& name) { return task_entry(name).model == ModelNeed::none; }

std::shared_ptr<const Objective> make_objective(const TaskConfig& config) {
  const TaskEntry& task = task_entry(config.name);
  if (!task.make_objective) {
    throw Error("task '" + config.name + "' is not a function objective (" +
                task_names([](const TaskEntry& t) { return t.make_objective != nullptr; }) + ")");
  }
  return task.make_objective();
}

std::shared_ptr<const Task> make_task(const TaskConfig& config) {
  const TaskEntry& task = task_entry(config.name);
  if (!task.make) throw Error("task '" + config.name + "' is a function objective and has no environment");
  return task.make(config);
}

}  // namespace enu
