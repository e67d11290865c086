#pragma once
/// @brief The lifetimes of every task with an environment, and the one switch
/// from a TaskKind to its lifetime type.
///
/// Every lifetime is plain data, stepped the same way on the host
/// (host/tasks: LifetimeEnvironment) and on the device (cuda/kernel_tasks.cuh:
/// KernelTask), and has this shape:
///
///   using / struct Settings;                     what it reads from the config
///   static constexpr ModelNeed kModel;           a cell, or an agent (network)
///   static constexpr int kSources, kChannels;    its observation shape
///   static constexpr int kActions;               the model outputs it acts on
///   static Settings settings_of(const TaskConfig&, TaskKind);
///   static int steps(const Settings&);           environment steps per lifetime
///   void start(const Settings&, uint64_t seed, uint64_t generation, int lifetime);
///   void observe(float* out);                    kSources x kChannels values of this step
///   void act(const float* actions);              kActions values; ends the step
///   float fitness() const;                       after the last step
///   float reward;                                what the last act() received
///
/// Adding a task: its lifetime (a header here), its settings (enu/config.hpp
/// and its keys in host/config), its row in the task table
/// (host/config/task_table.cpp) and its case in with_lifetime below.

#include <string>
#include <type_traits>
#include <utility>

#include "enu/common.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/single_unit_tasks.hpp"
#include "enu/task_table.hpp"

namespace enu {

/// A lifetime type passed by value to a visitor: `typename decltype(tag)::type`.
template <class Lifetime>
struct LifetimeTag {
  using type = Lifetime;
};

/// Returns visit(LifetimeTag<the lifetime of `kind`>{}); throws enu::Error for
/// the function objectives, which have no lifetimes.
template <class Visit>
decltype(auto) with_lifetime(TaskKind kind, Visit&& visit) {
  switch (kind) {
    case TaskKind::iaf: return std::forward<Visit>(visit)(LifetimeTag<IafLifetime>{});
    case TaskKind::stdp:
    case TaskKind::stdp_complex: return std::forward<Visit>(visit)(LifetimeTag<StdpLifetime>{});
    case TaskKind::tmaze:
    case TaskKind::double_tmaze: return std::forward<Visit>(visit)(LifetimeTag<MazeLifetime>{});
    case TaskKind::sphere:
    case TaskKind::rastrigin: break;
  }
  throw Error("a function objective has no lifetimes");
}

/// True for the tasks whose lifetime is a maze (tmaze, double_tmaze): what the
/// maze analyses, traces and --watch take.
inline bool is_maze_task(const std::string& name) {
  if (is_objective_task(name)) return false;
  return with_lifetime(task_kind(name),
                       [](auto tag) { return std::is_same_v<typename decltype(tag)::type, MazeLifetime>; });
}

}  // namespace enu
