#include "maze_trace.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <thread>

#include "recorded_lifetime.hpp"
#include "run.hpp"
#include "tasks.hpp"

namespace enu {
// The maze vocabulary (actions, features, items, headings) by its own names.
using namespace maze;
namespace {

const char* action_name(const MazeLifetime& lifetime) {
  static const char* kHeadings[4] = {"north", "east", "south", "west"};
  const int action = lifetime.action;
  if (action < 0) return "none";
  if (lifetime.settings.config.actions == MazeActions::absolute)
    return kHeadings[absolute_heading(lifetime.maze.start_heading, action)];
  return action == kForward ? "forward" : action == kTurnLeft ? "left" : "right";
}

// Shortest round-trip text for CSV values.
std::string number(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", double(value));
  return text;
}

}  // namespace

std::string maze_layout(const MazeGeometry& maze) {
  std::string text;
  for (int r = 0; r < maze.rows; ++r) {
    for (int c = 0; c < maze.cols; ++c) {
      const int e = maze.end_at(r, c);
      char cell = maze.open(r, c) ? '.' : '#';
      if (e >= 0) cell = char('0' + e);
      if (r == maze.start_row && c == maze.start_col) cell = 'S';
      text += cell;
      text += c + 1 < maze.cols ? ' ' : '\n';
    }
  }
  return text;
}

std::string render_maze(const MazeLifetime& lifetime) {
  static const char kArrow[4] = {'^', '>', 'v', '<'};
  const MazeGeometry& maze = lifetime.maze;
  std::string grid = maze_layout(maze);
  const size_t line = size_t(2 * maze.cols);  // characters per grid line, newline included
  auto put = [&](int r, int c, char cell) { grid[size_t(r) * line + size_t(2 * c)] = cell; };
  for (int e = 0; e < maze.end_count; ++e) {
    const int item = lifetime.item[e];
    put(maze.end_row[e], maze.end_col[e], item == kFood ? 'F' : item == kPoison ? 'P' : 'E');
  }
  put(lifetime.row, lifetime.col, lifetime.alive ? kArrow[lifetime.heading & 3] : 'X');

  char status[160];
  std::snprintf(status, sizeof status, "energy %.2f%s  reward %+g  action %s  (food %d, poison %d, swaps %d)\n",
                double(lifetime.energy), lifetime.poisoned ? " (poisoned)" : "", double(lifetime.reward),
                action_name(lifetime), lifetime.food_eaten, lifetime.poison_eaten, lifetime.swaps);
  std::string events;
  auto add = [&](const std::string& event) { events += (events.empty() ? "" : ", ") + event; };
  if (lifetime.ate_food) add("ate food at end " + std::to_string(lifetime.end_reached));
  if (lifetime.ate_poison) {
    const bool published = lifetime.settings.config.rules == MazeRules::published;
    add("ate poison at end " + std::to_string(lifetime.end_reached) +
        (!lifetime.forgiven ? "" : published ? " (the first item: counted as food)" : " (forgiven)"));
  }
  if (!lifetime.ate_food && !lifetime.ate_poison && lifetime.end_reached >= 0) {
    add("empty end " + std::to_string(lifetime.end_reached));
  }
  if (lifetime.swapped) add("swap: food now at end " + std::to_string(lifetime.food_end));
  if (lifetime.died) add("died");
  return grid + status + "events: " + (events.empty() ? "-" : events) + "\n";
}

MazeTraceWriter::MazeTraceWriter(std::ostream& lifetime_csv, std::ostream* states_csv)
    : lifetime_csv_(lifetime_csv), states_csv_(states_csv) {
  lifetime_csv_ << "step,row,col,heading,action,end,reward,energy,food,poison,forgiven,swap,died,food_end,"
                   "poison_end\n";
}

void MazeTraceWriter::step(int step, const MazeLifetime& l, const ModelState* model) {
  lifetime_csv_ << step << ',' << l.row << ',' << l.col << ',' << l.heading << ',' << l.action << ','
                << l.end_reached << ',' << number(l.reward) << ',' << number(l.energy) << ',' << int(l.ate_food)
                << ',' << int(l.ate_poison) << ',' << int(l.forgiven) << ',' << int(l.swapped) << ','
                << int(l.died) << ',' << l.food_end << ',' << l.poison_end << '\n';
  if (!states_csv_ || !model) return;
  std::ostream& out = *states_csv_;
  if (!states_header_) {
    // Wide: one column per value, named so that a plot can group them by prefix.
    out << "step";
    for (int n = 0; n < model->neurons; ++n)
      for (int c = 0; c < model->channels; ++c) out << ",neuron" << n << "_out" << c;
    for (int n = 0; n < model->neurons; ++n)
      for (int m = 0; m < model->neuron_memory; ++m) out << ",neuron" << n << "_h" << m;
    for (int j = 0; j < model->synapses; ++j)
      for (int m = 0; m < model->synapse_memory; ++m) out << ",synapse" << j << "_h" << m;
    out << '\n';
    states_header_ = true;
  }
  out << step;
  for (const std::vector<float>* values : {&model->neuron_outputs, &model->neuron_h, &model->synapse_h})
    for (float v : *values) out << ',' << number(v);
  out << '\n';
}

float trace_maze_lifetime(const RunConfig& config, const std::vector<float>& theta, const LifetimeSet& set,
                          int lifetime_index, const MazeStepCallback& on_step) {
  if (!is_maze_task(config.task.name)) throw Error("task " + config.task.name + " is not a maze (tmaze, double_tmaze)");
  const auto task = make_task(config.task);
  bool ended = false;  // a dead lifetime changes no more: the trace ends after the step it died on
  return record_lifetime(config, *task, theta, set, lifetime_index, [&](const RecordedStep& s) {
    if (ended) return;
    const MazeLifetime& lifetime = *maze_lifetime(s.env, 0);
    on_step(s.step, lifetime, s.model);
    ended = !lifetime.alive;
  });
}

int traced_lifetime(const RunConfig& config, const std::vector<float>& theta) {
  const LifetimeSet set = held_out_lifetimes(config.run.seed, kTraceCandidates);
  for (int k = 0; k < kTraceCandidates; ++k) {
    int swaps = 0;
    trace_maze_lifetime(config, theta, set, k, [&](int, const MazeLifetime& l, const ModelState&) { swaps = l.swaps; });
    if (swaps > 0) return k;
  }
  return 0;
}

std::string write_maze_trace(const RunConfig& config, const std::vector<float>& theta, const std::string& run_dir) {
  const std::filesystem::path dir(run_dir);
  const int traced = traced_lifetime(config, theta);
  const LifetimeSet set = held_out_lifetimes(config.run.seed, traced + 1);
  const MazeLifetime::Settings settings = maze_settings(config.task);
  const MazeGeometry maze = MazeGeometry::of(settings.config, settings.double_maze);
  std::ostringstream lifetime_csv, states_csv;
  MazeTraceWriter writer(lifetime_csv, &states_csv);
  int steps = 0, food = 0, poison = 0, swaps = 0;
  const float fitness =
      trace_maze_lifetime(config, theta, set, traced, [&](int step, const MazeLifetime& l, const ModelState& state) {
        writer.step(step, l, &state);
        steps = step + 1;
        food = l.food_eaten;
        poison = l.poison_eaten;
        swaps = l.swaps;
      });
  write_text(dir / "maze_layout.txt", maze_layout(maze));
  write_text(dir / "maze_lifetime.csv", lifetime_csv.str());
  write_text(dir / "network_states.csv", states_csv.str());
  char line[200];
  std::snprintf(line, sizeof line, "traced held-out lifetime %d: %d steps, food %d, poison %d, swaps %d, fitness %.4g",
                traced, steps, food, poison, swaps, double(fitness));
  return line;
}

void watch_maze_lifetime(const RunConfig& config, const std::vector<float>& theta, std::ostream& out,
                         const WatchOptions& options) {
  const int traced = traced_lifetime(config, theta);
  const LifetimeSet set = held_out_lifetimes(config.run.seed, traced + 1);
  const int steps = config.task.maze.steps;
  const auto pause = options.fps > 0.0 ? std::chrono::duration<double>(1.0 / options.fps)
                                       : std::chrono::duration<double>(0.0);
  auto show = [&](const std::string& header, const MazeLifetime& l) {
    if (options.tty) out << "\x1b[H\x1b[2J";  // cursor home, clear screen
    out << header << '\n' << render_maze(l);
    if (!options.tty) out << '\n';
    out.flush();
    if (pause.count() > 0.0) std::this_thread::sleep_for(pause);
  };
  const std::string title = config.task.name + ", held-out lifetime " + std::to_string(traced) + " of run seed " +
                            std::to_string(config.run.seed);
  // The lifetime before its first step.
  MazeLifetime start;
  start.start(maze_settings(config.task), set.seed, set.generation, traced);
  show(title + "  step 0/" + std::to_string(steps), start);
  int last = 0, food = 0, poison = 0, swaps = 0;
  bool died = false;
  const float fitness =
      trace_maze_lifetime(config, theta, set, traced, [&](int step, const MazeLifetime& l, const ModelState&) {
        show(title + "  step " + std::to_string(step + 1) + "/" + std::to_string(steps), l);
        last = step + 1;
        food = l.food_eaten;
        poison = l.poison_eaten;
        swaps = l.swaps;
        died = !l.alive;
      });
  char line[200];
  std::snprintf(line, sizeof line, "lifetime %s after %d steps: food %d, poison %d, swaps %d, fitness %.4g\n",
                died ? "ended (died)" : "complete", last, food, poison, swaps, double(fitness));
  out << line;
  out.flush();
}

}  // namespace enu
