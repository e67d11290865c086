// The maze tasks (tmaze, double_tmaze): layouts, transitions, rewards, energy,
// deaths, swaps and the input permutation on scripted action sequences, the CPU
// environment behind the Task interface, a network agent through the CPU
// evaluator, and the maze configs.
#include <gtest/gtest.h>

#include "maze_scripting.hpp"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "cpu_evaluator.hpp"
#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "reference/reference.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

using namespace maze;  // the maze vocabulary: kForward, kFood, kNorth, ...
using testing_support::act;
using testing_support::place;
using testing_support::render;

/// A fixed-order config (no permutation), so scripted tests can read inputs directly.
MazeConfig plain_config() {
  MazeConfig config;
  config.permute_inputs = false;
  return config;
}

MazeLifetime started(const MazeConfig& config, bool double_maze, int lifetime = 0, uint64_t seed = 7) {
  MazeLifetime lt;
  lt.start({config, double_maze}, seed, 0, lifetime);
  return lt;
}

/// The actions that take an agent from the start to end `e` (published sizes).
std::vector<int> path_to(bool double_maze, int e) {
  std::vector<int> path = {kForward, kForward, kForward, kForward};
  if (!double_maze) {
    path.push_back(e == 0 ? kTurnLeft : kTurnRight);
    path.insert(path.end(), {kForward, kForward});
    return path;
  }
  const bool west = e < 2, north = e % 2 == 0;
  path.push_back(west ? kTurnLeft : kTurnRight);
  path.insert(path.end(), {kForward, kForward});
  // Facing west, north is a right turn; facing east, a left one.
  path.push_back(west == north ? kTurnRight : kTurnLeft);
  path.push_back(kForward);
  return path;
}

/// Walks to end `e`; returns the lifetime's events at the last step.
void go_to(MazeLifetime& lt, int e) {
  for (int a : path_to(lt.settings.double_maze, e)) act(lt, a);
  ASSERT_EQ(lt.end_reached, e);
}


// ---- layouts ---------------------------------------------------------------------

// The published tmaze is the 7 x 7 grid drawn in maze_tasks.hpp and docs/maze.md:
// a 4-move corridor from S to the junction, 2-move arms to ends 0 (west), 1 (east).
TEST(TMaze, LayoutMatchesTheDrawing) {
  const MazeGeometry g = MazeGeometry::of(MazeConfig{}, false);
  const std::vector<std::string> expected = {"#######", "#0...1#", "###.###", "###.###",
                                             "###.###", "###S###", "#######"};
  EXPECT_EQ(render(g), expected);
  EXPECT_EQ(g.end_count, 2);
}

// The double_tmaze is the 8 x 7 grid of the drawing: ends 0/1 north/south of the
// west second junction, 2/3 of the east one.
TEST(DoubleTMaze, LayoutMatchesTheDrawing) {
  const MazeGeometry g = MazeGeometry::of(MazeConfig{}, true);
  const std::vector<std::string> expected = {"#######", "#0###2#", "#.....#", "#1#.#3#",
                                             "###.###", "###.###", "###S###", "#######"};
  EXPECT_EQ(render(g), expected);
  EXPECT_EQ(g.end_count, 4);
}

// Lengths are keys: a longer corridor and arms grow the grid as the formulas say.
TEST(TMaze, LayoutFollowsLengthKeys) {
  MazeConfig config;
  config.corridor_length = 6;
  config.arm_length = 3;
  const MazeGeometry g = MazeGeometry::of(config, false);
  EXPECT_EQ(g.rows, 9);
  EXPECT_EQ(g.cols, 9);
  EXPECT_EQ(g.start_row - g.end_row[0], 6);  // the junction is on the ends' row
  EXPECT_EQ(g.end_col[1] - g.end_col[0], 6);
}

// ---- transitions -----------------------------------------------------------------

// Walls block forward moves (the step is spent, the agent stays); turns change
// only the heading; the corridor leads to the junction, where north is a wall.
TEST(TMaze, WallsBlockAndTurnsChangeHeading) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, false);
  EXPECT_EQ(lt.row, 5);
  EXPECT_EQ(lt.col, 3);
  EXPECT_EQ(lt.heading, kNorth);
  EXPECT_EQ(lt.ahead(), kSeeNothing);

  act(lt, kTurnLeft);
  EXPECT_EQ(lt.heading, kWest);
  EXPECT_EQ(lt.ahead(), kSeeWall);
  act(lt, kForward);  // into the wall
  EXPECT_EQ(lt.row, 5);
  EXPECT_EQ(lt.col, 3);
  act(lt, kTurnLeft);
  EXPECT_EQ(lt.heading, kSouth);
  act(lt, kForward);  // below the start is the outer wall
  EXPECT_EQ(lt.row, 5);
  act(lt, kTurnRight);
  act(lt, kTurnRight);
  EXPECT_EQ(lt.heading, kNorth);
  for (int i = 0; i < 4; ++i) act(lt, kForward);
  EXPECT_EQ(lt.row, 1);
  EXPECT_EQ(lt.col, 3);
  EXPECT_EQ(lt.ahead(), kSeeWall);
  act(lt, kForward);
  EXPECT_EQ(lt.row, 1);
  EXPECT_EQ(lt.steps_alive, 11);
  EXPECT_TRUE(lt.alive);
}

