// enu: evolve, evaluate and analyse networks of evolvable neural units.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <unistd.h>

#include "analysis.hpp"
#include "bench.hpp"
#include "backends.hpp"
#include "compare.hpp"
#include "maze_trace.hpp"
#include "recorded_lifetime.hpp"
#include "enu/checkpoint.hpp"
#include "enu/config.hpp"
#include "host_memory.hpp"
#include "run.hpp"
#include "runner.hpp"
#include "suggest.hpp"
#include "tasks.hpp"
#include "thread_pool.hpp"
#if defined(ENU_HAVE_MPI)
#include "distributed.hpp"
#endif

namespace fs = std::filesystem;
using namespace enu;

namespace {

/// --backend's choices: `first`, then every backend in the registry.
std::vector<std::string> backend_choices(std::vector<std::string> first) {
  for (const Backend* backend : registered_backends()) first.push_back(backend->name());
  return first;
}

// Ranks in the job a launcher (mpirun, srun) started this process in; 0 outside one.
int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  }
  return 0;
}

// The MPI job this process belongs to, when `enu evolve` runs under a launcher
// in a build with MPI; otherwise a single process.
struct Job {
#if defined(ENU_HAVE_MPI)
  std::unique_ptr<MpiCommunicator> mpi;
#endif
  Communicator* communicator() {
#if defined(ENU_HAVE_MPI)
    return mpi.get();
#else
    return nullptr;
#endif
  }
  int rank() { return communicator() ? communicator()->rank() : 0; }
  // The backend this rank evaluates its slice with, wrapped for the job.
  BackendEvaluator evaluator(const RunConfig& config) {
#if defined(ENU_HAVE_MPI)
    if (mpi) {
      mpi->set_timeout(config.run.mpi_timeout_seconds);
      BackendEvaluator local = make_evaluator(config, mpi->local_rank());
      return {local.backend, std::make_unique<DistributedEvaluator>(*mpi, std::move(local.evaluator))};
    }
#endif
    return make_evaluator(config);
  }
};

struct BackendFlags {
  std::string backend;
  int threads = -1;

  void add_to(CLI::App& app) {
    const std::vector<std::string> choices = backend_choices({"auto"});
    app.add_option("--backend", backend, join(choices, " | ") + " (overrides run.backend)")
        ->check(CLI::IsMember(choices));
    app.add_option("--threads", threads, "CPU worker threads, 0 = all cores (overrides run.threads)")
        ->check(CLI::NonNegativeNumber);
  }
  void append_overrides(std::vector<std::string>& overrides) const {
    if (!backend.empty()) overrides.push_back("run.backend=" + backend);
    if (threads >= 0) overrides.push_back("run.threads=" + std::to_string(threads));
  }
};

// The run's analysis as CSV (and PNG through tools/plot.py, when matplotlib is there).
void analyze_run(const RunConfig& config, const std::vector<float>& theta, const std::string& run_dir) {
  bool found = false;
  const AnalysisReport report = analyze_task(config, theta, run_dir, &found);
  if (found) std::printf("%s\n", report.summary.c_str());
  const std::string script = std::string(ENU_SOURCE_DIR) + "/tools/plot.py";
  const std::string command = "python3 '" + script + "' '" + run_dir + "'";
  std::fflush(stdout);  // keep our lines before the script's
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "warning: plots not drawn (%s failed; CSV files are in %s)\n", command.c_str(), run_dir.c_str());
  }
}

// SIGINT and SIGTERM while the generations run: the first stops the run at the
// end of its generation (on_generation's false, which writes the checkpoint);
// a second ends the process at once, which leaves the last checkpoint loadable
// since checkpoints are renamed into place whole. Under mpirun every rank gets
// the signal, and the hook's answer is combined over the ranks anyway.
class StopOnSignals {
 public:
  StopOnSignals() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // the run's reads and writes go on undisturbed
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
  ~StopOnSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  /// The signal that asked the run to stop, or 0.
  int received() const { return received_; }

 private:
  // Async-signal-safe: a lock-free atomic, write() and _exit() only.
  static void on_signal(int number) {
    if (received_.exchange(number) != 0) ::_exit(128 + number);
    constexpr char note[] = "\nenu: stopping at the end of this generation (a second signal quits at once)\n";
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, note, sizeof note - 1);
  }
  static_assert(std::atomic<int>::is_always_lock_free);
  static inline std::atomic<int> received_{0};
  struct sigaction previous_int_ {}, previous_term_ {};
};

