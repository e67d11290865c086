#pragma once
/// @brief One lifetime of the maze tasks (tmaze, double_tmaze: Soltoggio et al.
/// 2008's reward-switching T-mazes), written once for the host and the device
/// like single_unit_tasks.hpp: no allocation, no containers, the grid computed
/// from the config rather than stored.
///
/// tmaze, published sizes (corridor_length 4, arm_length 2): a 7 x 7 grid.
///
///          col 0 1 2 3 4 5 6
///     row 0    # # # # # # #
///         1    # 0 . J . 1 #      0, 1: the ends (one food, one poison)
///         2    # # # . # # #      J: the junction
///         3    # # # . # # #
///         4    # # # . # # #
///         5    # # # S # # #      S: the start, facing north (up)
///         6    # # # # # # #
///
/// double_tmaze (corridor_length 4, arm_length 2, end_length 1): 8 rows x 7 columns.
///
///          col 0 1 2 3 4 5 6
///     row 0    # # # # # # #
///         1    # 0 # # # 2 #      0 .. 3: the ends (one food, one poison, two empty)
///         2    # a . J . b #      J: first junction; a, b: second junctions
///         3    # 1 # . # 3 #
///         4    # # # . # # #
///         5    # # # . # # #
///         6    # # # S # # #
///         7    # # # # # # #
///
/// Moving forward into an end eats what it holds and puts the agent back on S,
/// facing north. docs/maze.md has the full rules.

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
constexpr int kActions = 3;   // forward, turn left, turn right
constexpr int kMaxEnds = 4;
constexpr int kInputOrders = 6;  // the orders of the three feature inputs (input_order)

enum Action : int { kForward = 0, kTurnLeft = 1, kTurnRight = 2 };
enum Feature : int { kSeeNothing = -1, kSeeWall = 0, kSeeFood = 1, kSeePoison = 2 };
enum Item : int { kEmpty = 0, kFood = 1, kPoison = 2 };
enum Heading : int { kNorth = 0, kEast = 1, kSouth = 2, kWest = 3 };

ENU_HD int heading_drow(int heading) { return heading == kNorth ? -1 : (heading == kSouth ? 1 : 0); }
ENU_HD int heading_dcol(int heading) { return heading == kEast ? 1 : (heading == kWest ? -1 : 0); }

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

/// The open cells of one maze, as a function of the config: a corridor north
/// from the start to the junction row, one arm each side of the junction, and
/// (double_tmaze) a north and a south end at each arm's far end.
struct MazeGeometry {
  bool double_maze = false;
  int arm = 2, end_length = 1;
  int rows = 7, cols = 7;
  int junction_row = 1, centre_col = 3, start_row = 5;
  int end_count = 2;
  int end_row[maze::kMaxEnds] = {0, 0, 0, 0};
  int end_col[maze::kMaxEnds] = {0, 0, 0, 0};

  ENU_HD static MazeGeometry of(const MazeConfig& config, bool double_maze) {
    MazeGeometry g;
    g.double_maze = double_maze;
    g.arm = config.arm_length;
    g.end_length = config.end_length;
    g.centre_col = g.arm + 1;
    g.cols = 2 * g.arm + 3;
    g.junction_row = double_maze ? 1 + g.end_length : 1;
    g.start_row = g.junction_row + config.corridor_length;
    const int lowest = double_maze && g.junction_row + g.end_length > g.start_row ? g.junction_row + g.end_length
                                                                                  : g.start_row;
    g.rows = lowest + 2;
    if (!double_maze) {
      g.end_count = 2;
      g.end_row[0] = g.end_row[1] = g.junction_row;
      g.end_col[0] = g.centre_col - g.arm;  // west
      g.end_col[1] = g.centre_col + g.arm;  // east
    } else {
      g.end_count = 4;
      for (int side = 0; side < 2; ++side) {  // west pair (0 north, 1 south), then east pair (2, 3)
        g.end_col[2 * side] = g.end_col[2 * side + 1] = g.centre_col + (side ? g.arm : -g.arm);
        g.end_row[2 * side] = g.junction_row - g.end_length;
        g.end_row[2 * side + 1] = g.junction_row + g.end_length;
      }
    }
    return g;
  }
  /// True for corridor, junction, arm and end cells; false for walls and outside.
  ENU_HD bool open(int row, int col) const {
    if (col == centre_col && row >= junction_row && row <= start_row) return true;
    const int from_centre = col > centre_col ? col - centre_col : centre_col - col;
    if (row == junction_row && from_centre <= arm) return true;
    if (!double_maze || from_centre != arm) return false;
    const int from_junction = row > junction_row ? row - junction_row : junction_row - row;
    return from_junction <= end_length;
  }
  /// Index of the end at (row, col), or -1.
  ENU_HD int end_at(int row, int col) const {
    for (int e = 0; e < end_count; ++e)
      if (end_row[e] == row && end_col[e] == col) return e;
    return -1;
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
  bool alive = true;
  int steps_alive = 0;
  // The lifetime's draws: input source of each feature, what each end holds.
  int permutation[maze::kFeatures] = {0, 1, 2};
  int item[maze::kMaxEnds] = {maze::kEmpty, maze::kEmpty, maze::kEmpty, maze::kEmpty};
  int food_end = 0, poison_end = 1;
  // Progress.
  int food_eaten = 0, poison_eaten = 0, swaps = 0;
  int food_since_chance = 0;    // food items since the last swap chance
  int poisons_in_a_row = 0;
  bool swap_pending = false;    // a swap happened and no item has been eaten since
  double fitness_reward = 0.0;  // rewards as fitness counts them (the first poison after a swap forgiven)
  // The last act(): the action taken and what happened.
  float reward = 0.0f;          // the reward the agent received (shown by the next observation)
  int action = -1;              // -1: none (not started, or dead)
  int end_reached = -1;         // the end entered, or -1
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
    if (action == maze::kTurnLeft) {
      heading = (heading + 3) & 3;
    } else if (action == maze::kTurnRight) {
      heading = (heading + 1) & 3;
    } else {
      const int r = row + maze::heading_drow(heading), c = col + maze::heading_dcol(heading);
      if (maze.open(r, c)) {  // a wall blocks the move; the step is spent all the same
        row = r;
        col = c;
        const int e = maze.end_at(r, c);
        if (e >= 0) reach_end(e);
      }
    }
    if (ate_food) {
      energy = config.energy_restore;
    } else {
      energy -= config.energy_per_step;
      if (energy <= 0.0f) died = true;
    }
    if (died) alive = false;
  }

  /// Rewards (as fitness counts them) plus alive_bonus per step alive.
  ENU_HD float fitness() const {
    return float(fitness_reward + double(settings.config.alive_bonus) * steps_alive);
  }

 private:
  /// The `k`-th end other than `skip`.
  ENU_HD int other_end(int skip, int k) const { return k < skip ? k : k + 1; }

  ENU_HD void go_to_start() {
    row = maze.start_row;
    col = maze.centre_col;
    heading = maze::kNorth;
  }

  ENU_HD void reach_end(int e) {
    const MazeConfig& config = settings.config;
    end_reached = e;
    if (item[e] == maze::kFood) {
      ate_food = true;
      reward = config.food_reward;
      fitness_reward += config.food_reward;
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
      forgiven = swap_pending;
      fitness_reward += forgiven ? config.swap_poison_reward : config.poison_reward;
      ++poison_eaten;
      swap_pending = false;
      if (++poisons_in_a_row == config.poisons_to_die) died = true;
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
