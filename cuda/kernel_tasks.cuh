// The tasks as the device steps them, shared by the fused kernels (one block per
// lifetime, task copies in registers) and the layered path (one thread per
// lifetime, task objects in global memory). KernelTask wraps any lifetime of
// enu/task_lifetimes.hpp, the same code the CPU backends step, so a lifetime is
// the same on every backend.
//
// The interface every kernel task has:
//   start(set, lifetime, first_member)  before the first step; recording tasks
//                                       record the first member's lifetimes only
//   observe(step, observation, writer)  writes the step's sources x channels inputs
//   act(step, readout, writer)          the network's read-out for this step
//   fitness()                           after the last step, the writer's
// In the fused kernels every thread of a lifetime holds a copy; only `writer`
// steps its lifetime and stores observations and recordings: its observations
// and actions are the ones the kernel uses.

#include "enu/task.hpp"
#include "enu/task_lifetimes.hpp"
#include "population_kernels.cuh"

namespace enu::cuda {

/// A task's lifetime; with `observations_out` / `actions_out` set (a recording),
/// every step's observation and read-out of the first member's lifetimes is stored.
template <class Lifetime>
struct KernelTask {
  static constexpr int kObservation = Lifetime::kSources * Lifetime::kChannels;
  typename Lifetime::Settings settings;
  float* observations_out;
  float* actions_out;
  int steps;
  Lifetime life;
  int lifetime = 0;
  bool record = false;
  __device__ void start(const LifetimeSet& set, int e, bool first_member) {
    lifetime = e;
    record = first_member;
    life.start(settings, set.seed, set.generation, e);
  }
  __device__ void observe(int step, float* observation, bool writer) {
    if (!writer) return;
    float seen[kObservation];
    life.observe(seen);
    for (int i = 0; i < kObservation; ++i) observation[i] = seen[i];
    if (record && observations_out) {
      float* out = observations_out + (size_t(lifetime) * steps + step) * kObservation;
      for (int i = 0; i < kObservation; ++i) out[i] = seen[i];
    }
  }
  __device__ void act(int step, const float* outputs, bool writer) {
    if (!writer) return;
    if (record && actions_out) {
      float* out = actions_out + (size_t(lifetime) * steps + step) * Lifetime::kActions;
      for (int a = 0; a < Lifetime::kActions; ++a) out[a] = outputs[a];
    }
    life.act(outputs);
  }
  __device__ float fitness() const { return life.fitness(); }
};

/// Given observations in, the first member's read-outs recorded (the parity tests).
struct ReplayKernelTask {
  const float* observations;
  float* actions;
  int steps, observation_size, action_count, lifetime = 0;
  bool record = false;
  __device__ void start(const LifetimeSet&, int e, bool first_member) {
    lifetime = e;
    record = first_member;
  }
  __device__ void observe(int step, float* observation, bool writer) {
    if (!writer) return;
    const float* in = observations + (size_t(lifetime) * steps + step) * observation_size;
    for (int i = 0; i < observation_size; ++i) observation[i] = in[i];
  }
  __device__ void act(int step, const float* out, bool writer) {
    if (!writer || !record) return;
    for (int a = 0; a < action_count; ++a) actions[(size_t(lifetime) * steps + step) * action_count + a] = out[a];
  }
  __device__ float fitness() const { return 0.0f; }
};

inline ReplayKernelTask replay_task(const DeviceTask& task, int action_count) {
  return ReplayKernelTask{task.observations, task.actions, task.steps, task.shape.sources * task.shape.channels,
                          action_count};
}

/// Calls launch(kernel_task) with the kernel-side form of `task`, whose model
/// must be `kModel`: a single cell (ModelNeed::cell) or a network (ModelNeed::agent).
template <ModelNeed kModel, class Launch>
void with_kernel_task(const DeviceTask& task, int action_count, Launch&& launch) {
  if (task.replay) return launch(replay_task(task, action_count));
  with_lifetime(task.kind, [&](auto tag) {
    using Lifetime = typename decltype(tag)::type;
    if constexpr (Lifetime::kModel == kModel) {
      launch(KernelTask<Lifetime>{Lifetime::settings_of(task.config, task.kind), task.observations_out,
                                  task.actions, task.steps, {}});
    } else {
      throw Error(kModel == ModelNeed::cell ? "CUDA backend: the maze tasks take a network, not a single cell"
                                            : "CUDA backend: the single-unit tasks take a single cell, not a network");
    }
  });
}

/// The largest kernel task a network holds per lifetime (the layered path keeps one in global memory each).
constexpr size_t kMaxNetworkTaskBytes = sizeof(KernelTask<MazeLifetime>) > sizeof(ReplayKernelTask)
                                           ? sizeof(KernelTask<MazeLifetime>)
                                           : sizeof(ReplayKernelTask);

}  // namespace enu::cuda
