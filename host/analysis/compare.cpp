// enu compare: every model of a comparison over independent seeds, each run a
// normal run folder (so any of them can be inspected, resumed or analysed on
// its own), then the table of the paper's Extended Data Table 1.
#include "compare.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include "backends.hpp"
#include "config_fields.hpp"
#include "enu/checkpoint.hpp"
#include "enu/task_lifetimes.hpp"
#include "maze_analysis.hpp"
#include "run.hpp"

namespace enu {
namespace fs = std::filesystem;

// ---- statistics ------------------------------------------------------------------

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Lentz's method for the continued fraction of I_x(a, b) (Numerical Recipes
// betacf). It converges in O(sqrt(max(a, b))) terms for x < (a+1)/(a+b+2), so
// a large df (a = df/2 ~ 5e5) needs about a thousand: hence the generous limit.
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxTerms = 100000;
  constexpr double kEps = 1e-15, kTiny = 1e-300;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0, d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxTerms; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));  // even step
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));  // odd step
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) return h;
  }
  throw Error("incomplete beta: continued fraction did not converge for a = " + std::to_string(a) +
              ", b = " + std::to_string(b) + ", x = " + std::to_string(x));
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0.0) || !(b > 0.0)) throw Error("incomplete beta: a and b must be > 0");
  if (std::isnan(x)) return kNaN;
  if (x < 0.0 || x > 1.0) throw Error("incomplete beta: x = " + std::to_string(x) + " is outside [0, 1]");
  if (x == 0.0 || x == 1.0) return x;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                                b * std::log1p(-x));
  // The fraction converges fast on one side of the mean; use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double student_t_two_sided_p(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(t)) return 0.0;
  // P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2).
  return regularized_incomplete_beta(0.5 * df, 0.5, df / (df + t * t));
}

SampleStats sample_stats(const std::vector<double>& values) {
  SampleStats s;
  s.n = int(values.size());
  if (s.n == 0) return s;
  for (double v : values) s.mean += v;
  s.mean /= s.n;
  if (s.n < 2) return s;
  double ss = 0.0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(ss / (s.n - 1));
  return s;
}

WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  const SampleStats sa = sample_stats(a), sb = sample_stats(b);
  if (sa.n < 2 || sb.n < 2) return {kNaN, kNaN, kNaN};
  const double va = sa.std * sa.std / sa.n, vb = sb.std * sb.std / sb.n;  // squared standard errors
  const double diff = sa.mean - sb.mean, se2 = va + vb;
  if (se2 == 0.0) return diff == 0.0 ? WelchResult{0.0, kNaN, 1.0} : WelchResult{diff * INFINITY, kNaN, 0.0};
  WelchResult r;
  r.t = diff / std::sqrt(se2);
  r.df = se2 * se2 / (va * va / (sa.n - 1) + vb * vb / (sb.n - 1));
  r.p = student_t_two_sided_p(r.t, r.df);
  return r;
}

// ---- the comparison config ---------------------------------------------------------

namespace {

// A model or comparison name becomes a folder name: keep it to a safe alphabet,
// and under the 255 bytes a file name may have.
bool is_folder_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'; });
}

const std::string kFolderName = "1 to 255 letters, digits, _ - . (a folder name)";
const std::string kOverrides = "a list of \"section.key=value\" strings";

/// A list of run config overrides, each of the form section.key=value.
template <class V>
void override_list(V& v, const std::string& key, std::vector<std::string>& list, const char* doc) {
  v.field(key, list, doc);
  for (const std::string& text : list)
    v.check(key, text.find('=') != std::string::npos, show(text) + " is not of the form section.key=value",
            kOverrides);
}

// ---- the comparison file: every key, once (docs/compare.md) -----------------------