int evolve_command(const std::string& config_path, const std::vector<std::string>& overrides, const std::string& out,
                   const std::string& resume_dir, bool quiet, Job& job) {
  const PlannedRun plan = plan_run(config_path, overrides, out, resume_dir);
  const RunConfig& config = plan.config;
  const std::string& run_dir = plan.run_dir;
  const bool root = job.rank() == 0;
  // The folder is this run's until its analysis is written; rank 0 writes it.
  std::optional<RunLock> lock;
  if (root) lock.emplace(run_dir);
  const BackendEvaluator chosen = job.evaluator(config);
  Evaluator& evaluator = *chosen.evaluator;
  const std::shared_ptr<EsUpdater> updater = make_updater(config, *chosen.backend);
  if (root) {
    std::fprintf(stderr, "enu evolve: task %s, %zu parameters, backend %s, ES update on the %s, run folder %s\n",
                 config.task.name.c_str(), param_count(config), evaluator.name().c_str(),
                 updater ? updater->name().c_str() : "host", run_dir.c_str());
  }
  EvolveSummary summary;
  int stopped_by = 0;  // the signal that stopped the run
  {
    // Only while the generations run: later a signal ends the process as usual.
    const StopOnSignals signals;
    const auto go_on = [&](const GenerationReport&) { return signals.received() == 0; };
    summary = evolve(config, evaluator,
                     EvolveOptions{run_dir, plan.resume, !quiet, job.communicator(), updater, go_on,
                                   lock ? &*lock : nullptr});
    stopped_by = signals.received();
  }
  if (stopped_by != 0) {
    if (root) {
      std::fprintf(stderr,
                   "enu: stopped by %s after %llu generations, checkpoint_latest.npz written; continue with: "
                   "enu evolve --resume %s\n",
                   stopped_by == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)summary.generations,
                   run_dir.c_str());
    }
    return 128 + stopped_by;  // the shell's code for a process ended by the signal
  }
  if (!root) return 0;  // the run folder, its summary and analysis are rank 0's

  // Final evaluation of the best centre on lifetimes training never saw.
  const RunResult result = finish_run(run_dir, config, evaluator, summary);
  std::printf("best centre (generation %llu): held-out fitness %.6g +- %.3g over %d lifetimes\n",
              (unsigned long long)result.best.best_generation, result.held_out.mean, result.held_out.std,
              result.held_out.lifetimes);
  if (!is_objective_task(config.task.name)) analyze_run(config, result.best.state.theta, run_dir);
  return 0;
}

// eval --watch: one held-out maze lifetime replayed in the terminal.
int watch_command(const RunConfig& config, const std::vector<float>& theta, double fps) {
  if (!is_maze_task(config.task.name)) {
    throw Error("--watch replays a maze lifetime; task " + config.task.name + " is not a maze (tmaze, double_tmaze)");
  }
  watch_maze_lifetime(config, theta, std::cout, WatchOptions{fps, isatty(STDOUT_FILENO) == 1});
  return 0;
}

