// Adaptation scores of maze agents, and the exact best fixed policy.
#include "maze_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

#include "runner.hpp"
#include "run.hpp"
#include "tasks.hpp"

namespace enu {
// The maze vocabulary (actions, features, items, headings) by its own names.
using namespace maze;

// ---- swap accounting --------------------------------------------------------------

std::string input_order_name(int index) {
  int permutation[maze::kFeatures];
  input_order(index, permutation);
  return "wall " + std::to_string(permutation[kSeeWall]) + ", food " + std::to_string(permutation[kSeeFood]) +
         ", poison " + std::to_string(permutation[kSeePoison]);
}

double AdaptationScore::standard_error() const {
  const int n = lifetimes_scored;
  if (n < 2) return 0.0;
  const double mean = score();
  const double variance = std::max(0.0, (lifetime_score_square_sum - n * mean * mean) / (n - 1));
  return std::sqrt(variance / n);
}

double AdaptationScore::colour_blind_bound() const {
  if (lifetimes_scored == 0) return 0.0;
  int suited = 0;
  for (int wall = 0; wall < maze::kFeatures; ++wall)
    suited += std::max(by_order[size_t(2 * wall)].scored, by_order[size_t(2 * wall + 1)].scored);
  return double(suited) / lifetimes_scored;
}

void AdaptationScore::add(const AdaptationScore& other) {
  swaps += other.swaps;
  adapted += other.adapted;
  unresolved += other.unresolved;
  food += other.food;
  poison += other.poison;
  lifetimes += other.lifetimes;
  fitness_sum += other.fitness_sum;
  lifetimes_scored += other.lifetimes_scored;
  lifetimes_without_swap += other.lifetimes_without_swap;
  lifetime_score_sum += other.lifetime_score_sum;
  lifetime_score_square_sum += other.lifetime_score_square_sum;
  for (int k = 0; k < maze::kInputOrders; ++k) {
    OrderTally& mine = by_order[size_t(k)];
    const OrderTally& theirs = other.by_order[size_t(k)];
    mine.lifetimes += theirs.lifetimes;
    mine.scored += theirs.scored;
    mine.score_sum += theirs.score_sum;
    mine.fitness_sum += theirs.fitness_sum;
  }
}

void AdaptationCounter::step(const MazeLifetime& lifetime) {
  // Forgiving rules: the agent can only learn of a swap by eating the poison, so one
  // is allowed. Published rules: it sees the poison before eating it, and adapts by
  // turning away at sight.
  const int poisons_allowed = lifetime.settings.config.rules == MazeRules::forgiving ? 1 : 0;
  if (open_) {
    bool adapted = false, closed = false;
    if (lifetime.ate_food) {
      // A poison beyond the allowance has already closed the swap as a failure, so this food is a success.
      adapted = closed = true;
    } else if (lifetime.ate_poison && ++poisons_since_swap_ > poisons_allowed) {
      closed = true;
    }
    if (!closed && lifetime.died) closed = true;  // starved, or died of poisons in a row, before finding the food
    if (closed) {
      ++lifetime_swaps_;
      lifetime_adapted_ += adapted;
      open_ = false;
    }
  }
  // A swap happens on a food step: the food just eaten closed the previous one.
  if (lifetime.swapped) {
    open_ = true;
    poisons_since_swap_ = 0;
  }
}

void AdaptationCounter::finish(const MazeLifetime& lifetime, const MazeConfig& config) {
  if (open_) ++score.unresolved;
  score.swaps += lifetime_swaps_;
  score.adapted += lifetime_adapted_;
  OrderTally& order = score.by_order[size_t(input_order_index(lifetime.permutation))];
  if (lifetime_swaps_ > 0) {
    const double lifetime_score = double(lifetime_adapted_) / lifetime_swaps_;
    ++score.lifetimes_scored;
    score.lifetime_score_sum += lifetime_score;
    score.lifetime_score_square_sum += lifetime_score * lifetime_score;
    ++order.scored;
    order.score_sum += lifetime_score;
  } else if (lifetime.food_eaten < config.swap_every) {
    ++score.lifetimes_scored;  // never gave the maze a chance to swap: nothing adapted
    ++score.lifetimes_without_swap;
    ++order.scored;
  }
  const double fitness = lifetime.fitness();
  score.food += lifetime.food_eaten;
  score.poison += lifetime.poison_eaten;
  score.fitness_sum += fitness;
  ++score.lifetimes;
  ++order.lifetimes;
  order.fitness_sum += fitness;
  open_ = false;
  lifetime_swaps_ = lifetime_adapted_ = 0;
}

// ---- fixed policies ---------------------------------------------------------------

int observation_class(const float observation[maze::kSources * maze::kChannels]) {
  int feature = 0;
  for (int s = 0; s < maze::kFeatures; ++s)
    if (observation[s * maze::kChannels] > 0.0f) feature = 1 + s;
  const float* reward = observation + (maze::kSources - 1) * maze::kChannels;
  const int sign = reward[1] > 0.0f ? 1 : (reward[2] > 0.0f ? 2 : 0);
  return 4 * sign + feature;
}

std::string observation_class_name(int c) {
  static const char* features[4] = {"nothing", "input0", "input1", "input2"};
  static const char* rewards[3] = {"none", "pos", "neg"};
  return std::string(features[c % 4]) + "/" + rewards[c / 4];
}

std::string policy_string(const FixedPolicy& policy) {
  static const char actions[3] = {'F', 'L', 'R'};
  std::string out;
  for (int c = 0; c < kObservationClasses; ++c) {
    if (!out.empty()) out += ' ';
    out += observation_class_name(c) + ':' + (policy[size_t(c)] < 0 ? '?' : actions[policy[size_t(c)]]);
  }
  return out;
}

namespace {

void act_with(MazeLifetime& lifetime, int action) {
  float outputs[maze::kActions] = {0.0f, 0.0f, 0.0f};
  outputs[action] = 1.0f;
  lifetime.act(outputs);
}

// The decision tree over reachable observation classes. A Walk is one partial
// simulation: the policy assigned so far and where the lifetimes stand.
class PolicyTree {
 public:
  PolicyTree(const MazeConfig& config, bool double_maze, const LifetimeSet& set, int64_t max_policies)
      : config_(config), double_(double_maze), set_(set), max_policies_(max_policies) {}

