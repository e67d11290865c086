#pragma once
// The tasks as the device steps them, shared by the fused kernels (one block per
// lifetime, task copies in registers) and the layered path (one thread per
// lifetime, task objects in global memory). Each wraps the same host/device
// lifetime struct the CPU backends step (enu/single_unit_tasks.hpp,
// enu/maze_tasks.hpp), so a lifetime is the same on every backend.
//
// The interface every kernel task has:
//   start(set, lifetime, first_member)  before the first step; recording tasks
//                                       record the first member's lifetimes only
//   observe(step, observation, writer)  writes the step's sources x channels inputs
//   act(step, readout, writer)          the network's read-out for this step
//   fitness()                           after the last step
// In the fused kernels every thread of a lifetime holds a copy; only `writer`
// stores observations and recordings. Tasks whose lifetime is costly to step
// (the mazes) step the writer's copy alone: its observations and actions are
// the ones the kernel uses.

#include "enu/maze_tasks.hpp"
#include "enu/single_unit_tasks.hpp"
#include "enu/task.hpp"
#include "population_kernels.cuh"

namespace enu::cuda {

struct IafKernelTask {
  IafConfig config;
  IafLifetime life;
  __device__ void start(const LifetimeSet& set, int lifetime, bool) {
    life.start(config, lifetime_rng(set.seed, set.generation, lifetime));
  }
  __device__ void observe(int step, float* observation, bool writer) {
    const float current = life.observe(config, step);
    if (writer) observation[0] = current;
  }
  __device__ void act(int, const float* actions, bool) { life.act(config, actions[0]); }
  __device__ float fitness() const { return life.fitness(config); }
};

struct StdpKernelTask {
  StdpConfig config;
  bool complex_rule;
  StdpLifetime life;
  __device__ void start(const LifetimeSet& set, int lifetime, bool) {
    life.start(config, complex_rule, lifetime_rng(set.seed, set.generation, lifetime));
  }
  __device__ void observe(int step, float* observation, bool writer) {
    float channels[4];
    life.observe(config, step, channels);
    if (writer) {
      for (int c = 0; c < 4; ++c) observation[c] = channels[c];
    }
  }
  __device__ void act(int step, const float* actions, bool) { life.act(step, actions[0]); }
  __device__ float fitness() const { return life.fitness(config); }
};

/// A maze lifetime; with `observations_out` / `actions_out` set (the recording
/// parity test), every step's observation and read-out of the first member's
/// lifetimes is stored.
struct MazeKernelTask {
  MazeConfig config;
  bool double_maze;
  float* observations_out;
  float* actions_out;
  int steps;
  MazeLifetime life;
  int lifetime = 0;
  bool record = false;
  __device__ void start(const LifetimeSet& set, int e, bool first_member) {
    lifetime = e;
    record = first_member;
    life.start(config, double_maze, set.seed, set.generation, e);
  }
  __device__ void observe(int step, float* observation, bool writer) {
    if (!writer) return;
    constexpr int kSize = kMazeSources * kMazeChannels;
    float seen[kSize];
    life.observe(seen);
    for (int i = 0; i < kSize; ++i) observation[i] = seen[i];
    if (record && observations_out) {
      for (int i = 0; i < kSize; ++i) observations_out[(size_t(lifetime) * steps + step) * kSize + i] = seen[i];
    }
  }
  __device__ void act(int step, const float* outputs, bool writer) {
    if (!writer) return;
    if (record && actions_out) {
      for (int a = 0; a < kMazeActions; ++a) actions_out[(size_t(lifetime) * steps + step) * kMazeActions + a] = outputs[a];
    }
    life.act(config, outputs);
  }
  __device__ float fitness() const { return life.fitness(config); }
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

/// Calls launch(kernel_task) with the kernel-side form of a single-unit task.
template <class Launch>
void with_single_unit_task(const DeviceTask& task, int action_count, Launch&& launch) {
  switch (task.kind) {
    case DeviceTask::Kind::iaf: return launch(IafKernelTask{task.iaf, {}});
    case DeviceTask::Kind::stdp: return launch(StdpKernelTask{task.stdp, task.complex_rule, {}});
    case DeviceTask::Kind::replay: return launch(replay_task(task, action_count));
    case DeviceTask::Kind::maze: throw Error("CUDA backend: the maze tasks take a network, not a single cell");
  }
}

/// Calls launch(kernel_task) with the kernel-side form of a network task.
template <class Launch>
void with_network_task(const DeviceTask& task, int action_count, Launch&& launch) {
  switch (task.kind) {
    case DeviceTask::Kind::maze:
      return launch(MazeKernelTask{task.maze, task.double_maze, task.observations_out, task.actions, task.steps, {}});
    case DeviceTask::Kind::replay: return launch(replay_task(task, action_count));
    case DeviceTask::Kind::iaf:
    case DeviceTask::Kind::stdp: throw Error("CUDA backend: the single-unit tasks take a single cell, not a network");
  }
}

/// The largest kernel task a network holds per lifetime (the layered path keeps one in global memory each).
constexpr size_t kMaxNetworkTaskBytes =
    sizeof(MazeKernelTask) > sizeof(ReplayKernelTask) ? sizeof(MazeKernelTask) : sizeof(ReplayKernelTask);

}  // namespace enu::cuda