// The colour of an end shows one cell ahead of it; stepping into the end eats
// what it holds and puts the agent back on the start, facing north.
TEST(TMaze, ReachingAnEndEatsAndReturnsToStart) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, false);
  place(lt, 0, 1);
  for (int a : {kForward, kForward, kForward, kForward, kTurnLeft, kForward}) act(lt, a);
  EXPECT_EQ(lt.col, 2);
  EXPECT_EQ(lt.ahead(), kSeeFood);
  act(lt, kForward);
  EXPECT_TRUE(lt.ate_food);
  EXPECT_EQ(lt.end_reached, 0);
  EXPECT_EQ(lt.row, 5);
  EXPECT_EQ(lt.col, 3);
  EXPECT_EQ(lt.heading, kNorth);
  for (int a : {kForward, kForward, kForward, kForward, kTurnRight, kForward}) act(lt, a);
  EXPECT_EQ(lt.ahead(), kSeePoison);
}

// Argmax picks the action, ties going to the lowest index (forward).
TEST(Maze, ActionIsArgmaxTiesToLowest) {
  const float forward[] = {0.5f, 0.5f, 0.5f}, left[] = {0.1f, 0.9f, 0.9f}, right[] = {0.0f, 0.2f, 0.3f};
  EXPECT_EQ(maze_action(forward), kForward);
  EXPECT_EQ(maze_action(left), kTurnLeft);
  EXPECT_EQ(maze_action(right), kTurnRight);
}

// ---- rewards, energy, deaths -------------------------------------------------------

// Food gives +1, poison -1, both to the agent and to fitness; the reward shows on
// the reward input (channel 1 for positive, 2 for |negative|) of the next observation.
TEST(TMaze, RewardsAndRewardInput) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, false);
  place(lt, 1, 0);
  float obs[maze::kSources * maze::kChannels];
  go_to(lt, 1);
  EXPECT_EQ(lt.reward, 1.0f);
  EXPECT_EQ(lt.fitness_reward, 1.0);
  lt.observe(obs);
  EXPECT_EQ(obs[9], 0.0f);
  EXPECT_EQ(obs[10], 1.0f);
  EXPECT_EQ(obs[11], 0.0f);
  go_to(lt, 0);
  EXPECT_TRUE(lt.ate_poison);
  EXPECT_FALSE(lt.forgiven);
  EXPECT_EQ(lt.reward, -1.0f);
  EXPECT_EQ(lt.fitness_reward, 0.0);
  lt.observe(obs);
  EXPECT_EQ(obs[10], 0.0f);
  EXPECT_EQ(obs[11], 1.0f);
  act(lt, kTurnLeft);  // a step without an item: no reward
  EXPECT_EQ(lt.reward, 0.0f);
  lt.observe(obs);
  EXPECT_EQ(obs[10] + obs[11], 0.0f);
}

// The first poison after a swap is sensed (-1 on the reward input) but costs no
// fitness; the next one costs -1 again.
TEST(TMaze, FirstPoisonAfterSwapIsNotPenalised) {
  MazeConfig config = plain_config();
  config.swap_every = 1;
  config.swap_probability = 1.0f;
  config.poisons_to_die = 0;
  MazeLifetime lt = started(config, false);
  place(lt, 0, 1);
  go_to(lt, 0);  // food, then the swap: poison now at 0
  EXPECT_TRUE(lt.swapped);
  EXPECT_EQ(lt.poison_end, 0);
  go_to(lt, 0);
  EXPECT_TRUE(lt.ate_poison);
  EXPECT_TRUE(lt.forgiven);
  EXPECT_EQ(lt.reward, -1.0f);
  EXPECT_EQ(lt.fitness_reward, 1.0);
  go_to(lt, 0);
  EXPECT_FALSE(lt.forgiven);
  EXPECT_EQ(lt.fitness_reward, 0.0);
}

