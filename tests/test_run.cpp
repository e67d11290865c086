// The run loop: evolve() into a run folder, resume it bit for bit, and the
// folder's metrics, checkpoints and log.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/checkpoint.hpp"
#include "enu/config.hpp"
#include "files.hpp"
#include "run.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

namespace fs = std::filesystem;

// A tiny stdp run: 20 steps (spikes near step 10), M = 4, 8 members x 2 lifetimes.
std::string tiny_yaml(const std::string& optimizer, int generations) {
  std::ostringstream y;
  y << "name: tiny\n"
       "task:\n"
       "  name: stdp\n"
       "  stdp:\n"
       "    steps: 20\n"
       "    spike_mean: 10.0\n"
       "    spike_std: 3.0\n"
       "model:\n"
       "  kind: cell\n"
       "  cell:\n"
       "    type: enu\n"
       "    inputs: 4\n"
       "    memory: 4\n"
       "    outputs: 1\n"
       "es:\n"
       "  population: 8\n"
       "  lifetimes: 2\n"
       "  sigma: 0.05\n"
       "  optimizer: "
    << optimizer
    << "\n"
       "  learning_rate: 0.05\n"
       "run:\n"
       "  seed: 5\n"
       "  generations: "
    << generations
    << "\n"
       "  checkpoint_every: 3\n";
  return y.str();
}

RunConfig tiny_config(const std::string& optimizer, int generations) {
  return parse_config(tiny_yaml(optimizer, generations), "test_run");
}

// A fresh, empty folder under the test temp dir.
std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("enu_test_run_" + name);
  fs::remove_all(dir);
  return dir.string();
}