template <class V>
void fields(V& v, CompareConfig& c) {
  v.field("name", c.name, "the output folder is runs/<name>; default: the comparison file's stem");
  v.require("name", c.name, is_folder_name(c.name), kFolderName);
  v.field("base", c.base, "the run config every model starts from; a relative path is read from this file's folder");
  v.check("base", !c.base.empty(), "missing", "the path of the run config every model starts from");
  v.field("seeds", c.seeds, "independent runs per model");
  // A check rather than Bounds: comparison files word this one "must be >= 1, got N".
  v.check("seeds", c.seeds >= 1, "must be >= 1, got " + show(c.seeds), "an integer >= 1");
  v.field("first_seed", c.first_seed, "runs use run.seed = first_seed, first_seed + 1, ...: the same for every model");
  v.field("threshold", c.threshold, "centre fitness for \"generations to threshold\"; absent: not reported");
  v.field("reference", c.reference, "the model every other model is tested against; default: the first model");
  override_list(v, "set", c.common, "overrides applied to every model, before the model's own");
  v.named("models", "model name -> its overrides of the base config", [&](auto& s, const std::string& name) {
    s.require(name, name, is_folder_name(name), "a model name of " + kFolderName);
    CompareModel& model = c.models.emplace_back();
    model.name = name;
    override_list(s, name, model.overrides, "overrides of the base config; [] or nothing = the base as it is");
  });
  v.check("models", !c.models.empty(), "missing or empty", "a map of model name -> list of overrides");
  std::vector<std::string> names;
  for (const CompareModel& m : c.models) names.push_back(m.name);
  v.check("reference", c.reference.empty() || std::find(names.begin(), names.end(), c.reference) != names.end(),
          show(c.reference) + " is not one of the models", join(names));
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

RunConfig CompareConfig::run_config(const CompareModel& model, uint64_t seed,
                                    const std::vector<std::string>& extra) const {
  std::vector<std::string> overrides = concat(common, model.overrides);
  overrides.push_back("run.seed=" + std::to_string(seed));
  return load_config(base, concat(overrides, extra));
}

CompareConfig parse_compare_config(const std::string& yaml_text, const std::string& source,
                                   const std::string& base_dir, const std::vector<std::string>& extra) {
  Context ctx(source, load_yaml(yaml_text, source, true));
  CompareConfig c;
  c.source = source;
  c.name = fs::path(source).stem().string();
  read_top_level(ctx, "keys (name, base, seeds, first_seed, threshold, reference, set, models)",
                 [&](Reader& reader) { fields(reader, c); });
  if (c.reference.empty()) c.reference = c.models.front().name;

  // The base config must load with the common overrides before any model is tried;
  // errors from the run config keep their own "allowed" part.
  const fs::path base = c.base;
  c.base = (base.is_absolute() ? base : fs::path(base_dir) / base).lexically_normal().string();
  std::error_code unreadable;  // a name the system refuses (too long, say) is no config file either
  if (!fs::is_regular_file(c.base, unreadable)) {
    ctx.fail("base",
             "no config file '" + c.base + "'" + (unreadable ? " (" + unreadable.message() + ")" : "") +
                 " (a relative base is read from the comparison file's folder)",
             "the path of a run config file");
  }
  try {
    load_config(c.base, concat(c.common, extra));
  } catch (const Error& e) {
    ctx.fail("base", e.what(), "");
  }
  for (const CompareModel& model : c.models) {
    try {
      c.run_config(model, c.first_seed, extra);
    } catch (const Error& e) {
      ctx.fail("models." + model.name, e.what(), "");
    }
  }
  return c;
}

CompareConfig load_compare_config(const std::string& path, const std::vector<std::string>& extra) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read comparison file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return parse_compare_config(text.str(), path, fs::path(path).parent_path().string(), extra);
}

// ---- running it --------------------------------------------------------------------