// Energy falls 0.25 per step, is restored to energy_restore by food, and the
// lifetime ends when it reaches 0: from 18, at the 72nd step (index 71) without
// food. A dead lifetime ignores further actions and observes zeros.
TEST(TMaze, EnergyFallsRestoresAndStarves) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, false);
  place(lt, 0, 1);
  EXPECT_EQ(lt.energy, 18.0f);
  for (int i = 0; i < 3; ++i) act(lt, kTurnLeft);
  EXPECT_EQ(lt.energy, 17.25f);
  for (int i = 0; i < 1; ++i) act(lt, kTurnLeft);  // back to north
  go_to(lt, 0);                                     // 7 steps, the last one eats
  EXPECT_EQ(lt.energy, 18.0f);
  const int eaten_at = lt.steps_alive - 1;  // step index of the meal
  int died_at = -1;
  for (int step = eaten_at + 1; step < 400 && died_at < 0; ++step) {
    act(lt, kTurnRight);
    if (lt.died) died_at = step;
  }
  EXPECT_EQ(died_at, eaten_at + 72);
  EXPECT_FALSE(lt.alive);
  const int alive_steps = lt.steps_alive;
  EXPECT_EQ(alive_steps, died_at + 1);
  act(lt, kForward);
  EXPECT_EQ(lt.steps_alive, alive_steps);
  EXPECT_EQ(lt.action, -1);
  EXPECT_FALSE(lt.died);  // the event happens once
  float obs[maze::kSources * maze::kChannels];
  lt.observe(obs);
  for (float v : obs) EXPECT_EQ(v, 0.0f);
  // Fitness: one food (+1) plus 0.025 per step alive.
  EXPECT_FLOAT_EQ(lt.fitness(), 1.0f + 0.025f * float(alive_steps));
}

// Starving from the start: alive for exactly energy_start / energy_per_step steps.
TEST(TMaze, StarvesAtThePredictedStep) {
  MazeConfig config = plain_config();
  config.energy_start = 5.0f;
  config.energy_per_step = 0.5f;
  MazeLifetime lt = started(config, false);
  for (int step = 0; step < 9; ++step) {
    act(lt, kTurnLeft);
    EXPECT_TRUE(lt.alive) << "step " << step;
  }
  act(lt, kTurnLeft);
  EXPECT_TRUE(lt.died);
  EXPECT_EQ(lt.steps_alive, 10);
}

// Two poisons in a row end the lifetime at the second; food between them (or
// poisons_to_die 0) does not.
TEST(TMaze, TwoPoisonsInARowKill) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, false);
  place(lt, 0, 1);
  go_to(lt, 1);
  go_to(lt, 0);
  go_to(lt, 1);
  EXPECT_TRUE(lt.alive);
  go_to(lt, 1);
  EXPECT_TRUE(lt.died);
  EXPECT_FALSE(lt.alive);
  EXPECT_EQ(lt.steps_alive, 28);
  EXPECT_EQ(lt.fitness_reward, -2.0);

  MazeConfig immortal = config;
  immortal.poisons_to_die = 0;
  MazeLifetime other = started(immortal, false);
  place(other, 0, 1);
  for (int i = 0; i < 4; ++i) go_to(other, 1);
  EXPECT_TRUE(other.alive);
}

// ---- swaps ---------------------------------------------------------------------------

/// Food ends after each of `meals` food items, eating only food.
std::vector<int> food_sides(const MazeConfig& config, bool double_maze, int meals, int lifetime = 0) {
  MazeLifetime lt = started(config, double_maze, lifetime);
  std::vector<int> sides;
  for (int i = 0; i < meals; ++i) {
    go_to(lt, lt.food_end);
    EXPECT_TRUE(lt.ate_food);
    sides.push_back(lt.food_end);
  }
  return sides;
}

// With swap probability 1 the sides alternate after every 5th food item; with 0
// they never change.
TEST(TMaze, SwapsEveryFiveFoodWithProbabilityOne) {
  MazeConfig config = plain_config();
  config.swap_probability = 1.0f;
  const int first = started(config, false).food_end;
  const std::vector<int> sides = food_sides(config, false, 30);
  for (int i = 0; i < 30; ++i) {
    const int swaps_so_far = (i + 1) / 5;
    EXPECT_EQ(sides[size_t(i)], swaps_so_far % 2 == 0 ? first : 1 - first) << "after food " << i + 1;
  }
  config.swap_probability = 0.0f;
  for (int side : food_sides(config, false, 30)) EXPECT_EQ(side, first);
}

// With probability 0.5 some chances swap and some do not, and the swap event
// fires exactly at the chances that swap.
TEST(TMaze, SwapEventsMatchSideChanges) {
  const MazeConfig config = plain_config();
  int swaps = 0, chances = 0;
  for (int lifetime = 0; lifetime < 20; ++lifetime) {
    MazeLifetime lt = started(config, false, lifetime);
    for (int meal = 1; meal <= 20; ++meal) {
      const int before = lt.food_end;
      go_to(lt, lt.food_end);
      EXPECT_EQ(lt.swapped, lt.food_end != before);
      if (meal % 5 == 0) ++chances;
      else EXPECT_FALSE(lt.swapped);
      swaps += lt.swapped;
    }
  }
  EXPECT_GT(swaps, chances / 4);
  EXPECT_LT(swaps, 3 * chances / 4);
}