EvolveSummary run(const RunConfig& config, const std::string& dir, bool resume,
                  std::function<bool(const GenerationReport&)> on_generation = nullptr) {
  auto evaluator = make_cpu_evaluator(CpuRunnerKind::fast, config.model_spec(), make_task(config.task), 2, 2);
  return evolve(config, *evaluator,
                EvolveOptions{dir, resume, /*progress=*/false, nullptr, nullptr, std::move(on_generation)});
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The deterministic part of a metrics row: generation, best, mean, centre,
// sigma, nonfinite (the rest are timings).
std::string deterministic_columns(const std::string& row) {
  size_t pos = 0;
  for (int column = 0; column < 6 && pos != std::string::npos; ++column) {
    pos = row.find(',', pos);
    if (pos != std::string::npos) ++pos;
  }
  return row.substr(0, pos == std::string::npos ? row.size() : pos);
}

// Resuming reproduces the uninterrupted run bit for bit: 6 generations in one
// go (dir A) and 3 + 3 with a resume from checkpoint_latest (dir B) end in
// identical states (theta, both moments, generation, optimizer steps, best
// fitness), for SGD-momentum and Adam. Before resuming, B's metrics.csv gets
// rows for generations 3 and 4 as a crash after a metrics write but before the
// next checkpoint would leave them; the resume must drop them, so B ends with
// exactly one row per generation 0..5, in order, equal to A's in every
// deterministic column.
TEST(RunResume, SplitRunIsBitIdenticalToOneRun) {
  for (const std::string optimizer : {"adam", "sgd"}) {
    SCOPED_TRACE(optimizer);
    const std::string dir_a = fresh_dir("a_" + optimizer), dir_b = fresh_dir("b_" + optimizer);
    const EvolveSummary whole = run(tiny_config(optimizer, 6), dir_a, false);
    EXPECT_EQ(whole.generations, 6u);

    const EvolveSummary first = run(tiny_config(optimizer, 3), dir_b, false);
    EXPECT_EQ(first.generations, 3u);
    ASSERT_EQ(load_checkpoint(checkpoint_path(dir_b, "latest")).state.generation, 3u);
    {
      std::ofstream metrics(fs::path(dir_b) / "metrics.csv", std::ios::app);
      metrics << "3,0,0,0,0,0,0,0,0,0\n4,0,0,0,0,0,0,0,0,0\n";
    }
    const EvolveSummary second = run(tiny_config(optimizer, 6), dir_b, true);
    EXPECT_EQ(second.generations, 6u);

    const Checkpoint a = load_checkpoint(checkpoint_path(dir_a, "latest"));
    const Checkpoint b = load_checkpoint(checkpoint_path(dir_b, "latest"));
    EXPECT_EQ(a.state.generation, 6u);
    EXPECT_EQ(b.state.generation, 6u);
    EXPECT_EQ(a.state.optimizer_steps, b.state.optimizer_steps);
    EXPECT_TRUE(same_bits(a.state.theta, b.state.theta)) << "theta";
    EXPECT_TRUE(same_bits(a.state.moment1, b.state.moment1)) << "moment1";
    EXPECT_TRUE(same_bits(a.state.moment2, b.state.moment2)) << "moment2";
    EXPECT_FALSE(a.state.moment1.empty());
    if (optimizer == "adam") {
      EXPECT_EQ(a.state.optimizer_steps, 6u);
      EXPECT_EQ(a.state.moment2.size(), a.state.theta.size());
    }
    EXPECT_EQ(a.best_fitness, b.best_fitness);
    EXPECT_EQ(a.best_generation, b.best_generation);
    EXPECT_EQ(a.seed, 5u);
    EXPECT_EQ(whole.best_centre, second.best_centre);
    // The run moved: theta is not the initial centre any more.
    EXPECT_FALSE(same_bits(a.state.theta, initial_centre(tiny_config(optimizer, 6))));

    const std::vector<std::string> rows_a = lines_of((fs::path(dir_a) / "metrics.csv").string());
    const std::vector<std::string> rows_b = lines_of((fs::path(dir_b) / "metrics.csv").string());
    ASSERT_EQ(rows_a.size(), 7u);  // header + generations 0..5
    ASSERT_EQ(rows_b.size(), 7u);
    EXPECT_EQ(rows_a[0], rows_b[0]);
    EXPECT_EQ(rows_a[0].rfind("generation,", 0), 0u) << rows_a[0];
    for (size_t g = 0; g < 6; ++g) {
      EXPECT_EQ(std::stoull(rows_b[g + 1]), g) << rows_b[g + 1];
      EXPECT_EQ(deterministic_columns(rows_a[g + 1]), deterministic_columns(rows_b[g + 1])) << "generation " << g;
    }
  }
}

// The best checkpoint exists after a run and names a generation of this run
// whose centre fitness matches the metrics row of that generation (the best
// centre column entry); the latest checkpoint holds the final generation.
TEST(RunCheckpoints, BestCheckpointIsInRange) {
  const std::string dir = fresh_dir("best");
  const RunConfig config = tiny_config("adam", 4);
  const EvolveSummary summary = run(config, dir, false);
  ASSERT_TRUE(fs::exists(checkpoint_path(dir, "best")));
  ASSERT_TRUE(fs::exists(checkpoint_path(dir, "latest")));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "config.yaml"));
  const Checkpoint best = load_checkpoint(checkpoint_path(dir, "best"));
  EXPECT_LT(best.best_generation, 4u);
  EXPECT_TRUE(std::isfinite(best.best_fitness));
  EXPECT_EQ(best.best_fitness, summary.best_centre);
  // The best checkpoint holds the centre that generation evaluated (the state
  // before its update): evaluated again on that generation's lifetimes it
  // scores exactly the recorded best fitness.
  EXPECT_EQ(best.state.generation, best.best_generation);
  auto evaluator = make_cpu_evaluator(CpuRunnerKind::fast, config.model_spec(), make_task(config.task), 2, 2);
  const FitnessStats again = evaluate_centre(
      *evaluator, best.state.theta, LifetimeSet{config.run.seed, best.best_generation, config.es.lifetimes});
  EXPECT_EQ(again.mean, best.best_fitness);
  EXPECT_EQ(load_checkpoint(checkpoint_path(dir, "latest")).state.generation, 4u);
  // Its fitness is the largest centre value in metrics.csv (column 4).
  const std::vector<std::string> rows = lines_of((fs::path(dir) / "metrics.csv").string());
  ASSERT_EQ(rows.size(), 5u);
  double best_centre = -INFINITY;
  uint64_t best_row = 0;
  for (size_t g = 1; g < rows.size(); ++g) {
    std::stringstream row(rows[g]);
    std::string cell;
    for (int column = 0; column < 4; ++column) std::getline(row, cell, ',');
    const double centre = std::stod(cell);
    if (centre > best_centre) {
      best_centre = centre;
      best_row = g - 1;
    }
  }
  EXPECT_EQ(best.best_generation, best_row);
  EXPECT_NEAR(best.best_fitness, best_centre, 1e-5 * std::abs(best_centre));  // the csv prints 6 digits
}

