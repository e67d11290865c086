// enu._enu: the engine's C++ application layer for Python. Errors the engine
// reports (enu::Error: a bad key, a corrupt checkpoint, an impossible request)
// arrive as enu.Error with the engine's own message.
#include "bindings.hpp"

#include "enu/common.hpp"

namespace enu::python {

FloatArray float32_array(nb::handle object, const char* what, size_t ndim, size_t columns) {
  nb::ndarray<nb::ro> array;
  if (!nb::try_cast(object, array, /*convert=*/false)) {
    throw nb::type_error((std::string(what) + ": expected a numpy array of float32, got " +
                          nb::inst_name(object).c_str())
                             .c_str());
  }
  const std::string where = std::string(what) + ": ";
  if (array.dtype() != nb::dtype<float>()) {
    throw nb::type_error((where + "dtype must be float32 (the engine's parameters are float32, read in place); " +
                          "convert with .astype(numpy.float32)")
                             .c_str());
  }
  if (array.device_type() != nb::device::cpu::value) throw nb::type_error((where + "must be in host memory").c_str());
  if (array.ndim() != ndim) {
    throw nb::value_error((where + "expected " + std::to_string(ndim) + " dimension" + (ndim == 1 ? "" : "s") +
                           ", got " + std::to_string(array.ndim()))
                              .c_str());
  }
  FloatArray out;
  for (size_t d = 0; d < ndim; ++d) out.shape.push_back(array.shape(d));
  if (columns > 0 && out.shape.back() != columns) {
    throw nb::value_error((where + "has " + std::to_string(out.shape.back()) + " values per row; the model has " +
                           std::to_string(columns) + " parameters")
                              .c_str());
  }
  int64_t stride = 1;
  for (size_t d = ndim; d-- > 0;) {
    if (out.shape[d] > 1 && array.stride(d) != stride) {
      throw nb::value_error((where + "must be C-contiguous (a strided view would be copied; the engine reads the " +
                             "array in place): pass numpy.ascontiguousarray(...)")
                                .c_str());
    }
    stride *= int64_t(out.shape[d]);
  }
  out.data = static_cast<const float*>(array.data());
  return out;
}

template <typename T>
nb::ndarray<nb::numpy, T> owned_array(std::vector<T> values, std::vector<size_t> shape) {
  auto* held = new std::vector<T>(std::move(values));
  nb::capsule owner(held, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(held->data(), shape.size(), shape.data(), owner);
}

nb::ndarray<nb::numpy, float> to_numpy(std::vector<float> values, std::vector<size_t> shape) {
  return owned_array(std::move(values), std::move(shape));
}
nb::ndarray<nb::numpy, double> to_numpy(std::vector<double> values, std::vector<size_t> shape) {
  return owned_array(std::move(values), std::move(shape));
}
nb::ndarray<nb::numpy, int64_t> to_numpy(std::vector<int64_t> values, std::vector<size_t> shape) {
  return owned_array(std::move(values), std::move(shape));
}

}  // namespace enu::python

NB_MODULE(_enu, m) {
  namespace nb = nanobind;
  m.doc() = "enu's engine (C++): configs, evaluators, evolution, checkpoints, lifetimes and analyses";
  nb::exception<enu::Error>(m, "Error", PyExc_ValueError);
  enu::python::bind_config(m);
  enu::python::bind_evaluator(m);
  enu::python::bind_checkpoint(m);
  enu::python::bind_evolve(m);
  enu::python::bind_lifetimes(m);
  enu::python::bind_analysis(m);
}
