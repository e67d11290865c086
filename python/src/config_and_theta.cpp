// The (config, parameters) pair that enu.record_lifetimes and the analyses take:
// from a Config with theta, or from a checkpoint as `enu eval` reads one.
#include "bindings.hpp"
#include "run.hpp"

namespace enu::python {

const char* const kConfigAndThetaDoc =
    "`config` is a Config, or a Checkpoint or the path of a checkpoint .npz (its stored config is used, as `enu "
    "eval` and `enu analyze` use it); `theta` the model's parameters, a float32 array of param_count values "
    "(required with a Config; default: the checkpoint's centre).";

ConfigAndTheta config_and_theta(const ConfigSource& source, std::optional<Float32Argument> theta) {
  ConfigAndTheta out;
  if (const auto* config = std::get_if<PyConfig>(&source)) {
    if (!theta) throw nb::type_error("theta is required with a Config (only a checkpoint has a centre)");
    out.config = config->config;
  } else {
    const auto* path = std::get_if<std::filesystem::path>(&source);
    const Checkpoint checkpoint = path ? load_checkpoint(path->string()) : std::get<Checkpoint>(source);
    out.config = config_from_checkpoint(checkpoint, path ? path->string() : "checkpoint", {});
    if (!theta) out.theta = checkpoint.state.theta;
  }
  if (theta) {
    const FloatArray given = float32_array(theta->object, "theta", 1, param_count(out.config));
    out.theta.assign(given.data, given.data + given.shape[0]);
  }
  return out;
}

}  // namespace enu::python
