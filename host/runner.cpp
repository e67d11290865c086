// The lifetime loop shared by every CPU backend.
#include "runner.hpp"

#include <algorithm>

namespace enu {

void run_lifetimes(ModelRunner& runner, Environment& env, int steps, float* observations, float* actions,
                   float* fitness, const StepObserver& observer) {
  StageClock& clock = runner.clock();
  clock.start();
  for (int step = 0; step < steps; ++step) {
    env.observe(step, observations);
    clock.lap(Stage::environment);
    runner.step(observations, actions);
    env.act(step, actions);
    clock.lap(Stage::environment);
    if (observer) {
      observer(step, observations, actions, env);
      clock.start();
    }
  }
  env.fitness(fitness);
}

void pad_observation(ObservationShape shape, int capacity_channels, const float* observation, float* padded) {
  for (int s = 0; s < shape.sources; ++s) {
    const float* in = observation + size_t(s) * shape.channels;
    float* out = padded + size_t(s) * capacity_channels;
    std::copy(in, in + shape.channels, out);
    std::fill(out + shape.channels, out + capacity_channels, 0.0f);
  }
}

}  // namespace enu
