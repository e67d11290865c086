#pragma once
// The CPU backends behind the Evaluator interface: a runner kind (reference or
// fast), a thread pool over (member, lifetime chunk) work items, one
// environment and one runner per worker, allocated once.

#include <memory>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/task.hpp"
#include "stage_profile.hpp"

namespace enu {

enum class CpuRunnerKind { reference, fast };

/// `lifetimes_per_item` fixes how lifetimes are grouped into work items: it is
/// part of the computation's shape, never derived from the thread count.
/// With `profile` (fast runners only; it must outlive the evaluator), every
/// evaluation adds its thread-seconds per stage to it.
std::unique_ptr<Evaluator> make_cpu_evaluator(CpuRunnerKind kind, const ModelSpec& model,
                                              std::shared_ptr<const Task> task, int threads,
                                              int lifetimes_per_item, StageProfile* profile = nullptr);

/// fitness = -objective(theta) for every member (sphere, rastrigin).
std::unique_ptr<Evaluator> make_objective_evaluator(std::shared_ptr<const Objective> objective);

}  // namespace enu
