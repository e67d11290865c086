#include "analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "enu/evaluator.hpp"
#include "maze_analysis.hpp"
#include "maze_trace.hpp"
#include "run.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

// Feeds one lifetime of hand-made observations to the reference runner and
// returns the unit's first output at every step.
std::vector<float> probe(const RunConfig& config, const std::vector<float>& theta,
                         const std::vector<std::vector<float>>& observations) {
  const ModelSpec model = config.model_spec();
  const ObservationShape shape{1, int(observations.at(0).size())};
  auto runner = make_reference_runner(model, shape, 1);
  runner->reset(theta.data(), kCentreMemberId, LifetimeSet{config.run.seed, 0, 1}, 0, 1);
  std::vector<float> actions(size_t(model.output_count())), outputs;
  for (const std::vector<float>& obs : observations) {
    runner->step(obs.data(), actions.data());
    outputs.push_back(actions[0]);
  }
  return outputs;
}

double relative_error(const std::vector<double>& evolved, const std::vector<double>& target) {
  double error = 0.0, scale = 0.0;
  for (size_t i = 0; i < target.size(); ++i) {
    error += std::abs(evolved[i] - target[i]);
    scale = std::max(scale, std::abs(target[i]));
  }
  return scale > 0.0 ? error / double(target.size()) / scale : error / double(target.size());
}

}  // namespace

CurveReport fi_curve(const RunConfig& config, const std::vector<float>& theta) {
  if (task_kind(config.task.name) != TaskKind::iaf)
    throw Error("f-I curve: task " + config.task.name + " is not iaf (the curve probes an integrate-and-fire unit)");
  const IafConfig& iaf = config.task.iaf;
  const double lo = iaf.current_lo, hi = double(iaf.current_hi) * iaf.multiplier_max;
  constexpr int kPoints = 40;
  std::ostringstream csv;
  csv << "current,rate_evolved,rate_reference,rate_analytic\n";
  std::vector<double> evolved, target;
  for (int p = 0; p < kPoints; ++p) {
    const float current = float(lo + (hi - lo) * p / (kPoints - 1));
    const std::vector<float> outputs =
        probe(config, theta, std::vector<std::vector<float>>(size_t(iaf.steps), std::vector<float>{current}));
    LifNeuron lif = LifNeuron::from(iaf);
    int unit_spikes = 0, reference_spikes = 0;
    for (float o : outputs) {
      unit_spikes += o > iaf_spike_threshold(iaf.scoring);
      reference_spikes += lif.step(current);
    }
    evolved.push_back(double(unit_spikes) / iaf.steps);
    target.push_back(double(reference_spikes) / iaf.steps);
    csv << current << ',' << evolved.back() << ',' << target.back() << ',' << lif_analytic_rate(iaf, current) << '\n';
  }
  return CurveReport{csv.str(), relative_error(evolved, target),
                     "f-I curve: mean |rate_evolved - rate_reference| / max rate_reference over " +
                         std::to_string(kPoints) + " constant currents"};
}

CurveReport stdp_window(const RunConfig& config, const std::vector<float>& theta) {
  const TaskKind kind = task_kind(config.task.name);
  if (kind != TaskKind::stdp && kind != TaskKind::stdp_complex)
    throw Error("learning window: task " + config.task.name + " is not stdp or stdp_complex");
  const StdpConfig& stdp = config.task.stdp;
  const bool complex_rule = kind == TaskKind::stdp_complex;
  const float potential = 0.5f * (stdp.potential_lo + stdp.potential_hi);
  const int reach = int(std::lround(3.5f * stdp.spike_std));
  const int centre = int(std::lround(stdp.spike_mean));
  std::ostringstream csv;
  csv << "modulator,dt,dw_evolved,dw_target\n";
  std::vector<double> evolved, target;
  for (float modulator : {1.0f, 0.0f}) {
    for (int dt = -reach; dt <= reach; ++dt) {
      if (dt == 0) continue;
      const int pre = centre - dt / 2, post = pre + dt;
      std::vector<std::vector<float>> observations(size_t(stdp.steps), std::vector<float>(4));
      for (int t = 0; t < stdp.steps; ++t)
        stdp_observation(potential, t == pre, t == post, modulator, observations[size_t(t)].data());
      const std::vector<float> outputs = probe(config, theta, observations);
      // Weight before: steps up to the first spike; after: from max+1 to the end.
      double before = 0.0, after = 0.0;
      const int first = std::min(pre, post), last = std::max(pre, post);
      for (int t = 0; t < first; ++t) before += outputs[size_t(t)] / potential;
      for (int t = last + 1; t < stdp.steps; ++t) after += outputs[size_t(t)] / potential;
      before /= std::max(1, first);
      after /= std::max(1, stdp.steps - last - 1);
      evolved.push_back(after - before);
      target.push_back(stdp_dw(stdp, complex_rule, modulator, dt));
      csv << modulator << ',' << dt << ',' << evolved.back() << ',' << target.back() << '\n';
    }
  }
  return CurveReport{csv.str(), relative_error(evolved, target),
                     "learning window: mean |dw_evolved - dw_target| / max |dw_target| over dt in [-" +
                         std::to_string(reach) + ", " + std::to_string(reach) + "], neuromodulator 1 and 0"};
}

namespace {

/// Writes `csv` into run_dir/file.
void write_csv(const std::string& csv, const std::string& run_dir, const char* file) {
  write_text(std::filesystem::path(run_dir) / file, csv);
}

AnalysisReport curve_report(const CurveReport& curve, const std::string& run_dir, const char* file) {
  write_csv(curve.csv, run_dir, file);
  char line[64];
  std::snprintf(line, sizeof line, ": %.4f (%.1f%%)", curve.error, 100.0 * curve.error);
  return AnalysisReport{curve.description + line};
}

}  // namespace

// The analysis of each task: a switch on its kind, so that a new task kind is
// named here by the compiler (-Wswitch).
AnalysisReport analyze_task(const RunConfig& config, const std::vector<float>& theta, const std::string& run_dir,
                            bool* found) {
  *found = true;
  switch (task_kind(config.task.name)) {
    case TaskKind::iaf: return curve_report(fi_curve(config, theta), run_dir, "fi_curve.csv");
    case TaskKind::stdp:
    case TaskKind::stdp_complex: return curve_report(stdp_window(config, theta), run_dir, "stdp_window.csv");
    case TaskKind::tmaze:
    case TaskKind::double_tmaze: {
      const MazeAdaptationReport adaptation = maze_adaptation(config, theta);
      write_csv(adaptation.csv, run_dir, "maze_adaptation.csv");
      // One held-out lifetime step by step, for tools/plot.py's maze_lifetime.png.
      return AnalysisReport{adaptation.description + "\n" + write_maze_trace(config, theta, run_dir)};
    }
    case TaskKind::sphere:
    case TaskKind::rastrigin: break;
  }
  *found = false;
  return AnalysisReport{};
}

}  // namespace enu
