#pragma once
// Behaviour you can look at: one maze lifetime of an evolved agent, step by
// step, with the network's internals. `enu analyze` writes it as CSV for
// tools/plot.py's maze_lifetime.png (the paper's Fig. 5); `enu eval --watch`
// replays it in the terminal. Formats: docs/maze.md, "Looking at a lifetime".

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/task.hpp"
#include "runner.hpp"

namespace enu {

/// The maze's cells as text, one row per line, cells separated by a space:
/// `#` wall, `.` open, `S` start, digits the ends (numbered as in MazeGeometry).
std::string maze_layout(const MazeGeometry& maze);

/// One frame of --watch: the grid with the agent as an arrow (^ > v <, X once
/// dead), F food, P poison, E an empty end, S the start; then a line with the
/// energy, the last reward and action and the counts, and a line naming the
/// last step's events.
std::string render_maze(const MazeLifetime& lifetime);

/// Writes maze_lifetime.csv (one row per step: the agent after the step and the
/// step's events) and, when given, network_states.csv (one row per step: every
/// neuron's outputs and memory, every synapse's memory).
class MazeTraceWriter {
 public:
  MazeTraceWriter(std::ostream& lifetime_csv, std::ostream* states_csv);
  /// Call after act() of step `step` (0-based); `model` may be null (no states row).
  void step(int step, const MazeLifetime& lifetime, const ModelState* model);

 private:
  std::ostream& lifetime_csv_;
  std::ostream* states_csv_;
  bool states_header_ = false;
};

/// Called after every step of a traced lifetime with the maze and the model's
/// state; the trace ends after the step on which the agent dies.
using MazeStepCallback = std::function<void(int step, const MazeLifetime& lifetime, const ModelState& model)>;

/// Runs lifetime `lifetime_index` of `set` of a maze task with `theta` through
/// the reference runner (the centre's member id, as in evaluation) and reports
/// every step. Returns the lifetime's fitness. Throws enu::Error for tasks that are not mazes.
float trace_maze_lifetime(const RunConfig& config, const std::vector<float>& theta, const LifetimeSet& set,
                          int lifetime_index, const MazeStepCallback& on_step);

/// Held-out lifetimes (held_out_lifetimes(run.seed, ...)) searched for the one to trace.
constexpr int kTraceCandidates = 16;

/// The held-out lifetime that analyze and --watch show: the first of the first
/// kTraceCandidates in which `theta` meets a swap (a lifetime without one shows
/// no learning), else 0.
int traced_lifetime(const RunConfig& config, const std::vector<float>& theta);

/// The traced held-out lifetime written into run_dir: maze_layout.txt,
/// maze_lifetime.csv, network_states.csv. Returns a one-line description.
std::string write_maze_trace(const RunConfig& config, const std::vector<float>& theta, const std::string& run_dir);

struct WatchOptions {
  double fps = 10.0;  // frames per second; 0 = no pause
  bool tty = false;   // clear the screen between frames (ANSI); otherwise frames follow one another
};

/// `enu eval --watch`: the traced held-out lifetime as frames on `out`, one per
/// step (and one before the first), then a summary line.
void watch_maze_lifetime(const RunConfig& config, const std::vector<float>& theta, std::ostream& out,
                         const WatchOptions& options);

}  // namespace enu
