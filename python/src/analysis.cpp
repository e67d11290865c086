// enu.fi_curve, enu.stdp_window, enu.maze_adaptation: the analyses `enu analyze`
// writes into a run folder (host/analysis), as numpy arrays and numbers.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>

#include <sstream>

#include "analysis.hpp"
#include "bindings.hpp"
#include "maze_analysis.hpp"

namespace enu::python {
namespace {

/// A curve as Python gets it: the engine's CSV column by column (float64, named
/// by its header), plus its error and what the error measures.
nb::dict curve_dict(const CurveReport& report) {
  std::istringstream csv(report.csv);
  std::string line, cell;
  std::getline(csv, line);
  std::vector<std::string> names;
  for (std::istringstream header(line); std::getline(header, cell, ',');) names.push_back(cell);
  std::vector<std::vector<double>> columns(names.size());
  while (std::getline(csv, line)) {
    std::istringstream row(line);
    for (std::vector<double>& column : columns) {
      std::getline(row, cell, ',');
      column.push_back(std::stod(cell));
    }
  }
  nb::dict out;
  for (size_t c = 0; c < names.size(); ++c) out[names[c].c_str()] = to_numpy(std::move(columns[c]));
  out["error"] = report.error;
  out["description"] = report.description;
  return out;
}

/// A curve of (config, theta), computed with the GIL released.
nb::dict curve(CurveReport (*analysis)(const RunConfig&, const std::vector<float>&), const ConfigSource& source,
               std::optional<Float32Argument> theta) {
  const ConfigAndTheta given = config_and_theta(source, theta);
  CurveReport report;
  {
    nb::gil_scoped_release released;
    report = analysis(given.config, given.theta);
  }
  return curve_dict(report);
}

/// An adaptation score by the names of maze_adaptation.csv's columns, and by input order.
nb::dict score_dict(const AdaptationScore& s) {
  nb::dict out;
  out["adaptation_score"] = s.score();
  out["standard_error"] = s.standard_error();
  out["lifetimes_scored"] = s.lifetimes_scored;
  out["lifetimes_without_swap"] = s.lifetimes_without_swap;
  out["swap_fraction"] = s.swap_fraction();
  out["swaps_counted"] = s.swaps;
  out["swaps_adapted"] = s.adapted;
  out["swaps_unresolved"] = s.unresolved;
  out["poisons_per_trial"] = s.poisons_per_trial();
  out["food"] = s.food;
  out["poison"] = s.poison;
  out["mean_fitness"] = s.mean_fitness();
  out["lifetimes"] = s.lifetimes;
  out["colour_blind_bound"] = s.colour_blind_bound();
  std::vector<int64_t> lifetimes, scored;
  std::vector<double> score, fitness;
  for (const OrderTally& order : s.by_order) {
    lifetimes.push_back(order.lifetimes);
    scored.push_back(order.scored);
    score.push_back(order.score());
    fitness.push_back(order.mean_fitness());
  }
  nb::dict by_order;
  by_order["lifetimes"] = to_numpy(std::move(lifetimes));
  by_order["lifetimes_scored"] = to_numpy(std::move(scored));
  by_order["adaptation_score"] = to_numpy(std::move(score));
  by_order["mean_fitness"] = to_numpy(std::move(fitness));
  out["by_order"] = by_order;
  return out;
}

nb::dict maze_adaptation_dict(const ConfigSource& source, std::optional<Float32Argument> theta) {
  const ConfigAndTheta given = config_and_theta(source, theta);
  MazeAdaptationReport report;
  {
    nb::gil_scoped_release released;
    report = maze_adaptation(given.config, given.theta);
  }
  nb::dict fixed = score_dict(report.fixed.best_score);
  fixed["policy"] = policy_string(report.fixed.best);
  fixed["policies_evaluated"] = report.fixed.policies;
  fixed["search_complete"] = report.fixed.complete;
  nb::list orders;
  for (int k = 0; k < maze::kInputOrders; ++k) orders.append(input_order_name(k));
  nb::dict out;
  out["lifetimes"] = report.lifetimes;
  out["agent"] = score_dict(report.agent);
  out["best_fixed"] = fixed;
  out["input_orders"] = orders;
  out["description"] = report.description;
  return out;
}

}  // namespace

void bind_analysis(nb::module_& m) {
  m.def(
      "fi_curve",
      [](const ConfigSource& config, std::optional<Float32Argument> theta) { return curve(fi_curve, config, theta); },
      nb::arg("config"), nb::arg("theta") = nb::none(),
      (std::string("The f-I curve of an iaf unit, as `enu analyze` writes fi_curve.csv: its firing rate (spikes "
                   "per step) and the reference neuron's under 40 constant currents over the task's range. ") +
       kConfigAndThetaDoc +
       " Returns a dict: the CSV's columns 'current', 'rate_evolved', 'rate_reference', 'rate_analytic' "
       "(float64 arrays, the engine's numbers at its CSV's precision), 'error' (mean |rate_evolved - "
       "rate_reference| / max rate_reference) and 'description' (what error measures). enu.Error unless the task "
       "is iaf.")
          .c_str());
  m.def(
      "stdp_window",
      [](const ConfigSource& config, std::optional<Float32Argument> theta) {
        return curve(stdp_window, config, theta);
      },
      nb::arg("config"), nb::arg("theta") = nb::none(),
      (std::string("The learning window dw(dt) of an stdp unit, as `enu analyze` writes stdp_window.csv: single "
                   "pre/post spike pairs at a fixed potential, neuromodulator 1 then 0, against the task's rule. ") +
       kConfigAndThetaDoc +
       " Returns a dict: the CSV's columns 'modulator', 'dt', 'dw_evolved', 'dw_target' (float64 arrays, the "
       "engine's numbers at its CSV's precision), 'error' (mean |dw_evolved - dw_target| / max |dw_target|) and "
       "'description'. enu.Error unless the task is stdp or stdp_complex.")
          .c_str());
  m.def("maze_adaptation", &maze_adaptation_dict, nb::arg("config"), nb::arg("theta") = nb::none(),
        (std::string("A maze agent's adaptation, as `enu analyze` writes maze_adaptation.csv: the network on "
                     "run.eval_lifetimes held-out lifetimes (the fast CPU runner) against the best fixed "
                     "(memoryless) policy on the same lifetimes, found by exact enumeration (docs/maze.md, "
                     "\"Learning, measured\"). ") +
         kConfigAndThetaDoc +
         " Returns a dict: 'lifetimes'; 'agent' and 'best_fixed', each a dict by the CSV's columns "
         "('adaptation_score', 'standard_error', 'lifetimes_scored', 'lifetimes_without_swap', 'swap_fraction', "
         "'swaps_counted', 'swaps_adapted', 'swaps_unresolved', 'poisons_per_trial', 'food', 'poison', "
         "'mean_fitness', 'lifetimes', 'colour_blind_bound') plus 'by_order' (arrays over the six input orders: "
         "'lifetimes', 'lifetimes_scored', 'adaptation_score', 'mean_fitness'); 'best_fixed' also 'policy' (its "
         "action per observation class, e.g. 'input0/none:F ...', '?' where never met), 'policies_evaluated' "
         "and 'search_complete'; 'input_orders' (the six orders in words, as by_order indexes them) and "
         "'description' (`enu analyze`'s summary). enu.Error unless the task is tmaze or double_tmaze.")
            .c_str());
}

}  // namespace enu::python