// Every member meets the same swaps: chance k draws the same numbers whatever
// the agent did in between (poisons, empty turns).
TEST(TMaze, SwapSequenceIndependentOfBehaviour) {
  MazeConfig config = plain_config();
  config.poisons_to_die = 0;
  config.energy_per_step = 0.0f;
  for (int lifetime = 0; lifetime < 10; ++lifetime) {
    MazeLifetime greedy = started(config, false, lifetime), wanderer = started(config, false, lifetime);
    for (int meal = 0; meal < 25; ++meal) {
      go_to(greedy, greedy.food_end);
      go_to(wanderer, wanderer.poison_end);
      for (int turn = 0; turn < 4; ++turn) act(wanderer, kTurnLeft);
      go_to(wanderer, wanderer.food_end);
      EXPECT_EQ(greedy.food_end, wanderer.food_end) << "lifetime " << lifetime << " meal " << meal;
    }
  }
}

// ---- input permutation -------------------------------------------------------------

// Each lifetime permutes the three observation inputs: always a permutation,
// all six orders occur, the same seed gives the same order, and a wall ahead
// lights channel 0 of source permutation[wall] only.
TEST(TMaze, InputPermutationPerLifetime) {
  const MazeConfig config;
  std::set<std::vector<int>> seen;
  for (int lifetime = 0; lifetime < 200; ++lifetime) {
    const MazeLifetime lt = started(config, false, lifetime);
    std::vector<int> order(lt.permutation, lt.permutation + maze::kFeatures);
    EXPECT_EQ(std::set<int>(order.begin(), order.end()), (std::set<int>{0, 1, 2}));
    seen.insert(order);
    const MazeLifetime again = started(config, false, lifetime);
    EXPECT_EQ(std::vector<int>(again.permutation, again.permutation + 3), order);
  }
  EXPECT_EQ(seen.size(), 6u);

  MazeLifetime lt = started(config, false, 3);
  act(lt, kTurnLeft);  // a wall ahead
  float obs[maze::kSources * maze::kChannels];
  lt.observe(obs);
  for (int s = 0; s < maze::kSources; ++s)
    for (int ch = 0; ch < maze::kChannels; ++ch)
      EXPECT_EQ(obs[s * maze::kChannels + ch], s == lt.permutation[kSeeWall] && ch == 0 ? 1.0f : 0.0f);
}

// permute_inputs: false gives the identity order and otherwise the same lifetimes.
TEST(TMaze, PermutationOffKeepsPlacements) {
  MazeConfig off;
  off.permute_inputs = false;
  for (int lifetime = 0; lifetime < 20; ++lifetime) {
    const MazeLifetime a = started(MazeConfig{}, false, lifetime), b = started(off, false, lifetime);
    EXPECT_EQ(b.permutation[0], 0);
    EXPECT_EQ(b.permutation[1], 1);
    EXPECT_EQ(b.permutation[2], 2);
    EXPECT_EQ(a.food_end, b.food_end);
  }
}

// balanced_orders: lifetime k of generation g shows input order (k + g) mod 6, so
// any six consecutive lifetimes meet every order once; the placements and every
// later draw are those of the same lifetime with drawn orders.
TEST(TMaze, BalancedOrdersTakeTurns) {
  MazeConfig balanced;
  balanced.balanced_orders = true;
  for (const uint64_t generation : {0u, 1u, 5u, 1234u}) {
    for (const int first : {0, 3, 10}) {
      std::set<int> orders;
      for (int lifetime = first; lifetime < first + maze::kInputOrders; ++lifetime) {
        MazeLifetime turn, drawn;
        turn.start({balanced, false}, 7, generation, lifetime);
        drawn.start({MazeConfig{}, false}, 7, generation, lifetime);
        const int order = input_order_index(turn.permutation);
        EXPECT_EQ(uint64_t(order), (uint64_t(lifetime) + generation) % maze::kInputOrders);
        orders.insert(order);
        EXPECT_EQ(turn.food_end, drawn.food_end);
        EXPECT_EQ(turn.poison_end, drawn.poison_end);
        EXPECT_EQ(turn.rng.next_u32(), drawn.rng.next_u32());  // the swap draws to come
      }
      EXPECT_EQ(orders.size(), size_t(maze::kInputOrders));
    }
  }
}

// ---- the CPU environment -----------------------------------------------------------

