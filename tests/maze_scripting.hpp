#pragma once
// Test support: drive a maze lifetime by hand, one scripted action at a time.

#include "enu/maze_tasks.hpp"

namespace enu::testing_support {

/// Takes `action` as the network's argmax would pick it.
inline void act(MazeLifetime& lt, int action) {
  float outputs[kMazeActions] = {0.0f, 0.0f, 0.0f};
  outputs[action] = 1.0f;
  lt.act(outputs);
}

/// Puts the food at end `food`, the poison at `poison`, the rest empty.
inline void place(MazeLifetime& lt, int food, int poison) {
  for (int& item : lt.item) item = kEmpty;
  lt.food_end = food;
  lt.poison_end = poison;
  lt.item[food] = kFood;
  lt.item[poison] = kPoison;
}

}  // namespace enu::testing_support
