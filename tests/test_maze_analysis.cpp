// Learning, measured: swap accounting on scripted lifetimes, hand-written agents
// with memory (one that learns, one that only alternates), the exact fixed-policy
// enumeration against a brute force over all 3^12 policies, and the maze
// analysis of a run end to end.
#include <gtest/gtest.h>

#include "maze_scripting.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "analysis.hpp"
#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "maze_analysis.hpp"
#include "run.hpp"

namespace enu {
namespace {

using namespace maze;  // the maze vocabulary: kForward, kFood, kNorth, ...
using testing_support::act;
using testing_support::place;
using testing_support::published_maze;

// ---- scripted lifetimes ----------------------------------------------------------

/// A tmaze lifetime with the food at end `food` (0 west, 1 east), the poison at the other.
MazeLifetime tmaze_with_food_at(const MazeConfig& config, int food) {
  MazeLifetime lt;
  lt.start({config, false}, 3, 0, 0);
  lt.item[0] = lt.item[1] = kEmpty;
  lt.food_end = food;
  lt.poison_end = 1 - food;
  lt.item[food] = kFood;
  lt.item[1 - food] = kPoison;
  return lt;
}

/// Walks from the start to end `e` of the published tmaze, the counter watching every step.
void walk_to(MazeLifetime& lt, int e, AdaptationCounter& counter) {
  for (int a : {kForward, kForward, kForward, kForward, e == 0 ? kTurnLeft : kTurnRight, kForward, kForward}) {
    act(lt, a);
    counter.step(lt);
  }
}

/// Every food item swaps the sides, so the scripts know each swap.
MazeConfig swap_at_every_food() {
  MazeConfig config;
  config.permute_inputs = false;
  config.swap_every = 1;
  config.swap_probability = 1.0f;
  return config;
}

// Swap accounting on scripts whose swaps, poisons and outcomes are known: one
// poison then food adapts; a second poison (death) fails; starving fails; two
// poisons then food fails even when poisons do not kill; a swap still open when
// the steps run out is unresolved, not counted.
TEST(AdaptationCounter, ScriptedSwapsPoisonsAndUnresolved) {
  const MazeConfig config = swap_at_every_food();
  {  // food (swap 1), poison, food (swap 1 adapted, swap 2), poison, poison: dead (swap 2 failed)
    MazeLifetime lt = tmaze_with_food_at(config, 0);
    AdaptationCounter counter;
    walk_to(lt, 0, counter);
    ASSERT_TRUE(lt.swapped);
    walk_to(lt, 0, counter);
    ASSERT_TRUE(lt.ate_poison);
    walk_to(lt, 1, counter);
    ASSERT_TRUE(lt.ate_food && lt.swapped);
    walk_to(lt, 1, counter);
    walk_to(lt, 1, counter);
    ASSERT_TRUE(lt.died);
    counter.finish(lt, config);
    EXPECT_EQ(counter.score.swaps, 2);
    EXPECT_EQ(counter.score.adapted, 1);
    EXPECT_EQ(counter.score.unresolved, 0);
    EXPECT_EQ(counter.score.food, 2);
    EXPECT_EQ(counter.score.poison, 3);
    EXPECT_DOUBLE_EQ(counter.score.poisons_per_trial(), 0.6);
    EXPECT_DOUBLE_EQ(counter.score.swap_fraction(), 0.5);
    EXPECT_EQ(counter.score.lifetimes_scored, 1);  // one lifetime, scored 1/2
    EXPECT_DOUBLE_EQ(counter.score.score(), 0.5);
  }
  {  // food (swap), straight to the new food: adapted with no poison; food (swap), then the steps run out
    MazeLifetime lt = tmaze_with_food_at(config, 1);
    AdaptationCounter counter;
    walk_to(lt, 1, counter);
    walk_to(lt, 0, counter);
    walk_to(lt, 0, counter);  // poison: one is allowed, the outcome is still open
    counter.finish(lt, config);
    EXPECT_EQ(counter.score.swaps, 1);
    EXPECT_EQ(counter.score.adapted, 1);
    EXPECT_EQ(counter.score.unresolved, 1);
    EXPECT_DOUBLE_EQ(counter.score.score(), 1.0);
  }
  {  // food (swap), then bump into the junction wall until energy runs out: a failure
    MazeLifetime lt = tmaze_with_food_at(config, 0);
    AdaptationCounter counter;
    walk_to(lt, 0, counter);
    int steps = 0;
    while (lt.alive && steps++ < 200) {
      act(lt, kForward);
      counter.step(lt);
    }
    ASSERT_FALSE(lt.alive);
    counter.finish(lt, config);
    EXPECT_EQ(counter.score.swaps, 1);
    EXPECT_EQ(counter.score.adapted, 0);
    EXPECT_EQ(counter.score.unresolved, 0);
    EXPECT_DOUBLE_EQ(counter.score.score(), 0.0);
  }
  {  // poisons never kill: food (swap), poison, poison, food: counted once, as a failure
    MazeConfig immortal = config;
    immortal.poisons_to_die = 0;
    MazeLifetime lt = tmaze_with_food_at(immortal, 0);
    AdaptationCounter counter;
    walk_to(lt, 0, counter);
    walk_to(lt, 0, counter);
    walk_to(lt, 0, counter);
    ASSERT_TRUE(lt.alive);
    walk_to(lt, 1, counter);
    ASSERT_TRUE(lt.ate_food);
    counter.finish(lt, immortal);
    EXPECT_EQ(counter.score.swaps, 1);  // the swap at the last food is open at the end: unresolved
    EXPECT_EQ(counter.score.adapted, 0);
    EXPECT_EQ(counter.score.unresolved, 1);
  }
}

// ---- agents with memory ------------------------------------------------------------

/// The input lit in channel 0 (-1 none) and the sign of the reward input.
int lit_input(const float* observation) {
  for (int s = 0; s < maze::kFeatures; ++s)
    if (observation[s * maze::kChannels] > 0.0f) return s;
  return -1;
}
int reward_sign(const float* observation) {
  const float* reward = observation + (maze::kSources - 1) * maze::kChannels;
  return reward[1] > 0.0f ? 1 : (reward[2] > 0.0f ? -1 : 0);
}

/// A learner for the published tmaze: it goes to the side where it last ate
/// food; when it eats poison it remembers the input that was lit in front of it
/// (the poison colour) and switches sides; once it knows the colour it turns
/// round at the sight of it and goes to the other arm.
class ColourLearner {
 public:
  /// believed_poison >= 0: an agent sure from birth that this input is the
  /// poison colour, which never revises it (a fixed preference, not learning).
  explicit ColourLearner(int believed_poison = -1) : believed_poison_(believed_poison) {}
  void start() {
    side_ = 0;
    poison_input_ = believed_poison_;
    plan_.clear();
    plan_ready_ = false;
  }
  int act(const float* observation) {
    const int sign = reward_sign(observation);
    if (sign != 0) {  // just ate: back on the start, facing north
      if (sign < 0) {
        if (believed_poison_ < 0) poison_input_ = last_lit_;
        side_ = 1 - eaten_side_;
      } else {
        side_ = eaten_side_;
      }
      plan_ready_ = false;
    }
    if (!plan_ready_) {  // from the start to the cell before the end of side_
      plan_ = {kForward, kForward, kForward, kForward, side_ == 0 ? kTurnLeft : kTurnRight, kForward};
      plan_ready_ = true;
      next_ = 0;
    }
    if (next_ == plan_.size()) {  // facing the end: eat, or turn round at the poison colour
      const int lit = lit_input(observation);
      if (poison_input_ >= 0 && lit == poison_input_) {
        plan_.insert(plan_.end(), {kTurnLeft, kTurnLeft, kForward, kForward, kForward});
        eaten_side_ = 1 - side_;
      } else {
        plan_.push_back(kForward);
        eaten_side_ = side_;
      }
    }
    last_lit_ = lit_input(observation);
    return plan_[next_++];
  }