int eval_command(const std::string& path, std::vector<std::string> overrides, const BackendFlags& flags,
                 int lifetimes, const std::string& record, bool watch, double fps) {
  const Checkpoint checkpoint = load_checkpoint(path);
  flags.append_overrides(overrides);
  const RunConfig config = config_for_lifetimes(checkpoint, path, overrides, "eval " + path);
  if (watch) {
    if (!record.empty()) throw Error("--watch replays a lifetime instead of evaluating: give --record without it");
    return watch_command(config, checkpoint.state.theta, fps);
  }
  require_host_memory(estimate_host_memory(config, 1, uint64_t(lifetimes)), "--lifetimes " + std::to_string(lifetimes),
                      available_host_memory());
  const auto evaluator = make_evaluator(config).evaluator;
  const FitnessStats stats =
      evaluate_centre(*evaluator, checkpoint.state.theta, held_out_lifetimes(config.run.seed, lifetimes));
  std::printf("fitness %.6g +- %.3g over %d fresh lifetimes (generation %llu, backend %s)\n", stats.mean, stats.std,
              stats.lifetimes, (unsigned long long)checkpoint.state.generation, evaluator->name().c_str());
  if (record.empty()) return 0;
  if (is_objective_task(config.task.name)) throw Error("--record: task " + config.task.name + " has no lifetimes");

  // One held-out lifetime through the reference runner, one CSV row per step.
  const auto task = make_task(config.task);
  const ObservationShape shape = task->observation_shape();
  std::ofstream out(record);
  out << "step";
  for (int i = 0; i < shape.sources * shape.channels; ++i) out << ",input" << i;
  for (int a = 0; a < task->action_count(); ++a) out << ",output" << a;
  out << ",reward\n";
  const auto write_row = [&](const RecordedStep& s) {
    out << s.step;
    for (int i = 0; i < shape.sources * shape.channels; ++i) out << ',' << s.observations[i];
    for (int a = 0; a < task->action_count(); ++a) out << ',' << s.actions[a];
    out << ',' << s.env.last_reward(0) << '\n';
  };
  const LifetimeSet set = held_out_lifetimes(config.run.seed, 1);
  const float fitness = record_lifetime(config, *task, checkpoint.state.theta, set, 0, write_row);
  if (!out) throw Error("cannot write " + record);
  std::printf("recorded one lifetime (fitness %.6g) to %s\n", fitness, record.c_str());
  return 0;
}

int analyze_command(const std::string& run_dir, const std::vector<std::string>& overrides) {
  std::string path = checkpoint_path(run_dir, "best");
  if (!fs::exists(path)) path = checkpoint_path(run_dir, "latest");
  const Checkpoint checkpoint = load_checkpoint(path);
  const RunConfig config = config_for_lifetimes(checkpoint, path, overrides, "analyze " + run_dir);
  if (!overrides.empty()) {
    std::printf("analysing %s under --set %s\n", path.c_str(), join(overrides, " --set ").c_str());
  }
  analyze_run(config, checkpoint.state.theta, run_dir);
  return 0;
}

int compare_command(const std::string& path, std::vector<std::string> overrides, const BackendFlags& flags,
                    std::string out, int seeds) {
  flags.append_overrides(overrides);
  const CompareConfig config = load_compare_config(path, overrides);
  if (out.empty()) out = "runs/" + config.name;
  std::fprintf(stderr, "enu compare: %zu models x %d seeds from %s, folder %s\n", config.models.size(),
               seeds > 0 ? seeds : config.seeds, config.base.c_str(), out.c_str());
  const CompareReport report = run_comparison(config, CompareOptions{out, seeds, overrides, &std::cerr});
  std::fprintf(stderr, "runs: %d started, %d resumed, %d already complete\n", report.started, report.resumed,
               report.skipped);
  std::printf("%s", format_table_markdown(report).c_str());
  std::printf("table: %s/table.md, table.csv; per run: runs.csv; curves: convergence.csv\n", out.c_str());
  std::fflush(stdout);
  const std::string command = "python3 '" + std::string(ENU_SOURCE_DIR) + "/tools/plot_compare.py' '" + out + "'";
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "warning: convergence.png not drawn (%s failed)\n", command.c_str());
  }
  return 0;
}

}  // namespace

struct BenchFlags {
  std::string backend = "auto", csv, configs = std::string(ENU_SOURCE_DIR) + "/configs";
  std::vector<std::string> only;
  int threads = 0;
  bool sweep = false;
  BenchOptions options;
};

