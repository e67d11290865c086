// Behaviour you can look at (host/analysis/maze_trace.hpp): the ASCII frame of known
// maze states, the per-step trace of a scripted lifetime (events at the right
// steps), the trace of a network agent (consistent with its read-out and with a
// replay of its actions), the runner's state view, and --watch's frames.
#include <gtest/gtest.h>

#include "maze_scripting.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "maze_trace.hpp"
#include "run.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

using namespace maze;  // the maze vocabulary: kForward, kFood, kNorth, ...
using testing_support::act;
using testing_support::place;

/// A CSV as rows of name -> value.
std::vector<std::map<std::string, double>> parse_csv(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) names.push_back(name);
  std::vector<std::map<std::string, double>> rows;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::map<std::string, double> row;
    size_t k = 0;
    for (std::string field; std::getline(fields, field, ','); ++k) row[names.at(k)] = std::stod(field);
    EXPECT_EQ(k, names.size()) << line;
    rows.push_back(row);
  }
  return rows;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

RunConfig tiny_maze_config(const std::string& task = "tmaze") {
  return parse_config("task:\n  name: " + task +
                          "\n  maze:\n    steps: 120\n"
                          "model:\n  kind: network\n  network:\n    channels: 4\n    memory: 5\n"
                          "    topology: {inputs: 4, neurons: 6, outputs: 3, fan_in: 8}\n"
                          "es:\n  population: 4\n  lifetimes: 1\n",
                      "test_maze_watch");
}

// ---- the ASCII frame ------------------------------------------------------------

TEST(MazeWatch, RenderKnownTmazeState) {
  MazeConfig config;
  MazeLifetime lt;
  lt.start({config, false}, 1, 0, 0);
  place(lt, 0, 1);
  lt.row = 3;
  lt.col = 3;
  lt.heading = kEast;
  lt.energy = 17.5f;
  lt.action = kTurnRight;
  const std::string expected =
      "# # # # # # #\n"
      "# F . . . P #\n"
      "# # # . # # #\n"
      "# # # > # # #\n"
      "# # # . # # #\n"
      "# # # S # # #\n"
      "# # # # # # #\n"
      "energy 17.50  reward +0  action right  (food 0, poison 0, swaps 0)\n"
      "events: -\n";
  EXPECT_EQ(render_maze(lt), expected);
}

// The published maze by hand: poison first (the first item, counted as food),
// then food, then the second poison, which empties the energy for good; the
// moves are named by direction.
TEST(MazeWatch, RenderPublishedMazeSecondPoison) {
  MazeConfig config = testing_support::published_maze();
  config.permute_inputs = false;
  MazeLifetime lt;
  lt.start({config, false}, 1, 0, 0);
  place(lt, 0, 1);
  const auto trial = [&](int arm) {
    for (int a : {int(kForward), int(kForward), int(kForward), arm, arm}) act(lt, a);
  };
  trial(kTurnRight);  // south: the poison, the lifetime's first item
  EXPECT_NE(render_maze(lt).find("ate poison at end 1 (the first item: counted as food)"), std::string::npos)
      << render_maze(lt);
  trial(kTurnLeft);   // north: food
  trial(kTurnRight);  // the second poison
  const std::string expected =
      "# # # # # # #\n"
      "# # # # # F #\n"
      "# # # # # . #\n"
      "# # > . . . #\n"
      "# # # # # . #\n"
      "# # # # # P #\n"
      "# # # # # # #\n"
      "energy 0.00 (poisoned)  reward -1  action south  (food 1, poison 2, swaps 0)\n"
      "events: ate poison at end 1\n";
  EXPECT_EQ(render_maze(lt), expected);
}

TEST(MazeWatch, RenderDoubleMazeDeathByPoison) {
  MazeConfig config;
  config.permute_inputs = false;
  MazeLifetime lt;
  lt.start({config, true}, 1, 0, 0);
  place(lt, 0, 3);
  // Two poisons in a row at end 3 (east, south): the second ends the lifetime on S.
  for (int trial = 0; trial < 2; ++trial) {
    for (int a : {kForward, kForward, kForward, kForward, kTurnRight, kForward, kForward, kTurnRight, kForward})
      act(lt, a);
  }
  const std::string expected =
      "# # # # # # #\n"
      "# F # # # E #\n"
      "# . . . . . #\n"
      "# E # . # P #\n"
      "# # # . # # #\n"
      "# # # . # # #\n"
      "# # # X # # #\n"
      "# # # # # # #\n"
      "energy 13.50  reward -1  action forward  (food 0, poison 2, swaps 0)\n"
      "events: ate poison at end 3, died\n";
  EXPECT_EQ(render_maze(lt), expected);
}