 private:
  int believed_poison_ = -1;
  int side_ = 0, eaten_side_ = 0, poison_input_ = -1, last_lit_ = -1;
  std::vector<int> plan_;
  size_t next_ = 0;
  bool plan_ready_ = false;
};

/// An agent with memory that learns nothing: it alternates west, east, west, ...
class Alternator {
 public:
  void start() { side_ = 1, step_ = 7; }
  int act(const float* observation) {
    if (reward_sign(observation) != 0 || step_ == 7) {  // at the start: pick the other side
      side_ = 1 - side_;
      step_ = 0;
    }
    const int path[7] = {kForward, kForward, kForward, kForward, side_ == 0 ? kTurnLeft : kTurnRight, kForward,
                         kForward};
    return path[step_++];
  }

 private:
  int side_ = 1, step_ = 7;
};

template <typename Agent>
AdaptationScore score(Agent& agent, const MazeConfig& config, const LifetimeSet& set) {
  MazeAgent wrapped{[&](int) { agent.start(); }, [&](int, const float* obs) { return agent.act(obs); }};
  return score_agent(config, false, set, wrapped);
}

// A learner (memory of the poison colour and of the food side) meets many swaps
// and adapts to every one, eating almost no poison; an alternator also never
// eats two poisons after a swap, but its poisons per trial (4/9: five food and
// four poisons between swaps) shows that it did not learn.
TEST(Adaptation, LearnerScoresOneAlternatorIsExposed) {
  MazeConfig config;  // published tmaze: permuted inputs, 400 steps
  config.swap_probability = 1.0f;
  const LifetimeSet set{11, 0, 16};
  ColourLearner learner;
  const AdaptationScore learned = score(learner, config, set);
  EXPECT_GE(learned.swaps, 16 * 5) << "about 8 swaps a lifetime";
  EXPECT_EQ(learned.lifetimes_scored, set.count);
  EXPECT_DOUBLE_EQ(learned.score(), 1.0);
  EXPECT_DOUBLE_EQ(learned.swap_fraction(), 1.0);
  EXPECT_LE(learned.poison, set.count);  // at most the one poison that teaches it the colour
  EXPECT_LT(learned.poisons_per_trial(), 0.05);

  Alternator alternator;
  const AdaptationScore alternated = score(alternator, config, set);
  EXPECT_GE(alternated.swaps, 16 * 3);
  EXPECT_DOUBLE_EQ(alternated.score(), 1.0);
  EXPECT_NEAR(alternated.poisons_per_trial(), 4.0 / 9.0, 0.03);
}

// The input orders: six distinct indices naming each feature's input, and
// input_order gives back the order of each index.
TEST(Adaptation, InputOrdersAreNumberedOnce) {
  std::set<std::string> names;
  int permutation[maze::kFeatures] = {0, 1, 2};
  do {
    const int k = input_order_index(permutation);
    ASSERT_GE(k, 0);
    ASSERT_LT(k, maze::kInputOrders);
    int back[maze::kFeatures];
    input_order(k, back);
    EXPECT_TRUE(std::equal(back, back + maze::kFeatures, permutation)) << "order " << k;
    const std::string name = input_order_name(k);
    EXPECT_EQ(name, "wall " + std::to_string(permutation[kSeeWall]) + ", food " +
                        std::to_string(permutation[kSeeFood]) + ", poison " + std::to_string(permutation[kSeePoison]));
    names.insert(name);
  } while (std::next_permutation(permutation, permutation + maze::kFeatures));
  EXPECT_EQ(names.size(), size_t(maze::kInputOrders));
}

// By input order, the learner scores 1 in every order; an agent sure that input
// 2 is poison scores 0 where input 2 is food (it turns away from the food, eats
// the poison twice and dies) and 1 elsewhere (where input 2 is poison it never
// eats any; where it is the wall it switches sides after each poison). The
// orders add up to the totals.
TEST(Adaptation, ScoresByInputOrderShowFixedPreferences) {
  MazeConfig config;
  config.swap_probability = 1.0f;
  const LifetimeSet set{11, 0, 48};
  ColourLearner learner, sure_of_input2(2);
  const AdaptationScore learned = score(learner, config, set), biased = score(sure_of_input2, config, set);
  int lifetimes = 0, scored = 0;
  double score_sum = 0.0;
  for (int k = 0; k < maze::kInputOrders; ++k) {
    const OrderTally& l = learned.by_order[size_t(k)];
    const OrderTally& b = biased.by_order[size_t(k)];
    SCOPED_TRACE(input_order_name(k));
    ASSERT_GT(l.lifetimes, 0) << "48 lifetimes meet every order";
    EXPECT_EQ(b.lifetimes, l.lifetimes);
    EXPECT_DOUBLE_EQ(l.score(), 1.0);
    const bool food_on_input2 = input_order_name(k).find("food 2") != std::string::npos;
    EXPECT_DOUBLE_EQ(b.score(), food_on_input2 ? 0.0 : 1.0);
    lifetimes += b.lifetimes;
    scored += b.scored;
    score_sum += b.score_sum;
  }
  EXPECT_EQ(lifetimes, biased.lifetimes);
  EXPECT_EQ(scored, biased.lifetimes_scored);
  EXPECT_DOUBLE_EQ(score_sum, biased.lifetime_score_sum);

  // Standard errors: lifetime scores all 1 vary not at all; scores of 0 or 1 with
  // mean p over n lifetimes have sample variance p (1 - p) n / (n - 1).
  EXPECT_DOUBLE_EQ(learned.standard_error(), 0.0);
  const double p = biased.score(), n = biased.lifetimes_scored;
  ASSERT_GT(p, 0.0);
  ASSERT_LT(p, 1.0);
  EXPECT_NEAR(biased.standard_error(), std::sqrt(p * (1 - p) / (n - 1)), 1e-12);
}

// ---- fixed policies ----------------------------------------------------------------

// The observation classes: feature input lit (or none) times reward sign.
TEST(FixedPolicy, ObservationClasses) {
  float observation[maze::kSources * maze::kChannels] = {};
  EXPECT_EQ(observation_class(observation), 0);
  observation[2 * maze::kChannels] = 1.0f;
  EXPECT_EQ(observation_class(observation), 3);
  observation[2 * maze::kChannels] = 0.0f;
  observation[(maze::kSources - 1) * maze::kChannels + 2] = 1.0f;
  EXPECT_EQ(observation_class(observation), 8);
  EXPECT_EQ(observation_class_name(8), "nothing/neg");
}

// Without the permutation a fixed policy can know the food colour: the best one
// (found by the enumeration) walks to the food every time, adapting to every
// swap with no poison at all, and replaying it directly gives the same score.
TEST(FixedPolicies, KnownColoursAllowAPerfectFixedPolicy) {
  MazeConfig config;
  config.permute_inputs = false;
  config.steps = 200;
  const LifetimeSet set{5, 0, 8};
  const FixedPolicySearch search = best_fixed_policy(config, false, set);
  EXPECT_TRUE(search.complete);
  EXPECT_GT(search.best_score.swaps, 8);
  EXPECT_DOUBLE_EQ(search.best_score.score(), 1.0);
  EXPECT_EQ(search.best_score.poison, 0) << policy_string(search.best);
  const AdaptationScore replay = score_fixed_policy(config, false, set, search.best);
  EXPECT_EQ(replay.adapted, search.best_score.adapted);
  EXPECT_EQ(replay.swaps, search.best_score.swaps);
  EXPECT_DOUBLE_EQ(replay.mean_fitness(), search.best_score.mean_fitness());
}

// Exactness: on a small set of permuted lifetimes the enumeration's best equals
// the best of a brute force over all 3^12 complete policies (same score, swaps
// and fitness), and the number of leaves equals the number of distinct
// behaviours the brute force sees (policies restricted to the classes they meet).
TEST(FixedPolicies, EnumerationMatchesBruteForce) {
  MazeConfig config;  // permuted inputs
  config.steps = 40;
  config.swap_every = 1;  // swaps within 40 steps
  const LifetimeSet set{21, 0, 4};
  const FixedPolicySearch search = best_fixed_policy(config, false, set);
  ASSERT_TRUE(search.complete);

  AdaptationScore brute_best;
  bool first = true;
  std::set<uint32_t> behaviours;  // base-4 digits: the action per class met, 3 where not met
  FixedPolicy policy{};
  int total = 1;
  for (int c = 0; c < kObservationClasses; ++c) total *= maze::kActions;
  for (int code = 0; code < total; ++code) {
    for (int c = 0, rest = code; c < kObservationClasses; ++c, rest /= maze::kActions)
      policy[size_t(c)] = rest % maze::kActions;
    ClassMask met = 0;
    const AdaptationScore s = score_fixed_policy(config, false, set, policy, &met);
    if (first || s.score() > brute_best.score() ||
        (s.score() == brute_best.score() && s.mean_fitness() > brute_best.mean_fitness())) {
      brute_best = s;
      first = false;
    }
    uint32_t key = 0;
    for (int c = 0; c < kObservationClasses; ++c) key = key * 4 + uint32_t(met >> c & 1 ? policy[size_t(c)] : 3);
    behaviours.insert(key);
  }
  EXPECT_GT(brute_best.swaps, 0);
  EXPECT_DOUBLE_EQ(search.best_score.score(), brute_best.score());
  EXPECT_DOUBLE_EQ(search.best_score.mean_fitness(), brute_best.mean_fitness());
  EXPECT_EQ(search.best_score.swaps, brute_best.swaps);
  EXPECT_EQ(search.best_score.adapted, brute_best.adapted);
  EXPECT_EQ(search.policies, int64_t(behaviours.size()));
}

// With permuted inputs a fixed policy cannot know the food colour: the best one
// suits only some permutations (about a third of the lifetimes) and its score is
// far below 1, although pooled over swaps it can look perfect (the lifetimes it
// suits are the ones that meet many swaps). The search stays fast.
TEST(FixedPolicies, PermutedInputsKeepTheBestFixedPolicyLow) {
  const MazeConfig config;  // published tmaze: 400 steps, permuted inputs
  const LifetimeSet set = held_out_lifetimes(1, 64);
  const auto t0 = std::chrono::steady_clock::now();
  const FixedPolicySearch search = best_fixed_policy(config, false, set);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(search.complete);
  EXPECT_LT(seconds, 3.0);
  EXPECT_EQ(search.best_score.lifetimes_scored, set.count);
  EXPECT_GT(search.best_score.score(), 0.1);
  EXPECT_LT(search.best_score.score(), 0.6) << policy_string(search.best);
  const AdaptationScore replay = score_fixed_policy(config, false, set, search.best);
  EXPECT_DOUBLE_EQ(replay.score(), search.best_score.score());
}

// The cap stops the search and says so.
TEST(FixedPolicies, CapIsReported) {
  MazeConfig config;
  config.steps = 60;
  const FixedPolicySearch capped = best_fixed_policy(config, false, LifetimeSet{21, 0, 4}, 5);
  EXPECT_FALSE(capped.complete);
  EXPECT_EQ(capped.policies, 5);
}

// ---- the published maze --------------------------------------------------------------

constexpr int kEast = kForward, kNorthMove = kTurnLeft, kSouthMove = kTurnRight;
int toward(int side) { return side == 0 ? kNorthMove : kSouthMove; }

// Published rules allow no poison after a swap: turning away at the sight of the
// poison and eating the food adapts; eating the poison first fails.
TEST(PublishedAdaptation, TurningAwayAtSightAdaptsEatingThePoisonFails) {
  MazeConfig config = published_maze();
  config.permute_inputs = false;
  config.swap_every = 1;
  config.swap_probability = 1.0f;
  MazeLifetime lt = tmaze_with_food_at(config, 0);
  AdaptationCounter counter;
  const auto move = [&](int action) {
    act(lt, action);
    counter.step(lt);
  };
  for (int a : {kEast, kEast, kEast, kNorthMove, kNorthMove}) move(a);  // food, swap: food now south
  ASSERT_TRUE(lt.swapped);
  for (int a : {kEast, kEast, kEast, kNorthMove}) move(a);
  ASSERT_EQ(lt.ahead(), kSeePoison);
  for (int a : {kSouthMove, kSouthMove, kSouthMove}) move(a);  // turn away, find the food: swap again
  ASSERT_TRUE(lt.ate_food && lt.swapped);
  for (int a : {kEast, kEast, kEast, kSouthMove, kSouthMove}) move(a);  // the poison, eaten
  ASSERT_TRUE(lt.ate_poison);
  for (int a : {kEast, kEast, kEast, kNorthMove, kNorthMove}) move(a);
  ASSERT_TRUE(lt.ate_food);
  counter.finish(lt, config);
  EXPECT_EQ(counter.score.swaps, 2);  // the third swap (at the last food) is open: unresolved
  EXPECT_EQ(counter.score.adapted, 1);
  EXPECT_EQ(counter.score.unresolved, 1);
}

/// A learner for the published tmaze: it remembers the input lit before each
/// item it ate (the food or the poison colour, told by the reward) and the side
/// of the last food; at the cell before an end it eats what it knows is food,
/// and turns away from anything else to the other arm.
class SightLearner {
 public:
  /// turns_away false: win-stay lose-shift, the same agent that never turns at the
  /// sight of what it knows is not food (it eats it and switches sides).
  explicit SightLearner(bool turns_away = true) : turns_away_(turns_away) {}
  void start() { side_ = 0, food_input_ = poison_input_ = -1, step_ = 0, eaten_side_ = 0; }
  int act(const float* observation) {
    const int sign = reward_sign(observation);
    if (sign != 0) {  // just ate, back on the start
      (sign > 0 ? food_input_ : poison_input_) = last_lit_;
      side_ = sign > 0 ? eaten_side_ : 1 - eaten_side_;
      step_ = 0;
    }
    last_lit_ = lit_input(observation);
    if (step_ < 3) return ++step_, kEast;
    if (step_ == 3) return ++step_, toward(side_);
    // Facing an end: eat unless it is known not to be food.
    const bool not_food = last_lit_ == poison_input_ || (food_input_ >= 0 && last_lit_ != food_input_);
    if (step_ == 4 && not_food && turns_away_) {
      side_ = eaten_side_ = 1 - side_;
      step_ = 5;  // back to the junction, then two moves on into the other arm
    }
    if (step_ >= 5 && step_ < 8) return ++step_, toward(side_);
    eaten_side_ = side_;
    return toward(side_);
  }

