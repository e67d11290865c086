// The published maze (rules published, layout east_corridor, actions absolute:
// the authors' code, docs/maze.md) on hand-worked trajectories: the grids, moves
// into walls, the first item counted as food, the second poison ending the alive
// bonus for good, starvation and revival, and the swap chances indexed by the
// food count whatever else the agent eats.
#include <gtest/gtest.h>

#include "maze_scripting.hpp"

#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"

namespace enu {
namespace {

using namespace maze;  // kForward (east here), kTurnLeft (north), kTurnRight (south), kFood, ...
using testing_support::act;
using testing_support::place;
using testing_support::render;

// The absolute actions of the east_corridor layout by their directions.
constexpr int kEastMove = kForward, kNorthMove = kTurnLeft, kSouthMove = kTurnRight;

/// The authors' tmaze with the inputs in their plain order (wall 0, food 1, poison 2).
MazeConfig published_config() {
  MazeConfig config = testing_support::published_maze();
  config.permute_inputs = false;
  return config;
}

MazeLifetime started(const MazeConfig& config, bool double_maze = false, int lifetime = 0) {
  MazeLifetime lt;
  lt.start({config, double_maze}, 11, 0, lifetime);
  return lt;
}


/// The 5-move trial to end 0 (north) or 1 (south) of the tmaze.
void trial(MazeLifetime& lt, int end) {
  for (int a : {kEastMove, kEastMove, kEastMove}) act(lt, a);
  const int arm = end == 0 ? kNorthMove : kSouthMove;
  act(lt, arm);
  act(lt, arm);
  ASSERT_EQ(lt.end_reached, end);
}

// ---- layouts ---------------------------------------------------------------------

// The authors' grid: 7 x 7, start (3, 2), junction (3, 5), ends (1, 5) and (5, 5).
TEST(PublishedMaze, TMazeIsTheAuthorsGrid) {
  const MazeGeometry g = MazeGeometry::of(published_config(), false);
  const std::vector<std::string> expected = {"#######", "#####0#", "#####.#", "##S...#",
                                             "#####.#", "#####1#", "#######"};
  EXPECT_EQ(render(g), expected);
  EXPECT_EQ(g.start_heading, kEast);
}

// Two junctions in sequence: the second ones at the arms' ends, each branching on
// (north or south) and east, so that east, north and south reach all four ends.
TEST(PublishedMaze, DoubleTMazeBranchesOnAndEast) {
  const MazeGeometry g = MazeGeometry::of(published_config(), true);
  const std::vector<std::string> expected = {"#########", "#####0###", "#####.###", "#####..1#",
                                             "#####.###", "##S...###", "#####.###", "#####..3#",
                                             "#####.###", "#####2###", "#########"};
  EXPECT_EQ(render(g), expected);
  EXPECT_EQ(g.end_count, 4);
}

// ---- moves -----------------------------------------------------------------------

// An absolute move faces the agent where it tried to go, into a wall or not; a
// blocked move leaves it in place and spends the step.
TEST(PublishedMaze, AbsoluteMovesFaceWhereTheyTried) {
  MazeLifetime lt = started(published_config());
  EXPECT_EQ(lt.row, 3);
  EXPECT_EQ(lt.col, 2);
  EXPECT_EQ(lt.ahead(), kSeeNothing);  // the corridor
  act(lt, kNorthMove);                 // a wall north of the start
  EXPECT_EQ(lt.row, 3);
  EXPECT_EQ(lt.col, 2);
  EXPECT_EQ(lt.heading, kNorth);
  EXPECT_EQ(lt.ahead(), kSeeWall);
  act(lt, kSouthMove);
  EXPECT_EQ(lt.heading, kSouth);
  EXPECT_EQ(lt.col, 2);
  for (int i = 0; i < 3; ++i) act(lt, kEastMove);
  EXPECT_EQ(lt.col, 5);                // the junction
  EXPECT_EQ(lt.ahead(), kSeeWall);
  act(lt, kEastMove);                  // into the east wall
  EXPECT_EQ(lt.col, 5);
  EXPECT_EQ(lt.steps_alive, 6);
}

// The colour shows one cell before the end, in the direction of the last move;
// eating returns the agent to the start facing east: a straight trial is 5 steps.
TEST(PublishedMaze, TheEndShowsOneMoveAheadAndATrialIsFiveSteps) {
  MazeLifetime lt = started(published_config());
  place(lt, 0, 1);
  for (int a : {kEastMove, kEastMove, kEastMove, kSouthMove}) act(lt, a);
  EXPECT_EQ(lt.ahead(), kSeePoison);
  float observation[kSources * kChannels];
  lt.observe(observation);
  EXPECT_EQ(observation[kSeePoison * kChannels], 1.0f);
  EXPECT_EQ(observation[kSeeFood * kChannels], 0.0f);
  act(lt, kNorthMove);  // turn away: back to the junction, the north arm ahead
  act(lt, kNorthMove);
  EXPECT_EQ(lt.ahead(), kSeeFood);
  act(lt, kNorthMove);
  EXPECT_TRUE(lt.ate_food);
  EXPECT_EQ(lt.row, 3);
  EXPECT_EQ(lt.col, 2);
  EXPECT_EQ(lt.heading, kEast);
  EXPECT_EQ(lt.steps_alive, 7);
}

// ---- rules -----------------------------------------------------------------------

// Hand-worked: poison first (counted +1, sensed -1, energy back to 18), food,
// a second poison (-1, energy 0 for good), food (+1, no energy). Alive bonus on
// the 14 steps that ended with energy > 0: 5 + 5 + 4 (the poison step ends at 0) + 0.
TEST(PublishedMaze, FirstItemCountsAsFoodAndTheSecondPoisonEndsTheBonus) {
  MazeLifetime lt = started(published_config());
  place(lt, 0, 1);
  trial(lt, 1);
  EXPECT_TRUE(lt.ate_poison);
  EXPECT_TRUE(lt.forgiven);
  EXPECT_EQ(lt.reward, -1.0f);  // what the agent senses: it learns the colour from this
  EXPECT_EQ(lt.energy, 18.0f);
  EXPECT_EQ(lt.fitness_reward, 1.0);
  float observation[kSources * kChannels];
  lt.observe(observation);  // the reward input on the step after the event
  EXPECT_EQ(observation[(kSources - 1) * kChannels + 2], 1.0f);
  EXPECT_EQ(observation[(kSources - 1) * kChannels + 1], 0.0f);

  trial(lt, 0);
  EXPECT_EQ(lt.fitness_reward, 2.0);
  EXPECT_EQ(lt.energy, 18.0f);
  trial(lt, 1);
  EXPECT_FALSE(lt.forgiven);
  EXPECT_TRUE(lt.poisoned);
  EXPECT_EQ(lt.energy, 0.0f);
  EXPECT_EQ(lt.fitness_reward, 1.0);
  trial(lt, 0);
  EXPECT_EQ(lt.energy, 0.0f);  // food no longer restores it
  EXPECT_EQ(lt.fitness_reward, 2.0);
  EXPECT_TRUE(lt.alive);       // the lifetime goes on; rewards still count
  EXPECT_EQ(lt.bonus_steps, 14);
  EXPECT_FLOAT_EQ(lt.fitness(), 2.0f + 0.025f * 14);
}

// The first item counts first_event_reward whatever it is, food included.
TEST(PublishedMaze, FirstEventRewardIsAKey) {
  MazeConfig config = published_config();
  config.first_event_reward = 0.5f;
  MazeLifetime lt = started(config);
  place(lt, 0, 1);
  trial(lt, 0);
  EXPECT_FALSE(lt.forgiven);  // food is never forgiven: it counts first_event_reward as any first item
  EXPECT_EQ(lt.fitness_reward, 0.5);
  trial(lt, 0);
  EXPECT_EQ(lt.fitness_reward, 1.5);
  trial(lt, 1);  // the lifetime's first poison, not its first item: -1, energy restored
  EXPECT_EQ(lt.fitness_reward, 0.5);
  EXPECT_EQ(lt.energy, 18.0f);
  EXPECT_FALSE(lt.poisoned);
}

// Starving only stops the bonus: energy 18 lasts 72 steps of 0.25 (71 with a
// bonus: the 72nd ends at 0), the agent lives on, and food revives it.
TEST(PublishedMaze, StarvationStopsTheBonusUntilFood) {
  MazeLifetime lt = started(published_config());
  place(lt, 0, 1);
  for (int i = 0; i < 75; ++i) act(lt, kNorthMove);  // into the wall, 75 times
  EXPECT_TRUE(lt.alive);
  EXPECT_EQ(lt.energy, 0.0f);
  EXPECT_EQ(lt.bonus_steps, 71);
  trial(lt, 0);  // 4 steps without energy, then food
  EXPECT_EQ(lt.energy, 18.0f);
  EXPECT_EQ(lt.bonus_steps, 72);
  EXPECT_FLOAT_EQ(lt.fitness(), 1.0f + 0.025f * 72);

  // The forgiving rules end the same lifetime at its 72nd step.
  MazeConfig forgiving = published_config();
  forgiving.rules = MazeRules::forgiving;
  MazeLifetime dies = started(forgiving);
  for (int i = 0; i < 75; ++i) act(dies, kNorthMove);
  EXPECT_FALSE(dies.alive);
  EXPECT_EQ(dies.steps_alive, 72);
}

// ---- swaps -----------------------------------------------------------------------

/// The food's end after each of the first `chances` swap chances of lifetime
/// `lifetime`, for an agent that walks to the food, and with `poison_between`
/// eats the poison after every food as well.
std::vector<int> food_end_after_chances(int chances, bool poison_between, int lifetime) {
  MazeConfig config = published_config();
  MazeLifetime lt = started(config, false, lifetime);
  std::vector<int> ends;
  while (int(ends.size()) < chances) {
    trial(lt, lt.food_end);
    if (lt.food_eaten % config.swap_every == 0) ends.push_back(lt.food_end);
    if (poison_between) trial(lt, lt.poison_end);
  }
  return ends;
}

// Chance k (after food item 5k) draws the same numbers whatever else the agent
// ate, so every member of a generation meets the same swaps; over 8 lifetimes
// the chances both swap and keep (the test can fail).
TEST(PublishedMaze, SwapChancesAreIndexedByTheFoodCount) {
  int swaps = 0, keeps = 0;
  for (int lifetime = 0; lifetime < 8; ++lifetime) {
    const std::vector<int> plain = food_end_after_chances(6, false, lifetime);
    EXPECT_EQ(plain, food_end_after_chances(6, true, lifetime)) << "lifetime " << lifetime;
    for (size_t k = 1; k < plain.size(); ++k) (plain[k] != plain[k - 1] ? swaps : keeps) += 1;
  }
  EXPECT_GT(swaps, 0);
  EXPECT_GT(keeps, 0);
}

// After a swap the food is at the old poison end and the poison where the food was.
TEST(PublishedMaze, ASwapExchangesTheEnds) {
  MazeConfig config = published_config();
  config.swap_probability = 1.0f;
  MazeLifetime lt = started(config);
  place(lt, 0, 1);
  for (int i = 0; i < 4; ++i) trial(lt, 0);
  EXPECT_FALSE(lt.swapped);
  trial(lt, 0);
  EXPECT_TRUE(lt.swapped);
  EXPECT_EQ(lt.food_end, 1);
  EXPECT_EQ(lt.poison_end, 0);
}

}  // namespace
}  // namespace enu
