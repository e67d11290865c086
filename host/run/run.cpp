// The evolution loop: generation after generation, with everything a user
// needs to watch, stop, resume and repeat a run.
#include "run.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "enu/strategy.hpp"
#include "files.hpp"
#include "host_memory.hpp"
#include "tasks.hpp"

namespace enu {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMetricsHeader =
    "generation,best,mean,centre,sigma,nonfinite,eval_seconds,update_seconds,elapsed_seconds,lifetimes_per_second,"
    "ranks,rank_eval_seconds_min,rank_eval_seconds_max,exchange_seconds,centre_hash";

// Decimal, so that tools reading metrics.csv as numbers keep working.
std::string hash_text(uint64_t value) { return std::to_string(value); }

uint64_t hash_floats(const std::vector<float>& values, uint64_t hash = 0xcbf29ce484222325ull) {
  return fnv1a64(values.data(), values.size() * sizeof(float), hash);
}

// Everything a resumed run continues from, as one fingerprint.
uint64_t hash_state(const EsState& state) {
  uint64_t hash = fnv1a64(&state.generation, sizeof state.generation);
  hash = fnv1a64(&state.optimizer_steps, sizeof state.optimizer_steps, hash);
  for (const std::vector<float>* v : {&state.theta, &state.moment1, &state.moment2}) hash = hash_floats(*v, hash);
  return hash;
}

std::string format_duration(double seconds) {
  const long s = long(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

// One CSV row of `values` as the run's CSV files print them (a stream's
// default 6 significant digits), without its '\n'.
template <typename... Values>
std::string csv_row(const Values&... values) {
  std::ostringstream row;
  const char* separator = "";
  ((row << separator << values, separator = ","), ...);
  return row.str();
}

/// Replaces a CSV of the run folder by rows_before() of it (a missing file: the
/// header alone; one that cannot be read is an error, not rows dropped).
void truncate_rows(const fs::path& path, const std::string& header, uint64_t end) {
  const std::string csv = fs::exists(path) ? read_whole_file(path.string(), "run file") : std::string();
  write_text(path, rows_before(csv, header, end, path.string()));
}

constexpr const char* kValidationHeader = "generation,centre_validation_fitness";

// Whether a file ends inside a line: not empty, and its last byte is not '\n'.
bool ends_mid_line(const fs::path& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in || in.tellg() <= 0) return false;
  in.seekg(-1, std::ios::end);
  return in.get() != '\n';
}

// A file the run appends lines to: log.txt, metrics.csv, validation.csv. Each
// line goes to the file whole, in one write, as it is produced: a run killed at
// any moment leaves whole lines (nothing waits in a buffer to be lost or cut),
// the next run to append starts on a fresh line, and a write that fails (a full
// disk) is an enu::Error naming the file rather than a line lost.
class RunFile {
 public:
  /// Appends to `path`, first ending a line a killed run left unterminated
  /// (keeping what it holds). Until opened, lines go nowhere (ranks other than 0).
  void open(const fs::path& path) {
    const bool terminate = ends_mid_line(path);
    file_.emplace(path.string());
    if (terminate) file_->append("\n");
  }
  /// Writes `text` and its '\n'.
  void line(const std::string& text) {
    if (file_) file_->append(text + '\n');
  }
  /// Closes the file, reporting an error the system held back until then.
  void close() {
    if (file_) file_->close();
  }

 private:
  std::optional<AppendedFile> file_;
};

/// Whether `changed` differs from `stored` in run.* settings only (and task.* ones,
/// with `task_too`): what a resumed run, or an analysis, may change of a run.
bool changes_only_run(RunConfig stored, const RunConfig& changed, bool task_too) {
  stored.run = changed.run;
  if (task_too) stored.task = changed.task;
  return to_yaml(stored) == to_yaml(changed);
}

}  // namespace

void write_text(const fs::path& path, const std::string& text) { write_file_atomically(path.string(), text); }

RunResult finish_run(const std::string& run_dir, const RunConfig& config, Evaluator& evaluator,
                     const EvolveSummary& summary) {
  RunResult result;
  result.best = load_checkpoint(checkpoint_path(run_dir, "best"));
  result.held_out =
      evaluate_centre(evaluator, result.best.state.theta, held_out_lifetimes(config.run.seed, config.run.eval_lifetimes));
  std::ostringstream s;
  s.precision(9);
  s << "generations: " << summary.generations << "\nbest_generation: " << result.best.best_generation
    << "\nheld_out_fitness_mean: " << result.held_out.mean << "\nheld_out_fitness_std: " << result.held_out.std
    << "\nheld_out_lifetimes: " << result.held_out.lifetimes << "\nwall_seconds: " << summary.seconds << "\n";
  write_text(fs::path(run_dir) / "summary.yaml", s.str());
  return result;
}

std::string checkpoint_path(const std::string& run_dir, const std::string& which) {
  return (fs::path(run_dir) / ("checkpoint_" + which + ".npz")).string();
}

std::vector<float> initial_centre(const RunConfig& config) {
  if (is_objective_task(config.task.name)) {
    return std::vector<float>(size_t(config.task.function.dimension), config.task.function.initial_value);
  }
  const ModelSpec model = config.model_spec();
  std::vector<float> theta(model.param_count());
  model.init_params(config.run.seed, theta.data());
  return theta;
}

std::string parameter_layout(const RunConfig& config) {
  std::ostringstream s;
  if (is_objective_task(config.task.name)) {
    s << "a function of dimension " << config.task.function.dimension;
    return s.str();
  }
  const ModelSpec model = config.model_spec();
  auto cell = [&](const CellSpec& c) {
    s << to_string(c.kind) << " (I " << c.inputs << ", M " << c.memory << ", O " << c.outputs << ")";
  };
  if (model.kind == ModelSpec::Kind::cell) {
    s << "a single ";
    cell(model.cell);
    s << " cell";
  } else {
    const NetworkSpec& net = model.network;
    const Topology& t = net.topology;
    s << "a network of " << t.inputs << " inputs and " << t.neurons << " neurons (" << t.outputs << " read out), "
      << t.fan_in << " synapses each, wiring " << hash_text(fnv1a64(t.pre.data(), t.pre.size() * sizeof(int)))
      << "; synapse ";
    cell(net.synapse_cell());
    s << ", neuron ";
    cell(net.neuron_cell());
    if (net.shared) s << ", shared";
  }
  s << "; " << model.param_count() << " parameters";
  return s.str();
}

std::vector<float> first_centre(const RunConfig& config) {
  const std::string& path = config.run.init_from;
  if (path.empty()) return initial_centre(config);
  std::error_code unreadable;  // a path the system refuses is left to load_checkpoint to name
  if (fs::is_directory(path, unreadable)) {
    throw Error("run.init_from: " + path +
                " is a folder; name a checkpoint in it (checkpoint_best.npz or checkpoint_latest.npz)");
  }
  const Checkpoint from = load_checkpoint(path);  // names the file and the fault
  const std::string have = parameter_layout(parse_config(from.config_yaml, path + " (its config)"));
  const std::string want = parameter_layout(config);
  if (have != want) {
    throw Error("run.init_from: " + path + " holds the parameters of " + have + "; this config evolves " + want);
  }
  return from.state.theta;
}

size_t param_count(const RunConfig& config) {
  return is_objective_task(config.task.name) ? size_t(config.task.function.dimension)
                                             : config.model_spec().param_count();
}

LifetimeSet held_out_lifetimes(uint64_t run_seed, int count) {
  // A different seed (not just a later generation) keeps these out of training.
  return LifetimeSet{splitmix64(run_seed ^ 0x48454C444F5554ull), 0, count};
}

LifetimeSet validation_lifetimes(uint64_t run_seed, int count) {
  return LifetimeSet{splitmix64(run_seed ^ 0x56414C49444154ull), 0, count};
}

FitnessStats evaluate_centre(Evaluator& evaluator, const std::vector<float>& theta, const LifetimeSet& lifetimes) {
  const Population centre = Population::centre_alone(theta.data(), theta.size());
  std::vector<float> fitness(size_t(lifetimes.count));
  evaluator.evaluate(centre, lifetimes, fitness.data());
  FitnessStats stats;
  stats.lifetimes = lifetimes.count;
  for (float f : fitness) stats.mean += f;
  stats.mean /= lifetimes.count;
  for (float f : fitness) stats.std += (f - stats.mean) * (f - stats.mean);
  stats.std = std::sqrt(stats.std / std::max(1, lifetimes.count - 1));
  return stats;
}

EvolveSummary evolve(const RunConfig& config, Evaluator& evaluator, const EvolveOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const fs::path dir(options.out_dir);
  Communicator& comm = options.communicator ? *options.communicator : single_process();
  const bool root = comm.rank() == 0;  // the one rank that writes the run folder
  std::optional<RunLock> own_lock;      // taken before anything in the folder changes
  if (root && !options.lock) own_lock.emplace(dir);
  const std::string config_yaml = to_yaml(config);
  comm.agree("resolved config", config_yaml);

  Checkpoint checkpoint;
  if (options.resume) {
    // Every rank reads the checkpoint (the run folder must be visible to all).
    checkpoint = load_checkpoint(checkpoint_path(dir.string(), "latest"));
    if (checkpoint.state.theta.size() != param_count(config)) {
      throw Error("checkpoint in " + dir.string() + " holds " + std::to_string(checkpoint.state.theta.size()) +
                  " parameters but the config's model has " + std::to_string(param_count(config)));
    }
    comm.agree("checkpoint " + checkpoint_path(dir.string(), "latest"), hash_text(hash_state(checkpoint.state)));
    if (root) {
      // A resumed run repeats what followed its checkpoint: those rows go.
      truncate_rows(dir / "metrics.csv", kMetricsHeader, checkpoint.state.generation);
      if (config.run.validation_lifetimes > 0) {
        truncate_rows(dir / "validation.csv", kValidationHeader, checkpoint.state.generation + 1);
      }
    }
  } else {
    checkpoint.state.theta = first_centre(config);
    comm.agree("first centre", hash_text(hash_floats(checkpoint.state.theta)));
    checkpoint.seed = config.run.seed;
    checkpoint.best_fitness = -INFINITY;
    if (root) write_text(dir / "metrics.csv", std::string(kMetricsHeader) + "\n");
  }
  checkpoint.config_yaml = config_yaml;
  if (root) write_text(dir / "config.yaml", config_yaml);

  EvolutionStrategy strategy(config.es, config.run.seed, checkpoint.state, options.updater);
  // Files stay closed on other ranks, where writes to them do nothing.
  RunFile metrics, log;
  if (root) {
    metrics.open(dir / "metrics.csv");
    log.open(dir / "log.txt");
  }
  std::ostringstream opening;
  opening << "# " << (options.resume ? "resumed" : "started") << " at generation " << strategy.state().generation;
  if (!options.resume && !config.run.init_from.empty()) opening << " from the centre in " << config.run.init_from;
  opening << " with backend " << evaluator.name() << ", ES update on the "
          << (options.updater ? options.updater->name() : "host");
  log.line(opening.str());

  const bool validating = config.run.validation_lifetimes > 0;
  const LifetimeSet validation = validation_lifetimes(config.run.seed, config.run.validation_lifetimes);
  RunFile validation_csv;
  if (root && validating) {
    const fs::path path = dir / "validation.csv";
    if (!options.resume) write_text(path, std::string(kValidationHeader) + "\n");
    validation_csv.open(path);
  }

  // On a terminal the progress line is redrawn every generation; into a file
  // or a pipe it goes about every kProgressSeconds, and at the end.
  const bool tty = isatty(STDERR_FILENO);
  constexpr double kProgressSeconds = 10.0;
  double progress_shown = 0.0;  // elapsed seconds when a line last went to a non-terminal
  const uint64_t first = strategy.state().generation, last = uint64_t(config.run.generations);
  EvolveSummary summary;
  summary.best_centre = checkpoint.best_fitness;
  auto save = [&](const std::string& which, const EsState& state) {
    checkpoint.state = state;
    if (root) save_checkpoint(checkpoint_path(dir.string(), which), checkpoint);
  };
  while (strategy.state().generation < last) {
    // The centre this generation evaluates, kept for the best checkpoint: the
    // update moves it away before we know whether it was the best.
    EsState evaluated = strategy.state();
    const GenerationReport r = strategy.step(evaluator);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    ExchangeTimes ranks = comm.last_exchange();
    if (!options.communicator) ranks.eval_min = ranks.eval_max = r.eval_seconds;
    const uint64_t centre_hash = hash_floats(strategy.state().theta);
    metrics.line(csv_row(r.generation, r.best, r.mean, r.centre, r.sigma, r.nonfinite, r.eval_seconds,
                         r.update_seconds, elapsed, r.lifetimes_per_second, ranks.ranks, ranks.eval_min,
                         ranks.eval_max, ranks.exchange, hash_text(centre_hash)));
    if (r.nonfinite > 0) {
      log.line("warning: generation " + std::to_string(r.generation) + ": " + std::to_string(r.nonfinite) +
               " members had non-finite fitness and were ranked last");
    }
    const uint64_t done = strategy.state().generation;
    if (!validating && r.centre > checkpoint.best_fitness) {
      checkpoint.best_fitness = r.centre;
      checkpoint.best_generation = r.generation;
      save("best", evaluated);
    }
    // Every rank asks its own hook, so that all take part in comm.any alike.
    const bool stop_asked = options.on_generation && comm.any(!options.on_generation(r));
    const bool out_of_time =
        config.run.max_minutes > 0 && comm.any(elapsed >= 60.0 * config.run.max_minutes);
    const bool stopping = out_of_time || stop_asked;
    if (done % uint64_t(config.run.checkpoint_every) == 0 || done == last || stopping) {
      // Every rank reaches this point at the same generations: a cheap check
      // that their centres have not drifted apart before the state is kept.
      comm.agree("centre at generation " + std::to_string(done), hash_text(centre_hash));
      if (validating) {
        // One generation's few lifetimes are a noisy judge: their maximum over a
        // run picks a lucky draw. The same validation lifetimes every time do not.
        const double fitness = evaluate_centre(evaluator, strategy.state().theta, validation).mean;
        validation_csv.line(csv_row(done, fitness));
        if (fitness > checkpoint.best_fitness) {
          checkpoint.best_fitness = fitness;
          checkpoint.best_generation = done;
          save("best", strategy.state());
        }
      }
      save("latest", strategy.state());
    }

    // Progress with an ETA from the mean generation time of this invocation.
    const double per_generation = elapsed / double(done - first);
    double eta = per_generation * double(last - done);
    if (config.run.max_minutes > 0) eta = std::min(eta, 60.0 * config.run.max_minutes - elapsed);
    char line[320];
    int used = std::snprintf(line, sizeof line,
                             "gen %llu/%llu  best %.5g  mean %.5g  centre %.5g  sigma %.3g  %.0f lifetimes/s  elapsed %s  ETA %s",
                             (unsigned long long)done, (unsigned long long)last, r.best, r.mean, r.centre, r.sigma,
                             r.lifetimes_per_second, format_duration(elapsed).c_str(), format_duration(eta).c_str());
    if (options.communicator && used > 0 && size_t(used) < sizeof line) {
      // Load imbalance (slowest against fastest rank) and the exchange's cost.
      std::snprintf(line + used, sizeof line - size_t(used), "  ranks %d: eval %.3g-%.3gs exchange %.3gs",
                    ranks.ranks, ranks.eval_min, ranks.eval_max, ranks.exchange);
    }
    if (options.progress && root) {
      if (tty) {
        std::fprintf(stderr, "\r%s\033[K", line);
      } else if (done == last || stopping || elapsed - progress_shown >= kProgressSeconds) {
        std::fprintf(stderr, "%s\n", line);
        progress_shown = elapsed;
      }
    }
    log.line(line);
    if (out_of_time) {
      std::ostringstream stopped;
      stopped << "# stopped: run.max_minutes = " << config.run.max_minutes << " reached";
      log.line(stopped.str());
      if (options.progress && root) std::fprintf(stderr, "%sstopped after %.1f minutes (run.max_minutes)\n", tty ? "\n" : "", elapsed / 60);
    } else if (stop_asked) {
      log.line("# stopped: EvolveOptions::on_generation returned false");
    }
    if (stopping) break;
  }
  if (options.progress && root && tty) std::fprintf(stderr, "\n");
  for (RunFile* file : {&metrics, &validation_csv, &log}) file->close();
  summary.generations = strategy.state().generation;
  summary.stopped = summary.generations < last;
  summary.best_centre = checkpoint.best_fitness;
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

RunConfig config_from_checkpoint(const Checkpoint& checkpoint, const std::string& path,
                                 const std::vector<std::string>& overrides) {
  return parse_config(checkpoint.config_yaml, path + " (config stored in the checkpoint)", overrides);
}

RunConfig config_for_lifetimes(const Checkpoint& checkpoint, const std::string& path,
                               const std::vector<std::string>& overrides, const std::string& command) {
  RunConfig config = config_from_checkpoint(checkpoint, path, overrides);
  if (!changes_only_run(config_from_checkpoint(checkpoint, path, {}), config, true)) {
    throw Error(command + ": only task.* and run.* settings may be overridden; the model and the strategy are the "
                "run's");
  }
  return config;
}

void require_run_memory(const RunConfig& config) {
  const int population = config.es.population, lifetimes = config.es.lifetimes;
  const HostMemory need = estimate_host_memory(config, uint64_t(population) + 1, uint64_t(lifetimes));
  require_host_memory(need, "es.population " + std::to_string(population) + " x es.lifetimes " +
                                std::to_string(lifetimes), available_host_memory());
}

std::string rows_before(const std::string& csv, const std::string& header, uint64_t end, const std::string& where) {
  std::string kept = header + "\n";
  size_t newline = csv.find('\n');  // the file's own header goes
  for (int line_number = 2; newline != std::string::npos; ++line_number) {
    const size_t begin = newline + 1;
    newline = csv.find('\n', begin);
    // A last row without its '\n' was cut short (by a kill, or a full disk) and
    // goes too: even its generation may be cut ("1" of "12").
    if (newline == std::string::npos) break;
    const std::string row = csv.substr(begin, newline - begin);
    if (row.empty()) continue;
    const std::string first = row.substr(0, row.find(','));
    uint64_t generation = 0;
    const auto [last, error] = std::from_chars(first.data(), first.data() + first.size(), generation);
    if (error != std::errc() || last != first.data() + first.size()) {
      throw Error(where + " line " + std::to_string(line_number) + ": '" + first.substr(0, 40) +
                  "' is not a generation number, so the file is not as enu wrote it; remove that line (or the rows "
                  "from it on) and resume again");
    }
    if (generation < end) kept += row + "\n";
  }
  return kept;
}

PlannedRun plan_new_run(RunConfig config, const std::string& out_dir) {
  require_run_memory(config);
  PlannedRun plan;
  plan.run_dir = out_dir.empty() ? config.run.out_dir : out_dir;
  if (plan.run_dir.empty()) plan.run_dir = "runs/" + config.name;
  plan.config = std::move(config);
  return plan;
}

PlannedRun plan_resume(const std::string& resume_dir, const std::vector<std::string>& overrides) {
  // A resumed run keeps its model, task and strategy: only run.* may change,
  // and not where the run started from.
  PlannedRun plan;
  const std::string path = checkpoint_path(resume_dir, "latest");
  const Checkpoint checkpoint = load_checkpoint(path);
  plan.config = config_from_checkpoint(checkpoint, path, overrides);
  const RunConfig stored = config_from_checkpoint(checkpoint, path, {});
  if (plan.config.run.init_from != stored.run.init_from) {
    throw Error("--resume " + resume_dir + ": run.init_from starts a new run; a resumed run continues from its own "
                "checkpoint");
  }
  if (!changes_only_run(stored, plan.config, false)) {
    throw Error("--resume " + resume_dir + ": only run.* settings may be overridden when resuming");
  }
  require_run_memory(plan.config);
  plan.run_dir = resume_dir;
  plan.resume = true;
  return plan;
}

PlannedRun plan_run(const std::string& config_path, const std::vector<std::string>& overrides,
                    const std::string& out_dir, const std::string& resume_dir) {
  if (config_path.empty() == resume_dir.empty()) throw Error("evolve: give either a CONFIG or --resume DIR");
  return resume_dir.empty() ? plan_new_run(load_config(config_path, overrides), out_dir)
                            : plan_resume(resume_dir, overrides);
}

}  // namespace enu
