// The lifetime loop shared by every CPU backend.
#include "runner.hpp"

#include <algorithm>
#include <string>

namespace enu {
namespace {

// [count x outputs] -> [count x actions], the first `actions` values of each
// lifetime, in place. Lifetime i moves down to i * actions <= i * outputs, so
// going up from lifetime 1 never overwrites a value still to be moved.
void pack_actions(float* values, int count, int outputs, int actions) {
  if (actions == outputs) return;
  for (int i = 1; i < count; ++i) {
    const float* from = values + size_t(i) * outputs;
    std::copy(from, from + actions, values + size_t(i) * actions);
  }
}

}  // namespace

void run_lifetimes(ModelRunner& runner, const Task& task, Environment& env, float* observations, float* outputs,
                   float* fitness, const StepObserver& observer) {
  const int actions = task.action_count();
  if (actions > runner.output_count()) {
    throw Error("task " + task.name() + " acts on " + std::to_string(actions) + " outputs per step, but the model has " +
                std::to_string(runner.output_count()));
  }
  StageClock& clock = runner.clock();
  clock.start();
  for (int step = 0; step < task.steps(); ++step) {
    env.observe(step, observations);
    clock.lap(Stage::environment);
    runner.step(observations, outputs);
    pack_actions(outputs, runner.lifetimes(), runner.output_count(), actions);
    env.act(step, outputs);
    clock.lap(Stage::environment);
    if (observer) {
      observer(step, observations, outputs, env);
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
