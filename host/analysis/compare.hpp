#pragma once
// A comparison of models over independent seeds (the form of the paper's
// Extended Data Table 1): one run folder per (model, seed), resumable, then a
// table of final fitness, generations to a threshold and Welch's t-test
// against a reference model, and the mean convergence curves.

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "enu/config.hpp"

namespace enu {

// ---- statistics ------------------------------------------------------------------

/// Regularized incomplete beta I_x(a, b), by the continued fraction of
/// Numerical Recipes (betacf); a, b > 0, x in [0, 1].
double regularized_incomplete_beta(double a, double b, double x);

/// P(|T| >= |t|) for Student's t with `df` (> 0, need not be an integer) degrees of freedom.
double student_t_two_sided_p(double t, double df);

struct SampleStats {
  int n = 0;
  double mean = 0.0;
  double std = 0.0;  // sample standard deviation (n - 1); 0 when n < 2
};
SampleStats sample_stats(const std::vector<double>& values);

/// Welch's unequal-variance t-test of mean(a) - mean(b): t, the
/// Welch-Satterthwaite degrees of freedom and the two-sided p-value. NaN
/// throughout when either sample has fewer than 2 values; when both variances
/// are zero, t = +-inf and p = 0 for different means, t = 0 and p = 1 for equal.
struct WelchResult {
  double t = 0.0, df = 0.0, p = 1.0;
};
WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

// ---- the comparison config ---------------------------------------------------------

struct CompareModel {
  std::string name;
  std::vector<std::string> overrides;  // "key=value" applied to the base config
};

/// A comparison file (see docs/compare.md and configs/compare_stdp.yaml).
struct CompareConfig {
  std::string source;                  // the comparison file, for messages
  std::string name;                    // default: the file's stem; the output folder is runs/<name>
  std::string base;                    // the run config, resolved against the comparison file's folder
  int seeds = 10;                      // independent runs per model
  uint64_t first_seed = 1;             // runs use run.seed = first_seed ... first_seed + seeds - 1
  std::optional<double> threshold;     // centre fitness for "generations to threshold" (absent: not reported)
  std::string reference;               // the model the others are tested against (default: the first)
  std::vector<std::string> common;     // overrides for every model, applied before each model's own
  std::vector<CompareModel> models;    // in file order

  /// The resolved run config of one model and seed; `extra` (e.g. --backend) last.
  RunConfig run_config(const CompareModel& model, uint64_t seed, const std::vector<std::string>& extra = {}) const;
};

/// Reads and checks a comparison file: every key, the base config, and every
/// model's overrides against it (errors name the key or model, the file and line).
/// `extra` overrides are checked with every model as well.
CompareConfig load_compare_config(const std::string& path, const std::vector<std::string>& extra = {});
/// Same, from text; `source` names it in messages, `base_dir` resolves `base`.
CompareConfig parse_compare_config(const std::string& yaml_text, const std::string& source,
                                   const std::string& base_dir, const std::vector<std::string>& extra = {});

// ---- running it --------------------------------------------------------------------

struct CompareOptions {
  std::string out_dir;                 // OUT: OUT/<model>/seed_<s>/ per run
  int seeds = 0;                       // > 0: overrides the file's `seeds`
  std::vector<std::string> overrides;  // applied to every run last (--set, --backend, --threads)
  std::ostream* log = nullptr;         // one line per run (started / resumed / skipped), or nothing
};

/// One run's outcome, read back from its folder.
struct CompareRun {
  uint64_t seed = 0;
  uint64_t generations = 0;            // completed
  double final_fitness = 0.0;          // held-out fitness of the best centre (summary.yaml)
  double last_centre = 0.0;            // training fitness of the last generation's centre
  std::optional<uint64_t> to_threshold;  // first generation whose centre reached the threshold
  std::vector<double> centre;          // centre fitness per generation (metrics.csv)
  // Maze tasks: the best centre's adaptation score and the best fixed policy's,
  // on the run's held-out lifetimes (maze_adaptation.csv, as `enu analyze` writes it).
  std::optional<double> adaptation, fixed_adaptation;
};

/// A finished run read back from its folder: summary.yaml, metrics.csv and, for
/// a maze task, maze_adaptation.csv (written from the best checkpoint when
/// missing). A file that is not as enu writes it is an enu::Error naming it.
CompareRun read_run(const std::filesystem::path& dir, uint64_t seed, const std::optional<double>& threshold,
                    const RunConfig& config);

struct CompareRow {
  std::string model;
  std::vector<CompareRun> runs;
  SampleStats final_fitness, last_centre, to_threshold;  // to_threshold over the runs that reached it
  SampleStats adaptation, fixed_adaptation;               // maze tasks only (n = 0 otherwise)
  std::optional<WelchResult> vs_reference;  // final fitness against the reference; none for the reference
};

struct CompareReport {
  std::vector<CompareRow> rows;        // in the file's model order
  std::string reference;
  std::optional<double> threshold;
  int started = 0, resumed = 0, skipped = 0;  // what this invocation did with the runs
};

/// Runs (or resumes, or skips when complete) every (model, seed) run on the
/// backend and ES update its config asks the registry for, then writes
/// OUT/table.md, table.csv, runs.csv and convergence.csv and returns the table.
CompareReport run_comparison(const CompareConfig& config, const CompareOptions& options);

/// The table as Markdown (also what `enu compare` prints).
std::string format_table_markdown(const CompareReport& report);

}  // namespace enu