// With run.validation_lifetimes the best checkpoint is the checkpointed centre
// (every checkpoint_every = 3 generations, and the last) that scores highest on
// the fixed validation lifetimes; validation.csv lists every such score, and a
// run stopped at a checkpoint and resumed writes the same rows and picks the
// same best as one run (stopped elsewhere, it also validates where it stopped).
TEST(RunCheckpoints, ValidationPicksTheBestCheckpoint) {
  RunConfig config = tiny_config("adam", 7);
  config.run.validation_lifetimes = 5;
  const std::string dir = fresh_dir("validation");
  const EvolveSummary summary = run(config, dir, false);
  const std::vector<std::string> rows = lines_of((fs::path(dir) / "validation.csv").string());
  ASSERT_EQ(rows.size(), 4u);  // header + generations 3, 6, 7
  auto evaluator = make_cpu_evaluator(CpuRunnerKind::fast, config.model_spec(), make_task(config.task), 2, 2);
  const LifetimeSet validation = validation_lifetimes(config.run.seed, 5);
  EXPECT_NE(validation.seed, held_out_lifetimes(config.run.seed, 5).seed);
  double best = -INFINITY;
  uint64_t best_generation = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const uint64_t generation = std::stoull(rows[i]);
    const double fitness = std::stod(rows[i].substr(rows[i].find(',') + 1));
    EXPECT_EQ(generation, i < 3 ? 3 * i : 7u);
    if (fitness > best) best = fitness, best_generation = generation;
  }
  const Checkpoint checkpoint = load_checkpoint(checkpoint_path(dir, "best"));
  EXPECT_EQ(checkpoint.best_generation, best_generation);
  EXPECT_EQ(checkpoint.state.generation, best_generation);
  EXPECT_EQ(summary.best_centre, checkpoint.best_fitness);
  // Evaluated again on the validation lifetimes, the stored centre scores the recorded best.
  EXPECT_EQ(evaluate_centre(*evaluator, checkpoint.state.theta, validation).mean, checkpoint.best_fitness);
  EXPECT_NEAR(checkpoint.best_fitness, best, 1e-5 * std::abs(best) + 1e-9);  // the csv's digits

  RunConfig first_half = config;
  first_half.run.generations = 3;
  const std::string split = fresh_dir("validation_split");
  run(first_half, split, false);
  run(config, split, true);
  EXPECT_EQ(lines_of((fs::path(split) / "validation.csv").string()), rows);
  EXPECT_EQ(load_checkpoint(checkpoint_path(split, "best")).best_generation, best_generation);
}

// Resuming with a config whose model has another size is refused with
// enu::Error before anything is overwritten.
TEST(RunResume, MismatchedModelIsRefused) {
  const std::string dir = fresh_dir("mismatch");
  run(tiny_config("sgd", 1), dir, false);
  RunConfig other = parse_config(tiny_yaml("sgd", 3), "test_run", {"model.cell.memory=5"});
  EXPECT_THROW(run(other, dir, true), Error);
  EXPECT_EQ(load_checkpoint(checkpoint_path(dir, "latest")).state.generation, 1u);
  EXPECT_EQ(lines_of((fs::path(dir) / "metrics.csv").string()).size(), 2u);
}

// Resuming a folder without a checkpoint is an enu::Error, not a fresh start.
TEST(RunResume, MissingCheckpointIsAnError) {
  const std::string dir = fresh_dir("missing");
  fs::create_directories(dir);
  EXPECT_THROW(run(tiny_config("sgd", 2), dir, true), Error);
}

