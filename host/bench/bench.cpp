#include "bench.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "enu/strategy.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

BenchCase load_case(const std::string& name, const std::string& config_path, const std::vector<std::string>& overrides) {
  return BenchCase{name, load_config(config_path, overrides)};
}

std::vector<std::string> network_overrides(int neurons, int fan_in) {
  return {"model.network.topology.neurons=" + std::to_string(neurons),
          "model.network.topology.fan_in=" + std::to_string(fan_in), "model.network.topology.pre=[]"};
}

int full_steps(const TaskConfig& task) {
  if (is_objective_task(task.name)) throw Error("enu bench: task '" + task.name + "' has no lifetimes to time");
  return make_task(task)->steps();
}

/// Median seconds of the host ES update as a run takes it (make_host_updater:
/// shaping, the noise-weighted sum and the optimizer step) for P members, from
/// `centre` with fresh moments.
double time_update(const RunConfig& config, const std::vector<float>& centre, int repetitions) {
  std::mt19937 rng{7};
  std::normal_distribution<double> normal;
  std::vector<double> fitness(size_t(config.es.population));
  EsState state;
  state.theta = centre;
  state.moment1.assign(centre.size(), 0.0f);
  if (config.es.optimizer == OptimizerKind::adam) state.moment2.assign(centre.size(), 0.0f);
  const std::unique_ptr<EsUpdater> updater = make_host_updater();
  std::vector<double> times;
  // Generation 0 is untimed: the updater allocates its direction buffer there, once per run.
  for (int r = 0; r <= repetitions; ++r) {
    for (double& f : fitness) f = normal(rng);
    const auto start = Clock::now();
    updater->apply(config.es, config.run.seed, uint64_t(r), config.es.sigma, fitness, state);
    if (r > 0) times.push_back(seconds_since(start));
  }
  return median(times);
}

}  // namespace

std::vector<BenchCase> standard_cases(const std::string& configs_dir) {
  const std::string tmaze = configs_dir + "/tmaze.yaml", stdp = configs_dir + "/stdp.yaml";
  return {load_case("maze", tmaze, {}),
          load_case("stdp", stdp, {"es.population=512", "es.lifetimes=32"}),
          load_case("large", tmaze, network_overrides(256, 64))};
}

std::vector<BenchCase> sweep_cases(const std::string& configs_dir) {
  const std::string tmaze = configs_dir + "/tmaze.yaml";
  std::vector<BenchCase> cases;
  for (int members : {64, 128, 256, 512, 1024}) {
    cases.push_back(load_case("maze P=" + std::to_string(members), tmaze, {"es.population=" + std::to_string(members)}));
  }
  for (const auto& [neurons, fan_in] : std::vector<std::pair<int, int>>{{6, 8}, {24, 16}, {96, 32}, {256, 64}}) {
    cases.push_back(load_case("net N=" + std::to_string(neurons) + " K=" + std::to_string(fan_in), tmaze,
                              network_overrides(neurons, fan_in)));
  }
  return cases;
}

std::vector<BenchCase> select_cases(const std::vector<BenchCase>& cases, const std::vector<std::string>& names) {
  if (names.empty()) return cases;
  std::vector<BenchCase> chosen;
  for (const std::string& name : names) {
    auto found = std::find_if(cases.begin(), cases.end(), [&](const BenchCase& c) { return c.name == name; });
    if (found == cases.end()) {
      std::string known;
      for (const BenchCase& c : cases) known += (known.empty() ? "" : ", ") + c.name;
      throw Error("enu bench --only: no setting '" + name + "' (settings: " + known + ")");
    }
    chosen.push_back(*found);
  }
  return chosen;
}

std::vector<BenchVariant> bench_variants(const Backend& backend, const BenchCase& bench, const std::string& hardware) {
  const RunConfig& config = bench.config;
  const bool network = config.model.kind == ModelSpec::Kind::network;
  const std::vector<CudaPath> paths =
      network ? backend.network_paths(config.model_spec().network) : std::vector<CudaPath>{CudaPath::automatic};
  std::vector<BenchVariant> variants;
  for (CudaPath path : paths) {
    if (path != CudaPath::fused_v2) {
      variants.push_back({to_string(path), path, config.run.cuda_precision});
      continue;
    }
    for (CudaPrecision precision : {CudaPrecision::fp32, CudaPrecision::tf32, CudaPrecision::tf32x3}) {
      variants.push_back({std::string(to_string(path)) + " " + to_string(precision), path, precision});
    }
  }
  // One way to run it: the hardware names the row; several: the way is named too.
  for (BenchVariant& v : variants) v.label = variants.size() > 1 ? hardware + " " + v.label : hardware;
  return variants;
}

int* adjustable_steps(TaskConfig& task) {
  return is_maze_task(task.name) ? &task.maze.steps : nullptr;
}

BenchSize fit_to_budget(int members, int steps, bool steps_adjustable, double seconds_per_member_step,
                        double budget_seconds) {
  constexpr int kMinSteps = 20;
  BenchSize size{members, steps};
  const double affordable = budget_seconds / std::max(seconds_per_member_step, 1e-12);  // member-steps
  if (double(members) * steps <= affordable) return size;
  if (steps_adjustable) size.steps = std::clamp(int(affordable / members), std::min(kMinSteps, steps), steps);
  if (double(members) * size.steps > affordable) {
    size.members = std::max(2, int(affordable / size.steps) / 2 * 2);
    size.members = std::min(size.members, members);
  }
  return size;
}

