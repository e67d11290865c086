#pragma once
// What a researcher looks at after a run: the f-I curve of an evolved iaf unit,
// the learning window dw(dt) of an evolved stdp unit, each against its target,
// and a maze agent's adaptation (host/analysis/maze_analysis.hpp).

#include <string>
#include <vector>

#include "enu/config.hpp"

namespace enu {

struct CurveReport {
  std::string csv;         // the curve, one row per probe
  double error = 0.0;      // mean |evolved - target| / max |target|
  std::string description; // one line saying what error measures
};

/// Firing rate (spikes per step, output > 0.5) of the unit and of the reference
/// neuron under constant currents swept over the task's input range. Throws
/// enu::Error, naming the task, unless the task is iaf.
CurveReport fi_curve(const RunConfig& config, const std::vector<float>& theta);

/// dw(dt) probed by single pre/post pairs at a fixed graded potential: the mean
/// of output/potential after both spikes minus that before them, for each
/// neuromodulator value, against the task's rule. Throws enu::Error, naming the
/// task, unless the task is stdp or stdp_complex.
CurveReport stdp_window(const RunConfig& config, const std::vector<float>& theta);

/// What analyze_task tells the user: the line that states the result (mazes: a
/// second line on the traced lifetime).
struct AnalysisReport {
  std::string summary;
};

/// The task's analysis (or none for tasks without one): the f-I curve (iaf),
/// the learning window (stdp, stdp_complex) or the adaptation score against the
/// best fixed policy (tmaze, double_tmaze; also the trace of one held-out
/// lifetime, host/analysis/maze_trace.hpp). Writes its CSV into run_dir and returns the
/// summary. `found` is false when the task has none.
AnalysisReport analyze_task(const RunConfig& config, const std::vector<float>& theta, const std::string& run_dir,
                         bool* found);

}  // namespace enu
