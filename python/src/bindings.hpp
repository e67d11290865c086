#pragma once
// What the binding files share: the module's parts, the Python side of a config,
// and numpy arrays in (checked, read in place) and out (owning their memory).

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/config.hpp"

namespace enu::python {

namespace nb = nanobind;

/// A config as Python holds it: the resolved settings and where they came from
/// (named in the messages of later overrides).
struct PyConfig {
  RunConfig config;
  std::string source;
};

/// A float32 array read in place: its data and its shape.
struct FloatArray {
  const float* data = nullptr;
  std::vector<size_t> shape;
};

/// An argument that should be a float32 numpy array, taken as it comes: the
/// binding checks it (float32_array) and says what is wrong, where a failed
/// conversion would only say that no overload matched. Typed so in the stubs.
struct Float32Argument {
  nb::handle object;
};

/// `object` as a float32, C-ordered numpy array of `ndim` dimensions whose last
/// has `columns` values (0: any), without a copy; TypeError or ValueError naming
/// `what` and the fault (a list, another dtype, a strided view, a wrong size).
FloatArray float32_array(nb::handle object, const char* what, size_t ndim, size_t columns);

/// A numpy array owning `values`, of the given shape.
nb::ndarray<nb::numpy, float> to_numpy(std::vector<float> values, std::vector<size_t> shape);
nb::ndarray<nb::numpy, double> to_numpy(std::vector<double> values, std::vector<size_t> shape);
nb::ndarray<nb::numpy, int64_t> to_numpy(std::vector<int64_t> values, std::vector<size_t> shape);
/// One-dimensional shorthand.
template <typename T>
auto to_numpy(std::vector<T> values) {
  const size_t n = values.size();
  return to_numpy(std::move(values), {n});
}

/// What a recording or an analysis looks at: a config and the parameters of its model.
struct ConfigAndTheta {
  RunConfig config;
  std::vector<float> theta;
};
/// Where Python gives them: a Config, or a Checkpoint or the path of one.
using ConfigSource = std::variant<PyConfig, Checkpoint, std::filesystem::path>;
/// The config of `source` (a checkpoint's stored one) and `theta`: a float32
/// vector of the config's parameter count, or None for a checkpoint's centre.
/// TypeError for a Config without theta.
ConfigAndTheta config_and_theta(const ConfigSource& source, std::optional<Float32Argument> theta);
/// The docstring of config_and_theta's two arguments, for the functions that take them.
extern const char* const kConfigAndThetaDoc;

void bind_config(nb::module_& m);
void bind_evaluator(nb::module_& m);
void bind_checkpoint(nb::module_& m);
void bind_evolve(nb::module_& m);
void bind_lifetimes(nb::module_& m);
void bind_analysis(nb::module_& m);

}  // namespace enu::python

namespace nanobind::detail {
template <>
struct type_caster<enu::python::Float32Argument> {
  NB_TYPE_CASTER(enu::python::Float32Argument, const_name("NDArray[numpy.float32]"))
  bool from_python(handle source, uint8_t, cleanup_list*) noexcept {
    value.object = source;
    return true;
  }
};
}  // namespace nanobind::detail