// The Task interface: 4 sources x 3 channels, 3 actions, config.steps steps.
TEST(TMaze, TaskShape) {
  TaskConfig config;
  config.name = "tmaze";
  config.maze.steps = 123;
  const auto task = make_task(config);
  EXPECT_EQ(task->name(), "tmaze");
  EXPECT_EQ(task->steps(), 123);
  EXPECT_EQ(task->observation_shape().sources, 4);
  EXPECT_EQ(task->observation_shape().channels, 3);
  EXPECT_EQ(task->action_count(), 3);
  config.name = "double_tmaze";
  EXPECT_EQ(make_task(config)->name(), "double_tmaze");
}

// fitness = reward + 0.025 x steps alive on a scripted run through the
// Environment, by hand: 20 steps = food (7 steps, +1), poison (7 steps, -1),
// 6 turns; 1 - 1 + 0.025 * 20 = 0.5. Two lifetimes side by side, the second
// only turning: 0.025 * 20 = 0.5 too, with no reward ever.
TEST(TMaze, ScriptedFitnessThroughEnvironment) {
  TaskConfig config;
  config.name = "tmaze";
  config.maze.steps = 20;
  const auto task = make_task(config);
  auto env = task->make_environment(2);
  env->reset(LifetimeSet{5, 3, 2}, 0, 2);
  const MazeLifetime* lt = maze_lifetime(*env, 0);
  ASSERT_NE(lt, nullptr);
  std::vector<int> script = path_to(false, lt->food_end);
  const std::vector<int> poison = path_to(false, lt->poison_end);
  script.insert(script.end(), poison.begin(), poison.end());
  script.resize(20, kTurnLeft);
  std::vector<float> obs(2 * 12), actions(2 * 3);
  float rewards = 0.0f;
  for (int step = 0; step < task->steps(); ++step) {
    env->observe(step, obs.data());
    std::fill(actions.begin(), actions.end(), 0.0f);
    actions[size_t(script[size_t(step)])] = 1.0f;
    actions[3 + kTurnLeft] = 1.0f;
    env->act(step, actions.data());
    rewards += env->last_reward(0);
    EXPECT_EQ(env->last_reward(1), 0.0f);
  }
  EXPECT_EQ(rewards, 0.0f);
  EXPECT_EQ(lt->food_eaten, 1);
  EXPECT_EQ(lt->poison_eaten, 1);
  float fitness[2];
  env->fitness(fitness);
  EXPECT_FLOAT_EQ(fitness[0], 0.5f);
  EXPECT_FLOAT_EQ(fitness[1], 0.5f);
  EXPECT_EQ(maze_lifetime(*make_task(TaskConfig{})->make_environment(1), 0), nullptr);
}

// Lifetimes are a function of (seed, generation, lifetime index): a second reset
// of the same set gives the same placements and orders.
TEST(TMaze, EnvironmentLifetimesAreDeterministic) {
  TaskConfig config;
  config.name = "tmaze";
  auto env = make_task(config)->make_environment(8);
  std::vector<int> first;
  env->reset(LifetimeSet{9, 4, 8}, 0, 8);
  for (int i = 0; i < 8; ++i) first.push_back(maze_lifetime(*env, i)->food_end * 10 + maze_lifetime(*env, i)->permutation[0]);
  env->reset(LifetimeSet{9, 4, 8}, 0, 8);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(maze_lifetime(*env, i)->food_end * 10 + maze_lifetime(*env, i)->permutation[0], first[size_t(i)]);
}

// ---- double_tmaze ------------------------------------------------------------------

// Four ends: exactly one food and one poison, the other two empty, and the food
// is found at each of the four ends over many lifetimes.
TEST(DoubleTMaze, FourEndsOneFood) {
  const MazeConfig config;
  std::set<int> food_ends;
  for (int lifetime = 0; lifetime < 100; ++lifetime) {
    const MazeLifetime lt = started(config, true, lifetime);
    int food = 0, poison = 0, empty = 0;
    for (int e = 0; e < 4; ++e) {
      food += lt.item[e] == kFood;
      poison += lt.item[e] == kPoison;
      empty += lt.item[e] == kEmpty;
    }
    EXPECT_EQ(food, 1);
    EXPECT_EQ(poison, 1);
    EXPECT_EQ(empty, 2);
    EXPECT_EQ(lt.item[lt.food_end], kFood);
    food_ends.insert(lt.food_end);
  }
  EXPECT_EQ(food_ends.size(), 4u);
}