BenchRow run_bench(const BenchCase& bench, const std::string& backend, const BenchEvaluatorFactory& factory,
                   double peak_gflops, const BenchOptions& options) {
  RunConfig config = bench.config;
  const ModelSpec model = config.model_spec();
  BenchRow row;
  row.setting = bench.name;
  row.backend = backend;
  row.members = config.es.population;
  row.lifetimes = config.es.lifetimes;
  row.steps = full_steps(config.task);
  row.repetitions = options.repetitions;
  row.peak_gflops = peak_gflops;

  std::vector<float> centre(model.param_count());
  model.init_params(config.run.seed, centre.data());
  const auto evaluate = [&](Evaluator& evaluator, int members, uint64_t generation) {
    std::vector<float> fitness(size_t(members) * config.es.lifetimes);
    const Population pop = Population::mirrored(centre.data(), centre.size(), members, config.es.sigma)
                               .with_seed(config.run.seed)
                               .at_generation(generation);
    const auto start = Clock::now();
    evaluator.evaluate(pop, LifetimeSet{config.run.seed, generation, config.es.lifetimes}, fitness.data());
    return seconds_since(start);
  };

  // Untimed: the first evaluation pays for allocation and warms caches; its rate sizes the timed ones.
  int* steps = adjustable_steps(config.task);
  const int warmup_members = std::min(options.warmup_members, row.members);
  if (steps) *steps = std::min(row.steps, 20);
  const int warmup_steps = steps ? *steps : row.steps;
  const double warmup = evaluate(*factory(config, nullptr), warmup_members, 0);
  const BenchSize size = fit_to_budget(row.members, row.steps, steps != nullptr,
                                       warmup / (double(warmup_members) * warmup_steps), options.budget_seconds);
  row.measured_members = size.members;
  row.measured_steps = size.steps;
  if (steps) *steps = size.steps;

  StageProfile profile;
  const std::unique_ptr<Evaluator> evaluator = factory(config, &profile);
  evaluate(*evaluator, size.members, 1);  // untimed: this evaluator's own first touch
  profile = StageProfile{};
  std::vector<double> times;
  for (int r = 0; r < options.repetitions; ++r) times.push_back(evaluate(*evaluator, size.members, uint64_t(2 + r)));
  row.median_seconds = median(times);
  row.has_stages = profile.total() > 0.0;
  row.stages = profile;

  const double lifetime_steps = double(size.members) * row.lifetimes * size.steps;
  row.lifetime_steps_per_second = lifetime_steps / row.median_seconds;
  row.ticks_per_second = row.lifetime_steps_per_second * model.cell_steps_per_step();
  row.gflops = row.lifetime_steps_per_second * model.flops_per_step() * 1e-9;
  row.generation_seconds = double(row.members) * row.lifetimes * row.steps / row.lifetime_steps_per_second;
  row.update_seconds = time_update(config, centre, options.repetitions);
  return row;
}

std::string bench_table(const std::vector<BenchRow>& rows) {
  std::ostringstream out;
  char line[512];
  out << "| setting | backend | P x E x S | timed | median | lifetimes/s | ENU ticks/s | GFLOP/s | peak | "
         "generation (eval) | ES update |\n";
  out << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const BenchRow& r : rows) {
    std::snprintf(line, sizeof line,
                  "| %s | %s | %d x %d x %d | %d x %d x %d | %.3g s | %.4g | %.4g | %.4g | %.1f%% of %.0f | %.4g s | "
                  "%.3g s |\n",
                  r.setting.c_str(), r.backend.c_str(), r.members, r.lifetimes, r.steps, r.measured_members,
                  r.lifetimes, r.measured_steps, r.median_seconds, r.lifetimes_per_second(), r.ticks_per_second,
                  r.gflops, 100.0 * r.peak_fraction(), r.peak_gflops, r.generation_seconds, r.update_seconds);
    out << line;
  }
  bool any_stages = false;
  for (const BenchRow& r : rows) any_stages |= r.has_stages;
  if (!any_stages) return out.str();
  out << "\nShare of the evaluation's thread time by stage:\n\n| setting | backend |";
  for (const char* name : kStageNames) out << ' ' << name << " |";
  out << "\n|---|---|";
  for (int s = 0; s < int(Stage::count); ++s) out << "---|";
  out << '\n';
  for (const BenchRow& r : rows) {
    if (!r.has_stages) continue;
    out << "| " << r.setting << " | " << r.backend << " |";
    for (double s : r.stages.seconds) {
      std::snprintf(line, sizeof line, " %.1f%% |", 100.0 * s / r.stages.total());
      out << line;
    }
    out << '\n';
  }
  return out.str();
}

void write_bench_csv(const std::vector<BenchRow>& rows, const std::string& path) {
  std::ofstream out(path);
  if (!out) throw Error("enu bench: cannot write " + path);
  out << "setting,backend,members,lifetimes,steps,measured_members,measured_steps,repetitions,median_seconds,"
         "lifetimes_per_second,ticks_per_second,gflops,peak_gflops,peak_fraction,generation_seconds,update_seconds";
  for (const char* name : kStageNames) out << ",share_" << name;
  out << '\n';
  for (const BenchRow& r : rows) {
    out << '"' << r.setting << "\"," << r.backend << ',' << r.members << ',' << r.lifetimes << ',' << r.steps << ','
        << r.measured_members << ',' << r.measured_steps << ',' << r.repetitions << ',' << r.median_seconds << ','
        << r.lifetimes_per_second() << ',' << r.ticks_per_second << ',' << r.gflops << ',' << r.peak_gflops << ','
        << r.peak_fraction() << ',' << r.generation_seconds << ',' << r.update_seconds;
    for (double s : r.stages.seconds) out << ',' << (r.has_stages ? s / r.stages.total() : 0.0);
    out << '\n';
  }
  if (!out) throw Error("enu bench: failed writing " + path);
}

}  // namespace enu
