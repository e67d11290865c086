// enu compare: Welch's t-test and the Student-t tail against known values, the
// comparison file's checks, and a tiny resumable comparison on sphere.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compare.hpp"
#include "enu/checkpoint.hpp"
#include "enu/common.hpp"
#include "maze_analysis.hpp"
#include "run.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

namespace fs = std::filesystem;

// ---- statistics ------------------------------------------------------------------

// Reference p-values: Simpson integration of the Student-t density (2e5
// intervals, double precision), which agrees with tables to the digits shown;
// 1e-6 leaves room for the integration, not for a wrong formula.
TEST(WelchStats, StudentTTailMatchesKnownValues) {
  EXPECT_NEAR(student_t_two_sided_p(2.0, 10.0), 0.0733880348, 1e-6);
  EXPECT_NEAR(student_t_two_sided_p(1.0, 5.0), 0.3632174676, 1e-6);
  EXPECT_NEAR(student_t_two_sided_p(3.0, 2.5), 0.0725760955, 1e-6);  // non-integer df (Welch)
  // Large df approaches the normal: P(|Z| >= 1.96) = 0.04999579.
  EXPECT_NEAR(student_t_two_sided_p(1.96, 1e6), 0.0499960681, 1e-6);
  EXPECT_NEAR(student_t_two_sided_p(-2.0, 10.0), student_t_two_sided_p(2.0, 10.0), 1e-15);
  EXPECT_EQ(student_t_two_sided_p(0.0, 7.0), 1.0);
  EXPECT_EQ(student_t_two_sided_p(INFINITY, 7.0), 0.0);
  EXPECT_TRUE(std::isnan(student_t_two_sided_p(NAN, 7.0)));
}

TEST(WelchStats, IncompleteBetaClosedForms) {
  for (double x : {0.01, 0.3, 0.5, 0.9, 0.999}) {
    EXPECT_NEAR(regularized_incomplete_beta(1.0, 1.0, x), x, 1e-13) << x;                     // uniform
    EXPECT_NEAR(regularized_incomplete_beta(3.0, 1.0, x), x * x * x, 1e-13) << x;             // x^a
    EXPECT_NEAR(regularized_incomplete_beta(1.0, 2.0, x), 1 - (1 - x) * (1 - x), 1e-13) << x;  // 1-(1-x)^b
  }
  EXPECT_NEAR(regularized_incomplete_beta(7.5, 7.5, 0.5), 0.5, 1e-13);  // symmetry
  EXPECT_EQ(regularized_incomplete_beta(2.0, 3.0, 0.0), 0.0);
  EXPECT_EQ(regularized_incomplete_beta(2.0, 3.0, 1.0), 1.0);
  EXPECT_THROW(regularized_incomplete_beta(2.0, 3.0, 1.5), Error);
}

TEST(WelchStats, SampleStatsUseTheSampleStd) {
  const SampleStats s = sample_stats({1, 2, 3, 4, 5});
  EXPECT_EQ(s.n, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.std, std::sqrt(2.5));  // sum of squares 10 over n - 1 = 4
  EXPECT_EQ(sample_stats({4.0}).std, 0.0);
  EXPECT_EQ(sample_stats({}).n, 0);
}

// a = {1..5}: mean 3, var 2.5; b = {3,5,7,9}: mean 6, var 20/3. By hand:
//   se^2 = 2.5/5 + (20/3)/4 = 0.5 + 5/3 = 13/6,  t = -3 / sqrt(13/6) = -2.0380987
//   df = (13/6)^2 / (0.5^2/4 + (5/3)^2/3) = 4.6944 / 0.98843 = 4.7494145
TEST(WelchStats, HandComputedSamples) {
  const WelchResult r = welch_t_test({1, 2, 3, 4, 5}, {3, 5, 7, 9});
  EXPECT_NEAR(r.t, -3.0 / std::sqrt(13.0 / 6.0), 1e-12);
  EXPECT_NEAR(r.t, -2.038098661460272, 1e-12);
  EXPECT_NEAR(r.df, 4.749414519906324, 1e-12);
  EXPECT_NEAR(r.p, 0.1000838090, 1e-6);  // Simpson integration, as above
  const WelchResult swapped = welch_t_test({3, 5, 7, 9}, {1, 2, 3, 4, 5});
  EXPECT_NEAR(swapped.t, -r.t, 1e-12);
  EXPECT_NEAR(swapped.p, r.p, 1e-15);
}

