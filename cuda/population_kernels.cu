// Population kernels. Reading order: the warp-level cell step (the device twin
// of host/reference/cell_step.cpp), the single-unit and network kernels, their
// launchers. The member's parameters: member_theta.cuh; the tasks: kernel_tasks.cuh.
//
// Work mapping (the simple first shape of DESIGN.md section 4): a warp steps
// one cell instance, lane l owning memory cells l, l + 32, ...; gate products
// read the input vector from shared memory (a broadcast) and weight row k at
// column m (consecutive lanes, consecutive banks). Single units: a block is one
// member and a group of lifetimes, one warp per lifetime. Networks: a block is
// one (member, lifetime), its warps sharing the synapses, then the neurons.
#include "population_kernels.cuh"

#include <algorithm>
#include <type_traits>

#include "cell_maths.cuh"
#include "cuda_check.cuh"
#include "enu/network.hpp"
#include "kernel_syntax.cuh"
#include "kernel_tasks.cuh"
#include "launch_geometry.cuh"
#include "member_theta.cuh"

namespace enu::cuda {
namespace {

constexpr int kSingleUnitWarpsPerBlock = 8;  // lifetimes per block for single units
constexpr int kNetworkWarpsPerBlock = 8;

// ---- one cell step by one warp -------------------------------------------------------

/// gate_in: this warp's U+1 floats in shared memory, whose first I entries hold
/// the input; state: [h | c | o] of the instance; noise: O values or null.
/// None of them overlaps another or theta (separate segments of shared memory,
/// or the state in global memory), hence __restrict__.
/// Lane l owns memory cells l, l + 32, ... up to CellsPerLane of them (M <=
/// 32 * CellsPerLane): their accumulators live in registers, so the launch picks
/// the smallest count that covers M (registers for 4 cells cap the maze
/// kernel's occupancy at one block per SM; for 1, at two).
template <int CellsPerLane>
__device__ void warp_cell_step(const CellSpec& spec, const float* __restrict__ theta, float* __restrict__ gate_in,
                               float* __restrict__ state, const float* __restrict__ noise) {
  const CellLayout l = cell_layout(spec);
  const int lane = threadIdx.x % kWarp;
  const int I = spec.inputs, M = spec.memory, O = spec.outputs, F = l.feedback, U = l.gate_inputs;
  const int gate_cols = l.gate_chunks * M;
  const bool lstm = spec.kind == CellKind::lstm;
  const float* w_gate = theta + l.w_gate;
  const float* w_cand = theta + l.w_cand;
  const float* w_out = theta + l.w_out;
  float* h_in = gate_in + I + F;

  // Gate input [x ; o_prev (ENU) ; h ; 1].
  for (int k = lane; k < F; k += kWarp) gate_in[I + k] = state[l.o + k];
  for (int m = lane; m < M; m += kWarp) h_in[m] = state[l.h + m];
  if (lane == 0) gate_in[U] = 1.0f;
  __syncwarp();

  float g0[CellsPerLane], g1[CellsPerLane], g2[CellsPerLane], cand[CellsPerLane];
#pragma unroll
  for (int i = 0; i < CellsPerLane; ++i) {
    const int m = lane + i * kWarp;
    g0[i] = g1[i] = g2[i] = cand[i] = 0.0f;
    if (m >= M) continue;
    for (int k = 0; k <= U; ++k) {
      const float x = gate_in[k];
      const float* row = w_gate + size_t(k) * gate_cols;
      g0[i] += x * row[m];
      g1[i] += x * row[M + m];
      if (lstm) {
        g2[i] += x * row[2 * M + m];
        cand[i] += x * w_cand[size_t(k) * M + m];  // LSTM candidate reads [x ; h ; 1]
      }
    }
  }

  if (lstm) {
#pragma unroll
    for (int i = 0; i < CellsPerLane; ++i) {
      const int m = lane + i * kWarp;
      if (m >= M) continue;
      const float c = sigmoid(g1[i]) * state[l.c + m] + sigmoid(g0[i]) * tanhf(cand[i]);
      state[l.c + m] = c;
      state[l.h + m] = sigmoid(g2[i]) * tanhf(c);
    }
  } else {
    // Reset gate on h, written over h in the gate input once every lane has read it.
    const GateConstants constants = gate_constants(spec.kind);
    const float gain = constants.gain, reset_offset = constants.reset_offset;
    __syncwarp();
#pragma unroll
    for (int i = 0; i < CellsPerLane; ++i) {
      const int m = lane + i * kWarp;
      if (m >= M) continue;
      g0[i] = sigmoid(gain * (g0[i] - reset_offset));  // r
      g1[i] = sigmoid(gain * g1[i]);                   // z
      h_in[m] = g0[i] * state[l.h + m];
    }
    __syncwarp();
#pragma unroll
    for (int i = 0; i < CellsPerLane; ++i) {
      const int m = lane + i * kWarp;
      if (m >= M) continue;
      float acc = 0.0f;
      for (int k = 0; k <= U; ++k) acc += gate_in[k] * w_cand[size_t(k) * M + m];
      state[l.h + m] = (1.0f - g1[i]) * state[l.h + m] + g1[i] * tanhf(gain * acc);
    }
  }
  __syncwarp();

  // Read-out o = clamp(gain * (W_o [h ; 1] + noise), 0, 1), one lane per channel.
  const float out_gain = readout_gain(spec);
  for (int j = lane; j < O; j += kWarp) {
    float acc = w_out[size_t(M) * O + j];
    for (int m = 0; m < M; ++m) acc += state[l.h + m] * w_out[size_t(m) * O + j];
    state[l.o + j] = clamp01(out_gain * (acc + (noise ? noise[j] : 0.0f)));
  }
  __syncwarp();
}

// ---- single units: one warp per lifetime -------------------------------------------

__host__ __device__ int single_unit_blocks_per_member(int lifetimes) {
  return int(ceil_div(size_t(lifetimes), kSingleUnitWarpsPerBlock));
}

struct SingleUnitLayout {
  size_t theta, gate_in, state, per_warp;  // floats
  __host__ __device__ explicit SingleUnitLayout(const CellSpec& cell) {
    const CellLayout l = cell_layout(cell);
    theta = round_up4(l.param_count);
    gate_in = round_up4(size_t(l.gate_inputs) + 1);
    state = round_up4(size_t(l.state_size));
    per_warp = gate_in + state;
  }
};

template <class Task, int CellsPerLane>
__global__ void single_unit_kernel(CellSpec cell, Population pop, LifetimeSet lifetimes, Task task, int steps,
                                   float* __restrict__ fitness) {
  ENU_DYNAMIC_SHARED(float, shared);
  const SingleUnitLayout layout(cell);
  const int blocks_per_member = single_unit_blocks_per_member(lifetimes.count);
  const int member = int(blockIdx.x / blocks_per_member);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  float* theta = shared;
  build_member_theta(pop, member, theta, threadIdx.x, blockDim.x);
  __syncthreads();  // the last block-wide barrier: warps may finish on their own below

  const int lifetime = int(blockIdx.x % blocks_per_member) * (blockDim.x / kWarp) + warp;
  if (lifetime >= lifetimes.count) return;
  float* gate_in = shared + layout.theta + warp * layout.per_warp;
  float* state = gate_in + layout.gate_in;
  for (size_t i = lane; i < layout.per_warp; i += kWarp) gate_in[i] = 0.0f;
  __syncwarp();

  const CellLayout l = cell_layout(cell);
  task.start(lifetimes, lifetime, member == 0);
  for (int step = 0; step < steps; ++step) {
    task.observe(step, gate_in, lane == 0);  // the input channels lead the gate input
    __syncwarp();
    warp_cell_step<CellsPerLane>(cell, theta, gate_in, state, nullptr);
    task.act(step, state + l.o, lane == 0);
    __syncwarp();
  }
  if (lane == 0) fitness[size_t(member) * lifetimes.count + lifetime] = task.fitness();
}

// ---- networks: one block per (member, lifetime) --------------------------------------

struct NetworkLayout {
  size_t theta, sensory, observation, actions, gate_in, noise, per_warp, total;  // floats
  __host__ __device__ NetworkLayout(const DeviceNetwork& net, size_t param_count, int observation_size) {
    const int widest = max(cell_layout(net.synapse).gate_inputs, cell_layout(net.neuron).gate_inputs);
    theta = round_up4(param_count);
    sensory = round_up4(size_t(net.inputs) * net.channels);
    observation = round_up4(size_t(observation_size));
    actions = round_up4(size_t(net.outputs));
    gate_in = round_up4(size_t(widest) + 1);
    noise = round_up4(size_t(net.channels));
    per_warp = gate_in + noise;
    total = theta + sensory + observation + actions + per_warp * kNetworkWarpsPerBlock;
  }
};

__host__ __device__ size_t state_floats(const DeviceNetwork& net) {
  return size_t(net.neurons) * net.fan_in * cell_layout(net.synapse).state_size +
         size_t(net.neurons) * cell_layout(net.neuron).state_size;
}

template <class Task, int CellsPerLane>
__global__ void network_kernel(DeviceNetwork net, Population pop, LifetimeSet lifetimes, Task task, int steps,
                               ObservationShape shape, float* __restrict__ state_all, float* __restrict__ fitness) {
  ENU_DYNAMIC_SHARED(float, shared);
  const int C = net.channels, K = net.fan_in, S = net.neurons * K, N = net.neurons;
  const NetworkLayout layout(net, pop.param_count, shape.sources * shape.channels);
  const int lifetime = int(blockIdx.x % lifetimes.count), member = int(blockIdx.x / lifetimes.count);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp, warps = blockDim.x / kWarp;
  const CellLayout syn_l = cell_layout(net.synapse), neu_l = cell_layout(net.neuron);

  float* theta = shared;
  float* sensory = theta + layout.theta;
  float* observation = sensory + layout.sensory;
  float* actions = observation + layout.observation;
  float* gate_in = actions + layout.actions + warp * layout.per_warp;
  float* noise = gate_in + layout.gate_in;
  float* syn_state = state_all + (size_t(member) * lifetimes.count + lifetime) * state_floats(net);
  float* neu_state = syn_state + size_t(S) * syn_l.state_size;

  build_member_theta(pop, member, theta, threadIdx.x, blockDim.x);
  for (size_t i = threadIdx.x; i < state_floats(net); i += blockDim.x) syn_state[i] = 0.0f;
  for (size_t i = threadIdx.x; i < layout.sensory; i += blockDim.x) sensory[i] = 0.0f;
  for (size_t i = lane; i < layout.per_warp; i += kWarp) gate_in[i] = 0.0f;
  task.start(lifetimes, lifetime, member == 0);
  __syncthreads();

  const float* theta_syn = theta;
  const float* theta_neu = theta + net.neuron_offset;
  const PhiloxKey synapse_key = output_noise_key(lifetimes.seed, CellRole::synapse);
  const PhiloxKey neuron_key = output_noise_key(lifetimes.seed, CellRole::neuron);
  const uint32_t member_id = pop.member_id(member);
  for (int step = 0; step < steps; ++step) {
    task.observe(step, observation, threadIdx.x == 0);
    __syncthreads();
    for (int i = threadIdx.x; i < shape.sources * shape.channels; i += blockDim.x) {
      sensory[(i / shape.channels) * C + i % shape.channels] = observation[i];
    }
    __syncthreads();
    for (int tick = 0; tick < net.ticks_per_step; ++tick) {
      const uint32_t global_tick = uint32_t(step * net.ticks_per_step + tick);
      // The output noise of `cell` of `cells` (the stream of `key`) into the
      // warp's `noise`, scaled by `scale`: a block of four channels per lane.
      const auto draw_noise = [&](PhiloxKey key, float scale, int cells, int cell) {
        for (int q = lane; q * 4 < C; q += kWarp) {
          float draws[4];
          cell_noise4(key, member_id, uint32_t(lifetime), uint32_t(lifetimes.generation), global_tick, cells, C, cell,
                      q, draws);
          for (int d = 0; d < 4 && q * 4 + d < C; ++d) noise[q * 4 + d] = scale * draws[d];
        }
      };
      // 1-2. broadcast and synapse cells: [source output ; post-synaptic output], both of the last tick.
      for (int j = warp; j < S; j += warps) {
        const int source = net.pre[j];
        const float* pre_signal = source < net.inputs ? sensory + source * C
                                                      : neu_state + size_t(source - net.inputs) * neu_l.state_size + neu_l.o;
        const float* post_signal = neu_state + size_t(j / K) * neu_l.state_size + neu_l.o;
        for (int c = lane; c < C; c += kWarp) {
          gate_in[c] = pre_signal[c];
          gate_in[C + c] = post_signal[c];
        }
        if (net.synapse_noise != 0.0f) draw_noise(synapse_key, net.synapse_noise, S, j);
        __syncwarp();
        warp_cell_step<CellsPerLane>(net.synapse, theta_syn, gate_in, syn_state + size_t(j) * syn_l.state_size,
                                     net.synapse_noise != 0.0f ? noise : nullptr);
      }
      __syncthreads();
      // 3-4. segmented mean of each neuron's K synapses, then the neuron cells.
      for (int n = warp; n < N; n += warps) {
        for (int c = lane; c < C; c += kWarp) {
          float sum = 0.0f;
          for (int k = 0; k < K; ++k) sum += syn_state[size_t(n * K + k) * syn_l.state_size + syn_l.o + c];
          gate_in[c] = sum / float(K);
        }
        for (int c = C + lane; c < net.neuron.inputs; c += kWarp) gate_in[c] = 0.0f;  // SHARED: [mean ; 0]
        if (net.neuron_noise != 0.0f) draw_noise(neuron_key, net.neuron_noise, N, n);
        __syncwarp();
        warp_cell_step<CellsPerLane>(net.neuron, theta_neu, gate_in, neu_state + size_t(n) * neu_l.state_size,
                                     net.neuron_noise != 0.0f ? noise : nullptr);
      }
      __syncthreads();
    }
    // 5. read-out: channel 0 of the last `outputs` neurons.
    for (int a = threadIdx.x; a < net.outputs; a += blockDim.x) {
      actions[a] = neu_state[size_t(N - net.outputs + a) * neu_l.state_size + neu_l.o];
    }
    __syncthreads();
    task.act(step, actions, threadIdx.x == 0);
  }
  if (threadIdx.x == 0) fitness[size_t(member) * lifetimes.count + lifetime] = task.fitness();
}

/// A member-major one-dimensional grid of `per_member` blocks a member: gridDim.y
/// and z stop at 65,535 (a population is often larger), x at 2^31 - 1.
dim3 member_major_grid(const Population& pop, int per_member) {
  const size_t blocks = size_t(pop.size) * size_t(per_member);
  if (blocks > kMaxGridX) {
    throw Error("CUDA backend: " + std::to_string(pop.size) + " members need " + std::to_string(blocks) +
                " blocks of the fused kernel; a launch takes at most " + std::to_string(kMaxGridX));
  }
  return dim3(unsigned(blocks));
}

/// Calls launch(lanes) with lanes::value the memory cells per lane (1, 2 or
/// kMaxCellsPerLane) that cover `memory` (<= kFusedMaxMemory, checked by the evaluator).
template <class Launch>
void with_cells_per_lane(int memory, Launch&& launch) {
  static_assert(kMaxCellsPerLane == 4, "the cases below are 1, 2 and 4 cells per lane");
  if (memory <= kWarp) return launch(std::integral_constant<int, 1>{});
  if (memory <= 2 * kWarp) return launch(std::integral_constant<int, 2>{});
  return launch(std::integral_constant<int, kMaxCellsPerLane>{});
}

}  // namespace

size_t single_unit_shared_bytes(const CellSpec& cell) {
  const SingleUnitLayout layout(cell);
  return (layout.theta + layout.per_warp * kSingleUnitWarpsPerBlock) * sizeof(float);
}

size_t network_shared_bytes(const DeviceNetwork& net, size_t param_count, int observation_size) {
  return NetworkLayout(net, param_count, observation_size).total * sizeof(float);
}

size_t network_state_floats(const DeviceNetwork& net) { return state_floats(net); }

void launch_single_unit(const CellSpec& cell, const Population& pop, const LifetimeSet& lifetimes,
                        const DeviceTask& task, float* fitness, cudaStream_t stream) {
  if (pop.size == 0 || lifetimes.count == 0) return;
  const dim3 grid = member_major_grid(pop, single_unit_blocks_per_member(lifetimes.count));
  const size_t shared = single_unit_shared_bytes(cell);
  with_kernel_task<ModelNeed::cell>(task, cell.outputs, [&](auto kernel_task) {
    with_cells_per_lane(cell.memory, [&](auto lanes) {
      using Task = decltype(kernel_task);
      constexpr int kLanes = decltype(lanes)::value;
      ENU_CUDA_CHECK(cudaFuncSetAttribute(single_unit_kernel<Task, kLanes>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(shared)));
      ENU_LAUNCH((single_unit_kernel<Task, kLanes>), grid, kSingleUnitWarpsPerBlock * kWarp, shared, stream)(
          cell, pop, lifetimes, kernel_task, task.steps, fitness);
      ENU_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_network(const DeviceNetwork& net, const Population& pop, const LifetimeSet& lifetimes,
                    const DeviceTask& task, float* state, float* fitness, cudaStream_t stream) {
  if (pop.size == 0 || lifetimes.count == 0) return;
  const dim3 grid = member_major_grid(pop, lifetimes.count);
  const size_t shared = network_shared_bytes(net, pop.param_count, task.shape.sources * task.shape.channels);
  with_kernel_task<ModelNeed::agent>(task, net.outputs, [&](auto kernel_task) {
    with_cells_per_lane(std::max(net.synapse.memory, net.neuron.memory), [&](auto lanes) {
      using Task = decltype(kernel_task);
      constexpr int kLanes = decltype(lanes)::value;
      ENU_CUDA_CHECK(cudaFuncSetAttribute(network_kernel<Task, kLanes>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          int(shared)));
      ENU_LAUNCH((network_kernel<Task, kLanes>), grid, kNetworkWarpsPerBlock * kWarp, shared, stream)(
          net, pop, lifetimes, kernel_task, task.steps, task.shape, state, fitness);
      ENU_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace enu::cuda