// Each end is reached by its turn sequence; an empty end gives nothing (no reward,
// no energy) and sends the agent back; food +1, poison -1.
TEST(DoubleTMaze, EndsRewardsAndReturn) {
  const MazeConfig config = plain_config();
  MazeLifetime lt = started(config, true);
  place(lt, 2, 1);
  go_to(lt, 0);  // empty: 9 steps
  EXPECT_FALSE(lt.ate_food || lt.ate_poison);
  EXPECT_EQ(lt.reward, 0.0f);
  EXPECT_EQ(lt.energy, 18.0f - 9 * 0.25f);
  EXPECT_EQ(lt.row, 6);
  EXPECT_EQ(lt.heading, kNorth);
  go_to(lt, 1);
  EXPECT_TRUE(lt.ate_poison);
  go_to(lt, 3);  // empty: does not reset the poisons in a row
  go_to(lt, 2);
  EXPECT_TRUE(lt.ate_food);
  EXPECT_EQ(lt.energy, 18.0f);
  EXPECT_EQ(lt.fitness_reward, 0.0);
  EXPECT_EQ(lt.steps_alive, 36);
  EXPECT_FLOAT_EQ(lt.fitness(), 0.025f * 36);
  // The colour ahead shows from the second junction.
  for (int a : {kForward, kForward, kForward, kForward, kTurnLeft, kForward, kForward, kTurnLeft}) act(lt, a);
  EXPECT_EQ(lt.ahead(), kSeePoison);
}

// On a change the poison takes the food's end and the food moves to one of the
// other three; with probability 1 that happens after every 5th food item, and
// the food visits every end; poison then food-after-poison death rule still holds.
TEST(DoubleTMaze, ChangesMovePoisonToOldFood) {
  MazeConfig config = plain_config();
  config.swap_probability = 1.0f;
  MazeLifetime lt = started(config, true);
  std::set<int> visited = {lt.food_end};
  for (int meal = 1; meal <= 100; ++meal) {
    const int before = lt.food_end;
    go_to(lt, lt.food_end);
    EXPECT_EQ(lt.swapped, meal % 5 == 0);
    if (lt.swapped) {
      EXPECT_EQ(lt.poison_end, before);
      EXPECT_NE(lt.food_end, before);
    }
    visited.insert(lt.food_end);
    int food = 0;
    for (int e = 0; e < 4; ++e) food += lt.item[e] == kFood;
    EXPECT_EQ(food, 1);
  }
  EXPECT_EQ(visited.size(), 4u);
  config.swap_probability = 0.0f;
  const std::vector<int> sides = food_sides(config, true, 30);
  for (int side : sides) EXPECT_EQ(side, sides[0]);
}

// ---- a network agent -----------------------------------------------------------------

const char* kTinyNetwork =
    "task:\n  name: NAME\n  maze:\n    steps: 40\n"
    "model:\n  kind: network\n  network:\n    channels: 4\n    memory: 4\n"
    "    topology: {inputs: 4, neurons: 6, outputs: 3, fan_in: 8}\n"
    "es:\n  population: 4\n  lifetimes: 3\n";

std::string tiny_network(const std::string& task) {
  std::string yaml = kTinyNetwork;
  yaml.replace(yaml.find("NAME"), 4, task);
  return yaml;
}

// A small ENU network on both mazes, through both CPU backends: finite fitness
// for every member and lifetime, and the fast and reference backends agree.
TEST(TMaze, NetworkRunsThroughCpuEvaluator) {
  for (const char* name : {"tmaze", "double_tmaze"}) {
    SCOPED_TRACE(name);
    const RunConfig config = parse_config(tiny_network(name), "test_maze");
    const ModelSpec model = config.model_spec();
    std::vector<float> centre(model.param_count());
    model.init_params(1, centre.data());
    const Population pop =
        Population::mirrored(centre.data(), centre.size(), config.es.population, 0.05f).with_seed(1).at_generation(0);
    const LifetimeSet lifetimes{1, 0, config.es.lifetimes};
    std::vector<float> fast(size_t(pop.size) * lifetimes.count), reference(fast.size());
    make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(config.task), 2, 2)
        ->evaluate(pop, lifetimes, fast.data());
    make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(config.task), 1, 3)
        ->evaluate(pop, lifetimes, reference.data());
    // The backends differ by float rounding, which can flip a near-tie of the
    // argmax and with it a whole trajectory: most lifetimes must agree, not all.
    int agree = 0;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_TRUE(std::isfinite(fast[i])) << i;
      EXPECT_TRUE(std::isfinite(reference[i])) << i;
      // At most one poison per two trips survives, so fitness stays far above -40.
      EXPECT_GE(fast[i], -40.0f) << i;
      agree += std::fabs(fast[i] - reference[i]) <= 1e-4f;
    }
    EXPECT_GE(agree * 10, int(fast.size()) * 8) << agree << " of " << fast.size() << " agree";
  }
}

