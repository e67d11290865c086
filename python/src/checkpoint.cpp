// enu.Checkpoint: a run's state as the engine stores it (.npz, CRC-checked,
// written atomically): read one, change it, write one `enu evolve --resume`
// or run.init_from takes.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>

#include "bindings.hpp"
#include "enu/checkpoint.hpp"
#include "run.hpp"

namespace enu::python {
namespace {

std::vector<float> float_vector(nb::handle values, const char* what) {
  const FloatArray a = float32_array(values, what, 1, 0);
  return std::vector<float>(a.data, a.data + a.shape[0]);
}

}  // namespace

void bind_checkpoint(nb::module_& m) {
  nb::class_<Checkpoint>(m, "Checkpoint",
                         "A run's state: the centre theta, the optimizer's moments, the generations completed, the "
                         "best centre fitness so far and the run's config. Arrays are float32 copies.")
      .def(
          "__init__",
          [](Checkpoint* self, const PyConfig& config, Float32Argument theta) {
            new (self) Checkpoint();
            self->state.theta = float_vector(theta.object, "theta");
            if (self->state.theta.size() != param_count(config.config)) {
              throw nb::value_error(("theta has " + std::to_string(self->state.theta.size()) +
                                     " values; the config's model has " + std::to_string(param_count(config.config)) +
                                     " parameters")
                                        .c_str());
            }
            // The optimizer at rest, as EvolutionStrategy starts it.
            self->state.moment1.assign(self->state.theta.size(), 0.0f);
            if (config.config.es.optimizer == OptimizerKind::adam) self->state.moment2 = self->state.moment1;
            self->seed = config.config.run.seed;
            self->best_fitness = -INFINITY;
            self->config_yaml = to_yaml(config.config);
          },
          nb::arg("config"), nb::arg("theta"),
          "A checkpoint at generation 0 with centre `theta` and the optimizer at rest (zero moments): the state "
          "`enu evolve` starts from.")
      .def_static(
          "load", [](const std::filesystem::path& path) { return load_checkpoint(path.string()); }, nb::arg("path"),
                  "Reads a .npz checkpoint; enu.Error names the file and the fault (missing, truncated, bad "
                  "checksum, wrong shape).")
      .def(
          "save", [](const Checkpoint& c, const std::filesystem::path& path) { save_checkpoint(path.string(), c); },
          nb::arg("path"),
           "Writes the checkpoint atomically (temporary file, then rename).")
      .def_prop_rw(
          "theta", [](const Checkpoint& c) { return to_numpy(c.state.theta); },
          [](Checkpoint& c, Float32Argument v) {
            std::vector<float> theta = float_vector(v.object, "theta");
            if (theta.size() != c.state.theta.size()) {
              throw nb::value_error(("theta has " + std::to_string(theta.size()) + " values; the checkpoint " +
                                     std::to_string(c.state.theta.size()))
                                        .c_str());
            }
            c.state.theta = std::move(theta);
          },
          nb::for_getter(nb::rv_policy::move), "The centre (float32).")
      .def_prop_ro("moment1", [](const Checkpoint& c) { return to_numpy(c.state.moment1); }, nb::rv_policy::move,
                   "SGD's velocity or Adam's first moment (float32).")
      .def_prop_ro("moment2", [](const Checkpoint& c) { return to_numpy(c.state.moment2); }, nb::rv_policy::move,
                   "Adam's second moment (float32; empty for SGD).")
      .def_prop_ro("generation", [](const Checkpoint& c) { return c.state.generation; }, "Generations completed.")
      .def_prop_ro("optimizer_steps", [](const Checkpoint& c) { return c.state.optimizer_steps; },
                   "Adam's bias-correction count.")
      .def_prop_ro("seed", [](const Checkpoint& c) { return c.seed; })
      .def_prop_ro("best_fitness", [](const Checkpoint& c) { return c.best_fitness; })
      .def_prop_ro("best_generation", [](const Checkpoint& c) { return c.best_generation; })
      .def_prop_ro("config_yaml", [](const Checkpoint& c) { return c.config_yaml; })
      .def_prop_ro(
          "config", [](const Checkpoint& c) { return PyConfig{parse_config(c.config_yaml, "checkpoint"), "checkpoint"}; },
          "The run's config, as stored in the checkpoint.")
      .def("__repr__", [](const Checkpoint& c) {
        return "enu.Checkpoint(generation " + std::to_string(c.state.generation) + ", " +
               std::to_string(c.state.theta.size()) + " parameters)";
      });
}

}  // namespace enu::python
