#pragma once
// A model runner steps `capacity` lifetimes of one population member in
// lock-step. Each CPU backend is one runner (reference: scalar loops; fast:
// batched small GEMMs); everything around it (threads, environments, fitness)
// is shared, so the backends differ only in how a step is computed.

#include <cstdint>
#include <functional>
#include <memory>

#include "enu/model.hpp"
#include "enu/task.hpp"

namespace enu {

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  /// Zero every state and start lifetimes first .. first+count-1 of `set` with
  /// the member's parameters theta (kept by pointer until the next reset).
  virtual void reset(const float* theta, uint32_t member_id, const LifetimeSet& set, int first, int count) = 0;
  /// One environment step (all ticks): observations [count x sources x channels]
  /// in the task's shape, actions [count x action_count] out.
  virtual void step(const float* observations, float* actions) = 0;
};

std::unique_ptr<ModelRunner> make_reference_runner(const ModelSpec& model, ObservationShape shape, int capacity);
std::unique_ptr<ModelRunner> make_fast_runner(const ModelSpec& model, ObservationShape shape, int capacity);

/// Called after every step of a traced lifetime (eval --record).
using StepObserver = std::function<void(int step, const float* observations, const float* actions,
                                        const Environment& env)>;

/// Runs started lifetimes to the end and writes their fitness. `observations` and
/// `actions` are caller-owned buffers of the sizes ModelRunner::step expects.
void run_lifetimes(ModelRunner& runner, Environment& env, int steps, float* observations, float* actions,
                   float* fitness, const StepObserver& observer = nullptr);

/// Copies observations [sources x shape.channels] into model inputs
/// [sources x capacity_channels], zero-padding the extra channels.
void pad_observation(ObservationShape shape, int capacity_channels, const float* observation, float* padded);

}  // namespace enu
