#pragma once
/// @brief The one list of tasks: what each is called, which config section it
/// reads and what model it takes. The config validates against it; the tasks
/// library (make_task), the backends and the analyses dispatch on its TaskKind,
/// so that no task is identified by its name anywhere else.

#include <string>
#include <vector>

namespace enu {

enum class TaskKind { iaf, stdp, stdp_complex, tmaze, double_tmaze, sphere, rastrigin };

/// What a task asks of the model: a single cell, an agent (a network, or one
/// cell reading every input), or no model (a function objective).
enum class ModelNeed { cell, agent, none };

struct TaskEntry {
  TaskKind kind;
  const char* name;
  const char* section;  // the task.<section> it reads
  ModelNeed model;
  int min_inputs;       // cell: observation channels the cell must take; agent network: its sensory sources
};
const std::vector<TaskEntry>& task_table();
/// The entry of `name`; throws enu::Error naming the known tasks.
const TaskEntry& task_entry(const std::string& name);
/// The kind of task `name`; throws enu::Error naming the known tasks.
inline TaskKind task_kind(const std::string& name) { return task_entry(name).kind; }
/// True for the function objectives (sphere, rastrigin), which have no lifetimes.
bool is_objective_task(const std::string& name);
/// The names of the tasks `keep` accepts, comma-separated, for messages.
std::string task_names(bool (*keep)(const TaskEntry&));

}  // namespace enu