TEST(WelchStats, DegenerateSamples) {
  EXPECT_TRUE(std::isnan(welch_t_test({1.0}, {1, 2, 3}).p));  // one value has no variance estimate
  const WelchResult same = welch_t_test({2, 2, 2}, {2, 2});
  EXPECT_EQ(same.t, 0.0);
  EXPECT_EQ(same.p, 1.0);
  const WelchResult apart = welch_t_test({3, 3, 3}, {2, 2});
  EXPECT_TRUE(std::isinf(apart.t) && apart.t > 0);
  EXPECT_EQ(apart.p, 0.0);
  // One sample constant: df is the other's n - 1.
  EXPECT_NEAR(welch_t_test({0, 0, 0}, {1, 2, 3, 4}).df, 3.0, 1e-12);
}

// ---- the comparison file -----------------------------------------------------------

std::string fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("enu_test_compare_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = (fs::path(dir) / name).string();
  std::ofstream(path) << text;
  return path;
}

// The sphere config, as a path relative to `dir` (a relative base is read from
// the comparison file's folder).
std::string sphere_from(const std::string& dir) {
  return fs::relative(fs::path(ENU_SOURCE_DIR) / "configs" / "sphere.yaml", dir).string();
}

std::string tiny_comparison(const std::string& dir) {
  return "base: " + sphere_from(dir) +
         "\n"
         "seeds: 2\n"
         "first_seed: 7\n"
         "threshold: -4.5\n"
         "reference: adam\n"
         "set: [task.function.dimension=5, es.population=8, run.generations=5, run.checkpoint_every=2]\n"
         "models:\n"
         "  adam: [es.optimizer=adam]\n"
         "  sgd: [es.optimizer=sgd, es.learning_rate=0.5]\n";
}