// A single recurrent agent (one GRU cell for the whole agent) reads the whole
// observation, [4 inputs x 3 channels], as one 12-channel input and acts on its
// 3 outputs: the evaluator must give the fitness of a naive loop written here
// from MazeLifetime and the scalar reference cell.
TEST(TMaze, SingleCellAgentSeesTheWholeObservation) {
  const RunConfig config = parse_config(
      "task:\n  name: tmaze\n  maze:\n    steps: 60\nmodel:\n  cell:\n    type: gru\n    inputs: 12\n"
      "    memory: 6\n    outputs: 3\nes:\n  population: 2\n  lifetimes: 3\n",
      "test_maze");
  const ModelSpec model = config.model_spec();
  std::vector<float> theta(model.param_count());
  model.init_params(4, theta.data());
  for (size_t k = 0; k < theta.size(); ++k) theta[k] += 0.3f * std::sin(float(k));  // away from the symmetric start
  const Population centre = Population::centre_alone(theta.data(), theta.size());
  const LifetimeSet set{5, 2, 3};
  std::vector<float> fast(3), reference(3);
  make_cpu_evaluator(CpuRunnerKind::fast, model, make_task(config.task), 1, 3)->evaluate(centre, set, fast.data());
  make_cpu_evaluator(CpuRunnerKind::reference, model, make_task(config.task), 1, 3)
      ->evaluate(centre, set, reference.data());
  const CellLayout layout = cell_layout(model.cell);
  for (int e = 0; e < 3; ++e) {
    MazeLifetime life;
    life.start({config.task.maze, false}, set.seed, set.generation, e);
    std::vector<float> state(size_t(layout.state_size), 0.0f);
    float x[maze::kSources * maze::kChannels];
    for (int t = 0; t < config.task.maze.steps; ++t) {
      life.observe(x);
      reference::cell_step(model.cell, theta.data(), x, nullptr, state.data());
      life.act(&state[size_t(layout.o)]);
    }
    EXPECT_EQ(reference[size_t(e)], life.fitness()) << "lifetime " << e;
    EXPECT_NEAR(fast[size_t(e)], life.fitness(), 1e-4) << "lifetime " << e;
  }
}

// ---- configs -----------------------------------------------------------------------

// The shipped maze configs load with the published (or CPU-sized) settings: the
// authors' rules, grid, moves, wiring table and strategy (issue 16 lists them).
TEST(MazeConfigFiles, ShippedConfigsLoad) {
  const std::string dir = std::string(ENU_SOURCE_DIR) + "/configs/";
  const std::vector<int> authors_wiring = {0, 1, 5, 6, 7, 8, 3, 4, 0, 2, 4, 6, 7, 9, 3, 5, 1, 2, 4, 5, 8, 9, 3, 6,
                                           4, 5, 8, 9, 0, 1, 3, 7, 4, 6, 7, 9, 0, 2, 3, 8, 5, 6, 7, 8, 1, 2, 3, 9};
  for (const char* name : {"tmaze", "double_tmaze", "tmaze_small", "double_tmaze_small"}) {
    SCOPED_TRACE(name);
    const RunConfig c = load_config(dir + name + ".yaml");
    EXPECT_EQ(c.task.maze.rules, MazeRules::published);
    EXPECT_EQ(c.task.maze.layout, MazeLayout::east_corridor);
    EXPECT_EQ(c.task.maze.actions, MazeActions::absolute);
    EXPECT_EQ(c.task.maze.corridor_length, 3);
    EXPECT_EQ(c.task.maze.arm_length, 2);
    EXPECT_EQ(c.model_spec().network.topology.pre, authors_wiring);
    EXPECT_EQ(c.model.network.output_noise_on, NoiseCells::all);
    EXPECT_EQ(c.model.network.output_noise, 0.01f);
  }
  for (const char* name : {"tmaze", "double_tmaze"}) {
    const RunConfig c = load_config(dir + name + ".yaml");
    EXPECT_EQ(c.task.name, name);
    EXPECT_EQ(c.es.sigma, 0.01f);
    EXPECT_EQ(c.es.optimizer, OptimizerKind::sgd);
    EXPECT_EQ(c.es.learning_rate, 1.0f);
    EXPECT_EQ(c.es.momentum, 0.9f);
    EXPECT_EQ(c.es.shaping, Shaping::pareto);
    EXPECT_EQ(c.es.pareto_exponent, 5.0f);
    EXPECT_EQ(c.task.maze.steps, 400);
    EXPECT_EQ(c.model.kind, ModelSpec::Kind::network);
    EXPECT_EQ(c.model.network.channels, 16);
    EXPECT_EQ(c.model.network.memory, 32);
    EXPECT_EQ(c.model.topology.inputs, 4);
    EXPECT_EQ(c.model.topology.neurons, 6);
    EXPECT_EQ(c.model.topology.fan_in, 8);
    EXPECT_EQ(c.es.population, 512);
    EXPECT_EQ(c.es.lifetimes, 8);
    EXPECT_EQ(c.run.max_minutes, 0.0);
    EXPECT_EQ(c.model_spec().param_count(), size_t(15072));  // DESIGN.md: the published member
  }
  const RunConfig small = load_config(dir + "tmaze_small.yaml");
  EXPECT_EQ(small.task.name, "tmaze");
  EXPECT_EQ(small.model.network.channels, 8);
  // The forgiving variant keeps enu's first maze, as its README learner evolved in it.
  const RunConfig forgiving = load_config(dir + "tmaze_small_forgiving.yaml");
  EXPECT_EQ(forgiving.task.maze.rules, MazeRules::forgiving);
  EXPECT_EQ(forgiving.task.maze.layout, MazeLayout::north_corridor);
  EXPECT_EQ(forgiving.task.maze.actions, MazeActions::egocentric);
  EXPECT_EQ(forgiving.task.maze.corridor_length, 4);
  EXPECT_EQ(forgiving.model.topology.random_seed, 10u);
  EXPECT_EQ(forgiving.model.network.output_noise_on, NoiseCells::neurons);
}

