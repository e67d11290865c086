#include "recorded_lifetime.hpp"

#include "enu/evaluator.hpp"

namespace enu {

float record_lifetime(const RunConfig& config, const Task& task, const std::vector<float>& theta,
                      const LifetimeSet& set, int index, const std::function<void(const RecordedStep&)>& on_step) {
  const ObservationShape shape = task.observation_shape();
  const ModelSpec model = config.model_spec();
  auto runner = make_reference_runner(model, shape, 1);
  auto env = task.make_environment(1);
  runner->reset(theta.data(), kCentreMemberId, set, index, 1);
  env->reset(set, index, 1);
  std::vector<float> observations(size_t(shape.sources) * shape.channels), outputs(size_t(model.output_count()));
  ModelState state;
  float fitness = 0.0f;
  run_lifetimes(*runner, task, *env, observations.data(), outputs.data(), &fitness,
                [&](int step, const float* obs, const float* actions, const Environment& e) {
                  runner->read_state(0, state);
                  on_step(RecordedStep{step, obs, actions, e, state});
                });
  return fitness;
}

}  // namespace enu