std::string error_of(const std::string& path) {
  try {
    load_compare_config(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CompareConfig, ParsesAGoodFile) {
  const std::string dir = fresh_dir("good");
  const CompareConfig c = load_compare_config(write_file(dir, "tiny.yaml", tiny_comparison(dir)));
  EXPECT_EQ(c.name, "tiny");  // the file's stem
  EXPECT_EQ(c.seeds, 2);
  EXPECT_EQ(c.first_seed, 7u);
  ASSERT_TRUE(c.threshold.has_value());
  EXPECT_EQ(*c.threshold, -4.5);
  EXPECT_EQ(c.reference, "adam");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.models[0].name, "adam");  // file order
  EXPECT_EQ(c.models[1].name, "sgd");
  EXPECT_TRUE(fs::equivalent(c.base, fs::path(ENU_SOURCE_DIR) / "configs" / "sphere.yaml"));

  const RunConfig sgd = c.run_config(c.models[1], 8, {"run.threads=1"});
  EXPECT_EQ(sgd.es.optimizer, OptimizerKind::sgd);
  EXPECT_EQ(sgd.es.learning_rate, 0.5f);
  EXPECT_EQ(sgd.es.population, 8);
  EXPECT_EQ(sgd.task.function.dimension, 5);
  EXPECT_EQ(sgd.run.seed, 8u);
  EXPECT_EQ(sgd.run.threads, 1);
}

TEST(CompareConfig, ParsesTheShippedStdpComparisons) {
  for (const std::string task : {"stdp", "stdp_complex"}) {
    const CompareConfig c = load_compare_config(std::string(ENU_SOURCE_DIR) + "/configs/compare_" + task + ".yaml");
    ASSERT_EQ(c.models.size(), 4u);
    EXPECT_EQ(c.reference, "enu");
    EXPECT_GE(c.seeds, 10);
    for (const CompareModel& m : c.models) {
      const RunConfig config = c.run_config(m, c.first_seed);
      EXPECT_EQ(config.task.name, task);
      EXPECT_EQ(config.model.kind, ModelSpec::Kind::cell) << m.name;
      EXPECT_EQ(config.run.generations, 1000) << m.name << ": one budget for every model";
    }
    EXPECT_EQ(c.run_config(c.models[1], 1).model.cell.kind, CellKind::nfenu);
    EXPECT_EQ(c.run_config(c.models[2], 1).model.cell.kind, CellKind::gru);
    EXPECT_EQ(c.run_config(c.models[3], 1).model.cell.kind, CellKind::lstm);
  }
}

// The T-maze comparison: ENU-NN, its ablations and single recurrent agents of a
// comparable parameter count (within 10% of ENU-NN's; SHARED has fewer by design).
TEST(CompareConfig, ParsesTheShippedTmazeComparison) {
  const CompareConfig c = load_compare_config(std::string(ENU_SOURCE_DIR) + "/configs/compare_tmaze.yaml");
  ASSERT_EQ(c.models.size(), 6u);
  EXPECT_EQ(c.reference, "enu_nn");
  const double enu_nn = double(c.run_config(c.models[0], 1).model_spec().param_count());
  for (const CompareModel& m : c.models) {
    const RunConfig config = c.run_config(m, c.first_seed);
    EXPECT_EQ(config.task.name, "tmaze") << m.name;
    if (config.model.kind == ModelSpec::Kind::cell) {
      EXPECT_EQ(config.model.cell.inputs, 12) << m.name;
      EXPECT_NEAR(double(config.model_spec().param_count()) / enu_nn, 1.0, 0.1) << m.name;
    }
  }
  EXPECT_EQ(c.run_config(c.models[3], 1).model.cell.kind, CellKind::gru);
  EXPECT_TRUE(c.run_config(c.models[2], 1).model.network.shared);
}

TEST(CompareConfig, RejectsAnUnknownKeyWithItsLine) {
  const std::string dir = fresh_dir("unknown");
  const std::string path = write_file(dir, "c.yaml", tiny_comparison(dir) + "seedz: 3\n");
  const std::string message = error_of(path);
  EXPECT_NE(message.find(path + ":10: seedz: unknown key (did you mean seeds?)"), std::string::npos) << message;
}

TEST(CompareConfig, RejectsAMissingBase) {
  const std::string dir = fresh_dir("missing_base");
  std::string text = tiny_comparison(dir);
  text.replace(0, text.find('\n'), "base: no_such.yaml");
  std::string message = error_of(write_file(dir, "c.yaml", text));
  EXPECT_NE(message.find("c.yaml:1: base: no config file"), std::string::npos) << message;
  EXPECT_NE(message.find("no_such.yaml"), std::string::npos) << message;

  text.erase(0, text.find('\n') + 1);  // no base key at all
  message = error_of(write_file(dir, "c.yaml", text));
  EXPECT_NE(message.find("base: missing"), std::string::npos) << message;
}

TEST(CompareConfig, RejectsAnInvalidModelOverrideNamingTheModel) {
  const std::string dir = fresh_dir("bad_model");
  std::string text = tiny_comparison(dir) + "  adamw: [es.optimizer=adamw]\n";
  const std::string message = error_of(write_file(dir, "c.yaml", text));
  EXPECT_NE(message.find("c.yaml:10: models.adamw: "), std::string::npos) << message;
  EXPECT_NE(message.find("adamw"), std::string::npos) << message;

  text = tiny_comparison(dir) + "  typo: [es.sigmaa=0.1]\n";
  EXPECT_NE(error_of(write_file(dir, "c.yaml", text)).find("models.typo: "), std::string::npos);
  text = tiny_comparison(dir) + "  noequals: [es.sigma]\n";
  EXPECT_NE(error_of(write_file(dir, "c.yaml", text)).find("models.noequals: \"es.sigma\" is not of the form"),
            std::string::npos);
}

TEST(CompareConfig, RejectsBadValuesAndReference) {
  const std::string dir = fresh_dir("bad_values");
  std::string text = tiny_comparison(dir);
  text.replace(text.find("seeds: 2"), 8, "seeds: 0");
  EXPECT_NE(error_of(write_file(dir, "c.yaml", text)).find("c.yaml:2: seeds: must be >= 1"), std::string::npos);
  text = tiny_comparison(dir);
  text.replace(text.find("reference: adam"), 15, "reference: lstm");
  const std::string message = error_of(write_file(dir, "c.yaml", text));
  EXPECT_NE(message.find("c.yaml:5: reference: \"lstm\" is not one of the models; allowed: adam, sgd"),
            std::string::npos)
      << message;
}

// The comparison file is read by the run config's field machinery: a wrong type
// or a repeated key names the file, line and key and says what is allowed, and a
// model whose key has no value runs the base config as it is.
TEST(CompareConfig, ErrorsTakeTheRunConfigForm) {
  const std::string dir = fresh_dir("field_form");
  std::string text = tiny_comparison(dir);
  text.replace(text.find("seeds: 2"), 8, "seeds: x");
  std::string message = error_of(write_file(dir, "c.yaml", text));
  EXPECT_NE(message.find("c.yaml:2: seeds: \"x\" is not an integer; allowed: an integer"), std::string::npos)
      << message;

  message = error_of(write_file(dir, "c.yaml", tiny_comparison(dir) + "first_seed: 3\n"));
  EXPECT_NE(message.find("c.yaml:10: first_seed: key \"first_seed\" is given twice; allowed: each key once"),
            std::string::npos)
      << message;

  message = error_of(write_file(dir, "c.yaml", tiny_comparison(dir) + "  bad: {es.sigma: 1}\n"));
  EXPECT_NE(message.find("c.yaml:10: models.bad: a map {es.sigma: 1} where a list is expected; "
                         "allowed: a list of strings"),
            std::string::npos)
      << message;

  const CompareConfig c = load_compare_config(write_file(dir, "c.yaml", tiny_comparison(dir) + "  plain:\n"));
  ASSERT_EQ(c.models.size(), 3u);
  EXPECT_TRUE(c.models[2].overrides.empty());
}

// ---- a tiny comparison end to end --------------------------------------------------

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string content_of(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CompareReport run_tiny(const CompareConfig& config, const std::string& out) {
  return run_comparison(config, CompareOptions{out, 0, {}, nullptr});
}

// Maze comparisons report each run's adaptation score beside the best fixed
// policy's, computed on the run's held-out lifetimes.
TEST(CompareRun, MazeComparisonReportsAdaptation) {
  const std::string dir = fresh_dir("maze");
  const std::string out = (fs::path(dir) / "out").string();
  const std::string base = fs::relative(fs::path(ENU_SOURCE_DIR) / "configs" / "tmaze_small.yaml", dir).string();
  const CompareConfig config = load_compare_config(write_file(
      dir, "maze.yaml",
      "base: " + base +
          "\nseeds: 1\nset: [es.population=4, es.lifetimes=1, run.generations=2, run.eval_lifetimes=2, "
          "task.maze.steps=40, model.network.channels=4, model.network.memory=4]\n"
          "models:\n  enu_nn: []\n  gru: [\"model={kind: cell, cell: {type: gru, inputs: 12, memory: 4, outputs: 3}}\"]\n"));
  const CompareReport report =
      run_comparison(config, CompareOptions{out, 0, {"run.backend=cpu", "run.threads=1"}, nullptr});
  ASSERT_EQ(report.rows.size(), 2u);
  const RunConfig run = config.run_config(config.models[0], 1);
  const double fixed =
      best_fixed_policy(run.task.maze, false, held_out_lifetimes(run.run.seed, 64)).best_score.score();
  for (const CompareRow& row : report.rows) {
    ASSERT_TRUE(row.runs.at(0).adaptation.has_value()) << row.model;
    EXPECT_GE(*row.runs[0].adaptation, 0.0) << row.model;
    EXPECT_LE(*row.runs[0].adaptation, 1.0) << row.model;
    EXPECT_EQ(*row.runs[0].fixed_adaptation, fixed) << row.model;
    EXPECT_EQ(row.adaptation.n, 1) << row.model;
  }
  EXPECT_NE(format_table_markdown(report).find("adaptation (mean ± std)"), std::string::npos);
}

TEST(CompareRun, TinySphereComparisonIsResumable) {
  const std::string dir = fresh_dir("run");
  const std::string out = (fs::path(dir) / "out").string();
  const CompareConfig config = load_compare_config(write_file(dir, "tiny.yaml", tiny_comparison(dir)));
  const CompareReport first = run_tiny(config, out);
  EXPECT_EQ(first.started, 4);
  EXPECT_EQ(first.skipped, 0);

  for (const char* model : {"adam", "sgd"}) {
    for (int seed : {7, 8}) {
      const fs::path run = fs::path(out) / model / ("seed_" + std::to_string(seed));
      EXPECT_TRUE(fs::exists(run / "summary.yaml")) << run;
      EXPECT_TRUE(fs::exists(run / "checkpoint_best.npz")) << run;
      EXPECT_EQ(lines_of(run / "metrics.csv").size(), 6u) << run;  // header + 5 generations
      EXPECT_NE(content_of(run / "config.yaml").find("seed: " + std::to_string(seed)), std::string::npos);
    }
  }
  // Different seeds are different runs.
  EXPECT_NE(first.rows[0].runs[0].centre.back(), first.rows[0].runs[1].centre.back());

  const std::vector<std::string> table = lines_of(fs::path(out) / "table.csv");
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0].substr(0, 23), "model,runs,final_mean,f");
  EXPECT_EQ(table[1].substr(0, 7), "adam,2,");
  EXPECT_EQ(table[2].substr(0, 6), "sgd,2,");
  EXPECT_EQ(table[1].substr(table[1].size() - 3), ",,,");  // the reference has no test against itself
  EXPECT_EQ(lines_of(fs::path(out) / "runs.csv").size(), 5u);
  EXPECT_EQ(lines_of(fs::path(out) / "convergence.csv").size(), 1u + 2 * 5);
  EXPECT_TRUE(fs::exists(fs::path(out) / "table.md"));
  // The resolved comparison it wrote is itself a comparison file that reads back the same.
  const CompareConfig resolved = load_compare_config((fs::path(out) / "comparison.yaml").string());
  EXPECT_EQ(resolved.seeds, 2);
  EXPECT_EQ(resolved.first_seed, 7u);
  EXPECT_EQ(resolved.common, config.common);
  ASSERT_EQ(resolved.models.size(), 2u);
  EXPECT_EQ(resolved.models[1].overrides, config.models[1].overrides);
  EXPECT_TRUE(fs::equivalent(resolved.base, config.base));

  // The report agrees with the runs: the sphere starts at f = 5 (x = 1 in 5 dims).
  ASSERT_EQ(first.rows.size(), 2u);
  const CompareRow& sgd = first.rows[1];
  ASSERT_TRUE(sgd.vs_reference.has_value());
  EXPECT_FALSE(first.rows[0].vs_reference.has_value());
  EXPECT_TRUE(std::isfinite(sgd.vs_reference->p));
  EXPECT_EQ(sgd.runs[0].centre.size(), 5u);
  EXPECT_NEAR(sgd.runs[0].centre[0], -5.0, 1e-5);
  EXPECT_LE(sgd.to_threshold.n, 2);
  const std::string md = format_table_markdown(first);
  EXPECT_NE(md.find("| sgd | 2 |"), std::string::npos) << md;
  EXPECT_NE(md.find("p vs adam"), std::string::npos) << md;

  // A second invocation skips every completed run and leaves its files alone.
  const fs::path metrics = fs::path(out) / "sgd/seed_8/metrics.csv";
  const std::string before = content_of(metrics);
  const auto stamp = fs::last_write_time(metrics);
  const CompareReport second = run_tiny(config, out);
  EXPECT_EQ(second.skipped, 4);
  EXPECT_EQ(second.started + second.resumed, 0);
  EXPECT_EQ(fs::last_write_time(metrics), stamp);
  EXPECT_EQ(content_of(metrics), before);
  EXPECT_EQ(lines_of(fs::path(out) / "table.csv"), table);

  // A run killed before its summary resumes from its latest checkpoint, and the
  // table comes out the same.
  fs::remove(fs::path(out) / "adam/seed_8/summary.yaml");
  const CompareReport third = run_tiny(config, out);
  EXPECT_EQ(third.resumed, 1);
  EXPECT_EQ(third.skipped, 3);
  EXPECT_EQ(lines_of(fs::path(out) / "table.csv"), table);

  // A folder that holds another config is refused, not silently mixed in.
  CompareConfig changed = config;
  changed.common.push_back("es.sigma=0.2");
  try {
    run_tiny(changed, out);
    ADD_FAILURE() << "a changed config was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("different config"), std::string::npos) << e.what();
  }
}

