#pragma once
// --backend auto|cpu|reference|cuda: the one place that picks an Evaluator.

#include <memory>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/strategy.hpp"
#include "stage_profile.hpp"

namespace enu {

/// The evaluator for a config's task and model on the requested backend.
/// Throws enu::Error saying why a backend cannot be had (no CUDA build, no device).
/// `local_rank`: this process's rank on its node in an MPI job; the CUDA backend
/// then uses GPU local_rank % (GPUs on the node). `profile`: stage times of the
/// CPU fast backend (`enu bench`); other backends leave it untouched.
std::unique_ptr<Evaluator> make_evaluator(const RunConfig& config, int local_rank = 0, StageProfile* profile = nullptr);

/// Where a run's ES update goes (run.es_update; auto: the device when `evaluator`
/// is the CUDA backend); nullptr means the host.
std::shared_ptr<EsUpdater> make_updater(const RunConfig& config, const Evaluator& evaluator);

/// The backends `enu bench` measures for `requested` (auto: cpu, and cuda when a
/// device is present; all: reference too), with the reason for each one skipped.
std::vector<BackendKind> bench_backends(const std::string& requested, std::vector<std::string>& skipped);

}  // namespace enu