TEST(MazeWatch, LayoutNamesStartAndEnds) {
  EXPECT_EQ(maze_layout(MazeGeometry::of(MazeConfig{}, false)),
            "# # # # # # #\n"
            "# 0 . . . 1 #\n"
            "# # # . # # #\n"
            "# # # . # # #\n"
            "# # # . # # #\n"
            "# # # S # # #\n"
            "# # # # # # #\n");
}

// ---- the trace of a scripted lifetime ---------------------------------------------

// Food (with a certain swap), the forgiven poison where the food was, a second
// poison that kills: each event in its row and nowhere else.
TEST(MazeTrace, ScriptedLifetimeHasEventsAtTheirSteps) {
  MazeConfig config;
  config.permute_inputs = false;
  config.swap_every = 1;
  config.swap_probability = 1.0f;
  MazeLifetime lt;
  lt.start({config, false}, 3, 0, 0);
  place(lt, 0, 1);
  const std::vector<int> west = {kForward, kForward, kForward, kForward, kTurnLeft, kForward, kForward};
  std::vector<int> script;
  for (int trial = 0; trial < 3; ++trial) script.insert(script.end(), west.begin(), west.end());

  std::ostringstream csv;
  MazeTraceWriter writer(csv, nullptr);
  int step = 0;
  for (int a : script) {
    act(lt, a);
    writer.step(step++, lt, nullptr);
    if (!lt.alive) break;
  }
  const auto rows = parse_csv(csv.str());
  ASSERT_EQ(rows.size(), 21u);
  for (size_t s = 0; s < rows.size(); ++s) {
    const auto& r = rows[s];
    EXPECT_EQ(r.at("step"), double(s));
    EXPECT_EQ(r.at("action"), double(script[s]));
    const bool at_end = s == 6 || s == 13 || s == 20;
    EXPECT_EQ(r.at("end"), at_end ? 0.0 : -1.0) << "step " << s;
    EXPECT_EQ(r.at("food"), s == 6 ? 1.0 : 0.0) << "step " << s;
    EXPECT_EQ(r.at("swap"), s == 6 ? 1.0 : 0.0) << "step " << s;
    EXPECT_EQ(r.at("poison"), s == 13 || s == 20 ? 1.0 : 0.0) << "step " << s;
    EXPECT_EQ(r.at("forgiven"), s == 13 ? 1.0 : 0.0) << "step " << s;
    EXPECT_EQ(r.at("died"), s == 20 ? 1.0 : 0.0) << "step " << s;
    EXPECT_EQ(r.at("reward"), s == 6 ? 1.0 : (s == 13 || s == 20 ? -1.0 : 0.0)) << "step " << s;
    if (at_end) {  // back on the start, facing north
      EXPECT_EQ(r.at("row"), 5.0);
      EXPECT_EQ(r.at("col"), 3.0);
      EXPECT_EQ(r.at("heading"), double(kNorth));
    }
    // Before the swap the food is west (0); after it, east.
    EXPECT_EQ(r.at("food_end"), s < 6 ? 0.0 : 1.0) << "step " << s;
    EXPECT_EQ(r.at("poison_end"), s < 6 ? 1.0 : 0.0) << "step " << s;
  }
  EXPECT_EQ(rows[6].at("energy"), 18.0);  // restored by the food
  EXPECT_EQ(rows[5].at("energy"), 18.0 - 6 * 0.25);
  EXPECT_EQ(rows[20].at("energy"), 18.0 - 14 * 0.25);
  EXPECT_EQ(rows[3].at("row"), 1.0);  // four steps north of the start: the junction
  EXPECT_EQ(rows[4].at("heading"), double(kWest));
}

// ---- a network agent ------------------------------------------------------------------

