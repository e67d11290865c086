// Every task with lifetimes on the CPU: one Environment and one Task over the
// lifetime types of enu/task_lifetimes.hpp, which the device steps too.
#include <vector>

#include "enu/task_lifetimes.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

/// `capacity` lifetimes of one task, stepped in lock-step.
template <class Lifetime>
class LifetimeEnvironment final : public Environment {
 public:
  static constexpr int kObservation = Lifetime::kSources * Lifetime::kChannels;

  LifetimeEnvironment(const typename Lifetime::Settings& settings, int capacity)
      : settings_(settings), lifetimes_(size_t(capacity)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    for (int i = 0; i < count; ++i) lifetimes_[size_t(i)].start(settings_, set.seed, set.generation, first + i);
  }
  // A lifetime counts its own steps: every observe() is of the step after the last act().
  void observe(int, float* observations) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].observe(observations + kObservation * i);
  }
  void act(int, const float* actions) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].act(actions + Lifetime::kActions * i);
  }
  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) out[i] = lifetimes_[size_t(i)].fitness();
  }
  /// The reward the lifetime received (for the mazes, a forgiven poison included:
  /// not the fitness it counts for).
  float last_reward(int i) const override { return lifetimes_[size_t(i)].reward; }

  const Lifetime& lifetime(int i) const { return lifetimes_[size_t(i)]; }

 private:
  typename Lifetime::Settings settings_;
  int count_ = 0;
  std::vector<Lifetime> lifetimes_;
};

template <class Lifetime>
class LifetimeTask final : public Task {
 public:
  LifetimeTask(std::string name, const typename Lifetime::Settings& settings)
      : name_(std::move(name)), settings_(settings) {}
  std::string name() const override { return name_; }
  int steps() const override { return Lifetime::steps(settings_); }
  ObservationShape observation_shape() const override { return {Lifetime::kSources, Lifetime::kChannels}; }
  int action_count() const override { return Lifetime::kActions; }
  std::unique_ptr<Environment> make_environment(int capacity) const override {
    return std::make_unique<LifetimeEnvironment<Lifetime>>(settings_, capacity);
  }

 private:
  std::string name_;
  typename Lifetime::Settings settings_;
};

}  // namespace

std::shared_ptr<const Task> make_task(const TaskConfig& config) {
  const TaskEntry& task = task_entry(config.name);
  if (task.model == ModelNeed::none) {
    throw Error("task '" + config.name + "' is a function objective and has no environment");
  }
  return with_lifetime(task.kind, [&](auto tag) -> std::shared_ptr<const Task> {
    using Lifetime = typename decltype(tag)::type;
    return std::make_shared<LifetimeTask<Lifetime>>(config.name, Lifetime::settings_of(config, task.kind));
  });
}

const MazeLifetime* maze_lifetime(const Environment& env, int i) {
  const auto* maze = dynamic_cast<const LifetimeEnvironment<MazeLifetime>*>(&env);
  return maze ? &maze->lifetime(i) : nullptr;
}

MazeLifetime::Settings maze_settings(const TaskConfig& config) {
  if (!is_maze_task(config.name)) throw Error("task " + config.name + " is not a maze (tmaze, double_tmaze)");
  return MazeLifetime::settings_of(config, task_kind(config.name));
}

}  // namespace enu
