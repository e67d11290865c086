// enu.Config: a run's settings, loaded and checked by the engine's own reader
// (host/config), read as Python values, changed by overrides, written back.
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>
#include <yaml-cpp/yaml.h>

#include "bindings.hpp"
#include "enu/task_table.hpp"
#include "run.hpp"

namespace enu::python {
namespace {

// A resolved YAML scalar as the Python value it spells: bool, int, float or str.
nb::object scalar_value(const std::string& text) {
  if (text == "true") return nb::bool_(true);
  if (text == "false") return nb::bool_(false);
  size_t used = 0;
  try {
    const long long integer = std::stoll(text, &used);
    if (used == text.size()) return nb::int_(integer);
  } catch (const std::exception&) {
  }
  try {
    const double real = std::stod(text, &used);
    if (used == text.size()) return nb::float_(real);
  } catch (const std::exception&) {
  }
  return nb::str(text.c_str());
}

nb::object yaml_value(const YAML::Node& node) {
  if (node.IsMap()) {
    nb::dict out;
    for (const auto& item : node) out[item.first.Scalar().c_str()] = yaml_value(item.second);
    return std::move(out);
  }
  if (node.IsSequence()) {
    nb::list out;
    for (const auto& item : node) out.append(yaml_value(item));
    return std::move(out);
  }
  if (node.IsNull()) return nb::none();
  return scalar_value(node.Scalar());
}

// A Python value as the YAML text of an override's right-hand side.
std::string yaml_text(nb::handle value, const std::string& key) {
  if (nb::isinstance<nb::bool_>(value)) return nb::cast<bool>(value) ? "true" : "false";
  if (nb::isinstance<nb::int_>(value) || nb::isinstance<nb::float_>(value)) return nb::repr(value).c_str();
  if (nb::isinstance<nb::str>(value)) return nb::cast<std::string>(value);
  if (nb::isinstance<nb::list>(value) || nb::isinstance<nb::tuple>(value)) {
    std::string text = "[";
    for (nb::handle item : value) text += (text.size() > 1 ? ", " : "") + yaml_text(item, key);
    return text + "]";
  }
  throw nb::type_error((key + ": a config value is a bool, int, float, str or list, not " +
                        nb::inst_name(value).c_str())
                           .c_str());
}

// Key "section.sub.key" of the resolved config, or KeyError naming the missing part.
YAML::Node find_key(const RunConfig& config, const std::string& key) {
  YAML::Node node = YAML::Load(to_yaml(config));
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node.IsMap() || !node[part]) {
      throw nb::key_error(("config has no key " + key + " (no '" + part + "' in " +
                           (start == 0 ? std::string("the top level") : key.substr(0, start - 1)) + ")")
                              .c_str());
    }
    node = node[part];
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

// Changes `config` by "key=value" overrides, checked as `--set` checks them.
void apply_overrides(PyConfig& config, const std::vector<std::string>& overrides) {
  config.config = parse_config(to_yaml(config.config), config.source, overrides);
}

// The model's parameters by block: (name, offset, rows, columns), each a
// row-major matrix as docs/extending.md lays them out (W_g, W_c, W_o per cell).
nb::list parameter_blocks(const RunConfig& config) {
  nb::list blocks;
  auto add = [&](const std::string& name, size_t offset, size_t rows, size_t columns) {
    blocks.append(nb::make_tuple(name, offset, rows, columns));
  };
  if (is_objective_task(config.task.name)) {
    add("x", 0, 1, size_t(config.task.function.dimension));
    return blocks;
  }
  auto cell = [&](const std::string& prefix, const CellSpec& spec, size_t base) {
    const CellLayout l = cell_layout(spec);
    const size_t rows = size_t(l.gate_inputs) + 1;
    add(prefix + "W_g", base + l.w_gate, rows, size_t(l.gate_chunks * spec.memory));
    add(prefix + "W_c", base + l.w_cand, rows, size_t(spec.memory));
    add(prefix + "W_o", base + l.w_out, size_t(spec.memory) + 1, size_t(spec.outputs));
  };
  const ModelSpec model = config.model_spec();
  if (model.kind == ModelSpec::Kind::cell) {
    cell("", model.cell, 0);
  } else if (model.network.shared) {
    cell("shared.", model.network.synapse_cell(), 0);
  } else {
    cell("synapse.", model.network.synapse_cell(), model.network.synapse_offset());
    cell("neuron.", model.network.neuron_cell(), model.network.neuron_offset());
  }
  return blocks;
}

}  // namespace

void bind_config(nb::module_& m) {
  nb::class_<PyConfig>(m, "Config",
                       "A run's settings (every key of docs/config.md, defaults resolved), checked by the engine's "
                       "reader: unknown keys, wrong types and out-of-range values raise enu.Error naming the key, "
                       "the value, the file and line.")
      .def_static(
          "load",
          [](const std::filesystem::path& path, const std::vector<std::string>& overrides) {
            return PyConfig{load_config(path.string(), overrides), path.string()};
          },
          nb::arg("path"), nb::arg("overrides") = std::vector<std::string>{},
          "Loads a YAML config, applies overrides ('section.key=value', as `enu evolve --set`) and checks it.")
      .def_static(
          "from_yaml",
          [](const std::string& text, const std::string& source, const std::vector<std::string>& overrides) {
            return PyConfig{parse_config(text, source, overrides), source};
          },
          nb::arg("text"), nb::arg("source") = "<string>", nb::arg("overrides") = std::vector<std::string>{},
          "A config from YAML text; `source` names it in error messages.")
      .def_prop_ro("name", [](const PyConfig& c) { return c.config.name; }, "The run's name (runs/<name>).")
      .def_prop_ro("source", [](const PyConfig& c) { return c.source; }, "Where the config was read from.")
      .def_prop_ro("param_count", [](const PyConfig& c) { return param_count(c.config); },
                   "Parameters the config evolves.")
      .def_prop_ro("parameter_layout", [](const PyConfig& c) { return parameter_layout(c.config); },
                   "What the parameters are, in words; equal layouts give parameters the same meaning.")
      .def("parameter_blocks", [](const PyConfig& c) { return parameter_blocks(c.config); },
           "The parameters by block: (name, offset, rows, columns) tuples, each block a row-major matrix of "
           "theta[offset : offset + rows * columns] (input-major: row r holds input r's weights, the bias row last).")
      .def("initial_centre", [](const PyConfig& c) { return to_numpy(first_centre(c.config)); },
           "The centre a new run starts from: run.init_from's checkpoint centre, else the model's published "
           "initialisation (float32).")
      .def("to_yaml", [](const PyConfig& c) { return to_yaml(c.config); },
           "Every key, resolved, as the YAML `enu evolve` reads back to an equal config.")
      .def("to_dict", [](const PyConfig& c) { return yaml_value(YAML::Load(to_yaml(c.config))); },
           "Every key, resolved, as nested dicts.")
      .def(
          "write", [](const PyConfig& c, const std::filesystem::path& path) { write_text(path, to_yaml(c.config)); },
          nb::arg("path"), "Writes the resolved YAML to `path` (whole or not at all).")
      .def(
          "with_overrides",
          [](const PyConfig& c, const std::vector<std::string>& overrides) {
            PyConfig changed = c;
            apply_overrides(changed, overrides);
            return changed;
          },
          nb::arg("overrides"), "A copy changed by 'section.key=value' overrides.")
      .def(
          "__getitem__", [](const PyConfig& c, const std::string& key) { return yaml_value(find_key(c.config, key)); },
          nb::arg("key"), "The value of a dotted key, e.g. config['es.population'] (a section gives a dict).")
      .def(
          "__setitem__",
          [](PyConfig& c, const std::string& key, nb::handle value) {
            apply_overrides(c, {key + "=" + yaml_text(value, key)});
          },
          nb::arg("key"), nb::arg("value"),
          "Sets a dotted key, checked as `--set key=value` is: config['es.sigma'] = 0.02.")
      .def("__repr__", [](const PyConfig& c) {
        return "enu.Config(" + c.config.name + ", task " + c.config.task.name + ", " +
               std::to_string(param_count(c.config)) + " parameters, from " + c.source + ")";
      });
}

}  // namespace enu::python
