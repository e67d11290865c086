#pragma once
/// @brief One lifetime of the maze tasks (tmaze, double_tmaze: Soltoggio et al.
/// 2008's reward-switching T-mazes as Bertens & Lee 2020 use them), written once
/// for the host and the device like single_unit_tasks.hpp: no allocation, no
/// containers, the grid computed from the config rather than stored.
///
/// tmaze, layout east_corridor (the authors' grid: corridor_length 3, arm_length 2), 7 x 7:
///
///          col 0 1 2 3 4 5 6
///     row 0    # # # # # # #
///         1    # # # # # 0 #      0, 1: the ends (one food, one poison)
///         2    # # # # # . #      J: the junction
///         3    # # S . . J #      S: the start, facing east
///         4    # # # # # . #
///         5    # # # # # 1 #
///         6    # # # # # # #
///
/// tmaze, layout north_corridor (enu's first grid: corridor_length 4, arm_length 2), 7 x 7:
///
///          col 0 1 2 3 4 5 6
///     row 0    # # # # # # #
///         1    # 0 . J . 1 #
///         2    # # # . # # #
///         3    # # # . # # #
///         4    # # # . # # #
///         5    # # # S # # #      S: the start, facing north
///         6    # # # # # # #
///
/// The double_tmaze layouts add a second junction at each arm's end with two
/// ends each (docs/maze.md draws them). Reaching an end eats what it holds and
/// puts the agent back on S, facing along the corridor. docs/maze.md has the rules.

#include <cstdint>

#include "enu/config.hpp"
#include "enu/philox.hpp"
#include "enu/task_table.hpp"

namespace enu {

/// The maze's vocabulary: the observation and action sizes, what a cell can
/// show, what an end holds, where the agent faces.
namespace maze {

constexpr int kFeatures = 3;  // what the cell ahead can show: wall, food colour, poison colour
constexpr int kSources = 4;   // the three feature inputs (in a per-lifetime order), then the reward input
constexpr int kChannels = 3;  // features: channel 0; reward input: channel 1 = max(r, 0), channel 2 = max(-r, 0)
constexpr int kActions = 3;   // one read-out neuron each (Action)
constexpr int kMaxEnds = 4;
constexpr int kInputOrders = 6;  // the orders of the three feature inputs (input_order)
constexpr int kMaxSegments = 4;  // straight corridors of a layout

/// Egocentric actions: forward, turn left, turn right. Absolute actions move the
/// agent in the direction the same action would face it from the start: along
/// the corridor, or along the arm on its left or right (east, north, south in the
/// east_corridor layout).
enum Action : int { kForward = 0, kTurnLeft = 1, kTurnRight = 2 };
enum Feature : int { kSeeNothing = -1, kSeeWall = 0, kSeeFood = 1, kSeePoison = 2 };
enum Item : int { kEmpty = 0, kFood = 1, kPoison = 2 };
enum Heading : int { kNorth = 0, kEast = 1, kSouth = 2, kWest = 3 };

ENU_HD int heading_drow(int heading) { return heading == kNorth ? -1 : (heading == kSouth ? 1 : 0); }
ENU_HD int heading_dcol(int heading) { return heading == kEast ? 1 : (heading == kWest ? -1 : 0); }
ENU_HD int turn_left(int heading) { return (heading + 3) & 3; }
ENU_HD int turn_right(int heading) { return (heading + 1) & 3; }
/// The direction an absolute action moves in, from the layout's start heading.
ENU_HD int absolute_heading(int start_heading, int action) {
  return action == kTurnLeft ? turn_left(start_heading) : action == kTurnRight ? turn_right(start_heading)
                                                                                : start_heading;
}

}  // namespace maze

/// The six orders of the feature inputs, numbered: order k puts the wall on
/// input k / 2 and the food and poison colours on the other two, ascending for
/// an even k and the other way round for an odd one.
ENU_HD int input_order_index(const int permutation[maze::kFeatures]) {
  return permutation[maze::kSeeWall] * 2 + (permutation[maze::kSeeFood] > permutation[maze::kSeePoison] ? 1 : 0);
}
ENU_HD void input_order(int index, int permutation[maze::kFeatures]) {
  const int wall = index / 2;
  const int low = wall == 0 ? 1 : 0, high = wall == 2 ? 1 : 2;  // the two other inputs
  permutation[maze::kSeeWall] = wall;
  permutation[maze::kSeeFood] = index % 2 == 0 ? low : high;
  permutation[maze::kSeePoison] = index % 2 == 0 ? high : low;
}

/// The action the network's read-out picks: argmax, ties to the lowest index.
ENU_HD int maze_action(const float outputs[maze::kActions]) {
  int best = 0;
  for (int a = 1; a < maze::kActions; ++a)
    if (outputs[a] > outputs[best]) best = a;
  return best;
}

/// The open cells of one maze, as a function of the config: straight segments
/// (the corridor from the start to the junction, the arms, and for double_tmaze
/// the branches of the second junctions), the ends, and the start.
struct MazeGeometry {
  struct Segment {
    int row0, col0, row1, col1;  // inclusive, row0 <= row1, col0 <= col1
  };
  int rows = 0, cols = 0;
  int start_row = 0, start_col = 0, start_heading = maze::kNorth;
  int end_count = 0;
  int end_row[maze::kMaxEnds] = {0, 0, 0, 0};
  int end_col[maze::kMaxEnds] = {0, 0, 0, 0};
  int segment_count = 0;
  Segment segment[maze::kMaxSegments] = {};