// Maze keys round-trip through to_yaml, and a maze task asks for a network whose
// inputs, outputs and channels fit it.
TEST(MazeConfig, RoundTripAndModelChecks) {
  RunConfig c = parse_config(tiny_network("double_tmaze"), "test_maze");
  c.task.maze = {MazeRules::published, MazeLayout::east_corridor, MazeActions::egocentric, 123, 5, 3, 2, 2.5f,
                 -1.0f / 3, 0.25f, 0.75f, 9.5f, 7.5f, 0.1f, 0.05f, 4, 0.3f, 3, false};
  const std::string text = to_yaml(c);
  const RunConfig back = parse_config(text, "to_yaml");
  EXPECT_EQ(to_yaml(back), text);
  EXPECT_EQ(back.task.maze.poison_reward, -1.0f / 3);
  EXPECT_EQ(back.task.maze.end_length, 2);
  EXPECT_EQ(back.task.maze.first_event_reward, 0.75f);
  EXPECT_EQ(back.task.maze.rules, MazeRules::published);
  EXPECT_EQ(back.task.maze.layout, MazeLayout::east_corridor);
  EXPECT_EQ(back.task.maze.actions, MazeActions::egocentric);
  EXPECT_FALSE(back.task.maze.permute_inputs);

  const auto rejected = [](const std::string& yaml, const std::string& fragment) {
    try {
      parse_config(yaml, "test.yaml");
      ADD_FAILURE() << "accepted:\n" << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  rejected("task:\n  name: tmaze\n", "exactly 12 for a single-cell agent in task tmaze");
  rejected("task:\n  name: tmaze\nmodel:\n  cell:\n    inputs: 12\n    outputs: 1\n",
           "exactly 3 for a single-cell agent in task tmaze");
  EXPECT_NO_THROW(parse_config("task:\n  name: tmaze\nmodel:\n  cell:\n    type: gru\n    inputs: 12\n    outputs: 3\n",
                               "test.yaml"));
  std::string yaml = tiny_network("tmaze");
  rejected(yaml.replace(yaml.find("inputs: 4"), 9, "inputs: 3"), "exactly 4 for task tmaze");
  yaml = tiny_network("tmaze");
  rejected(yaml.replace(yaml.find("outputs: 3"), 10, "outputs: 2"), "exactly 3 for task tmaze");
  yaml = tiny_network("tmaze");
  rejected(yaml.replace(yaml.find("channels: 4"), 11, "channels: 2"), ">= 3 for task tmaze");
  EXPECT_NO_THROW(parse_config(tiny_network("tmaze"), "test.yaml"));
  rejected("task:\n  name: iaf\n  maze:\n    steps: 10\n", "this section is for task tmaze or double_tmaze");
  rejected("task:\n  name: tmaze\n  maze:\n    arm_length: 1\n", "task.maze.arm_length");
  rejected("task:\n  name: tmaze\n  maze:\n    permute_inputs: false\n    balanced_orders: true\n",
           "task.maze.balanced_orders");
  rejected("task:\n  name: tmaze\n  maze:\n    rules: lenient\n", "task.maze.rules");
  rejected("task:\n  name: tmaze\n  maze:\n    layout: west\n", "one of east_corridor, north_corridor");
  // north_corridor's second junctions branch across the arms, where no absolute move goes.
  yaml = tiny_network("double_tmaze");
  yaml.insert(yaml.find("    steps: 40"), "    layout: north_corridor\n    actions: absolute\n");
  rejected(yaml, "task.maze.actions");
}

}  // namespace
}  // namespace enu