 private:
  bool turns_away_;
  int side_ = 0, eaten_side_ = 0, food_input_ = -1, poison_input_ = -1, last_lit_ = -1, step_ = 0;
};

// The learner adapts to every swap in every input order, eating almost no poison;
// the best memoryless policy cannot turn back at all (facing south into the arm
// it sees what it sees facing east at the start: nothing), so it scores 0, and
// the colour-blind bound is about one half.
TEST(PublishedAdaptation, SightLearnerScoresOneFixedPoliciesCannotTurnBack) {
  const MazeConfig config = published_maze();
  const LifetimeSet set = held_out_lifetimes(3, 48);
  SightLearner learner;
  const AdaptationScore learned = score(learner, config, set);
  EXPECT_GE(learned.swaps, 48 * 3);
  EXPECT_DOUBLE_EQ(learned.score(), 1.0);
  EXPECT_LE(learned.poison, set.count);  // at most the first item of each lifetime
  for (int k = 0; k < maze::kInputOrders; ++k) EXPECT_DOUBLE_EQ(learned.by_order[size_t(k)].score(), 1.0);
  EXPECT_GT(learned.colour_blind_bound(), 0.4);
  EXPECT_LT(learned.colour_blind_bound(), 0.7);

  const FixedPolicySearch fixed = best_fixed_policy(config, false, set);
  EXPECT_TRUE(fixed.complete);
  EXPECT_GT(fixed.best_score.swaps, 0);
  EXPECT_EQ(fixed.best_score.adapted, 0) << policy_string(fixed.best);
}

// What learning is worth to fitness, the signal evolution has to climb from
// win-stay lose-shift (docs/maze.md quotes the figures). Both agents take the
// same first item, and the learner reaches each food count no later, so it meets
// the same swaps no later and eats at least as much food: it leads by at least
// the poisons it does not eat (-1 each), plus the steps of the detours it does
// not make and the alive bonus the second poison ends.
TEST(PublishedAdaptation, TurningAwayAtSightOutscoresWinStayLoseShift) {
  MazeConfig config = published_maze();
  config.steps = 200;  // tmaze_small's lifetimes
  const LifetimeSet set = held_out_lifetimes(3, 256);
  SightLearner learner, win_stay(false);
  const AdaptationScore learned = score(learner, config, set), stayed = score(win_stay, config, set);
  EXPECT_DOUBLE_EQ(learned.score(), 1.0);
  EXPECT_DOUBLE_EQ(stayed.score(), 0.0);
  EXPECT_GE(learned.food, stayed.food);
  EXPECT_GT(stayed.poison, learned.poison + set.count);  // more than one poison a lifetime more
  EXPECT_GE(learned.mean_fitness() - stayed.mean_fitness(), double(stayed.poison - learned.poison) / set.count);
}

// The bound by hand: for each wall input the larger of its two orders' scored
// lifetimes: (max(3, 1) + max(2, 2) + max(0, 4)) / 12.
TEST(PublishedAdaptation, ColourBlindBoundTakesTheLargerOrderOfEachPair) {
  AdaptationScore s;
  const int scored[maze::kInputOrders] = {3, 1, 2, 2, 0, 4};
  for (int k = 0; k < maze::kInputOrders; ++k) {
    s.by_order[size_t(k)].scored = scored[k];
    s.lifetimes_scored += scored[k];
  }
  EXPECT_DOUBLE_EQ(s.colour_blind_bound(), 9.0 / 12.0);
}

// ---- the analysis end to end ---------------------------------------------------------

// analyze_task on a tiny tmaze network writes maze_adaptation.csv with a header,
// an agent row and a best-fixed row, and names both scores in its description.
TEST(MazeAnalysis, AnalyzeTaskWritesAdaptationCsv) {
  const RunConfig config = parse_config(
      "task:\n  name: tmaze\n  maze:\n    steps: 60\n"
      "model:\n  kind: network\n  network:\n    channels: 4\n    memory: 4\n"
      "    topology: {inputs: 4, neurons: 6, outputs: 3, fan_in: 8}\n"
      "es:\n  population: 4\n  lifetimes: 2\n",
      "test_maze_analysis");
  const std::vector<float> theta = initial_centre(config);
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "enu_test_maze_analysis";
  std::filesystem::create_directories(dir);
  bool found = false;
  const AnalysisReport report = analyze_task(config, theta, dir.string(), &found);
  ASSERT_TRUE(found);
  EXPECT_NE(report.summary.find("best fixed"), std::string::npos) << report.summary;
  EXPECT_NE(report.summary.find("ratio"), std::string::npos) << report.summary;
  std::ifstream in(dir / "maze_adaptation.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("policy,adaptation_score,", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("agent,", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("best_fixed,", 0), 0u) << lines[2];
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace enu