namespace {

// The run settings that may change between invocations without invalidating a
// run (where and how fast it runs, and how long); everything else must match.
RunConfig with_run_settings_of(RunConfig stored, const RunConfig& wanted) {
  stored.name = wanted.name;
  stored.run.backend = wanted.run.backend;
  stored.run.threads = wanted.run.threads;
  stored.run.out_dir = wanted.run.out_dir;
  stored.run.max_minutes = wanted.run.max_minutes;
  stored.run.checkpoint_every = wanted.run.checkpoint_every;
  stored.run.generations = wanted.run.generations;
  return stored;
}

// A number of a file the engine wrote; enu::Error naming the file and where in
// it when the text is not one (a file edited or damaged by hand).
double number_in(const std::string& text, const fs::path& file, const std::string& where) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    throw Error(file.string() + ", " + where + ": '" + text.substr(0, 40) + "' is not a number");
  }
  return value;
}

// summary.yaml's `key`, read as T; enu::Error naming the file when it is missing or not a T.
template <typename T>
T summary_value(const fs::path& dir, const char* key) {
  const fs::path path = dir / "summary.yaml";
  try {
    return YAML::LoadFile(path.string())[key].as<T>();
  } catch (const YAML::Exception& e) {
    throw Error(path.string() + ": " + key + ": " + e.what() + " (the file is written last by a finished run; "
                "remove it to run again)");
  }
}

// Complete: summary.yaml (written last) exists and covers the generations asked
// for, or the run was time-limited. Throws when the folder holds another config.
bool run_is_complete(const fs::path& dir, const RunConfig& config) {
  const fs::path stored_path = dir / "config.yaml";
  if (fs::exists(stored_path)) {
    const RunConfig stored = with_run_settings_of(load_config(stored_path.string()), config);
    if (to_yaml(stored) != to_yaml(config)) {
      throw Error(dir.string() + " holds a run of a different config than the comparison now asks for; "
                  "remove the folder or choose another --out");
    }
  }
  if (!fs::exists(dir / "summary.yaml")) return false;
  return summary_value<uint64_t>(dir, "generations") >= uint64_t(config.run.generations) ||
         config.run.max_minutes > 0;
}

// The same summary.yaml that `enu evolve` writes, written last and atomically:
// its presence marks the run complete.
// Reads a finished run back from its folder.
// Maze runs: the adaptation scores of the agent and of the best fixed policy from
// the run's maze_adaptation.csv, written here from its best checkpoint when missing.
void read_adaptation(const fs::path& dir, const RunConfig& config, CompareRun& run) {
  if (!is_maze_task(config.task.name)) return;
  const fs::path path = dir / "maze_adaptation.csv";
  if (!fs::exists(path)) {
    const Checkpoint best = load_checkpoint(checkpoint_path(dir.string(), "best"));
    write_text(path, maze_adaptation(config, best.state.theta).csv);
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header: policy,adaptation_score,...
  while (std::getline(in, line)) {
    const size_t comma = line.find(','), next = line.find(',', comma + 1);
    if (comma == std::string::npos || next == std::string::npos) continue;
    const std::string policy = line.substr(0, comma);
    const double score = number_in(line.substr(comma + 1, next - comma - 1), path, policy + "'s score");
    if (policy == "agent") run.adaptation = score;
    if (policy == "best_fixed") run.fixed_adaptation = score;
  }
  if (!run.adaptation || !run.fixed_adaptation) throw Error(path.string() + ": no agent and best_fixed rows");
}

}  // namespace

