// enu.record_lifetimes: lifetimes of a centre stepped by the engine's
// record_lifetime (the reference runner, as `enu eval --record` steps one), each
// step's observations, actions, reward and model state returned as numpy arrays.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/variant.h>

#include <optional>

#include "bindings.hpp"
#include "enu/task_table.hpp"
#include "recorded_lifetime.hpp"
#include "run.hpp"
#include "tasks.hpp"

namespace enu::python {
namespace {

/// Every recorded step of every lifetime, lifetime-major, filled without Python.
struct Recording {
  std::vector<float> observations, actions, rewards, fitness;
  std::vector<float> neuron_outputs, neuron_h, synapse_outputs, synapse_h;
  ModelState sizes;  // the first step's state: its counts give the arrays' shapes
};

void append(std::vector<float>& to, const std::vector<float>& values) {
  to.insert(to.end(), values.begin(), values.end());
}

Recording record(const RunConfig& config, const Task& task, const std::vector<float>& theta,
                 const LifetimeSet& set) {
  const ObservationShape shape = task.observation_shape();
  const size_t inputs = size_t(shape.sources) * shape.channels, actions = size_t(task.action_count());
  Recording r;
  for (int i = 0; i < set.count; ++i) {
    r.fitness.push_back(record_lifetime(config, task, theta, set, i, [&](const RecordedStep& s) {
      r.observations.insert(r.observations.end(), s.observations, s.observations + inputs);
      r.actions.insert(r.actions.end(), s.actions, s.actions + actions);
      r.rewards.push_back(s.env.last_reward(0));  // record_lifetime steps one lifetime: index 0
      append(r.neuron_outputs, s.model.neuron_outputs);
      append(r.neuron_h, s.model.neuron_h);
      append(r.synapse_outputs, s.model.synapse_outputs);
      append(r.synapse_h, s.model.synapse_h);
      if (i == 0 && s.step == 0) r.sizes = s.model;
    }));
  }
  return r;
}

nb::dict record_lifetimes(const ConfigSource& source, std::optional<Float32Argument> theta, int lifetimes, bool held_out,
                          std::optional<uint64_t> seed, std::optional<uint64_t> generation) {
  ConfigAndTheta given = config_and_theta(source, theta);
  const RunConfig& config = given.config;
  if (is_objective_task(config.task.name)) {
    throw Error("record_lifetimes: task " + config.task.name +
                " is a function objective and has no lifetimes (evaluate it with Evaluator)");
  }
  if (lifetimes < 1) throw nb::value_error(("lifetimes must be at least 1, got " + std::to_string(lifetimes)).c_str());
  if (held_out && generation) {
    throw nb::value_error("held_out=True takes the held-out lifetimes, which belong to no generation: give none");
  }
  const uint64_t run_seed = seed.value_or(config.run.seed);
  const LifetimeSet set = held_out ? held_out_lifetimes(run_seed, lifetimes)
                                   : LifetimeSet{run_seed, generation.value_or(0), lifetimes};
  const auto task = make_task(config.task);
  Recording r;
  {
    nb::gil_scoped_release released;
    r = record(config, *task, given.theta, set);
  }

  const size_t L = size_t(lifetimes), T = size_t(task->steps());
  const ObservationShape shape = task->observation_shape();
  const ModelState& n = r.sizes;
  nb::dict out;
  out["seed"] = set.seed;
  out["generation"] = set.generation;
  out["observation_shape"] = nb::make_tuple(shape.sources, shape.channels);
  out["observations"] = to_numpy(std::move(r.observations), {L, T, size_t(shape.sources) * shape.channels});
  out["actions"] = to_numpy(std::move(r.actions), {L, T, size_t(task->action_count())});
  out["rewards"] = to_numpy(std::move(r.rewards), {L, T});
  out["fitness"] = to_numpy(std::move(r.fitness));
  if (config.model_spec().kind == ModelSpec::Kind::cell) {
    // The runner shows a cell as one neuron without synapses.
    out["outputs"] = to_numpy(std::move(r.neuron_outputs), {L, T, size_t(n.channels)});
    out["h"] = to_numpy(std::move(r.neuron_h), {L, T, size_t(n.neuron_memory)});
  } else {
    out["neuron_outputs"] = to_numpy(std::move(r.neuron_outputs), {L, T, size_t(n.neurons), size_t(n.channels)});
    out["neuron_h"] = to_numpy(std::move(r.neuron_h), {L, T, size_t(n.neurons), size_t(n.neuron_memory)});
    out["synapse_outputs"] = to_numpy(std::move(r.synapse_outputs), {L, T, size_t(n.synapses), size_t(n.channels)});
    out["synapse_h"] = to_numpy(std::move(r.synapse_h), {L, T, size_t(n.synapses), size_t(n.synapse_memory)});
  }
  return out;
}

}  // namespace

void bind_lifetimes(nb::module_& m) {
  m.def("record_lifetimes", &record_lifetimes, nb::arg("config"), nb::arg("theta") = nb::none(),
        nb::arg("lifetimes") = 1, nb::kw_only(), nb::arg("held_out") = false, nb::arg("seed") = nb::none(),
        nb::arg("generation") = nb::none(),
        (std::string("Steps `lifetimes` lifetimes of the config's task with parameters theta, as `enu eval --record` "
                     "steps one: the reference runner (whatever run.backend says), the centre's random streams, "
                     "one lifetime at a time (the GIL released), and records every environment step. ") +
         kConfigAndThetaDoc +
         " Lifetime i is lifetime i of generation `generation` (default 0) of a run with seed `seed` (default the "
         "config's run.seed), as Evaluator.evaluate_centre meets them; with held_out=True lifetime i of the "
         "held-out lifetimes of that seed (`enu eval`'s and the final evaluation's; `enu eval --record` records "
         "lifetime 0). Returns a dict of numpy arrays (float32) and numbers, L = lifetimes, T = the task's steps: "
         "'seed' and 'generation' of the lifetimes stepped (Evaluator.evaluate_centre(theta, generation, "
         "seed=seed, lifetimes=L, per_lifetime=True) gives their fitness); 'observation_shape' (sources, "
         "channels); 'observations' [L x T x sources*channels] (what the model saw, source-major: the CSV's "
         "input columns); 'actions' [L x T x actions] (what the environment acted on); 'rewards' [L x T] (the "
         "reward of each step's action); 'fitness' [L]. A network also gives, after each step's last tick "
         "(model.network.ticks_per_step ticks per step): 'neuron_outputs' [L x T x neurons x channels] (as "
         "read out, output noise included), 'neuron_h' [L x T x neurons x memory], 'synapse_outputs' "
         "[L x T x synapses x channels] (synapse j = neuron j // fan_in's input j % fan_in) and 'synapse_h' "
         "[L x T x synapses x memory]; a single cell 'outputs' [L x T x outputs] and 'h' [L x T x memory]. "
         "h is the memory (an LSTM's h, not c). Raises enu.Error for a function objective (sphere, "
         "rastrigin), ValueError for lifetimes < 1, a wrong parameter count or held_out with a generation, "
         "TypeError for theta not float32.")
            .c_str());
}

}  // namespace enu::python
