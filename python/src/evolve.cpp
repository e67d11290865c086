// enu.evolve / enu.resume: `enu evolve` from Python, the same run folder and
// the same bits (host/run), with a per-generation callback for progress and
// for stopping, the GIL released while generations run.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "analysis.hpp"
#include "backends.hpp"
#include "bindings.hpp"
#include "run.hpp"

namespace enu::python {
namespace {

nb::dict report_dict(const GenerationReport& r) {
  nb::dict d;
  d["generation"] = r.generation;
  d["best"] = r.best;
  d["mean"] = r.mean;
  d["centre"] = r.centre;
  d["sigma"] = r.sigma;
  d["nonfinite"] = r.nonfinite;
  d["eval_seconds"] = r.eval_seconds;
  d["update_seconds"] = r.update_seconds;
  d["lifetimes_per_second"] = r.lifetimes_per_second;
  return d;
}

// Runs a planned evolution as `enu evolve` does: the backend and ES update the
// config asks for, then (unless interrupted) the held-out evaluation of the
// best centre (summary.yaml) and the task's analysis CSV. `on_generation`
// (None, or a callable taking a dict) returning False stops at the generation
// boundary; so does Ctrl-C, after which KeyboardInterrupt is raised.
nb::dict run_planned(const PlannedRun& plan, nb::object on_generation, bool progress) {
  const RunLock lock(plan.run_dir);  // through finish_run and the analysis
  const BackendEvaluator chosen = make_evaluator(plan.config);
  EvolveOptions options;
  options.lock = &lock;
  options.out_dir = plan.run_dir;
  options.resume = plan.resume;
  options.progress = progress;
  options.updater = make_updater(plan.config, *chosen.backend);
  bool interrupted = false;
  options.on_generation = [&](const GenerationReport& r) {
    nb::gil_scoped_acquire held;
    if (PyErr_CheckSignals() != 0) {  // Ctrl-C: stop here, cleanly, and say so after
      PyErr_Clear();
      interrupted = true;
      return false;
    }
    if (on_generation.is_none()) return true;
    const nb::object answer = on_generation(report_dict(r));
    return answer.is_none() || nb::cast<bool>(answer);
  };
  EvolveSummary summary;
  {
    nb::gil_scoped_release released;
    summary = evolve(plan.config, *chosen.evaluator, options);
  }
  if (interrupted) {
    PyErr_SetString(PyExc_KeyboardInterrupt, ("enu: stopped at generation " + std::to_string(summary.generations) +
                                              "; enu.resume('" + plan.run_dir + "') continues it")
                                                 .c_str());
    throw nb::python_error();
  }
  nb::dict out;
  out["run_dir"] = plan.run_dir;
  out["generations"] = summary.generations;
  out["stopped"] = summary.stopped;
  out["seconds"] = summary.seconds;
  out["backend"] = chosen.evaluator->name();
  {
    nb::gil_scoped_release released;
    const RunResult result = finish_run(plan.run_dir, plan.config, *chosen.evaluator, summary);
    bool found = false;
    const AnalysisReport analysis = analyze_task(plan.config, result.best.state.theta, plan.run_dir, &found);
    nb::gil_scoped_acquire held;
    out["best_generation"] = result.best.best_generation;
    out["held_out_mean"] = result.held_out.mean;
    out["held_out_std"] = result.held_out.std;
    out["held_out_lifetimes"] = result.held_out.lifetimes;
    out["analysis"] = found ? nb::object(nb::str(analysis.summary.c_str())) : nb::none();
  }
  return out;
}

const char* const kResultDoc =
    " Returns a dict: run_dir, generations (completed in all), stopped (ended before run.generations), seconds, "
    "backend, best_generation, held_out_mean / held_out_std / held_out_lifetimes (the best centre on "
    "run.eval_lifetimes held-out lifetimes, as summary.yaml has them) and analysis (the task's analysis line, or "
    "None). enu.read_metrics(run_dir) gives metrics.csv as arrays. on_generation(report: dict) is called after "
    "every generation (generation, best, mean, centre, sigma, nonfinite, eval_seconds, update_seconds, "
    "lifetimes_per_second); returning False stops the run there with its checkpoint written, as run.max_minutes "
    "does; Ctrl-C stops it the same way and raises KeyboardInterrupt. progress=True draws `enu evolve`'s "
    "progress line on stderr. A run folder that another run (process or thread) is writing is refused with "
    "enu.Error naming its holder.";

}  // namespace

void bind_evolve(nb::module_& m) {
  m.def(
      "evolve",
      [](const PyConfig& config, const std::filesystem::path& out, nb::object on_generation, bool progress) {
        return run_planned(plan_new_run(config.config, out.string()), on_generation, progress);
      },
      nb::arg("config"), nb::kw_only(), nb::arg("out") = "", nb::arg("on_generation") = nb::none(),
      nb::arg("progress") = false,
      (std::string("Evolves `config` into the run folder `out` (default run.out_dir, else runs/<name>), as "
                   "`enu evolve CONFIG --out OUT`: the same files, the same bits; run.init_from warm-starts.") +
       kResultDoc)
          .c_str());
  m.def(
      "resume",
      [](const std::filesystem::path& run_dir, const std::vector<std::string>& overrides, nb::object on_generation,
         bool progress) { return run_planned(plan_resume(run_dir.string(), overrides), on_generation, progress); },
      nb::arg("run_dir"), nb::arg("overrides") = std::vector<std::string>{}, nb::kw_only(),
      nb::arg("on_generation") = nb::none(), nb::arg("progress") = false,
      (std::string("Continues the run in `run_dir` from its checkpoint_latest.npz, as `enu evolve --resume "
                   "RUN_DIR --set ...` (overrides may change run.* only, e.g. 'run.generations=200').") +
       kResultDoc)
          .c_str());
}

}  // namespace enu::python
