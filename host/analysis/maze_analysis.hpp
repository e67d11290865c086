#pragma once
// Learning, measured: the adaptation score of a maze agent over held-out
// lifetimes, and the best score a fixed (memoryless, non-learning) policy can
// reach on the same lifetimes, found by enumerating every such policy exactly.
// Definitions: docs/maze.md, "Learning, measured".

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/task.hpp"

namespace enu {

/// Input order `index` (numbered as input_order_index, enu/maze_tasks.hpp) in
/// words, e.g. "wall 0, food 1, poison 2".
std::string input_order_name(int index);

/// The lifetimes of one input order: how many, the scored ones, their summed
/// lifetime scores and fitness. An agent that has not learned which input is
/// food scores by order what its fixed preferences happen to suit.
struct OrderTally {
  int lifetimes = 0, scored = 0;
  double score_sum = 0.0, fitness_sum = 0.0;
  double score() const { return scored > 0 ? score_sum / scored : 0.0; }
  double mean_fitness() const { return lifetimes > 0 ? fitness_sum / lifetimes : 0.0; }
};

/// Swap outcomes and item counts summed over a set of lifetimes.
struct AdaptationScore {
  int swaps = 0;          // swaps counted: their outcome is known
  int adapted = 0;        // of those, swaps followed by food with no poison before it (forgiving rules: one)
  int unresolved = 0;     // swaps excluded: the lifetime ran out of steps before the outcome was known
  int food = 0, poison = 0;  // items eaten over the whole lifetimes
  int lifetimes = 0;
  double fitness_sum = 0.0;
  // Per lifetime (docs/maze.md): a lifetime with counted swaps scores adapted / counted;
  // one that never ate swap_every food items (so never met a swap chance) scores 0;
  // the others (chances not taken, or only unresolved swaps) are excluded.
  int lifetimes_scored = 0;
  int lifetimes_without_swap = 0;  // of the scored, those that never met a swap chance (scored 0)
  double lifetime_score_sum = 0.0;
  double lifetime_score_square_sum = 0.0;
  std::array<OrderTally, maze::kInputOrders> by_order{};  // the same lifetimes, by input order

  /// The adaptation score: the mean lifetime score over the scored lifetimes (0
  /// when none is scored). Each lifetime weighs the same, so a fixed policy that
  /// happens to suit some input permutations (and meets many swaps there) while
  /// starving or poisoning itself in the others cannot score 1.
  double score() const { return lifetimes_scored > 0 ? lifetime_score_sum / lifetimes_scored : 0.0; }
  /// The standard error of score() as an estimate of the mean over all lifetimes:
  /// sample std of the lifetime scores / sqrt(scored); 0 below two scored lifetimes.
  double standard_error() const;
  /// The best score() an agent that cannot learn which colour is food could reach on
  /// these scored lifetimes: it may know the wall's input (every trial shows the
  /// wall at the same point), but orders 2w and 2w + 1 differ only in which of the
  /// other two inputs is food, so at most one order of each pair can suit it.
  double colour_blind_bound() const;
  /// adapted / swaps pooled over all lifetimes; 0 when no swap is counted.
  double swap_fraction() const { return swaps > 0 ? double(adapted) / swaps : 0.0; }
  /// poison / (food + poison) over the whole lifetimes; 0 when nothing was eaten.
  double poisons_per_trial() const { return food + poison > 0 ? double(poison) / (food + poison) : 0.0; }
  double mean_fitness() const { return lifetimes > 0 ? fitness_sum / lifetimes : 0.0; }
  /// Adds another set's counts (lifetimes run separately).
  void add(const AdaptationScore& other);
};

/// Follows one lifetime's swaps: call step() after every act() and finish() once
/// after the last step; the outcomes are added to `score`.
class AdaptationCounter {
 public:
  void step(const MazeLifetime& lifetime);
  void finish(const MazeLifetime& lifetime, const MazeConfig& config);
  AdaptationScore score;

 private:
  bool open_ = false;          // a swap whose outcome is not known yet
  int poisons_since_swap_ = 0;
  int lifetime_swaps_ = 0, lifetime_adapted_ = 0;  // this lifetime's counted swaps
};

// ---- fixed policies ---------------------------------------------------------------

/// What a memoryless agent can tell apart: which feature input (if any) is lit,
/// times the reward input (none, positive, negative). class = 4 * reward + feature,
/// feature 0 nothing, 1 + s input s lit; reward 0 none, 1 positive, 2 negative.
constexpr int kObservationClasses = 12;
int observation_class(const float observation[maze::kSources * maze::kChannels]);
std::string observation_class_name(int c);  // e.g. "input1/neg"

/// An action (maze::kForward, maze::kTurnLeft, maze::kTurnRight) per observation class; -1 where
/// the class was never met (any action gives the same behaviour there).
using FixedPolicy = std::array<int, kObservationClasses>;
std::string policy_string(const FixedPolicy& policy);  // "nothing/none:F input0/none:L ... " ('?' unassigned)

/// Bitmask (bit c) of the observation classes a run met.
using ClassMask = uint32_t;

/// A complete fixed policy on lifetimes 0 .. set.count-1 of `set`, simulated directly.
/// `met`, when given, receives the classes it met. Unassigned classes act as forward.
AdaptationScore score_fixed_policy(const MazeConfig& config, bool double_maze, const LifetimeSet& set,
                                   const FixedPolicy& policy, ClassMask* met = nullptr);

struct FixedPolicySearch {
  FixedPolicy best{};           // the best policy (-1 where its behaviour never met the class)
  AdaptationScore best_score;   // its score on the lifetimes
  int64_t policies = 0;         // distinct behaviours evaluated (leaves of the decision tree)
  int64_t steps_simulated = 0;  // maze steps simulated, all branches together
  bool complete = true;         // false when max_policies stopped the search early
};

/// Every fixed policy, exactly: the lifetimes are simulated with a partial policy,
/// branching over the three actions only at a class the policy has not assigned
/// yet, so each leaf is one distinct behaviour on these lifetimes. Best: highest
/// adaptation score, ties to higher mean fitness, then to the first found. The
/// tree has at most 3^12 leaves; `max_policies` caps it anyway (complete = false).
FixedPolicySearch best_fixed_policy(const MazeConfig& config, bool double_maze, const LifetimeSet& set,
                                    int64_t max_policies = 1 << 20);

// ---- agents -----------------------------------------------------------------------

/// Any agent with memory, as a function (lifetime index, observation) -> action;
/// `start` (may be empty) is called at the start of each lifetime.
struct MazeAgent {
  std::function<void(int lifetime)> start;
  std::function<int(int lifetime, const float* observation)> act;
};
AdaptationScore score_agent(const MazeConfig& config, bool double_maze, const LifetimeSet& set, MazeAgent& agent);

/// The network with parameters theta (config's model and maze task) on `set`,
/// through the fast CPU runner and the CPU maze environment.
AdaptationScore score_network(const RunConfig& config, const std::vector<float>& theta, const LifetimeSet& set);

/// The maze analysis of a run: the network on run.eval_lifetimes held-out
/// lifetimes against the best fixed policy on the same lifetimes.
struct MazeAdaptationReport {
  AdaptationScore agent;
  FixedPolicySearch fixed;
  int lifetimes = 0;
  std::string csv;          // maze_adaptation.csv: one row for the agent, one for the best fixed policy
  std::string description;  // one line naming both scores and their ratio
};
MazeAdaptationReport maze_adaptation(const RunConfig& config, const std::vector<float>& theta);

}  // namespace enu
