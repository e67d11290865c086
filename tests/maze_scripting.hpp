#pragma once
// Test support: drive a maze lifetime by hand, one scripted action at a time.

#include "enu/maze_tasks.hpp"

namespace enu::testing_support {

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
