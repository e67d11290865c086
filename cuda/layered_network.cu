// The layered path. Reading order: the cell rows, the element-wise kernels of a
// cell step (the device twin of host/fast/batched_cell.cpp, with exact
// expf/tanhf), the network's gather and mean, the task kernels (stepping the
// kernel tasks of kernel_tasks.cuh), the driver.
//
// Rows are member-major: row = (member * E + lifetime) * cells + cell, so the
// rows of one member are one contiguous batch entry of every GEMM.
#include "layered_network.cuh"

#include <cub/device/device_segmented_reduce.cuh>
#include <thrust/iterator/counting_iterator.h>
#include <thrust/iterator/transform_iterator.h>

#include <algorithm>
#include <string>

#include "cell_maths.cuh"
#include "enu/network.hpp"
#include "kernel_syntax.cuh"
#include "kernel_tasks.cuh"
#include "launch_geometry.cuh"
#include "member_theta.cuh"

namespace enu::cuda {
namespace {

constexpr int kThreads = 256;
// The pointers a kernel below takes are separate buffers (members of CellRows,
// the sensory rows, the sums), never two views of one: hence __restrict__.

int blocks_for(size_t work) { return grid_stride_blocks(work, kThreads, 1 << 20); }

// ---- parameters and state ---------------------------------------------------------

/// Grid: x a member of the chunk (y and z stop at 65,535), y a share of its parameters.
__global__ void member_theta_kernel(Population pop, int first, float* theta_all) {
  const int local = blockIdx.x;
  build_member_theta(pop, first + local, theta_all + size_t(local) * pop.param_count,
                     blockIdx.y * size_t(blockDim.x) + threadIdx.x, size_t(gridDim.y) * blockDim.x);
}

/// Zero state; the constant 1 closing every [h ; 1] row.
__global__ void reset_rows_kernel(size_t rows, int memory, int hidden_ld, float* hidden) {
  ENU_GRID_STRIDE(i, rows * hidden_ld) hidden[i] = (i % hidden_ld == size_t(memory)) ? 1.0f : 0.0f;
}

// ---- a cell step --------------------------------------------------------------------

/// Gate input after x: [o_prev (feedback) ; h ; 1].
__global__ void gate_input_tail_kernel(size_t rows, int I, int F, int M, int gate_ld, int out_ld, int hidden_ld,
                                       const float* __restrict__ out, const float* __restrict__ hidden,
                                       float* __restrict__ gate_in) {
  const int tail = F + M + 1;
  ENU_GRID_STRIDE(i, rows * tail) {
    const size_t r = i / tail;
    const int k = int(i % tail);
    float v = 1.0f;
    if (k < F) v = out[r * out_ld + k];
    else if (k < F + M) v = hidden[r * hidden_ld + (k - F)];
    gate_in[r * gate_ld + I + k] = v;
  }
}

/// ENU, NFENU, GRU: reset r and update z in place, and r * h over h in the gate input.
__global__ void reset_update_kernel(size_t rows, int I, int F, int M, float gain, float reset_offset, int gate_ld,
                                    int gates_ld, int hidden_ld, const float* __restrict__ hidden,
                                    float* __restrict__ gates, float* __restrict__ gate_in) {
  ENU_GRID_STRIDE(i, rows * M) {
    const size_t r = i / M;
    const int m = int(i % M);
    float* g = gates + r * gates_ld;
    const float reset = sigmoid(gain * (g[m] - reset_offset));
    g[m] = reset;
    g[M + m] = sigmoid(gain * g[M + m]);
    gate_in[r * gate_ld + I + F + m] = reset * hidden[r * hidden_ld + m];
  }
}

/// h = (1 - z) h + z tanh(gain * candidate).
__global__ void blend_kernel(size_t rows, int M, float gain, int gates_ld, int hidden_ld,
                             const float* __restrict__ gates, const float* __restrict__ cand,
                             float* __restrict__ hidden) {
  ENU_GRID_STRIDE(i, rows * M) {
    const size_t r = i / M;
    const int m = int(i % M);
    const float z = gates[r * gates_ld + M + m];
    float& h = hidden[r * hidden_ld + m];
    h = (1.0f - z) * h + z * tanhf(gain * cand[r * M + m]);
  }
}

/// LSTM: c = f c + i tanh(candidate), h = o tanh(c).
__global__ void lstm_kernel(size_t rows, int M, int gates_ld, int hidden_ld, const float* __restrict__ gates,
                            const float* __restrict__ cand, float* __restrict__ cell, float* __restrict__ hidden) {
  ENU_GRID_STRIDE(i, rows * M) {
    const size_t r = i / M;
    const int m = int(i % M);
    const float* g = gates + r * gates_ld;
    float& c = cell[r * M + m];
    c = sigmoid(g[M + m]) * c + sigmoid(g[m]) * tanhf(cand[r * M + m]);
    hidden[r * hidden_ld + m] = sigmoid(g[2 * M + m]) * tanhf(c);
  }
}

/// o = clamp(gain * (W_o [h ; 1] + noise), 0, 1); the cells draw the output noise
/// every backend draws (cell_noise4 on their stream, keyed by member, lifetime,
/// generation, tick), rows being (member, lifetime, cell of `cells`).
struct ReadoutNoise {
  bool on = false;
  float std = 0.0f;
  PhiloxKey key;
  Population pop;
  int first_member = 0, lifetimes = 0, cells = 0;
  uint32_t generation = 0, tick = 0;
};

__global__ void readout_kernel(size_t rows, int O, float gain, ReadoutNoise noise, float* out) {
  ENU_GRID_STRIDE(i, rows * O) {
    const size_t r = i / O;
    const int c = int(i % O);
    float eps = 0.0f;
    if (noise.on) {
      const int cell = int(r % noise.cells);
      const size_t lifetime_row = r / noise.cells;
      const int e = int(lifetime_row % noise.lifetimes), member = noise.first_member + int(lifetime_row / noise.lifetimes);
      float draws[4];
      cell_noise4(noise.key, noise.pop.member_id(member), uint32_t(e), noise.generation, noise.tick, noise.cells, O,
                  cell, c / 4, draws);
      eps = noise.std * draws[c % 4];
    }
    out[i] = clamp01(gain * (out[i] + eps));
  }
}

// ---- the network around the cells ----------------------------------------------------

/// Synapse x = [source output ; post-synaptic neuron output], both of the last tick.
__global__ void gather_kernel(size_t lifetimes, DeviceNetwork net, const float* __restrict__ sensory,
                              const float* __restrict__ neuron_out, int neuron_out_ld, int gate_ld,
                              float* __restrict__ gate_in) {
  const int C = net.channels, S = net.neurons * net.fan_in;
  ENU_GRID_STRIDE(i, lifetimes * S * 2 * C) {
    const int c2 = int(i % (2 * C));
    const size_t row = i / (2 * C);
    const size_t l = row / S;
    const int j = int(row % S);
    float v;
    if (c2 < C) {
      const int source = net.pre[j];
      v = source < net.inputs ? sensory[(l * net.inputs + source) * C + c2]
                              : neuron_out[(l * net.neurons + (source - net.inputs)) * neuron_out_ld + c2];
    } else {
      v = neuron_out[(l * net.neurons + j / net.fan_in) * neuron_out_ld + (c2 - C)];
    }
    gate_in[row * gate_ld + c2] = v;
  }
}

/// Element k of segment (lifetime, neuron, channel): channel c of that neuron's k-th synapse.
struct SynapseOutputAt {
  const float* out;
  int out_ld, fan_in, channels;
  __host__ __device__ float operator()(size_t i) const {
    const size_t segment = i / fan_in, k = i % fan_in;
    const size_t neuron_row = segment / channels, c = segment % channels;
    return out[(neuron_row * fan_in + k) * out_ld + c];
  }
};

struct SegmentStart {
  int length;
  __host__ __device__ size_t operator()(size_t s) const { return s * size_t(length); }
};

/// Neuron x = [mean over its K synapses ; zeros up to I (SHARED)].
__global__ void neuron_input_kernel(size_t neuron_rows, int C, int I, float inv_k, const float* __restrict__ sums,
                                    int gate_ld, float* __restrict__ gate_in) {
  ENU_GRID_STRIDE(i, neuron_rows * I) {
    const size_t r = i / I;
    const int c = int(i % I);
    gate_in[r * gate_ld + c] = c < C ? sums[r * C + c] * inv_k : 0.0f;
  }
}

// ---- the task: one thread per lifetime, its kernel task in global memory ----------

template <class Task>
__global__ void task_start_kernel(Task task, LifetimeSet set, int lifetimes_in_chunk, bool first_chunk, Task* tasks) {
  ENU_GRID_STRIDE(l, size_t(lifetimes_in_chunk)) {
    tasks[l] = task;
    tasks[l].start(set, int(l % set.count), first_chunk && l < size_t(set.count));
  }
}

/// The observation into the lifetime's sensory row: written at its start, then
/// spread in place to C channels per source, zero-padded.
template <class Task>
__global__ void task_observe_kernel(int lifetimes_in_chunk, int step, ObservationShape shape, int inputs, int C,
                                    Task* tasks, float* sensory) {
  ENU_GRID_STRIDE(l, size_t(lifetimes_in_chunk)) {
    float* row = sensory + l * inputs * C;
    tasks[l].observe(step, row, true);
    // Backwards: entry s * C + c reads s * channels + c <= itself, not yet overwritten.
    for (int i = inputs * C - 1; i >= 0; --i) {
      const int s = i / C, c = i % C;
      row[i] = s < shape.sources && c < shape.channels ? row[s * shape.channels + c] : 0.0f;
    }
  }
}

/// The read-out (channel 0 of the last `outputs` neurons), gathered and acted on.
template <class Task>
__global__ void task_act_kernel(int lifetimes_in_chunk, int step, int neurons, int outputs, const float* neuron_out,
                                int out_ld, Task* tasks, float* readout) {
  ENU_GRID_STRIDE(l, size_t(lifetimes_in_chunk)) {
    float* mine = readout + l * outputs;
    for (int a = 0; a < outputs; ++a) mine[a] = neuron_out[(l * neurons + neurons - outputs + a) * out_ld];
    tasks[l].act(step, mine, true);
  }
}

template <class Task>
__global__ void task_fitness_kernel(int lifetimes_in_chunk, const Task* tasks, float* fitness) {
  ENU_GRID_STRIDE(l, size_t(lifetimes_in_chunk)) fitness[l] = tasks[l].fitness();
}

}  // namespace

// ---- CellRows ------------------------------------------------------------------------

void CellRows::init(const CellSpec& kind) {
  spec = kind;
  layout = cell_layout(kind);
  gate_ld = layout.gate_inputs + 1;
  gates_ld = layout.gate_chunks * kind.memory;
  hidden_ld = kind.memory + 1;
}

size_t CellRows::floats_per_row() const {
  const int M = spec.memory;
  return size_t(gate_ld) + gates_ld + M + hidden_ld + (spec.kind == CellKind::lstm ? M : 0) + spec.outputs;
}

void CellRows::resize(size_t rows) {
  gate_in.resize(rows * gate_ld);
  gates.resize(rows * gates_ld);
  cand.resize(rows * spec.memory);
  hidden.resize(rows * hidden_ld);
  if (spec.kind == CellKind::lstm) cell.resize(rows * spec.memory);
  out.resize(rows * spec.outputs);
}

// ---- LayeredNetwork ---------------------------------------------------------------------

LayeredNetwork::LayeredNetwork(const DeviceNetwork& net, size_t param_count, bool tf32)
    : net_(net), param_count_(param_count) {
  ENU_CUBLAS_CHECK(cublasCreate(&blas_));
  ENU_CUBLAS_CHECK(cublasSetMathMode(blas_, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  synapses_.init(net.synapse);
  neurons_.init(net.neuron);
}

LayeredNetwork::~LayeredNetwork() { cublasDestroy(blas_); }

size_t LayeredNetwork::bytes_per_lifetime() const {
  const size_t S = size_t(net_.neurons) * net_.fan_in, N = size_t(net_.neurons), C = size_t(net_.channels);
  const size_t floats =
      S * synapses_.floats_per_row() + N * neurons_.floats_per_row() + net_.inputs * C + N * C + net_.outputs + 1;
  return floats * sizeof(float) + kMaxNetworkTaskBytes;
}

// out[rows x cols] = x[rows x k] W[k x cols] per member, W at theta_offset in each
// member's parameters (row-major, input-major as the canonical layout stores it):
// column-major cuBLAS computes out^T = W^T x^T on the same bytes.
void LayeredNetwork::gemm(const float* x, int x_ld, size_t theta_offset, int cols, float* out, int out_ld,
                          int members, int rows_per_member, int k) {
  const float one = 1.0f, zero = 0.0f;
  ENU_CUBLAS_CHECK(cublasSgemmStridedBatched(
      blas_, CUBLAS_OP_N, CUBLAS_OP_N, cols, rows_per_member, k, &one, theta_.data() + theta_offset, cols,
      (long long)param_count_, x, x_ld, (long long)rows_per_member * x_ld, &zero, out, out_ld,
      (long long)rows_per_member * out_ld, members));
}

void LayeredNetwork::cell_step(CellRows& c, size_t theta_offset, int members, int rows_per_member, CellRole role,
                               const Population& pop, int first_member, const LifetimeSet& lifetimes, uint32_t tick,
                               cudaStream_t stream) {
  const CellLayout& l = c.layout;
  const int I = c.spec.inputs, M = c.spec.memory, O = c.spec.outputs, F = l.feedback;
  const size_t rows = size_t(members) * rows_per_member;
  const GateConstants k = gate_constants(c.spec.kind);

  ENU_LAUNCH(gate_input_tail_kernel, blocks_for(rows * (F + M + 1)), kThreads, 0, stream)(
      rows, I, F, M, c.gate_ld, O, c.hidden_ld, c.out.data(), c.hidden.data(), c.gate_in.data());
  ENU_CUDA_CHECK_LAUNCH();
  gemm(c.gate_in.data(), c.gate_ld, theta_offset + l.w_gate, c.gates_ld, c.gates.data(), c.gates_ld, members,
       rows_per_member, c.gate_ld);
  if (c.spec.kind == CellKind::lstm) {
    gemm(c.gate_in.data(), c.gate_ld, theta_offset + l.w_cand, M, c.cand.data(), M, members, rows_per_member, c.gate_ld);
    ENU_LAUNCH(lstm_kernel, blocks_for(rows * M), kThreads, 0, stream)(
        rows, M, c.gates_ld, c.hidden_ld, c.gates.data(), c.cand.data(), c.cell.data(), c.hidden.data());
    ENU_CUDA_CHECK_LAUNCH();
  } else {
    ENU_LAUNCH(reset_update_kernel, blocks_for(rows * M), kThreads, 0, stream)(
        rows, I, F, M, k.gain, k.reset_offset, c.gate_ld, c.gates_ld, c.hidden_ld, c.hidden.data(), c.gates.data(),
        c.gate_in.data());
    ENU_CUDA_CHECK_LAUNCH();
    gemm(c.gate_in.data(), c.gate_ld, theta_offset + l.w_cand, M, c.cand.data(), M, members, rows_per_member, c.gate_ld);
    ENU_LAUNCH(blend_kernel, blocks_for(rows * M), kThreads, 0, stream)(
        rows, M, k.gain, c.gates_ld, c.hidden_ld, c.gates.data(), c.cand.data(), c.hidden.data());
    ENU_CUDA_CHECK_LAUNCH();
  }
  gemm(c.hidden.data(), c.hidden_ld, theta_offset + l.w_out, O, c.out.data(), O, members, rows_per_member, M + 1);
  ReadoutNoise readout;
  const float noise_std = role == CellRole::synapse ? net_.synapse_noise : net_.neuron_noise;
  if (noise_std != 0.0f) {
    readout.on = true;
    readout.std = noise_std;
    readout.key = output_noise_key(lifetimes.seed, role);
    readout.pop = pop;
    readout.first_member = first_member;
    readout.lifetimes = lifetimes.count;
    readout.cells = role == CellRole::synapse ? net_.neurons * net_.fan_in : net_.neurons;
    readout.generation = uint32_t(lifetimes.generation);
    readout.tick = tick;
  }
  ENU_LAUNCH(readout_kernel, blocks_for(rows * O), kThreads, 0, stream)(
      rows, O, readout_gain(c.spec), readout, c.out.data());
  ENU_CUDA_CHECK_LAUNCH();
}

template <class Task>
void LayeredNetwork::evaluate_chunks(const Population& pop, const LifetimeSet& lifetimes, const Task& task, int steps,
                                     ObservationShape shape, float* fitness, int members_per_chunk,
                                     cudaStream_t stream) {
  ENU_CUBLAS_CHECK(cublasSetStream(blas_, stream));
  const int E = lifetimes.count, S = net_.neurons * net_.fan_in, N = net_.neurons, C = net_.channels;
  const int chunk = std::max(1, std::min(members_per_chunk, pop.size));
  const size_t max_lifetimes = size_t(chunk) * E;
  theta_.resize(size_t(chunk) * param_count_);
  synapses_.resize(max_lifetimes * S);
  neurons_.resize(max_lifetimes * N);
  sensory_.resize(max_lifetimes * net_.inputs * C);
  sums_.resize(max_lifetimes * N * C);
  readout_.resize(max_lifetimes * net_.outputs);
  tasks_.resize(max_lifetimes * sizeof(Task));
  auto* tasks = reinterpret_cast<Task*>(tasks_.data());

  for (int first = 0; first < pop.size; first += chunk) {
    const int members = std::min(chunk, pop.size - first);
    const int count = members * E;  // lifetimes in this chunk
    const size_t syn_rows = size_t(count) * S, neu_rows = size_t(count) * N;

    // Grid y splits a member's parameters, in blocks of four, over at most 64 blocks.
    const unsigned theta_blocks = unsigned(grid_stride_blocks(ceil_div(param_count_, 4), kThreads, 64));
    ENU_LAUNCH(member_theta_kernel, dim3(members, theta_blocks), kThreads, 0, stream)(pop, first, theta_.data());
    ENU_CUDA_CHECK_LAUNCH();
    for (CellRows* rows : {&synapses_, &neurons_}) {
      const size_t n = rows == &synapses_ ? syn_rows : neu_rows;
      ENU_CUDA_CHECK(cudaMemsetAsync(rows->out.data(), 0, n * rows->spec.outputs * sizeof(float), stream));
      if (rows->spec.kind == CellKind::lstm) {
        ENU_CUDA_CHECK(cudaMemsetAsync(rows->cell.data(), 0, n * rows->spec.memory * sizeof(float), stream));
      }
      ENU_LAUNCH(reset_rows_kernel, blocks_for(n * rows->hidden_ld), kThreads, 0, stream)(
          n, rows->spec.memory, rows->hidden_ld, rows->hidden.data());
      ENU_CUDA_CHECK_LAUNCH();
    }
    ENU_LAUNCH(task_start_kernel<Task>, blocks_for(count), kThreads, 0, stream)(
        task, lifetimes, count, first == 0, tasks);
    ENU_CUDA_CHECK_LAUNCH();

    const SegmentStart starts{net_.fan_in};
    const auto begin_offsets = thrust::make_transform_iterator(thrust::counting_iterator<size_t>(0), starts);
    const auto end_offsets = thrust::make_transform_iterator(thrust::counting_iterator<size_t>(1), starts);
    const auto synapse_outputs = thrust::make_transform_iterator(
        thrust::counting_iterator<size_t>(0), SynapseOutputAt{synapses_.out.data(), synapses_.spec.outputs, net_.fan_in, C});
    const int segments = int(neu_rows * C);
    size_t scratch_bytes = 0;
    ENU_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(nullptr, scratch_bytes, synapse_outputs, sums_.data(), segments,
                                                   begin_offsets, end_offsets, stream));
    scratch_.resize(scratch_bytes);

    for (int step = 0; step < steps; ++step) {
      ENU_LAUNCH(task_observe_kernel<Task>, blocks_for(count), kThreads, 0, stream)(
          count, step, shape, net_.inputs, C, tasks, sensory_.data());
      ENU_CUDA_CHECK_LAUNCH();
      for (int tick = 0; tick < net_.ticks_per_step; ++tick) {
        const uint32_t global_tick = uint32_t(step * net_.ticks_per_step + tick);
        ENU_LAUNCH(gather_kernel, blocks_for(syn_rows * 2 * C), kThreads, 0, stream)(
            size_t(count), net_, sensory_.data(), neurons_.out.data(), neurons_.spec.outputs, synapses_.gate_ld,
            synapses_.gate_in.data());
        ENU_CUDA_CHECK_LAUNCH();
        cell_step(synapses_, 0, members, E * S, CellRole::synapse, pop, first, lifetimes, global_tick, stream);
        ENU_CUDA_CHECK(cub::DeviceSegmentedReduce::Sum(scratch_.data(), scratch_bytes, synapse_outputs, sums_.data(),
                                                       segments, begin_offsets, end_offsets, stream));
        ENU_LAUNCH(neuron_input_kernel, blocks_for(neu_rows * neurons_.spec.inputs), kThreads, 0, stream)(
            neu_rows, C, neurons_.spec.inputs, 1.0f / float(net_.fan_in), sums_.data(), neurons_.gate_ld,
            neurons_.gate_in.data());
        ENU_CUDA_CHECK_LAUNCH();
        cell_step(neurons_, net_.neuron_offset, members, E * N, CellRole::neuron, pop, first, lifetimes, global_tick,
                  stream);
      }
      ENU_LAUNCH(task_act_kernel<Task>, blocks_for(count), kThreads, 0, stream)(
          count, step, N, net_.outputs, neurons_.out.data(), neurons_.spec.outputs, tasks, readout_.data());
      ENU_CUDA_CHECK_LAUNCH();
    }
    ENU_LAUNCH(task_fitness_kernel<Task>, blocks_for(count), kThreads, 0, stream)(
        count, tasks, fitness + size_t(first) * E);
    ENU_CUDA_CHECK_LAUNCH();
  }
}

void LayeredNetwork::evaluate(const Population& pop, const LifetimeSet& lifetimes, const DeviceTask& task,
                              float* fitness, int members_per_chunk, cudaStream_t stream) {
  with_kernel_task<ModelNeed::agent>(task, net_.outputs, [&](auto kernel_task) {
    evaluate_chunks(pop, lifetimes, kernel_task, task.steps, task.shape, fitness, members_per_chunk, stream);
  });
}

}  // namespace enu::cuda
