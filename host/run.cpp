// The evolution loop: generation after generation, with everything a user
// needs to watch, stop, resume and repeat a run.
#include "run.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "enu/strategy.hpp"
#include "tasks/tasks.hpp"

namespace enu {
namespace fs = std::filesystem;

namespace {

constexpr const char* kMetricsHeader =
    "generation,best,mean,centre,sigma,nonfinite,eval_seconds,update_seconds,elapsed_seconds,lifetimes_per_second";

std::string format_duration(double seconds) {
  const long s = long(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return text;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw Error("cannot write " + path.string());
}

// Keeps the rows of generations before `generations` (a resumed run rewrites the rest).
void truncate_metrics(const fs::path& path, uint64_t generations) {
  std::ifstream in(path);
  std::string line, kept = std::string(kMetricsHeader) + "\n";
  if (in && std::getline(in, line)) {
    while (std::getline(in, line)) {
      if (!line.empty() && std::stoull(line.substr(0, line.find(','))) < generations) kept += line + "\n";
    }
  }
  write_text(path, kept);
}

}  // namespace

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

size_t param_count(const RunConfig& config) {
  return is_objective_task(config.task.name) ? size_t(config.task.function.dimension)
                                             : config.model_spec().param_count();
}

LifetimeSet held_out_lifetimes(uint64_t run_seed, int count) {
  // A different seed (not just a later generation) keeps these out of training.
  return LifetimeSet{splitmix64(run_seed ^ 0x48454C444F5554ull), 0, count};
}

FitnessStats evaluate_centre(Evaluator& evaluator, const std::vector<float>& theta, const LifetimeSet& lifetimes) {
  Population centre{theta.data(), theta.size(), 0.0f, 0, lifetimes.generation, 1, true};
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
  fs::create_directories(dir);
  const std::string config_yaml = to_yaml(config);

  Checkpoint checkpoint;
  if (options.resume) {
    checkpoint = load_checkpoint(checkpoint_path(dir.string(), "latest"));
    if (checkpoint.state.theta.size() != param_count(config)) {
      throw Error("checkpoint in " + dir.string() + " holds " + std::to_string(checkpoint.state.theta.size()) +
                  " parameters but the config's model has " + std::to_string(param_count(config)));
    }
    truncate_metrics(dir / "metrics.csv", checkpoint.state.generation);
  } else {
    checkpoint.state.theta = initial_centre(config);
    checkpoint.seed = config.run.seed;
    checkpoint.best_fitness = -INFINITY;
    write_text(dir / "metrics.csv", std::string(kMetricsHeader) + "\n");
  }
  checkpoint.config_yaml = config_yaml;
  write_text(dir / "config.yaml", config_yaml);

  EvolutionStrategy strategy(config.es, config.run.seed, checkpoint.state);
  std::ofstream metrics(dir / "metrics.csv", std::ios::app);
  std::ofstream log(dir / "log.txt", std::ios::app);
  log << "# " << (options.resume ? "resumed" : "started") << " at generation " << strategy.state().generation
      << " with backend " << evaluator.name() << "\n";

  const bool tty = isatty(STDERR_FILENO);
  const uint64_t first = strategy.state().generation, last = uint64_t(config.run.generations);
  EvolveSummary summary;
  summary.best_centre = checkpoint.best_fitness;
  auto save = [&](const std::string& which, const EsState& state) {
    checkpoint.state = state;
    save_checkpoint(checkpoint_path(dir.string(), which), checkpoint);
  };
  while (strategy.state().generation < last) {
    // The centre this generation evaluates, kept for the best checkpoint: the
    // update moves it away before we know whether it was the best.
    EsState evaluated = strategy.state();
    const GenerationReport r = strategy.step(evaluator);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    metrics << r.generation << ',' << r.best << ',' << r.mean << ',' << r.centre << ',' << r.sigma << ','
            << r.nonfinite << ',' << r.eval_seconds << ',' << r.update_seconds << ',' << elapsed << ','
            << r.lifetimes_per_second << '\n'
            << std::flush;
    if (r.nonfinite > 0) {
      log << "warning: generation " << r.generation << ": " << r.nonfinite
          << " members had non-finite fitness and were ranked last\n";
    }
    const uint64_t done = strategy.state().generation;
    if (r.centre > checkpoint.best_fitness) {
      checkpoint.best_fitness = r.centre;
      checkpoint.best_generation = r.generation;
      save("best", evaluated);
    }
    const bool out_of_time = config.run.max_minutes > 0 && elapsed >= 60.0 * config.run.max_minutes;
    if (done % uint64_t(config.run.checkpoint_every) == 0 || done == last || out_of_time) {
      save("latest", strategy.state());
    }

    // Progress with an ETA from the mean generation time of this invocation.
    const double per_generation = elapsed / double(done - first);
    double eta = per_generation * double(last - done);
    if (config.run.max_minutes > 0) eta = std::min(eta, 60.0 * config.run.max_minutes - elapsed);
    char line[256];
    std::snprintf(line, sizeof line,
                  "gen %llu/%llu  best %.5g  mean %.5g  centre %.5g  sigma %.3g  %.0f lifetimes/s  elapsed %s  ETA %s",
                  (unsigned long long)done, (unsigned long long)last, r.best, r.mean, r.centre, r.sigma,
                  r.lifetimes_per_second, format_duration(elapsed).c_str(), format_duration(eta).c_str());
    if (options.progress) std::fprintf(stderr, tty ? "\r%s\033[K" : "%s\n", line);
    log << line << '\n';
    if (out_of_time) {
      log << "# stopped: run.max_minutes = " << config.run.max_minutes << " reached\n";
      if (options.progress) std::fprintf(stderr, "%sstopped after %.1f minutes (run.max_minutes)\n", tty ? "\n" : "", elapsed / 60);
      break;
    }
  }
  if (options.progress && tty) std::fprintf(stderr, "\n");
  summary.generations = strategy.state().generation;
  summary.best_centre = checkpoint.best_fitness;
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace enu
