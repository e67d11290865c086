#pragma once
// A run folder and the evolution loop that fills it: the resolved config,
// metrics.csv (one row per generation), checkpoints (latest and best), a log,
// the final evaluation and the analysis.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/communicator.hpp"
#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/strategy.hpp"
#include "run_lock.hpp"

namespace enu {

struct EvolveOptions {
  std::string out_dir;        // the run folder; checkpoint_best.npz holds the best
                              // evaluated centre (state before its update)
  bool resume = false;        // continue from out_dir/checkpoint_latest.npz
  bool progress = true;       // live progress line on stderr
  /// The processes running this evolution (nullptr: this one alone). Every rank
  /// runs the same loop; only rank 0 writes the run folder and the progress line.
  Communicator* communicator = nullptr;
  /// Where the ES update runs (nullptr: the host).
  std::shared_ptr<EsUpdater> updater;
  /// Called once per generation, on every rank (give every rank one or none),
  /// after the generation's metrics row (and, without run.validation_lifetimes,
  /// its best checkpoint) is written: progress for a caller, and a way to stop.
  /// Returning false on any rank stops the run at this generation as
  /// run.max_minutes does: checkpoint_latest.npz is written for it and log.txt
  /// gets a "# stopped:" line, so a resume continues bit for bit. An exception
  /// propagates and leaves the folder as a kill would (metrics rows past
  /// checkpoint_latest.npz, which a resume drops and repeats); other ranks are
  /// left waiting, as after a crash of this one.
  std::function<bool(const GenerationReport&)> on_generation;
  /// The lock of out_dir on rank 0, when the caller holds it for longer than
  /// evolve() (through finish_run and the analysis, as `enu evolve` does);
  /// nullptr: evolve() takes it for its own duration. Either way a second run
  /// into the folder is refused while this one writes it.
  const RunLock* lock = nullptr;
};

struct EvolveSummary {
  uint64_t generations = 0;   // completed, in total
  double best_centre = 0.0;   // best centre fitness seen
  double seconds = 0.0;       // wall time of this invocation
  bool stopped = false;       // ended before run.generations (run.max_minutes or on_generation)
};

/// Runs (or resumes) evolution into options.out_dir with `evaluator`.
EvolveSummary evolve(const RunConfig& config, Evaluator& evaluator, const EvolveOptions& options);

/// The config stored in a checkpoint (read from `path`) under `overrides`.
RunConfig config_from_checkpoint(const Checkpoint& checkpoint, const std::string& path,
                                 const std::vector<std::string>& overrides);

/// The checkpoint's config under `overrides` that may change only the lifetimes
/// its centre is looked at on (task.*, run.*): the evolved parameters belong to
/// the run's model and strategy. `command` names the caller in the error.
RunConfig config_for_lifetimes(const Checkpoint& checkpoint, const std::string& path,
                               const std::vector<std::string>& overrides, const std::string& command);

/// What `enu evolve` runs: the config and the folder, and whether it resumes.
struct PlannedRun {
  RunConfig config;
  std::string run_dir;
  bool resume = false;
};
/// Throws enu::Error when a run of `config` needs more host memory than this
/// machine has available (estimate_host_memory of its population and centre on
/// es.lifetimes), before anything that large is allocated.
void require_run_memory(const RunConfig& config);
/// A new run of `config` into `out_dir` (default: run.out_dir, else runs/<name>).
PlannedRun plan_new_run(RunConfig config, const std::string& out_dir);
/// A resumed run: the config stored in resume_dir's checkpoint_latest.npz, where
/// `overrides` may change only run.* settings other than run.init_from. Both
/// plans refuse a run this machine cannot hold (require_run_memory).
PlannedRun plan_resume(const std::string& resume_dir, const std::vector<std::string>& overrides);
/// Plans `enu evolve` from exactly one of `config_path` (a new run of the file
/// under `overrides`) and `resume_dir` (`out_dir` ignored). Refusals are enu::Error.
PlannedRun plan_run(const std::string& config_path, const std::vector<std::string>& overrides,
                    const std::string& out_dir, const std::string& resume_dir);

/// The initial centre for a config: the model's published initialisation, or
/// the function task's starting point.
std::vector<float> initial_centre(const RunConfig& config);

/// What a config's parameters are (the model's cells, sizes and wiring, or the
/// function's dimension), in words: two configs whose layouts are equal give
/// their parameters the same meaning.
std::string parameter_layout(const RunConfig& config);

/// The centre a new run starts from: run.init_from's checkpoint centre (a warm
/// start; refused, naming both layouts, when its model's parameters differ), or
/// initial_centre(config).
std::vector<float> first_centre(const RunConfig& config);

/// Parameters evolved under a config (the model's, or the function's dimension).
size_t param_count(const RunConfig& config);

/// Lifetimes that training never sees: a seed derived from the run seed.
LifetimeSet held_out_lifetimes(uint64_t run_seed, int count);
/// The fixed lifetimes run.validation_lifetimes picks the best checkpoint on:
/// neither training's nor the held-out ones.
LifetimeSet validation_lifetimes(uint64_t run_seed, int count);

/// Mean and standard deviation of the centre's fitness over lifetimes.
struct FitnessStats {
  double mean = 0.0, std = 0.0;
  int lifetimes = 0;
};
FitnessStats evaluate_centre(Evaluator& evaluator, const std::vector<float>& theta, const LifetimeSet& lifetimes);

std::string checkpoint_path(const std::string& run_dir, const std::string& which);  // "latest" or "best"

/// How a run ended: its best centre, evaluated on held-out lifetimes.
struct RunResult {
  Checkpoint best;
  FitnessStats held_out;
};
/// Evaluates the best centre on run.eval_lifetimes held-out lifetimes and writes
/// summary.yaml last: its presence means the run completed.
RunResult finish_run(const std::string& run_dir, const RunConfig& config, Evaluator& evaluator,
                     const EvolveSummary& summary);

/// The rows of a run's CSV (metrics.csv, validation.csv) a resume keeps: under
/// `header`, the whole rows whose first column (a generation) is below `end`; a
/// last row cut short goes. A row whose generation is not a number is an
/// enu::Error naming `where` and the line.
std::string rows_before(const std::string& csv, const std::string& header, uint64_t end, const std::string& where);

/// Writes a file whole or not at all (temporary file, then rename); a failure is
/// an enu::Error naming the file and the reason, and leaves the file as it was.
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace enu
