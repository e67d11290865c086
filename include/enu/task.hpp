#pragma once
/// @brief Tasks: an environment stepped for many lifetimes at once, and its fitness.

#include <cstdint>
#include <memory>
#include <string>

#include "enu/model.hpp"

namespace enu {

/// Which lifetimes to run. Lifetime e of a generation draws its environment from
/// CounterRng(stream_key(seed, Stream::environment), e, generation, 0), so every
/// member of a generation meets the same lifetimes (fair comparison), and every
/// backend regenerates them.
struct LifetimeSet {
  uint64_t seed = 0;
  uint64_t generation = 0;
  int count = 1;  // E lifetimes per member
};

/// The state of `capacity` lifetimes of one task, stepped in lock-step. Buffers
/// are allocated at construction: nothing allocates inside the step loop.
class Environment {
 public:
  virtual ~Environment() = default;
  /// Start lifetimes first .. first+count-1 (count <= capacity) of `set`.
  virtual void reset(const LifetimeSet& set, int first, int count) = 0;
  /// Observations of step `step`: [count x sources x channels], row-major.
  virtual void observe(int step, float* observations) = 0;
  /// Apply actions [count x Task::action_count()] of step `step` and score them.
  virtual void act(int step, const float* actions) = 0;
  /// Fitness of each started lifetime after the last step.
  virtual void fitness(float* out) const = 0;
  /// Reward (or per-step score) that lifetime `i` received at the last act().
  virtual float last_reward(int i) const = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;
  virtual int steps() const = 0;  // environment steps per lifetime
  virtual ObservationShape observation_shape() const = 0;
  /// Actions per lifetime and step: the first this many of the model's outputs.
  virtual int action_count() const = 0;
  virtual std::unique_ptr<Environment> make_environment(int capacity) const = 0;
};

/// A plain function of the parameters (sphere, rastrigin) for testing the strategy
/// itself: fitness = -value(theta).
class Objective {
 public:
  virtual ~Objective() = default;
  virtual std::string name() const = 0;
  virtual double value(const float* theta, size_t n) const = 0;
};

}  // namespace enu