  ENU_HD static MazeGeometry of(const MazeConfig& config, bool double_maze) {
    return config.layout == MazeLayout::east_corridor ? east_corridor(config, double_maze)
                                                      : north_corridor(config, double_maze);
  }
  /// True for corridor, junction, arm and end cells; false for walls and outside.
  ENU_HD bool open(int row, int col) const {
    for (int k = 0; k < segment_count; ++k) {
      const Segment& g = segment[k];
      if (row >= g.row0 && row <= g.row1 && col >= g.col0 && col <= g.col1) return true;
    }
    return false;
  }
  /// Index of the end at (row, col), or -1.
  ENU_HD int end_at(int row, int col) const {
    for (int e = 0; e < end_count; ++e)
      if (end_row[e] == row && end_col[e] == col) return e;
    return -1;
  }

 private:
  ENU_HD void add_segment(int row0, int col0, int row1, int col1) { segment[segment_count++] = {row0, col0, row1, col1}; }
  ENU_HD void add_end(int row, int col) {
    end_row[end_count] = row;
    end_col[end_count] = col;
    ++end_count;
  }

  /// The authors' grid: two wall columns west of the start, the corridor east to
  /// the junction, arms north and south. double_tmaze: each arm's far end is a
  /// second junction whose branches go on (north or south) and turn east, so that
  /// east, north and south reach every end; ends 0, 1 (north: on, east) and 2, 3
  /// (south: on, east).
  ENU_HD static MazeGeometry east_corridor(const MazeConfig& config, bool double_maze) {
    MazeGeometry g;
    const int a = config.arm_length, e = double_maze ? config.end_length : 0;
    const int junction_row = a + e + 1, junction_col = 2 + config.corridor_length;
    g.rows = 2 * (a + e) + 3;
    g.cols = junction_col + e + 2;
    g.start_row = junction_row;
    g.start_col = 2;
    g.start_heading = maze::kEast;
    g.add_segment(junction_row, g.start_col, junction_row, junction_col);
    g.add_segment(junction_row - a - e, junction_col, junction_row + a + e, junction_col);
    if (!double_maze) {
      g.add_end(junction_row - a, junction_col);
      g.add_end(junction_row + a, junction_col);
      return g;
    }
    for (int side = -1; side <= 1; side += 2) {
      const int second_row = junction_row + side * a;
      g.add_segment(second_row, junction_col, second_row, junction_col + e);
      g.add_end(second_row + side * e, junction_col);
      g.add_end(second_row, junction_col + e);
    }
    return g;
  }

  /// enu's first grid: the start south, the corridor north to the junction, arms
  /// west and east. double_tmaze: a north and a south end at each arm's far end;
  /// ends 0, 1 (west: north, south) and 2, 3 (east: north, south).
  ENU_HD static MazeGeometry north_corridor(const MazeConfig& config, bool double_maze) {
    MazeGeometry g;
    const int a = config.arm_length, e = config.end_length;
    const int centre_col = a + 1;
    const int junction_row = double_maze ? 1 + e : 1;
    g.cols = 2 * a + 3;
    g.start_row = junction_row + config.corridor_length;
    g.start_col = centre_col;
    g.start_heading = maze::kNorth;
    const int lowest = double_maze && junction_row + e > g.start_row ? junction_row + e : g.start_row;
    g.rows = lowest + 2;
    g.add_segment(junction_row, centre_col, g.start_row, centre_col);
    g.add_segment(junction_row, centre_col - a, junction_row, centre_col + a);
    if (!double_maze) {
      g.add_end(junction_row, centre_col - a);
      g.add_end(junction_row, centre_col + a);
      return g;
    }
    for (int side = -1; side <= 1; side += 2) {
      const int col = centre_col + side * a;
      g.add_segment(junction_row - e, col, junction_row + e, col);
      g.add_end(junction_row - e, col);
      g.add_end(junction_row + e, col);
    }
    return g;
  }
};

/// One lifetime of tmaze or double_tmaze. observe() then act() once per step;
/// the public fields are the agent's state and the events of the last act(),
/// for analysis and tests.
struct MazeLifetime {
  struct Settings {
    MazeConfig config;
    bool double_maze = false;
  };
  static constexpr ModelNeed kModel = ModelNeed::agent;
  static constexpr int kSources = maze::kSources, kChannels = maze::kChannels, kActions = maze::kActions;
  static Settings settings_of(const TaskConfig& task, TaskKind kind) {
    return {task.maze, kind == TaskKind::double_tmaze};
  }
  static int steps(const Settings& settings) { return settings.config.steps; }

