#pragma once
// `enu bench`: what an evaluator does per second on named settings (the
// published maze network, the single-unit STDP setting, a large network, and
// sweeps over population and network size): lifetimes/s, ENU ticks/s, GFLOP/s
// and its fraction of the peak measured in the same run, the projected time of
// one generation, where the evaluation's time goes, and the host ES update.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backends.hpp"
#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "stage_profile.hpp"

namespace enu {

struct BenchCase {
  std::string name;
  RunConfig config;  // task, model, es.population (P), es.lifetimes (E), the task's steps (S)
};

/// The three settings of the harness, from the configs in `configs_dir`: the
/// published maze network (tmaze.yaml: 512 members x 8 lifetimes x 400 steps),
/// the single-unit STDP setting (stdp.yaml at 512 x 32 x 100) and a large
/// network (256 neurons x 64 synapses each, C = 16, M = 32, in the tmaze task).
std::vector<BenchCase> standard_cases(const std::string& configs_dir);
/// The maze setting at P = 64 .. 1024, then networks from the published size to
/// the large one at P = 512: how cost grows with population and network.
std::vector<BenchCase> sweep_cases(const std::string& configs_dir);

/// The cases named in `names` (all when empty), in their order; an unknown name
/// is an error that lists the known ones.
std::vector<BenchCase> select_cases(const std::vector<BenchCase>& cases, const std::vector<std::string>& names);

/// The environment steps of a lifetime, for the tasks whose step count can be
/// lowered for a measurement without breaking their rules (the mazes); null otherwise.
int* adjustable_steps(TaskConfig& task);

/// One way a backend runs a setting, timed as its own row: the row's label and
/// the run.* settings that select it.
struct BenchVariant {
  std::string label;
  CudaPath path = CudaPath::automatic;
  CudaPrecision precision = CudaPrecision::fp32;  // fused_v2: its own; the other paths: the setting's, unused
};
/// The rows `bench` gets on `backend`, labelled after its hardware: one for a
/// single cell or a backend with one way to run the network; else one per
/// network path (Backend::network_paths, in its order), the fused_v2 path once
/// per precision (fp32, tf32, tf32x3), e.g. "cuda (H100) fused_v2 tf32",
/// "cuda (H100) fused".
std::vector<BenchVariant> bench_variants(const Backend& backend, const BenchCase& bench, const std::string& hardware);

struct BenchSize {
  int members = 0, steps = 0;
};
/// What one timed evaluation runs: the full members and steps when they fit
/// `budget_seconds` at `seconds_per_member_step`; else fewer steps (when
/// `steps_adjustable`, down to 20 or the full count if lower), then fewer
/// members (even, at least 2).
BenchSize fit_to_budget(int members, int steps, bool steps_adjustable, double seconds_per_member_step,
                        double budget_seconds);

struct BenchRow {
  std::string setting, backend;
  int members = 0, lifetimes = 0, steps = 0;          // the full setting: P, E, S
  int measured_members = 0, measured_steps = 0;       // what each timed evaluation ran
  int repetitions = 0;
  double median_seconds = 0.0;                        // one timed evaluation
  double lifetime_steps_per_second = 0.0;
  double ticks_per_second = 0.0;                      // ENU cell steps
  double gflops = 0.0, peak_gflops = 0.0;
  double generation_seconds = 0.0;                    // evaluation of the full P x E x S at this rate
  double update_seconds = 0.0;                        // the host ES update (optimizer step included), P members
  bool has_stages = false;
  StageProfile stages;                                // thread-seconds over the timed evaluations

  double lifetimes_per_second() const { return lifetime_steps_per_second / steps; }
  double peak_fraction() const { return peak_gflops > 0.0 ? gflops / peak_gflops : 0.0; }
};

/// Makes the evaluator for a case; `profile`, when not null, should receive its
/// stage times (CPU fast backend).
using BenchEvaluatorFactory = std::function<std::unique_ptr<Evaluator>(const RunConfig&, StageProfile* profile)>;

struct BenchOptions {
  double budget_seconds = 2.0;  // per timed evaluation
  int repetitions = 3;          // timed evaluations; the row gives their median
  int warmup_members = 2;       // members of the untimed first evaluation that sizes the rest
};

/// One row: an untimed evaluation (warm-up and rate estimate), then
/// `repetitions` timed ones of the size fit_to_budget picks, on fresh lifetimes each.
BenchRow run_bench(const BenchCase& bench, const std::string& backend, const BenchEvaluatorFactory& factory,
                   double peak_gflops, const BenchOptions& options);

/// Markdown: the rates, then the stage shares of the rows that have them.
std::string bench_table(const std::vector<BenchRow>& rows);
void write_bench_csv(const std::vector<BenchRow>& rows, const std::string& path);

}  // namespace enu