CompareRun read_run(const fs::path& dir, uint64_t seed, const std::optional<double>& threshold,
                    const RunConfig& config) {
  CompareRun run;
  run.seed = seed;
  run.generations = summary_value<uint64_t>(dir, "generations");
  run.final_fitness = summary_value<double>(dir, "held_out_fitness_mean");
  read_adaptation(dir, config, run);

  std::ifstream in(dir / "metrics.csv");
  std::string line, cell;
  if (!std::getline(in, line)) throw Error("empty " + (dir / "metrics.csv").string());
  int generation_col = -1, centre_col = -1, col = 0;
  for (std::istringstream header(line); std::getline(header, cell, ','); ++col) {
    if (cell == "generation") generation_col = col;
    if (cell == "centre") centre_col = col;
  }
  if (generation_col < 0 || centre_col < 0) throw Error((dir / "metrics.csv").string() + ": no generation/centre columns");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream row(line);
    double generation = 0.0, centre = 0.0;
    for (col = 0; std::getline(row, cell, ','); ++col) {
      if (col == generation_col) generation = number_in(cell, dir / "metrics.csv", "row " + line.substr(0, 20));
      if (col == centre_col) centre = number_in(cell, dir / "metrics.csv", "row " + line.substr(0, 20));
    }
    if (!(generation >= 0.0 && generation < 0x1p63)) {
      throw Error((dir / "metrics.csv").string() + ", row " + line.substr(0, 20) + ": no generation number");
    }
    run.centre.push_back(centre);
    // The centre of generation g is the one after g updates: g generations to reach it.
    if (threshold && !run.to_threshold && centre >= *threshold) run.to_threshold = uint64_t(generation);
  }
  if (!run.centre.empty()) run.last_centre = run.centre.back();
  return run;
}

namespace {

std::string format(double v, const char* spec = "%.4g") {
  if (std::isnan(v)) return "nan";
  char text[64];
  std::snprintf(text, sizeof text, spec, v);
  return text;
}

// The comparison as it was resolved for this invocation (seeds and command-line
// overrides included), so that the table can be traced back to what produced it.
std::string resolved_yaml(const CompareConfig& config, int seeds, const std::vector<std::string>& overrides) {
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << config.name << YAML::Key << "base" << YAML::Value
    << fs::absolute(config.base).lexically_normal().string() << YAML::Key << "seeds" << YAML::Value << seeds
    << YAML::Key << "first_seed" << YAML::Value << config.first_seed << YAML::Key << "threshold" << YAML::Value;
  if (config.threshold) {
    y << *config.threshold;
  } else {
    y << YAML::Null;
  }
  y << YAML::Key << "reference" << YAML::Value << config.reference << YAML::Key << "set" << YAML::Value
    << YAML::Flow << concat(config.common, overrides) << YAML::Key << "models" << YAML::Value << YAML::BeginMap;
  for (const CompareModel& m : config.models) y << YAML::Key << m.name << YAML::Value << YAML::Flow << m.overrides;
  y << YAML::EndMap << YAML::EndMap;
  return std::string("# written by enu compare from ") + config.source + "; `set` includes the command line's overrides\n" +
         y.c_str() + "\n";
}

void write_outputs(const fs::path& out, const CompareReport& report) {
  std::ostringstream table;
  table << "model,runs,final_mean,final_std,last_centre_mean,last_centre_std,threshold,reached,"
           "to_threshold_mean,to_threshold_std,welch_t,welch_df,p_value,adaptation_mean,adaptation_std,"
           "fixed_adaptation_mean\n";
  std::ostringstream runs;
  runs << "model,seed,generations,final_fitness,last_centre,to_threshold,adaptation,fixed_adaptation\n";
  std::ostringstream curves;
  curves << "generation,model,mean,std,n\n";
  for (const CompareRow& row : report.rows) {
    const bool reached = report.threshold && row.to_threshold.n > 0;
    table << row.model << ',' << row.runs.size() << ',' << format(row.final_fitness.mean, "%.9g") << ','
          << format(row.final_fitness.std, "%.9g") << ',' << format(row.last_centre.mean, "%.9g") << ','
          << format(row.last_centre.std, "%.9g") << ',' << (report.threshold ? format(*report.threshold, "%.9g") : "")
          << ',' << (report.threshold ? std::to_string(row.to_threshold.n) : "") << ','
          << (reached ? format(row.to_threshold.mean, "%.9g") : "") << ','
          << (reached ? format(row.to_threshold.std, "%.9g") : "") << ',';
    if (row.vs_reference) {
      table << format(row.vs_reference->t, "%.9g") << ',' << format(row.vs_reference->df, "%.9g") << ','
            << format(row.vs_reference->p, "%.9g");
    } else {
      table << ",,";
    }
    if (row.adaptation.n > 0) {
      table << ',' << format(row.adaptation.mean, "%.9g") << ',' << format(row.adaptation.std, "%.9g") << ','
            << format(row.fixed_adaptation.mean, "%.9g");
    } else {
      table << ",,,";
    }
    table << '\n';

    size_t longest = 0;
    for (const CompareRun& r : row.runs) {
      runs << row.model << ',' << r.seed << ',' << r.generations << ',' << format(r.final_fitness, "%.9g") << ','
           << format(r.last_centre, "%.9g") << ',' << (r.to_threshold ? std::to_string(*r.to_threshold) : "") << ','
           << (r.adaptation ? format(*r.adaptation, "%.9g") : "") << ','
           << (r.fixed_adaptation ? format(*r.fixed_adaptation, "%.9g") : "") << '\n';
      longest = std::max(longest, r.centre.size());
    }
    // Runs stopped by a time limit are shorter: n says how many runs each point averages.
    for (size_t g = 0; g < longest; ++g) {
      std::vector<double> at;
      for (const CompareRun& r : row.runs)
        if (g < r.centre.size()) at.push_back(r.centre[g]);
      const SampleStats s = sample_stats(at);
      curves << g << ',' << row.model << ',' << format(s.mean, "%.9g") << ',' << format(s.std, "%.9g") << ','
             << s.n << '\n';
    }
  }
  write_text(out / "table.csv", table.str());
  write_text(out / "runs.csv", runs.str());
  write_text(out / "convergence.csv", curves.str());
  write_text(out / "table.md", format_table_markdown(report));
}

}  // namespace