// The reference runner's view is what it reads out: channel 0 of the last
// three neurons is the action handed to the task.
TEST(MazeTrace, ReferenceRunnerStateMatchesReadOut) {
  const RunConfig config = tiny_maze_config();
  const ModelSpec model = config.model_spec();
  const std::vector<float> theta = initial_centre(config);
  auto runner = make_reference_runner(model, {maze::kSources, maze::kChannels}, 2);
  runner->reset(theta.data(), kCentreMemberId, LifetimeSet{5, 0, 2}, 0, 2);
  std::vector<float> observations(2 * maze::kSources * maze::kChannels, 0.0f), actions(2 * maze::kActions);
  observations[1] = observations[maze::kSources * maze::kChannels + 3] = 1.0f;
  ModelState state;
  EXPECT_FALSE(runner->read_state(2, state));  // past the started lifetimes
  for (int step = 0; step < 3; ++step) {
    runner->step(observations.data(), actions.data());
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(runner->read_state(i, state));
      ASSERT_EQ(state.neurons, 6);
      ASSERT_EQ(state.channels, 4);
      ASSERT_EQ(state.synapses, 48);
      ASSERT_EQ(state.synapse_h.size(), size_t(48 * 5));
      ASSERT_EQ(state.synapse_outputs.size(), size_t(48 * 4));
      ASSERT_EQ(state.neuron_h.size(), size_t(6 * 5));
      for (int k = 0; k < maze::kActions; ++k)
        EXPECT_EQ(state.neuron_outputs[size_t(3 + k) * 4], actions[size_t(i) * maze::kActions + k]);
    }
  }
  // The fast runner keeps its states batched and offers no view.
  auto fast = make_fast_runner(model, {maze::kSources, maze::kChannels}, 1);
  EXPECT_FALSE(fast->read_state(0, state));
}

// write_maze_trace on a tiny network: the two CSVs have a row per step, the
// states one column per value, the read-out neurons' argmax is the recorded
// action, replaying the actions reproduces every row, and every food event is
// a +1 reward with the agent back on the start.
TEST(MazeTrace, NetworkTraceIsConsistent) {
  for (const std::string task : {"tmaze", "double_tmaze"}) {
    SCOPED_TRACE(task);
    const RunConfig config = tiny_maze_config(task);
    std::vector<float> theta = initial_centre(config);
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("enu_test_maze_trace_" + task);
    std::filesystem::create_directories(dir);
    const std::string line = write_maze_trace(config, theta, dir.string());
    const int traced = traced_lifetime(config, theta);
    EXPECT_EQ(line.rfind("traced held-out lifetime " + std::to_string(traced) + ": ", 0), 0u) << line;
    const auto life = parse_csv(read_file(dir / "maze_lifetime.csv"));
    const auto states = parse_csv(read_file(dir / "network_states.csv"));
    EXPECT_EQ(read_file(dir / "maze_layout.txt"), maze_layout(MazeGeometry::of(config.task.maze, task != "tmaze")));
    ASSERT_FALSE(life.empty());
    ASSERT_EQ(life.size(), states.size());
    ASSERT_EQ(states[0].size(), size_t(1 + 6 * 4 + 6 * 5 + 48 * 5));
    // The lifetime ends at its last step or at its death.
    EXPECT_TRUE(int(life.size()) == config.task.maze.steps || life.back().at("died") == 1.0);

    MazeLifetime replay;
    const LifetimeSet set = held_out_lifetimes(config.run.seed, traced + 1);
    replay.start({config.task.maze, task != "tmaze"}, set.seed, set.generation, traced);
    for (size_t s = 0; s < life.size(); ++s) {
      const auto& r = life[s];
      float outputs[maze::kActions];
      for (int k = 0; k < maze::kActions; ++k)
        outputs[k] = float(states[s].at("neuron" + std::to_string(3 + k) + "_out0"));
      EXPECT_EQ(maze_action(outputs), int(r.at("action"))) << "step " << s;
      act(replay, int(r.at("action")));
      EXPECT_EQ(replay.row, int(r.at("row"))) << "step " << s;
      EXPECT_EQ(replay.col, int(r.at("col"))) << "step " << s;
      EXPECT_EQ(replay.heading, int(r.at("heading"))) << "step " << s;
      EXPECT_EQ(replay.ate_food, r.at("food") == 1.0) << "step " << s;
      EXPECT_EQ(replay.ate_poison, r.at("poison") == 1.0) << "step " << s;
      EXPECT_EQ(replay.died, r.at("died") == 1.0) << "step " << s;
      if (r.at("food") == 1.0) {
        EXPECT_EQ(r.at("reward"), 1.0) << "step " << s;
        EXPECT_EQ(r.at("row"), replay.maze.start_row);
        EXPECT_EQ(r.at("col"), replay.maze.start_col);
        EXPECT_EQ(r.at("energy"), config.task.maze.energy_restore);
      } else if (r.at("poison") != 1.0) {
        EXPECT_EQ(r.at("reward"), 0.0) << "step " << s;
      }
    }
    std::filesystem::remove_all(dir);
  }
}

