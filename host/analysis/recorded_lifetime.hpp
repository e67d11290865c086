#pragma once
// One lifetime of a centre, stepped by the reference runner and shown to the
// caller after every step: the CSV of `enu eval --record` and the maze trace
// (maze_trace.hpp) both come from it.

#include <functional>
#include <vector>

#include "enu/config.hpp"
#include "enu/task.hpp"
#include "runner.hpp"

namespace enu {

/// A recorded step, after the environment acted on it.
struct RecordedStep {
  int step = 0;
  const float* observations = nullptr;  // what the model saw: [sources x channels]
  const float* actions = nullptr;       // what the environment acted on: [task.action_count()]
  const Environment& env;               // the environment after the step
  const ModelState& model;              // the model's state after the step
};

/// Steps lifetime `index` of `set` of `task` (made from config.task) with
/// `theta` through the reference runner, with the centre's member id as
/// evaluation gives it, calls on_step after every step and returns the
/// lifetime's fitness.
float record_lifetime(const RunConfig& config, const Task& task, const std::vector<float>& theta,
                      const LifetimeSet& set, int index, const std::function<void(const RecordedStep&)>& on_step);

}  // namespace enu