CompareReport run_comparison(const CompareConfig& config, const CompareOptions& options) {
  const int seeds = options.seeds > 0 ? options.seeds : config.seeds;
  const fs::path out(options.out_dir);
  fs::create_directories(out);
  write_text(out / "comparison.yaml", resolved_yaml(config, seeds, options.overrides));
  CompareReport report;
  report.reference = config.reference;
  report.threshold = config.threshold;

  const int total = int(config.models.size()) * seeds;
  int index = 0;
  for (const CompareModel& model : config.models) {
    CompareRow row;
    row.model = model.name;
    for (int i = 0; i < seeds; ++i, ++index) {
      const uint64_t seed = config.first_seed + uint64_t(i);
      const RunConfig run_config = config.run_config(model, seed, options.overrides);
      const fs::path dir = out / model.name / ("seed_" + std::to_string(seed));
      char prefix[64];
      std::snprintf(prefix, sizeof prefix, "[%d/%d] ", index + 1, total);
      if (run_is_complete(dir, run_config)) {
        ++report.skipped;
        if (options.log) *options.log << prefix << dir.string() << ": complete, skipped\n" << std::flush;
      } else {
        const RunLock lock(dir);  // through finish_run
        // A killed run resumes from its latest checkpoint; one killed before its
        // first checkpoint starts again.
        const bool resume = fs::exists(checkpoint_path(dir.string(), "latest"));
        ++(resume ? report.resumed : report.started);
        if (options.log) {
          *options.log << prefix << dir.string() << ": " << (resume ? "resuming" : "starting") << "\n" << std::flush;
        }
        require_run_memory(run_config);
        const BackendEvaluator chosen = make_evaluator(run_config);
        const std::shared_ptr<EsUpdater> updater = make_updater(run_config, *chosen.backend);
        const EvolveSummary summary =
            evolve(run_config, *chosen.evaluator,
                   EvolveOptions{dir.string(), resume, false, nullptr, updater, nullptr, &lock});
        finish_run(dir.string(), run_config, *chosen.evaluator, summary);
      }
      row.runs.push_back(read_run(dir, seed, config.threshold, run_config));
    }
    std::vector<double> finals, lasts, reached, adaptation, fixed;
    for (const CompareRun& r : row.runs) {
      finals.push_back(r.final_fitness);
      lasts.push_back(r.last_centre);
      if (r.to_threshold) reached.push_back(double(*r.to_threshold));
      if (r.adaptation) adaptation.push_back(*r.adaptation);
      if (r.fixed_adaptation) fixed.push_back(*r.fixed_adaptation);
    }
    row.final_fitness = sample_stats(finals);
    row.last_centre = sample_stats(lasts);
    row.to_threshold = sample_stats(reached);
    row.adaptation = sample_stats(adaptation);
    row.fixed_adaptation = sample_stats(fixed);
    report.rows.push_back(std::move(row));
  }

  const auto finals_of = [](const CompareRow& row) {
    std::vector<double> v;
    for (const CompareRun& r : row.runs) v.push_back(r.final_fitness);
    return v;
  };
  const CompareRow* reference = nullptr;
  for (const CompareRow& row : report.rows)
    if (row.model == config.reference) reference = &row;
  for (CompareRow& row : report.rows)
    if (&row != reference) row.vs_reference = welch_t_test(finals_of(row), finals_of(*reference));

  write_outputs(out, report);
  return report;
}