// metrics.csv without its timing columns: generation, best, mean, centre, sigma,
// nonfinite and the centre's hash of every row.
std::vector<std::string> metrics_without_timing(const fs::path& path) {
  std::vector<std::string> rows;
  for (const std::string& line : lines_of(path)) {
    std::vector<std::string> fields;
    std::stringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    std::string kept;
    for (size_t i : {0, 1, 2, 3, 4, 5}) kept += fields.at(i) + ",";
    rows.push_back(kept + fields.back());
  }
  return rows;
}

// A run killed mid-way inside a comparison resumes to the same bits as the
// uninterrupted run: every metrics row and centre hash, the checkpoints' states
// and the table. The kill is staged: the folder of one run is set back to the
// state a 2-generation comparison left (checkpoint and metrics of generation 2
// of 5, no summary), as a SIGKILL after its second checkpoint would leave it.
TEST(CompareRun, RunResumedInsideAComparisonEndsWithTheSameBits) {
  const std::string dir = fresh_dir("resume_bits");
  const CompareConfig config = load_compare_config(write_file(dir, "tiny.yaml", tiny_comparison(dir)));
  const fs::path whole = fs::path(dir) / "whole", killed = fs::path(dir) / "killed", early = fs::path(dir) / "early";
  run_tiny(config, whole.string());
  run_comparison(config, CompareOptions{early.string(), 0, {"run.generations=2"}, nullptr});
  fs::copy(whole, killed, fs::copy_options::recursive);
  const fs::path run = fs::path("sgd") / "seed_8";
  for (const char* file : {"checkpoint_latest.npz", "checkpoint_best.npz", "metrics.csv"}) {
    fs::copy_file(early / run / file, killed / run / file, fs::copy_options::overwrite_existing);
  }
  fs::remove(killed / run / "summary.yaml");
  ASSERT_EQ(load_checkpoint((killed / run / "checkpoint_latest.npz").string()).state.generation, 2u);
  ASSERT_EQ(lines_of(killed / run / "metrics.csv").size(), 3u);  // header + 2 generations: really set back

  const CompareReport report = run_tiny(config, killed.string());
  EXPECT_EQ(report.resumed, 1);
  EXPECT_EQ(report.skipped, 3);
  // It continued from generation 2: the first two rows are the early run's, timings and all.
  const std::vector<std::string> resumed = lines_of(killed / run / "metrics.csv");
  const std::vector<std::string> before = lines_of(early / run / "metrics.csv");
  ASSERT_EQ(resumed.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(resumed.begin(), resumed.begin() + 3), before);
  EXPECT_EQ(metrics_without_timing(killed / run / "metrics.csv"), metrics_without_timing(whole / run / "metrics.csv"));
  for (const char* file : {"checkpoint_latest.npz", "checkpoint_best.npz"}) {
    const EsState a = load_checkpoint((killed / run / file).string()).state;
    const EsState b = load_checkpoint((whole / run / file).string()).state;
    EXPECT_EQ(a.generation, b.generation) << file;
    EXPECT_EQ(a.optimizer_steps, b.optimizer_steps) << file;
    EXPECT_EQ(a.theta, b.theta) << file;
    EXPECT_EQ(a.moment1, b.moment1) << file;
    EXPECT_EQ(a.moment2, b.moment2) << file;
  }
  EXPECT_EQ(lines_of(killed / "table.csv"), lines_of(whole / "table.csv"));
}

}  // namespace
}  // namespace enu