  Settings settings;
  CounterRng rng{PhiloxKey{{0, 0}}, 0, 0, 0};
  MazeGeometry maze;
  // The agent.
  int row = 0, col = 0, heading = maze::kNorth;
  float energy = 0.0f;
  bool alive = true;            // forgiving rules: false once dead; published rules: always true
  bool poisoned = false;        // published rules: the second poison of the lifetime was eaten (energy 0 for good)
  int steps_alive = 0;          // steps acted while alive
  int bonus_steps = 0;          // steps that earn alive_bonus (published: those that end with energy > 0)
  // The lifetime's draws: input source of each feature, what each end holds.
  int permutation[maze::kFeatures] = {0, 1, 2};
  int item[maze::kMaxEnds] = {maze::kEmpty, maze::kEmpty, maze::kEmpty, maze::kEmpty};
  int food_end = 0, poison_end = 1;
  // Progress.
  int food_eaten = 0, poison_eaten = 0, swaps = 0;
  int food_since_chance = 0;    // food items since the last swap chance
  int poisons_in_a_row = 0;
  bool swap_pending = false;    // a swap happened and no item has been eaten since
  double fitness_reward = 0.0;  // rewards as fitness counts them (see `forgiven`)
  // The last act(): the action taken and what happened.
  float reward = 0.0f;          // the reward the agent received (shown by the next observation)
  int action = -1;              // -1: none (not started, or dead)
  int end_reached = -1;         // the end entered, or -1
  // forgiven: a poison that fitness does not count as poison_reward (forgiving rules: the first
  // after a swap; published rules: the lifetime's first item).
  bool ate_food = false, ate_poison = false, forgiven = false, swapped = false, died = false;

  /// Lifetime `lifetime` of generation `generation` of the lifetimes of `seed`.
  ENU_HD void start(const Settings& s, uint64_t seed, uint64_t generation, int lifetime) {
    *this = MazeLifetime{};
    settings = s;
    const MazeConfig& config = s.config;
    rng = lifetime_rng(seed, generation, lifetime);
    maze = MazeGeometry::of(config, s.double_maze);
    // The permutation's draws are made whatever the order comes from, so that the
    // placements (and every later draw) are the same lifetimes in every mode.
    for (int i = maze::kFeatures - 1; i > 0; --i) {
      const int j = rng.randint(0, i);
      if (config.permute_inputs) {
        const int t = permutation[i];
        permutation[i] = permutation[j];
        permutation[j] = t;
      }
    }
    // Balanced: consecutive lifetimes take the orders in turn, so that every set of
    // six (and every generation of E >= 6) meets each order.
    if (config.permute_inputs && config.balanced_orders)
      input_order(int((uint64_t(lifetime) + generation) % maze::kInputOrders), permutation);
    food_end = rng.randint(0, maze.end_count - 1);
    poison_end = other_end(food_end, rng.randint(0, maze.end_count - 2));
    item[food_end] = maze::kFood;
    item[poison_end] = maze::kPoison;
    go_to_start();
    energy = config.energy_start;
  }

  /// What the cell ahead shows.
  ENU_HD int ahead() const {
    const int r = row + maze::heading_drow(heading), c = col + maze::heading_dcol(heading);
    if (!maze.open(r, c)) return maze::kSeeWall;
    const int e = maze.end_at(r, c);
    if (e < 0 || item[e] == maze::kEmpty) return maze::kSeeNothing;
    return item[e] == maze::kFood ? maze::kSeeFood : maze::kSeePoison;
  }