// run.init_from starts a new run from another run's centre: generation 0
// evaluates exactly that centre (with one generation and no validation, the
// best checkpoint holds the centre generation 0 evaluated), with the generation
// count and the optimizer state fresh; the ES settings may differ.
TEST(RunWarmStart, FirstCentreIsTheCheckpointCentre) {
  const std::string from = fresh_dir("warm_from");
  run(tiny_config("adam", 3), from, false);
  const Checkpoint source = load_checkpoint(checkpoint_path(from, "latest"));
  ASSERT_EQ(source.state.generation, 3u);

  RunConfig config = tiny_config("sgd", 1);
  config.run.init_from = checkpoint_path(from, "latest");
  const std::string dir = fresh_dir("warm");
  run(config, dir, false);
  const Checkpoint started = load_checkpoint(checkpoint_path(dir, "best"));
  EXPECT_EQ(started.state.generation, 0u);
  EXPECT_EQ(started.state.optimizer_steps, 0u);
  EXPECT_TRUE(same_bits(started.state.theta, source.state.theta));
  EXPECT_FALSE(same_bits(started.state.theta, initial_centre(config)));
  for (float m : started.state.moment1) ASSERT_EQ(m, 0.0f);
  EXPECT_EQ(load_checkpoint(checkpoint_path(dir, "latest")).state.generation, 1u);
}

// A checkpoint whose parameters mean something else (another memory size), a
// folder, or a missing file: enu::Error naming run.init_from and the fault,
// before the new run writes anything.
TEST(RunWarmStart, UnusableCheckpointIsRefused) {
  const std::string from = fresh_dir("warm_source");
  run(tiny_config("sgd", 1), from, false);
  auto refusal = [&](const std::string& init_from, const std::vector<std::string>& overrides) {
    RunConfig config = parse_config(tiny_yaml("sgd", 2), "test_run", overrides);
    config.run.init_from = init_from;
    const std::string dir = fresh_dir("warm_refused");
    std::string message;
    try {
      run(config, dir, false);
    } catch (const Error& e) {
      message = e.what();
    }
    EXPECT_FALSE(fs::exists(fs::path(dir) / "metrics.csv")) << init_from;
    return message;
  };
  const std::string other_model = refusal(checkpoint_path(from, "latest"), {"model.cell.memory=5"});
  EXPECT_NE(other_model.find("run.init_from"), std::string::npos) << other_model;
  EXPECT_NE(other_model.find("M 4"), std::string::npos) << other_model;
  EXPECT_NE(other_model.find("M 5"), std::string::npos) << other_model;
  EXPECT_NE(refusal(from, {}).find("is a folder"), std::string::npos);
  const std::string missing = (fs::path(from) / "no_such.npz").string();
  EXPECT_NE(refusal(missing, {}).find(missing), std::string::npos);
}

// ---- log.txt ------------------------------------------------------------------------

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Wraps an evaluator and, at every evaluation, copies log.txt as another
// process sees it then: what a run killed at that moment would leave.
class LogWatchingEvaluator final : public Evaluator {
 public:
  LogWatchingEvaluator(std::unique_ptr<Evaluator> inner, fs::path log) : inner_(std::move(inner)), log_(std::move(log)) {}
  std::string name() const override { return inner_->name(); }
  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    seen.push_back(file_text(log_));
    inner_->evaluate(pop, lifetimes, fitness);
  }
  std::vector<std::string> seen;

 private:
  std::unique_ptr<Evaluator> inner_;
  fs::path log_;
};

// Every line of log.txt is on disk, whole, as soon as it is written: during
// each generation's evaluation the log holds the start line and one progress
// line per generation done, and ends in '\n'; nothing waits in a buffer that a
// killed run would lose or cut in the middle of a line.
TEST(RunLog, LinesReachTheFileWhole) {
  const RunConfig config = tiny_config("sgd", 4);
  const std::string dir = fresh_dir("log_whole");
  LogWatchingEvaluator evaluator(
      make_cpu_evaluator(CpuRunnerKind::fast, config.model_spec(), make_task(config.task), 2, 2),
      fs::path(dir) / "log.txt");
  evolve(config, evaluator, EvolveOptions{dir, false, /*progress=*/false, nullptr, nullptr, nullptr});
  ASSERT_GE(evaluator.seen.size(), 4u);
  size_t progress_lines = 0;
  for (const std::string& log : evaluator.seen) {
    ASSERT_FALSE(log.empty()) << "log.txt was still empty during a generation";
    EXPECT_EQ(log.back(), '\n') << "log.txt ended inside a line:\n" << log;
    EXPECT_EQ(log.rfind("# started at generation 0", 0), 0u) << log;
    size_t lines = 0;
    for (size_t at = log.find("\ngen "); at != std::string::npos; at = log.find("\ngen ", at + 1)) ++lines;
    EXPECT_GE(lines, progress_lines) << "a progress line went missing:\n" << log;
    progress_lines = lines;
  }
  EXPECT_EQ(progress_lines, 3u) << "generation 3's evaluation sees the lines of generations 0, 1 and 2";
}

