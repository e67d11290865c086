// The one list of tasks.
#include "enu/task_table.hpp"

#include "enu/common.hpp"
#include "enu/maze_tasks.hpp"

namespace enu {

const std::vector<TaskEntry>& task_table() {
  static const std::vector<TaskEntry> table = {
      {TaskKind::iaf, "iaf", "iaf", ModelNeed::cell, 1},
      {TaskKind::stdp, "stdp", "stdp", ModelNeed::cell, 4},
      {TaskKind::stdp_complex, "stdp_complex", "stdp", ModelNeed::cell, 4},
      {TaskKind::tmaze, "tmaze", "maze", ModelNeed::agent, kMazeSources},
      {TaskKind::double_tmaze, "double_tmaze", "maze", ModelNeed::agent, kMazeSources},
      {TaskKind::sphere, "sphere", "function", ModelNeed::none, 0},
      {TaskKind::rastrigin, "rastrigin", "function", ModelNeed::none, 0},
  };
  return table;
}

std::string task_names(bool (*keep)(const TaskEntry&)) {
  std::string names;
  for (const TaskEntry& t : task_table())
    if (keep(t)) names += (names.empty() ? "" : ", ") + std::string(t.name);
  return names;
}

const TaskEntry& task_entry(const std::string& name) {
  for (const TaskEntry& t : task_table())
    if (name == t.name) return t;
  throw Error("unknown task '" + name + "' (tasks: " + task_names([](const TaskEntry&) { return true; }) + ")");
}

bool is_objective_task(const std::string& name) { return task_entry(name).model == ModelNeed::none; }

}  // namespace enu