// The settings (or the sweep) on every requested backend, one table; the peak
// of each backend's hardware is measured in this same run.
int bench_command(const BenchFlags& flags) {
  std::vector<std::string> skipped;
  const std::vector<const Backend*> backends = bench_backends(flags.backend, skipped);
  const std::vector<BenchCase> cases =
      select_cases(flags.sweep ? sweep_cases(flags.configs) : standard_cases(flags.configs), flags.only);
  const int threads = ThreadPool::size_for(flags.threads);
  for (const std::string& why : skipped) std::printf("skipped %s\n", why.c_str());
  std::vector<BenchRow> rows;
  for (const Backend* backend : backends) {
    const BenchHardware hardware = backend->bench_hardware(threads);
    BenchOptions options = flags.options;
    options.warmup_members = hardware.warmup_members;
    std::printf("%s: measured FP32 FMA peak %.1f GFLOP/s\n", hardware.label.c_str(), hardware.peak_gflops);
    for (const BenchCase& c : cases) {
      // Networks on a backend with several network paths: each (fused_v2 in each precision), side by side.
      for (const BenchVariant& variant : bench_variants(*backend, c, hardware.label)) {
        const std::string& label = variant.label;
        const BenchEvaluatorFactory factory = [&](const RunConfig& config, StageProfile* profile) {
          RunConfig on = config;
          on.run.backend = backend->kind();
          on.run.cuda_path = variant.path;
          on.run.cuda_precision = variant.precision;
          on.run.threads = threads;
          return make_evaluator(on, 0, profile).evaluator;
        };
        try {
          rows.push_back(run_bench(c, label, factory, hardware.peak_gflops, options));
        } catch (const Error& e) {  // one setting a backend cannot take does not end the others
          std::printf("  %-16s %s: %s\n", c.name.c_str(), label.c_str(), e.what());
          continue;
        }
        const BenchRow& r = rows.back();
        std::printf("  %-16s %s: %9.4g lifetimes/s  %6.1f GFLOP/s  generation %.4g s\n", c.name.c_str(),
                    label.c_str(), r.lifetimes_per_second(), r.gflops, r.generation_seconds);
        std::fflush(stdout);
      }
    }
  }
  std::printf("\n%s", bench_table(rows).c_str());
  if (!flags.csv.empty()) {
    write_bench_csv(rows, flags.csv);
    std::printf("\nwrote %s\n", flags.csv.c_str());
  }
  return 0;
}