// A run killed in the middle of a log line leaves it unterminated; the resumed
// run ends that line first (keeping what is there) and writes "# resumed" at
// the start of a line of its own.
TEST(RunLog, ResumeStartsOnAFreshLine) {
  const std::string dir = fresh_dir("log_resume");
  run(tiny_config("sgd", 3), dir, false);
  const fs::path log = fs::path(dir) / "log.txt";
  const std::string partial = "gen 4/6  best -0.01";
  {
    std::ofstream out(log, std::ios::app);
    out << partial;  // no '\n': cut off by the kill
  }
  run(tiny_config("sgd", 6), dir, true);
  const std::vector<std::string> lines = lines_of(log.string());
  const auto cut = std::find(lines.begin(), lines.end(), partial);
  ASSERT_TRUE(cut != lines.end() && cut + 1 != lines.end())
      << "the cut line is not kept, on a line of its own, before the resumed run's lines:\n" << file_text(log);
  EXPECT_EQ(cut[1].rfind("# resumed at generation 3 ", 0), 0u) << cut[1];
  EXPECT_EQ(file_text(log).back(), '\n');
}

// ---- on_generation ------------------------------------------------------------------

std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row);
  for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
  return cells;
}

// A value as metrics.csv prints it (the stream's default 6 significant digits).
std::string printed(double value) {
  std::ostringstream s;
  s << value;
  return s.str();
}

// The hook is called once per generation, after that generation's metrics row
// is on disk: at each call metrics.csv ends in the row of the report's
// generation, and the report's values are that row's, as the file prints them.
TEST(RunHook, SeesEachGenerationAfterItsMetricsRow) {
  const std::string dir = fresh_dir("hook_rows");
  const std::string metrics = (fs::path(dir) / "metrics.csv").string();
  std::vector<GenerationReport> reports;
  std::vector<std::string> last_rows;
  const EvolveSummary summary = run(tiny_config("adam", 5), dir, false, [&](const GenerationReport& r) {
    reports.push_back(r);
    last_rows.push_back(lines_of(metrics).back());
    return true;
  });
  EXPECT_FALSE(summary.stopped);
  const std::vector<std::string> rows = lines_of(metrics);
  ASSERT_EQ(reports.size(), 5u);
  ASSERT_EQ(rows.size(), 6u);
  for (size_t g = 0; g < reports.size(); ++g) {
    SCOPED_TRACE(rows[g + 1]);
    const GenerationReport& r = reports[g];
    EXPECT_EQ(r.generation, g);
    EXPECT_EQ(last_rows[g], rows[g + 1]);
    const std::vector<std::string> cells = cells_of(rows[g + 1]);
    ASSERT_GE(cells.size(), 10u);
    const std::vector<std::string> reported = {printed(double(r.generation)), printed(r.best), printed(r.mean),
                                               printed(r.centre), printed(r.sigma), printed(r.nonfinite),
                                               printed(r.eval_seconds), printed(r.update_seconds)};
    EXPECT_EQ(std::vector<std::string>(cells.begin(), cells.begin() + 8), reported);
    EXPECT_EQ(cells[9], printed(r.lifetimes_per_second));
  }
}

struct CallerGaveUp {};