  /// The observation, [maze::kSources x maze::kChannels]: the feature ahead as 1 in
  /// channel 0 of its (permuted) input, and the last reward on the reward input.
  /// A dead agent sees zeros.
  ENU_HD void observe(float out[maze::kSources * maze::kChannels]) const {
    for (int k = 0; k < maze::kSources * maze::kChannels; ++k) out[k] = 0.0f;
    if (!alive) return;
    const int feature = ahead();
    if (feature != maze::kSeeNothing) out[permutation[feature] * maze::kChannels] = 1.0f;
    float* reward_input = out + (maze::kSources - 1) * maze::kChannels;
    reward_input[1] = reward > 0.0f ? reward : 0.0f;
    reward_input[2] = reward < 0.0f ? -reward : 0.0f;
  }

  /// One step with the read-out `outputs` (argmax picks the action). Ignored once dead.
  ENU_HD void act(const float outputs[maze::kActions]) {
    const MazeConfig& config = settings.config;
    reward = 0.0f;
    action = end_reached = -1;
    ate_food = ate_poison = forgiven = swapped = died = false;
    if (!alive) return;
    ++steps_alive;
    action = maze_action(outputs);
    bool moves = true;
    if (config.actions == MazeActions::absolute) {
      heading = maze::absolute_heading(maze.start_heading, action);  // facing where it tries to go
    } else if (action != maze::kForward) {
      heading = action == maze::kTurnLeft ? maze::turn_left(heading) : maze::turn_right(heading);
      moves = false;
    }
    if (moves) {
      const int r = row + maze::heading_drow(heading), c = col + maze::heading_dcol(heading);
      if (maze.open(r, c)) {  // a wall blocks the move; the step is spent all the same
        row = r;
        col = c;
        const int e = maze.end_at(r, c);
        if (e >= 0) reach_end(e);
      }
    }
    if (config.rules == MazeRules::published) {
      if (ate_food || ate_poison) {
        energy = poisoned ? 0.0f : config.energy_restore;
      } else {
        energy = energy > config.energy_per_step ? energy - config.energy_per_step : 0.0f;
      }
      bonus_steps += energy > 0.0f;
      return;
    }
    if (ate_food) {
      energy = config.energy_restore;
    } else {
      energy -= config.energy_per_step;
      if (energy <= 0.0f) died = true;
    }
    ++bonus_steps;  // the step of death included
    if (died) alive = false;
  }

  /// Rewards (as fitness counts them) plus alive_bonus per bonus step.
  ENU_HD float fitness() const {
    return float(fitness_reward + double(settings.config.alive_bonus) * bonus_steps);
  }

 private:
  /// The `k`-th end other than `skip`.
  ENU_HD int other_end(int skip, int k) const { return k < skip ? k : k + 1; }

  ENU_HD void go_to_start() {
    row = maze.start_row;
    col = maze.start_col;
    heading = maze.start_heading;
  }

  ENU_HD void reach_end(int e) {
    const MazeConfig& config = settings.config;
    const bool published = config.rules == MazeRules::published;
    const bool first_item = food_eaten + poison_eaten == 0;
    end_reached = e;
    if (item[e] == maze::kFood) {
      ate_food = true;
      reward = config.food_reward;
      fitness_reward += published && first_item ? config.first_event_reward : config.food_reward;
      ++food_eaten;
      poisons_in_a_row = 0;
      swap_pending = false;
      if (++food_since_chance == config.swap_every) {
        food_since_chance = 0;
        swap_chance();
      }
    } else if (item[e] == maze::kPoison) {
      ate_poison = true;
      reward = config.poison_reward;
      ++poison_eaten;
      if (published) {
        forgiven = first_item;
        fitness_reward += forgiven ? config.first_event_reward : config.poison_reward;
        if (poison_eaten >= 2) poisoned = true;
      } else {
        forgiven = swap_pending;
        fitness_reward += forgiven ? config.swap_poison_reward : config.poison_reward;
        swap_pending = false;
        if (++poisons_in_a_row == config.poisons_to_die) died = true;
      }
    }
    go_to_start();
  }

  /// Two draws at every chance, swap or not, so that chance k draws the same
  /// numbers for every member whatever its behaviour.
  ENU_HD void swap_chance() {
    const float u = rng.uniform(0.0f, 1.0f);
    const int k = rng.randint(0, maze.end_count - 2);
    if (!(u < settings.config.swap_probability)) return;
    item[food_end] = item[poison_end] = maze::kEmpty;
    poison_end = food_end;
    food_end = other_end(food_end, k);
    item[food_end] = maze::kFood;
    item[poison_end] = maze::kPoison;
    swapped = swap_pending = true;
    ++swaps;
  }
};

}  // namespace enu
