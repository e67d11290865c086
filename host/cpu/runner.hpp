#pragma once
// A model runner steps `capacity` lifetimes of one population member in
// lock-step. Each CPU backend is one runner (reference: scalar loops; fast:
// batched small GEMMs); everything around it (threads, environments, fitness)
// is shared, so the backends differ only in how a step is computed.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "enu/model.hpp"
#include "enu/task.hpp"
#include "stage_profile.hpp"

namespace enu {

/// One lifetime's internal state after a step, copied out of a runner for
/// analysis (the maze drawing of `enu analyze`, enu.record_lifetimes). A
/// network: every neuron's and every synapse's output channels and memory h (for
/// LSTM cells h, not c). A single cell: one "neuron" holding the cell's outputs
/// and h, no synapses.
struct ModelState {
  int neurons = 0, channels = 0, neuron_memory = 0;
  int synapses = 0, synapse_memory = 0;
  std::vector<float> neuron_outputs;   // [neurons x channels], as read out (noise included)
  std::vector<float> neuron_h;         // [neurons x neuron_memory]
  std::vector<float> synapse_outputs;  // [synapses x channels], as the neurons average them (noise included)
  std::vector<float> synapse_h;        // [synapses x synapse_memory]
};

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;
  /// Zero every state and start lifetimes first .. first+count-1 of `set` with
  /// the member's parameters theta (kept by pointer until the next reset).
  virtual void reset(const float* theta, uint32_t member_id, const LifetimeSet& set, int first, int count) = 0;
  /// One environment step (all ticks): observations [count x sources x channels]
  /// in the task's shape, the model's outputs [count x output_count()] out.
  virtual void step(const float* observations, float* outputs) = 0;
  /// Outputs per lifetime and step: the model's ModelSpec::action_count().
  virtual int output_count() const = 0;
  /// Lifetimes started by the last reset (its `count`).
  virtual int lifetimes() const = 0;
  /// Copies lifetime i's state (of the last step) into `out`. Only the
  /// reference runner keeps states in this per-lifetime form; the others return false.
  virtual bool read_state(int i, ModelState& out) const {
    (void)i;
    (void)out;
    return false;
  }
  /// Times the stages of later steps into `profile` (null: stop). Returns false,
  /// timing nothing, for a runner without stage timing (the reference).
  bool profile_stages(StageProfile* profile) {
    if (!times_stages()) return false;
    clock_.attach(profile);
    return true;
  }
  /// The clock of the attached profile; run_lifetimes charges the environment on it.
  StageClock& clock() { return clock_; }

 protected:
  virtual bool times_stages() const { return false; }
  StageClock clock_;
};

/// `shape`: the task's observations (a single cell reads them as one vector, ModelSpec::input_shape).
std::unique_ptr<ModelRunner> make_reference_runner(const ModelSpec& model, ObservationShape shape, int capacity);
std::unique_ptr<ModelRunner> make_fast_runner(const ModelSpec& model, ObservationShape shape, int capacity);

/// Called after every step with what the environment saw and acted on:
/// observations [count x sources x channels], actions [count x task.action_count()].
using StepObserver = std::function<void(int step, const float* observations, const float* actions,
                                        const Environment& env)>;

/// Runs started lifetimes of `task` to the end and writes their fitness.
/// `observations` and `outputs` are caller-owned buffers of the sizes
/// ModelRunner::step expects. The environment acts on the first
/// task.action_count() of each lifetime's outputs (a single-unit task on channel
/// 0 of the cell), packed in place at the front of `outputs` after every step.
/// Throws enu::Error when the task needs more actions than the model has outputs.
void run_lifetimes(ModelRunner& runner, const Task& task, Environment& env, float* observations, float* outputs,
                   float* fitness, const StepObserver& observer = nullptr);

/// Copies observations [sources x shape.channels] into model inputs
/// [sources x capacity_channels], zero-padding the extra channels.
void pad_observation(ObservationShape shape, int capacity_channels, const float* observation, float* padded);

}  // namespace enu