// A run interrupted by its hook and resumed is the uninterrupted run, bit for
// bit. A hook returning false at generation 3 stops the run there (4 done, not a
// checkpoint_every multiple): checkpoint_latest holds generation 4, metrics.csv
// rows 0..3, log.txt ends in a "# stopped:" line and the summary says stopped. A
// hook throwing at generation 4 propagates and leaves the folder as a kill would:
// checkpoint_latest at the last regular checkpoint (3), metrics rows 0..4.
// Either folder resumed to generation 7 ends with the uninterrupted run's
// metrics rows (deterministic columns and centre hash) and checkpoints.
TEST(RunHook, StoppedOrThrownRunResumesBitIdentical) {
  const RunConfig config = tiny_config("adam", 7);
  const std::string whole = fresh_dir("hook_whole");
  run(config, whole, false);

  const std::string stopped = fresh_dir("hook_stopped");
  size_t calls = 0;
  const EvolveSummary summary = run(config, stopped, false, [&](const GenerationReport& r) {
    ++calls;
    return r.generation < 3;
  });
  EXPECT_TRUE(summary.stopped);
  EXPECT_EQ(summary.generations, 4u);
  EXPECT_EQ(calls, 4u);
  EXPECT_EQ(load_checkpoint(checkpoint_path(stopped, "latest")).state.generation, 4u);
  EXPECT_EQ(lines_of((fs::path(stopped) / "metrics.csv").string()).size(), 5u);
  EXPECT_EQ(lines_of((fs::path(stopped) / "log.txt").string()).back(),
            "# stopped: EvolveOptions::on_generation returned false");

  const std::string thrown = fresh_dir("hook_thrown");
  EXPECT_THROW(run(config, thrown, false,
                   [](const GenerationReport& r) {
                     if (r.generation == 4) throw CallerGaveUp{};
                     return true;
                   }),
               CallerGaveUp);
  EXPECT_EQ(load_checkpoint(checkpoint_path(thrown, "latest")).state.generation, 3u);
  EXPECT_EQ(lines_of((fs::path(thrown) / "metrics.csv").string()).size(), 6u);

  const std::vector<std::string> rows_whole = lines_of((fs::path(whole) / "metrics.csv").string());
  ASSERT_EQ(rows_whole.size(), 8u);
  for (const std::string& dir : {stopped, thrown}) {
    SCOPED_TRACE(dir);
    const EvolveSummary resumed = run(config, dir, true);
    EXPECT_FALSE(resumed.stopped);
    EXPECT_EQ(resumed.generations, 7u);
    const std::vector<std::string> rows = lines_of((fs::path(dir) / "metrics.csv").string());
    ASSERT_EQ(rows.size(), rows_whole.size());
    for (size_t g = 1; g < rows.size(); ++g) {
      EXPECT_EQ(deterministic_columns(rows[g]), deterministic_columns(rows_whole[g])) << "row " << g;
      EXPECT_EQ(cells_of(rows[g]).back(), cells_of(rows_whole[g]).back()) << "centre hash, row " << g;
    }
    for (const std::string which : {"latest", "best"}) {
      const Checkpoint a = load_checkpoint(checkpoint_path(whole, which));
      const Checkpoint b = load_checkpoint(checkpoint_path(dir, which));
      EXPECT_EQ(a.state.generation, b.state.generation) << which;
      EXPECT_EQ(a.state.optimizer_steps, b.state.optimizer_steps) << which;
      EXPECT_TRUE(same_bits(a.state.theta, b.state.theta)) << which;
      EXPECT_TRUE(same_bits(a.state.moment1, b.state.moment1)) << which;
      EXPECT_TRUE(same_bits(a.state.moment2, b.state.moment2)) << which;
      EXPECT_EQ(a.best_fitness, b.best_fitness) << which;
      EXPECT_EQ(a.best_generation, b.best_generation) << which;
    }
  }
}

// ---- plan_run ---------------------------------------------------------------------

// What `call` throws as enu::Error, or a note that it threw none.
std::string refusal(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no enu::Error)";
}

// plan_run reads `enu evolve`'s arguments as the CLI does: a config file plans
// a new run into --out, else run.out_dir, else runs/<name>; --resume plans that
// folder, from its checkpoint's config with run.* overrides, and ignores --out.
TEST(RunPlan, NewRunsAndResumes) {
  const std::string dir = fresh_dir("plan");
  fs::create_directories(dir);
  const std::string config_file = (fs::path(dir) / "tiny.yaml").string();
  write_text(config_file, tiny_yaml("sgd", 2));
  EXPECT_EQ(plan_run(config_file, {}, "", "").run_dir, "runs/tiny");
  EXPECT_EQ(plan_run(config_file, {"run.out_dir=elsewhere"}, "", "").run_dir, "elsewhere");
  const PlannedRun fresh = plan_run(config_file, {"run.out_dir=elsewhere", "es.sigma=0.5"}, "out", "");
  EXPECT_EQ(fresh.run_dir, "out");
  EXPECT_FALSE(fresh.resume);
  EXPECT_EQ(fresh.config.es.sigma, 0.5f);

  const std::string folder = fresh_dir("plan_folder");
  run(tiny_config("sgd", 1), folder, false);
  const PlannedRun resumed = plan_run("", {"run.generations=9"}, "out", folder);
  EXPECT_EQ(resumed.run_dir, folder);
  EXPECT_TRUE(resumed.resume);
  EXPECT_EQ(resumed.config.run.generations, 9);
  EXPECT_EQ(resumed.config.es.sigma, tiny_config("sgd", 1).es.sigma);
}

