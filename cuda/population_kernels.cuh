#pragma once
// Whole-population evaluation in one launch: every (member, lifetime) of a
// generation, with the member's parameters rebuilt in shared memory from the
// centre and its Philox noise, and the task stepped inside the kernel.

#include <cuda_runtime.h>

#include <cstdint>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"
#include "enu/model.hpp"
#include "enu/task.hpp"
#include "enu/task_table.hpp"

namespace enu::cuda {

/// What runs inside the kernel each lifetime: a task's lifetimes, or a replay of
/// given observations (actions recorded) for the parity tests. Single units take
/// the tasks whose model is a cell, networks those whose model is an agent.
struct DeviceTask {
  bool replay = false;
  TaskConfig config;                    // not replay: the task and its settings
  TaskKind kind = TaskKind::iaf;        // of config.name
  ModelNeed model = ModelNeed::cell;    // what it steps: a single cell or a network (agent)
  int steps = 0;
  ObservationShape shape;
  int action_count = 0;                 // not replay: the lifetime's actions per step
  const float* observations = nullptr;  // replay: [lifetimes x steps x sources x channels], read
  float* actions = nullptr;             // replay, and a recording: [lifetimes x steps x action_count], written
  float* observations_out = nullptr;    // a recording: [lifetimes x steps x sources x channels], written
};

/// The network's topology and cells in plain device-friendly form.
struct DeviceNetwork {
  CellSpec synapse, neuron;
  int inputs = 0, neurons = 0, fan_in = 0, outputs = 0, channels = 0, ticks_per_step = 1;
  float synapse_noise = 0.0f, neuron_noise = 0.0f;  // std of each one's output noise; 0: none drawn
  size_t neuron_offset = 0;
  const int* pre = nullptr;  // device copy of Topology::pre
};

/// Shared memory one block needs, in bytes; checked by the caller against the device.
size_t single_unit_shared_bytes(const CellSpec& cell);
size_t network_shared_bytes(const DeviceNetwork& net, size_t param_count, int observation_size);
/// Global scratch the network kernel needs per (member, lifetime), in floats.
size_t network_state_floats(const DeviceNetwork& net);

/// fitness[m * lifetimes.count + e] for every member and lifetime; pop.centre
/// points to device memory.
void launch_single_unit(const CellSpec& cell, const Population& pop, const LifetimeSet& lifetimes,
                        const DeviceTask& task, float* fitness, cudaStream_t stream);
/// As above for a network; `state` holds network_state_floats(net) floats per
/// (member, lifetime).
void launch_network(const DeviceNetwork& net, const Population& pop, const LifetimeSet& lifetimes,
                    const DeviceTask& task, float* state, float* fitness, cudaStream_t stream);

}  // namespace enu::cuda
