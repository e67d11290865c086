#pragma once
// --backend auto|cpu|reference|cuda: the one place that picks an Evaluator.

#include <memory>
#include <string>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"

namespace enu {

/// The evaluator for a config's task and model on the requested backend.
/// Throws enu::Error saying why a backend cannot be had (no CUDA build, no device).
/// `local_rank`: this process's rank on its node in an MPI job; the CUDA backend
/// then uses GPU local_rank % (GPUs on the node).
std::unique_ptr<Evaluator> make_evaluator(const RunConfig& config, int local_rank = 0);

}  // namespace enu