std::string format_table_markdown(const CompareReport& report) {
  std::ostringstream md;
  const std::string threshold = report.threshold ? format(*report.threshold) : "";
  const bool maze = !report.rows.empty() && report.rows.front().adaptation.n > 0;
  md << "| model | runs | final fitness (mean ± std) | generations to " << (report.threshold ? threshold : "threshold")
     << " (mean ± std) | reached | t | df | p vs " << report.reference << " |" << (maze ? " adaptation (mean ± std) |" : "")
     << "\n|---|---:|---:|---:|---:|---:|---:|---:|" << (maze ? "---:|" : "") << "\n";
  for (const CompareRow& row : report.rows) {
    const int n = int(row.runs.size());
    md << "| " << row.model << (row.model == report.reference ? " (reference)" : "") << " | " << n << " | "
       << format(row.final_fitness.mean) << " ± " << format(row.final_fitness.std) << " | ";
    if (report.threshold && row.to_threshold.n > 0) {
      md << format(row.to_threshold.mean, "%.1f") << " ± " << format(row.to_threshold.std, "%.1f");
    } else {
      md << "—";
    }
    md << " | " << (report.threshold ? std::to_string(row.to_threshold.n) + "/" + std::to_string(n) : "—") << " | ";
    if (row.vs_reference) {
      md << format(row.vs_reference->t, "%.3g") << " | " << format(row.vs_reference->df, "%.3g") << " | "
         << format(row.vs_reference->p, "%.3g") << " |";
    } else {
      md << "— | — | — |";
    }
    if (maze) md << ' ' << format(row.adaptation.mean, "%.3f") << " ± " << format(row.adaptation.std, "%.3f") << " |";
    md << '\n';
  }
  md << "\nFinal fitness: the best centre's mean fitness on held-out lifetimes (run.eval_lifetimes, summary.yaml).\n"
        "Generations to threshold: the first generation whose centre fitness (training lifetimes) reached it,\n"
        "over the runs that did. t, df, p: Welch's two-sided t-test of the final fitness against the reference\n"
        "(t > 0: higher mean fitness than the reference).\n";
  if (maze) {
    md << "Adaptation: the best centre's adaptation score on run.eval_lifetimes held-out lifetimes\n"
          "(maze_adaptation.csv); the best "
          "fixed (non-learning) policy scores "
       << format(report.rows.front().fixed_adaptation.mean, "%.3f")
       << " on the same lifetimes (mean over seeds), so a learner scores above it.\n";
  }
  return md.str();
}

}  // namespace enu
