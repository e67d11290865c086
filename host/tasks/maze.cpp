// tmaze and double_tmaze: an ENU-NN agent in the reward-switching T-maze and its
// two-junction form. The lifetimes themselves are in enu/maze_tasks.hpp.
#include <vector>

#include "tasks.hpp"

namespace enu {
namespace {

class MazeEnvironment final : public Environment {
 public:
  MazeEnvironment(const MazeConfig& config, bool double_maze, int capacity)
      : config_(config), double_(double_maze), lifetimes_(size_t(capacity)) {}

  void reset(const LifetimeSet& set, int first, int count) override {
    count_ = count;
    for (int i = 0; i < count; ++i) {
      lifetimes_[size_t(i)].start(config_, double_, set.seed, set.generation, first + i);
    }
  }
  void observe(int, float* observations) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].observe(observations + kObservation * i);
  }
  void act(int, const float* actions) override {
    for (int i = 0; i < count_; ++i) lifetimes_[size_t(i)].act(config_, actions + kMazeActions * i);
  }
  void fitness(float* out) const override {
    for (int i = 0; i < count_; ++i) out[i] = lifetimes_[size_t(i)].fitness(config_);
  }
  /// The reward the agent received (a forgiven poison included), not the fitness it counts for.
  float last_reward(int i) const override { return lifetimes_[size_t(i)].reward; }

  const MazeLifetime& lifetime(int i) const { return lifetimes_[size_t(i)]; }

 private:
  static constexpr int kObservation = kMazeSources * kMazeChannels;
  MazeConfig config_;
  bool double_;
  int count_ = 0;
  std::vector<MazeLifetime> lifetimes_;
};

class MazeTask final : public Task {
 public:
  MazeTask(const MazeConfig& config, bool double_maze) : config_(config), double_(double_maze) {}
  std::string name() const override { return double_ ? "double_tmaze" : "tmaze"; }
  int steps() const override { return config_.steps; }
  ObservationShape observation_shape() const override { return {kMazeSources, kMazeChannels}; }
  int action_count() const override { return kMazeActions; }
  std::unique_ptr<Environment> make_environment(int capacity) const override {
    return std::make_unique<MazeEnvironment>(config_, double_, capacity);
  }

 private:
  MazeConfig config_;
  bool double_;
};

}  // namespace

std::shared_ptr<const Task> make_tmaze_task(const MazeConfig& config) {
  return std::make_shared<MazeTask>(config, false);
}
std::shared_ptr<const Task> make_double_tmaze_task(const MazeConfig& config) {
  return std::make_shared<MazeTask>(config, true);
}

const MazeLifetime* maze_lifetime(const Environment& env, int i) {
  const auto* maze = dynamic_cast<const MazeEnvironment*>(&env);
  return maze ? &maze->lifetime(i) : nullptr;
}

}  // namespace enu
