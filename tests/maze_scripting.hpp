#pragma once
// Test support: drive a maze lifetime by hand, one scripted action at a time.

#include <string>
#include <vector>

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

/// The grid as rows of '#' (wall), '.' (open), digits (ends), 'S' (start).
inline std::vector<std::string> render(const MazeGeometry& g) {
  std::vector<std::string> rows;
  for (int r = 0; r < g.rows; ++r) {
    std::string line;
    for (int c = 0; c < g.cols; ++c) {
      char ch = g.open(r, c) ? '.' : '#';
      if (g.end_at(r, c) >= 0) ch = char('0' + g.end_at(r, c));
      if (r == g.start_row && c == g.start_col) ch = 'S';
      line += ch;
    }
    rows.push_back(line);
  }
  return rows;
}

}  // namespace enu::testing_support