  FixedPolicySearch run() {
    Walk walk;
    walk.policy.fill(-1);
    if (set_.count > 0) walk.lifetime.start({config_, double_}, set_.seed, set_.generation, 0);
    explore(walk);
    return result_;
  }

 private:
  struct Walk {
    FixedPolicy policy;
    int index = 0;  // the lifetime being simulated
    int step = 0;
    MazeLifetime lifetime;
    AdaptationCounter counter;
  };

  // Walks on until every lifetime is done (a leaf) or an unassigned class is
  // met, where it branches. Depth is at most kObservationClasses.
  void explore(Walk& walk) {
    if (!result_.complete) return;
    for (;;) {
      if (walk.index == set_.count) return leaf(walk);
      if (walk.step == config_.steps || !walk.lifetime.alive) {  // a dead lifetime's remaining acts change nothing
        walk.counter.finish(walk.lifetime, config_);
        if (++walk.index < set_.count)
          walk.lifetime.start({config_, double_}, set_.seed, set_.generation, walk.index);
        walk.step = 0;
        continue;
      }
      float observation[maze::kSources * maze::kChannels];
      walk.lifetime.observe(observation);
      const int c = observation_class(observation);
      if (walk.policy[size_t(c)] < 0) {
        for (int a = 0; a < maze::kActions; ++a) {
          Walk branch = walk;
          branch.policy[size_t(c)] = a;
          explore(branch);
        }
        return;
      }
      act_with(walk.lifetime, walk.policy[size_t(c)]);
      walk.counter.step(walk.lifetime);
      ++walk.step;
      ++result_.steps_simulated;
    }
  }