// plan_run refuses, with enu::Error and the CLI's message: both or neither of
// a config and a folder to resume, a resume overriding a non-run key, and a
// resume changing run.init_from (that starts a new run).
TEST(RunPlan, RefusalsNameTheFault) {
  const std::string folder = fresh_dir("plan_refused");
  run(tiny_config("sgd", 1), folder, false);
  const std::string either = "evolve: give either a CONFIG or --resume DIR";
  EXPECT_EQ(refusal([&] { plan_run("tiny.yaml", {}, "", folder); }), either);
  EXPECT_EQ(refusal([&] { plan_run("", {}, "", ""); }), either);
  EXPECT_EQ(refusal([&] { plan_run("", {"es.sigma=0.5"}, "", folder); }),
            "--resume " + folder + ": only run.* settings may be overridden when resuming");
  EXPECT_EQ(refusal([&] { plan_run("", {"run.init_from=" + checkpoint_path(folder, "best")}, "", folder); }),
            "--resume " + folder + ": run.init_from starts a new run; a resumed run continues from its own checkpoint");
}

// config_for_lifetimes (eval, analyze) lets task.* and run.* change and refuses
// a model or strategy change, naming the command.
TEST(RunPlan, LifetimesMayChangeButNotTheModel) {
  const std::string folder = fresh_dir("plan_lifetimes");
  run(tiny_config("sgd", 1), folder, false);
  const std::string path = checkpoint_path(folder, "latest");
  const Checkpoint checkpoint = load_checkpoint(path);
  EXPECT_EQ(config_for_lifetimes(checkpoint, path, {"task.stdp.steps=30", "run.seed=2"}, "eval").task.stdp.steps, 30);
  EXPECT_EQ(refusal([&] { config_for_lifetimes(checkpoint, path, {"model.cell.memory=5"}, "eval x"); }),
            "eval x: only task.* and run.* settings may be overridden; the model and the strategy are the run's");
}

// ---- what a run survives: a second run, a killed holder, a full disk ----------------

// A second lock on a held folder is refused, also within one process (two
// threads of a Python program): the message names the folder, this process as
// the holder, and what to do. evolve() into the folder is refused before it
// writes anything; once the holder lets go, the folder is free.
TEST(RunFolderLock, SecondLockIsRefusedNamingTheHolder) {
  const std::string dir = fresh_dir("lock_twice");
  std::optional<RunLock> held(std::in_place, dir);
  const std::string message = refusal([&] { RunLock second(dir); });
  EXPECT_NE(message.find("run folder '" + dir + "' is in use by pid " + std::to_string(::getpid()) + " on host "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("`enu evolve --resume " + dir + "`"), std::string::npos) << message;
  EXPECT_NE(refusal([&] { run(tiny_config("sgd", 1), dir, false); }).find("is in use by pid"), std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(dir) / "metrics.csv"));
  held.reset();
  EXPECT_EQ(refusal([&] { RunLock again(dir); }), "(no enu::Error)");
}

// A process killed while it holds the lock leaves run.lock behind with its
// record, but not the lock: the kernel drops a flock with its holder. While the
// child lives, the parent is refused naming the child's pid.
TEST(RunFolderLock, KilledHolderDoesNotBlock) {
  const std::string dir = fresh_dir("lock_killed");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const RunLock lock(dir);
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(ready[1], &byte, 1);
    ::pause();  // until killed: no destructor releases the lock
    ::_exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the child could not lock " << dir;
  ::close(ready[0]);
  const std::string message = refusal([&] { RunLock refused(dir); });
  EXPECT_NE(message.find("in use by pid " + std::to_string(child) + " on host "), std::string::npos) << message;
  ::kill(child, SIGKILL);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_NE(file_text(fs::path(dir) / "run.lock").find("pid: " + std::to_string(child) + "\n"), std::string::npos);
  EXPECT_EQ(refusal([&] { RunLock after(dir); }), "(no enu::Error)");
}

