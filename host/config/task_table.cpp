// The one list of tasks.
#include "enu/task_table.hpp"

#include "enu/common.hpp"
#include "enu/task_lifetimes.hpp"

namespace enu {

namespace {

/// The row of a task with lifetimes: what model it takes comes from its lifetime type.
TaskEntry lifetime_task(TaskKind kind, const char* name, const char* section) {
  return with_lifetime(kind, [&](auto tag) {
    using Lifetime = typename decltype(tag)::type;
    // A cell must take every observation channel; a network agent has a sensory input per source.
    const int min_inputs = Lifetime::kModel == ModelNeed::cell ? Lifetime::kChannels : Lifetime::kSources;
    return TaskEntry{kind, name, section, Lifetime::kModel, min_inputs};
  });
}

}  // namespace

const std::vector<TaskEntry>& task_table() {
  static const std::vector<TaskEntry> table = {
      lifetime_task(TaskKind::iaf, "iaf", "iaf"),
      lifetime_task(TaskKind::stdp, "stdp", "stdp"),
      lifetime_task(TaskKind::stdp_complex, "stdp_complex", "stdp"),
      lifetime_task(TaskKind::tmaze, "tmaze", "maze"),
      lifetime_task(TaskKind::double_tmaze, "double_tmaze", "maze"),
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