int main(int argc, char** argv) {
  CLI::App app{"enu: evolve networks of evolvable neural units with evolution strategies"};
  app.require_subcommand(1);

  std::string config_path, out_dir, resume_dir;
  std::vector<std::string> overrides;
  bool quiet = false;
  BackendFlags evolve_flags;
  CLI::App* evolve = app.add_subcommand("evolve", "run evolution from a config (or resume a run folder)");
  evolve->add_option("config", config_path, "YAML config, e.g. configs/iaf.yaml");
  evolve->add_option("--set", overrides, "override a config key: --set es.sigma=0.02 (repeatable)");
  evolve->add_option("--out", out_dir, "run folder (default: run.out_dir or runs/<name>)");
  evolve->add_option("--resume", resume_dir, "continue the run in this folder from its latest checkpoint");
  evolve->add_flag("--quiet", quiet, "no progress line");
  evolve_flags.add_to(*evolve);

  std::string checkpoint, record;
  std::vector<std::string> eval_overrides;
  int lifetimes = 256;
  bool watch = false;
  double fps = 10.0;
  BackendFlags eval_flags;
  CLI::App* eval = app.add_subcommand("eval", "fitness of a checkpoint's centre on fresh lifetimes");
  eval->add_option("checkpoint", checkpoint, "a checkpoint .npz")->required();
  eval->add_option("--lifetimes", lifetimes, "number of fresh lifetimes")->check(CLI::PositiveNumber);
  eval->add_option("--record", record, "write a per-step trace of one lifetime to this CSV");
  eval->add_flag("--watch", watch, "maze tasks: replay one held-out lifetime in the terminal (instead of evaluating)");
  eval->add_option("--fps", fps, "--watch: frames per second, 0 = as fast as possible (default 10)")
      ->check(CLI::NonNegativeNumber);
  eval->add_option("--set", eval_overrides,
                   "evaluate on changed lifetimes: a task.* or run.* key, e.g. --set run.seed=2 (repeatable)");
  eval_flags.add_to(*eval);

  std::string compare_path, compare_out;
  std::vector<std::string> compare_overrides;
  int compare_seeds = 0;
  BackendFlags compare_flags;
  CLI::App* compare =
      app.add_subcommand("compare", "every model of a comparison over N seeds (resumable): table + convergence curves");
  compare->add_option("config", compare_path, "comparison YAML, e.g. configs/compare_stdp.yaml")->required();
  compare->add_option("--out", compare_out, "output folder (default: runs/<comparison name>)");
  compare->add_option("--seeds", compare_seeds, "seeds per model (overrides the file's seeds)")
      ->check(CLI::PositiveNumber);
  compare->add_option("--set", compare_overrides, "override a run config key for every model (repeatable)");
  compare_flags.add_to(*compare);

  std::string run_dir;
  std::vector<std::string> analyze_overrides;
  CLI::App* analyze = app.add_subcommand("analyze", "curves of an evolved unit against its target (CSV + PNG)");
  analyze->add_option("run", run_dir, "a run folder")->required();
  analyze->add_option("--set", analyze_overrides,
                      "analyse on changed lifetimes: a task.* or run.* key, e.g. --set task.maze.steps=400 "
                      "(repeatable)");

  BenchFlags bench_flags;
  CLI::App* bench = app.add_subcommand(
      "bench", "throughput of the backends on the published maze, STDP and a large network (or --sweep)");
  const std::vector<std::string> bench_choices = backend_choices({"auto", "all"});
  bench->add_option("--backend", bench_flags.backend,
                    "auto (every backend but the reference that can run here) | all | " + join(backend_choices({}), " | "))
      ->check(CLI::IsMember(bench_choices));
  bench->add_option("--threads", bench_flags.threads, "CPU worker threads, 0 = all cores")
      ->check(CLI::NonNegativeNumber);
  bench->add_flag("--sweep", bench_flags.sweep, "population sizes 64..1024 and network sizes up to 256 x 64");
  bench->add_option("--budget", bench_flags.options.budget_seconds,
                    "seconds per timed evaluation: larger settings are timed on fewer steps, then fewer members "
                    "(default 2)")
      ->check(CLI::PositiveNumber);
  bench->add_option("--repetitions", bench_flags.options.repetitions, "timed evaluations per row (median; default 3)")
      ->check(CLI::PositiveNumber);
  bench->add_option("--only", bench_flags.only, "only these settings, e.g. --only maze,stdp")->delimiter(',');
  bench->add_option("--csv", bench_flags.csv, "also write the rows to this CSV");
  bench->add_option("--configs", bench_flags.configs, "folder holding tmaze.yaml and stdp.yaml");

  CLI11_PARSE(app, argc, argv);
  Job job;
  try {
    const int world = launcher_world_size();
#if defined(ENU_HAVE_MPI)
    if (world > 1 && !evolve->parsed()) throw Error("only `enu evolve` runs distributed: run other commands without mpirun");
    if (world > 0 && evolve->parsed()) job.mpi = std::make_unique<MpiCommunicator>(&argc, &argv);
#else
    if (world > 1) {
      throw Error("started as one of " + std::to_string(world) +
                  " MPI ranks, but this enu was built without MPI and would run " + std::to_string(world) +
                  " independent copies; for a distributed build install OpenMPI (tools/install.sh, or apt-get "
                  "install openmpi-bin libopenmpi-dev) and reconfigure with cmake -DENU_WITH_MPI=ON");
    }
#endif
    if (evolve->parsed()) {
      evolve_flags.append_overrides(overrides);
      return evolve_command(config_path, overrides, out_dir, resume_dir, quiet, job);
    }
    if (eval->parsed()) return eval_command(checkpoint, eval_overrides, eval_flags, lifetimes, record, watch, fps);
    if (compare->parsed()) {
      return compare_command(compare_path, compare_overrides, compare_flags, compare_out, compare_seeds);
    }
    if (bench->parsed()) return bench_command(bench_flags);
    return analyze_command(run_dir, analyze_overrides);
  } catch (const CollectiveError& e) {
    // Every rank raised it: rank 0 reports, and all end normally.
    if (job.rank() == 0) std::fprintf(stderr, "enu: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    const bool internal = dynamic_cast<const Error*>(&e) == nullptr;
    if (job.communicator()) {
      // Only this rank knows: name it, and end the job rather than leave the others waiting.
      std::fprintf(stderr, "enu: %serror on rank %d of %d: %s\n", internal ? "internal " : "", job.rank(),
                   job.communicator()->size(), e.what());
#if defined(ENU_HAVE_MPI)
      job.mpi->abort(internal ? 2 : 1);
#endif
    }
    std::fprintf(stderr, "enu: %serror: %s\n", internal ? "internal " : "", e.what());
    return internal ? 2 : 1;
  }
}