// The traced lifetime is the first held-out one with a swap: checked on the
// README's evolved agent (run seed 2, whose held-out lifetime 0 has no swap)
// and on an untrained network, by tracing every candidate.
TEST(MazeTrace, TracesTheFirstHeldOutLifetimeWithASwap) {
  // Swaps of every candidate lifetime; traced_lifetime must pick the first nonzero.
  const auto swaps_per_lifetime = [](const RunConfig& config, const std::vector<float>& theta) {
    std::vector<int> swaps(kTraceCandidates, 0);
    const LifetimeSet set = held_out_lifetimes(config.run.seed, kTraceCandidates);
    for (int k = 0; k < kTraceCandidates; ++k) {
      trace_maze_lifetime(config, theta, set, k, [&](int, const MazeLifetime& l, const ModelState&) {
        swaps[size_t(k)] = l.swaps;
      });
    }
    return swaps;
  };
  const auto first_swapping = [](const std::vector<int>& swaps) {
    const auto first = std::find_if(swaps.begin(), swaps.end(), [](int n) { return n > 0; });
    return first == swaps.end() ? -1 : int(first - swaps.begin());
  };

  const Checkpoint learner = load_checkpoint(std::string(ENU_SOURCE_DIR) + "/docs/results/tmaze_small_learner.npz");
  RunConfig evolved = parse_config(learner.config_yaml, "tmaze_small_learner.npz");
  evolved.run.seed = 2;
  const std::vector<int> evolved_swaps = swaps_per_lifetime(evolved, learner.state.theta);
  EXPECT_EQ(evolved_swaps[0], 0);  // why the choice matters: lifetime 0 shows no swap
  ASSERT_GT(first_swapping(evolved_swaps), 0);
  EXPECT_EQ(traced_lifetime(evolved, learner.state.theta), first_swapping(evolved_swaps));

  const RunConfig untrained = tiny_maze_config();
  const std::vector<float> theta = initial_centre(untrained);
  EXPECT_EQ(traced_lifetime(untrained, theta), std::max(0, first_swapping(swaps_per_lifetime(untrained, theta))));
}

// ---- --watch --------------------------------------------------------------------------

TEST(MazeWatch, FramesFollowOneAnotherWithoutTty) {
  const RunConfig config = tiny_maze_config();
  const std::vector<float> theta = initial_centre(config);
  std::ostringstream out;
  watch_maze_lifetime(config, theta, out, WatchOptions{0.0, false});
  const std::string text = out.str();
  EXPECT_EQ(text.find('\x1b'), std::string::npos);  // no escape codes off a terminal
  EXPECT_EQ(text.rfind("tmaze, held-out lifetime 0 of run seed 1  step 0/120\n# # #", 0), 0u) << text.substr(0, 200);
  size_t frames = 0;
  for (size_t at = text.find("  step "); at != std::string::npos; at = text.find("  step ", at + 1)) ++frames;
  EXPECT_GE(frames, 2u);
  EXPECT_NE(text.find("\n\ntmaze, held-out lifetime 0 of run seed 1  step 1/120\n"), std::string::npos);
  EXPECT_NE(text.find("lifetime "), std::string::npos);
  EXPECT_NE(text.find("fitness"), std::string::npos);

  std::ostringstream tty;
  watch_maze_lifetime(config, theta, tty, WatchOptions{0.0, true});
  EXPECT_EQ(tty.str().rfind("\x1b[H\x1b[2J", 0), 0u);
}

TEST(MazeWatch, RefusesTasksThatAreNotMazes) {
  RunConfig config = tiny_maze_config();
  config.task.name = "stdp";
  std::ostringstream out;
  EXPECT_THROW(watch_maze_lifetime(config, initial_centre(tiny_maze_config()), out, WatchOptions{0.0, false}), Error);
}

}  // namespace
}  // namespace enu