  void leaf(const Walk& walk) {
    const AdaptationScore& s = walk.counter.score;
    const AdaptationScore& best = result_.best_score;
    if (result_.policies == 0 || s.score() > best.score() ||
        (s.score() == best.score() && s.mean_fitness() > best.mean_fitness())) {
      result_.best = walk.policy;
      result_.best_score = s;
    }
    if (++result_.policies >= max_policies_) result_.complete = false;
  }

  MazeConfig config_;
  bool double_;
  LifetimeSet set_;
  int64_t max_policies_;
  FixedPolicySearch result_;
};

}  // namespace

AdaptationScore score_fixed_policy(const MazeConfig& config, bool double_maze, const LifetimeSet& set,
                                   const FixedPolicy& policy, ClassMask* met) {
  AdaptationCounter counter;
  ClassMask seen = 0;
  for (int i = 0; i < set.count; ++i) {
    MazeLifetime lifetime;
    lifetime.start({config, double_maze}, set.seed, set.generation, i);
    for (int step = 0; step < config.steps && lifetime.alive; ++step) {
      float observation[maze::kSources * maze::kChannels];
      lifetime.observe(observation);
      const int c = observation_class(observation);
      seen |= ClassMask(1) << c;
      act_with(lifetime, policy[size_t(c)] < 0 ? kForward : policy[size_t(c)]);
      counter.step(lifetime);
    }
    counter.finish(lifetime, config);
  }
  if (met) *met = seen;
  return counter.score;
}

FixedPolicySearch best_fixed_policy(const MazeConfig& config, bool double_maze, const LifetimeSet& set,
                                    int64_t max_policies) {
  return PolicyTree(config, double_maze, set, max_policies).run();
}

// ---- agents -----------------------------------------------------------------------

AdaptationScore score_agent(const MazeConfig& config, bool double_maze, const LifetimeSet& set, MazeAgent& agent) {
  AdaptationCounter counter;
  for (int i = 0; i < set.count; ++i) {
    MazeLifetime lifetime;
    lifetime.start({config, double_maze}, set.seed, set.generation, i);
    if (agent.start) agent.start(i);
    for (int step = 0; step < config.steps; ++step) {
      float observation[maze::kSources * maze::kChannels];
      lifetime.observe(observation);
      act_with(lifetime, agent.act(i, observation));
      counter.step(lifetime);
    }
    counter.finish(lifetime, config);
  }
  return counter.score;
}

AdaptationScore score_network(const RunConfig& config, const std::vector<float>& theta, const LifetimeSet& set) {
  const auto task = make_task(config.task);
  const ObservationShape shape = task->observation_shape();
  const ModelSpec model = config.model_spec();
  auto runner = make_fast_runner(model, shape, set.count);
  auto env = task->make_environment(set.count);
  runner->reset(theta.data(), kCentreMemberId, set, 0, set.count);
  env->reset(set, 0, set.count);
  std::vector<AdaptationCounter> counters(size_t(set.count));
  std::vector<float> observations(size_t(set.count) * shape.sources * shape.channels);
  std::vector<float> outputs(size_t(set.count) * model.output_count()), fitness(size_t(set.count));
  run_lifetimes(*runner, *task, *env, observations.data(), outputs.data(), fitness.data(),
                [&](int, const float*, const float*, const Environment& e) {
                  for (int i = 0; i < set.count; ++i) counters[size_t(i)].step(*maze_lifetime(e, i));
                });
  AdaptationScore total;
  for (int i = 0; i < set.count; ++i) {
    AdaptationCounter& counter = counters[size_t(i)];
    counter.finish(*maze_lifetime(*env, i), config.task.maze);
    total.add(counter.score);
  }
  return total;
}

MazeAdaptationReport maze_adaptation(const RunConfig& config, const std::vector<float>& theta) {
  if (!is_maze_task(config.task.name))
    throw Error("maze adaptation: task " + config.task.name + " is not a maze task");
  const bool double_maze = maze_settings(config.task).double_maze;
  const int lifetimes = config.run.eval_lifetimes;
  const LifetimeSet set = held_out_lifetimes(config.run.seed, lifetimes);
  MazeAdaptationReport report;
  report.lifetimes = lifetimes;
  report.agent = score_network(config, theta, set);
  report.fixed = best_fixed_policy(config.task.maze, double_maze, set);

  std::ostringstream csv;
  csv << "policy,adaptation_score,standard_error,lifetimes_scored,lifetimes_without_swap,swap_fraction,"
         "swaps_counted,swaps_adapted,swaps_unresolved,poisons_per_trial,food,poison,mean_fitness,lifetimes,"
         "colour_blind_bound,policies_evaluated,search_complete,fixed_policy\n";
  auto row = [&](const char* name, const AdaptationScore& s, const std::string& tail) {
    csv << name << ',' << s.score() << ',' << s.standard_error() << ',' << s.lifetimes_scored << ','
        << s.lifetimes_without_swap << ',' << s.swap_fraction() << ',' << s.swaps << ',' << s.adapted << ','
        << s.unresolved << ',' << s.poisons_per_trial() << ',' << s.food << ',' << s.poison << ','
        << s.mean_fitness() << ',' << s.lifetimes << ',' << s.colour_blind_bound() << ',' << tail << '\n';
  };
  row("agent", report.agent, ",,");
  row("best_fixed", report.fixed.best_score,
      std::to_string(report.fixed.policies) + ',' + (report.fixed.complete ? "1" : "0") + ",\"" +
          policy_string(report.fixed.best) + '"');
  report.csv = csv.str();

  const double agent = report.agent.score(), fixed = report.fixed.best_score.score();
  char ratio[32] = "n/a (fixed 0)";
  if (fixed > 0.0) std::snprintf(ratio, sizeof ratio, "%.2f", agent / fixed);
  char line[640];
  std::snprintf(line, sizeof line,
                "maze adaptation over %d held-out lifetimes (+- one standard error): agent %.3f +- %.3f (%d swaps, "
                "swap fraction %.3f, %.3f poisons/trial), best fixed policy %.3f +- %.3f (%d swaps, swap fraction "
                "%.3f, %.3f poisons/trial, best of %lld policies%s), ratio %s",
                lifetimes, agent, report.agent.standard_error(), report.agent.swaps, report.agent.swap_fraction(),
                report.agent.poisons_per_trial(), fixed, report.fixed.best_score.standard_error(),
                report.fixed.best_score.swaps, report.fixed.best_score.swap_fraction(),
                report.fixed.best_score.poisons_per_trial(), (long long)report.fixed.policies,
                report.fixed.complete ? "" : ", search capped", ratio);
  report.description = line;
  std::snprintf(line, sizeof line,
                "\ncolour-blind bound %.3f: the most an agent that does not learn which colour is food can score "
                "on the agent's scored lifetimes",
                report.agent.colour_blind_bound());
  report.description += line;
  // Which input orders the agent copes with: learning shows as the same score in all six.
  report.description += "\nby input order (lifetimes, agent adaptation and mean fitness, best fixed adaptation):";
  for (int k = 0; k < maze::kInputOrders; ++k) {
    const OrderTally& a = report.agent.by_order[size_t(k)];
    const OrderTally& f = report.fixed.best_score.by_order[size_t(k)];
    if (a.lifetimes == 0) continue;
    std::snprintf(line, sizeof line, "\n  %s: %2d lifetimes, agent %.3f (fitness %.2f), best fixed %.3f",
                  input_order_name(k).c_str(), a.lifetimes, a.score(), a.mean_fitness(), f.score());
    report.description += line;
  }
  const ModelSpec model = config.model_spec();
  if (model.kind == ModelSpec::Kind::network)
    report.description +=
        "\nwiring (inputs 0-2 in the lifetime's order, 3 the reward): " + input_wiring(model.network.topology);
  return report;
}

}  // namespace enu
