#pragma once
// Test support: drive a maze lifetime by hand, one scripted action at a time.

#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"

namespace enu::testing_support {

/// The authors' tmaze (configs/tmaze.yaml): rules published, layout east_corridor,
/// absolute moves (maze::kForward east, kTurnLeft north, kTurnRight south),
/// corridor 3, arms 2; end_length 2 for the double maze's sight of every end.
inline MazeConfig published_maze() {
  MazeConfig config;
  config.rules = MazeRules::published;
  config.layout = MazeLayout::east_corridor;
  config.actions = MazeActions::absolute;
  config.corridor_length = 3;
  config.arm_length = 2;
  config.end_length = 2;
  return config;
}

/// Takes `action` as the network's argmax would pick it.
inline void act(MazeLifetime& lt, int action) {
  float outputs[maze::kActions] = {0.0f, 0.0f, 0.0f};
  outputs[action] = 1.0f;
  lt.act(outputs);
}

/// Puts the food at end `food`, the poison at `poison`, the rest empty.
inline void place(MazeLifetime& lt, int food, int poison) {
  for (int& item : lt.item) item = maze::kEmpty;
  lt.food_end = food;
  lt.poison_end = poison;
  lt.item[food] = maze::kFood;
  lt.item[poison] = maze::kPoison;
}

}  // namespace enu::testing_support