// The enu::Error message that `body` throws in a child process whose files may
// not grow past `bytes` (RLIMIT_FSIZE; SIGXFSZ ignored, so that a write past it
// fails with EFBIG, as on a full disk), or "(no enu::Error)".
std::string error_under_file_limit(rlim_t bytes, const std::function<void()>& body) {
  int out[2];
  if (::pipe(out) != 0) return "(no pipe)";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    const rlimit limit{bytes, bytes};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::signal(SIGXFSZ, SIG_IGN);
    const std::string message = refusal(body);
    [[maybe_unused]] const ssize_t written = ::write(out[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(out[1]);
  std::string message;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) message.append(buffer, size_t(n));
  ::close(out[0]);
  ::waitpid(child, nullptr, 0);
  return message;
}

// A checkpoint write that fails partway (the file limit at half its size) is
// an enu::Error naming the checkpoint and the system's reason; the temporary
// file is gone and the previous checkpoint is there, byte for byte, and loads.
// An appended line that does not fit fails the same way.
TEST(RunFullDisk, FailedWritesNameTheFileAndKeepThePrevious) {
  const std::string dir = fresh_dir("full_disk");
  run(tiny_config("adam", 3), dir, false);
  const std::string path = checkpoint_path(dir, "latest");
  const std::string before = file_text(path);
  Checkpoint next = load_checkpoint(path);
  next.state.generation = 4;
  const std::string message = error_under_file_limit(before.size() / 2, [&] { save_checkpoint(path, next); });
  EXPECT_EQ(message.rfind("cannot write '" + path + "': File too large (writing its temporary file", 0), 0u)
      << message;
  EXPECT_TRUE(file_text(path) == before) << "the previous checkpoint changed";
  EXPECT_EQ(load_checkpoint(path).state.generation, 3u);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }

  const std::string metrics = (fs::path(dir) / "metrics.csv").string();
  const std::string appended = error_under_file_limit(fs::file_size(metrics) + 10, [&] {
    AppendedFile(metrics).append(std::string(100, '9') + "\n");
  });
  EXPECT_EQ(appended, "cannot write '" + metrics + "': File too large");
}

// A metrics row cut short (a full disk or a kill mid-write) is dropped on
// resume, even where what is left of it reads as an earlier generation ("1" of
// "12,..."): the resumed folder has one row per generation, in order.
TEST(RunResume, RowCutShortIsDropped) {
  const std::string dir = fresh_dir("torn_row");
  run(tiny_config("sgd", 3), dir, false);
  {
    std::ofstream metrics(fs::path(dir) / "metrics.csv", std::ios::app);
    metrics << "1";
  }
  run(tiny_config("sgd", 5), dir, true);
  const std::vector<std::string> rows = lines_of((fs::path(dir) / "metrics.csv").string());
  ASSERT_EQ(rows.size(), 6u);
  for (size_t g = 0; g < 5; ++g) EXPECT_EQ(std::stoull(rows[g + 1]), g) << rows[g + 1];
}

// What a resume keeps of a run's CSV, on hand-made files: the header it is
// given, the whole rows below the generation (in the file's order, blank lines
// skipped), no row cut short, and a row that is not enu's refused by its line.
TEST(RunResume, RowsBeforeKeepsWholeRowsOnly) {
  const std::string header = "generation,centre";
  EXPECT_EQ(rows_before("old header\n0,a\n\n1,b\n2,c\n", header, 2, "m.csv"), header + "\n0,a\n1,b\n");
  EXPECT_EQ(rows_before("h\n0,a\n1", header, 5, "m.csv"), header + "\n0,a\n");  // "1" of "12,..."
  EXPECT_EQ(rows_before("", header, 5, "m.csv"), header + "\n");
  try {
    rows_before("h\n0,a\nabc,1\n", header, 5, "runs/x/metrics.csv");
    FAIL() << "a row whose generation is not a number was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("runs/x/metrics.csv line 3: 'abc' is not a generation number"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace enu
