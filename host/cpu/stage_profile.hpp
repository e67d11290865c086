#pragma once
// Where a CPU evaluation's time goes, stage by stage (`enu bench`). A runner with
// a profile attached reads the clock between its stages and adds each interval
// to the stage that just ended; without one, every lap is a null check.

#include <chrono>

namespace enu {

enum class Stage : int {
  inputs,          // observations into model inputs, and a network's broadcast (the gather by pre[])
  synapse_gemm,    // the synapse cells' gate, candidate and read-out products
  synapse_gates,   // their element-wise gate maths, state update and read-out clamp
  segmented_mean,  // each neuron's mean over its K synapses
  neuron_gemm,     // the neuron (or single) cells' products
  neuron_gates,    // their element-wise maths, output noise included
  environment,     // the task: observations, actions, rewards
  count
};

constexpr const char* kStageNames[int(Stage::count)] = {"inputs",      "synapse GEMM", "synapse gates", "segmented mean",
                                                        "neuron GEMM", "neuron gates", "environment"};

/// Thread-seconds per stage, summed over workers (shares, not wall time).
struct StageProfile {
  double seconds[int(Stage::count)] = {};

  void add(const StageProfile& other) {
    for (int s = 0; s < int(Stage::count); ++s) seconds[s] += other.seconds[s];
  }
  double total() const {
    double sum = 0.0;
    for (double s : seconds) sum += s;
    return sum;
  }
};

class StageClock {
 public:
  using Clock = std::chrono::steady_clock;

  void attach(StageProfile* profile) { profile_ = profile; }
  bool attached() const { return profile_ != nullptr; }
  /// Starts an interval without charging the time before it to any stage.
  void start() {
    if (profile_) last_ = Clock::now();
  }
  /// Charges the time since the last lap (or start) to `stage`.
  void lap(Stage stage) {
    if (!profile_) return;
    const Clock::time_point now = Clock::now();
    profile_->seconds[int(stage)] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  StageProfile* profile_ = nullptr;
  Clock::time_point last_;
};

}  // namespace enu
