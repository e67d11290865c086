// The fused v2 network kernel. Reading order: the shared-memory layout, the
// warp's cell step over one tile of 16 cell instances, the kernel (its phase
// routine stages a tile of either role), the launcher.
//
// Work mapping: a block is one member and a group of its lifetimes (as many as
// fit in shared memory; the published maze's 8 at C = 16, M = 32). Its cell
// instances are rows: rows (lifetime, synapse) of the synapse phase, rows
// (lifetime, neuron) of the neuron phase. A warp takes tiles of 16 rows in
// turn: it stages their gate inputs [h | 1 | x | o_prev] in its own shared
// buffer, multiplies them by the member's weights (shared, laid out once) as
// 16 x 16 tiles of a GEMM (warp_gemm.cuh: fp32, tf32 or tf32x3), and applies
// the gates element by element on the accumulators. A tick needs two block
// barriers: after the synapses (the neurons read their outputs) and after the
// neurons (the next tick's synapses read theirs).
#include "fused_v2.cuh"

#include <algorithm>
#include <type_traits>

#include "cell_maths.cuh"
#include "cuda_check.cuh"
#include "enu/network.hpp"
#include "kernel_syntax.cuh"
#include "kernel_tasks.cuh"
#include "launch_geometry.cuh"
#include "member_theta.cuh"
#include "warp_gemm.cuh"

namespace enu::cuda {
namespace {

constexpr int kWarps = 8;
static_assert(kWarps * kWarp == kFusedV2MaxLifetimesPerBlock, "thread e steps lifetime e");
constexpr int kTileRows = 16;  // a tile is one 16-row GEMM tile of cell instances

__host__ __device__ constexpr int round_up(int n, int multiple) { return (n + multiple - 1) / multiple * multiple; }
__host__ __device__ constexpr size_t round_up8(size_t n) { return (n + 7) / 8 * 8; }  // 32-byte segments

// ---- shared-memory layout ------------------------------------------------------------

/// A cell's weights as the tiles read them. The gate input is staged as
///   [h (M), 0 .. Mp | 1, 0 x 7 | x (I) | o_prev (F) | 0 .. Kp]
/// so that [h ; 1] leads it, aligned (the read-out's A), and every block of 8
/// columns starts 32-byte aligned. Weight row r holds theta's row of that input
/// (theta orders them [x ; o_prev ; h ; 1]); columns pad M and O to multiples of
/// 16 with zeros, so padded accumulators stay 0 (h' = 0.5 0 + 0.5 tanh(0)).
/// Each weight matrix's rows are 8 floats longer than its columns (ldm = 8 mod
/// 16): rows of a B tile then start in different banks (GPU-V2.md, section 2).
struct PaddedCell {
  int memory_cols = 0;  // Mp: M rounded up to 16
  int out_cols = 0;     // Op: O rounded up to 16
  int k_rows = 0;       // Kp: rows of the gate and candidate weights
  int gate_ld = 0, cand_ld = 0, out_ld = 0;     // floats per row of W_g [Kp x 2Mp], W_c [Kp x Mp], W_o [Mp+8 x Op]
  size_t gate = 0, cand = 0, out = 0, end = 0;  // floats, from the start of shared memory
  __host__ __device__ PaddedCell() {}
  __host__ __device__ PaddedCell(const CellSpec& cell, size_t at) {
    const CellLayout l = cell_layout(cell);
    memory_cols = round_up(cell.memory, 16);
    out_cols = round_up(cell.outputs, 16);
    k_rows = memory_cols + 8 + round_up(cell.inputs + l.feedback, 8);
    gate_ld = 2 * memory_cols + 8;
    cand_ld = memory_cols + 8;
    out_ld = out_cols + 8;
    gate = at;
    cand = gate + size_t(k_rows) * gate_ld;
    out = cand + size_t(k_rows) * cand_ld;
    end = out + size_t(readout_rows()) * out_ld;
  }
  __host__ __device__ int readout_rows() const { return memory_cols + 8; }  // [h ; 1 ; 0 x 7]
  __host__ __device__ int bias_row() const { return memory_cols; }
  __host__ __device__ int input_row() const { return memory_cols + 8; }
  /// Theta's gate-input row of staged column (= weight row) r, or -1 for padding.
  __host__ __device__ int theta_row(int r, const CellSpec& cell) const {
    const CellLayout l = cell_layout(cell);
    if (r < cell.memory) return cell.inputs + l.feedback + r;
    if (r == bias_row()) return l.gate_inputs;
    if (r >= input_row() && r - input_row() < cell.inputs + l.feedback) return r - input_row();
    return -1;
  }
};

struct V2Layout {
  PaddedCell synapse, neuron;
  int synapse_rows = 0, neuron_rows = 0;  // of a block, rounded up to whole tiles
  int stage_ld = 0;                       // floats per staged row: the wider Kp + 4 (ldm = 4 mod 8)
  size_t syn_h, syn_o, neu_h, neu_o;      // state: [rows x Mp] and [rows x Op]
  size_t stage, syn_noise, neu_noise;     // warp 0's: [16 x stage_ld], output noise [16 x Op] per role
  size_t per_warp;                        // floats from one warp's segments to the next's
  size_t sensory, observation, actions, total;
  size_t theta;  // the member's parameters as built, over the state while the weights are laid out

  __host__ __device__ V2Layout(const DeviceNetwork& net, size_t param_count, int observation_size, int lifetimes) {
    synapse = PaddedCell(net.synapse, 0);
    neuron = PaddedCell(net.neuron, synapse.end);
    synapse_rows = round_up(lifetimes * net.neurons * net.fan_in, kTileRows);
    neuron_rows = round_up(lifetimes * net.neurons, kTileRows);
    stage_ld = max(synapse.k_rows, neuron.k_rows) + 4;
    syn_h = round_up8(neuron.end);
    syn_o = syn_h + round_up8(size_t(synapse_rows) * synapse.memory_cols);
    neu_h = syn_o + round_up8(size_t(synapse_rows) * synapse.out_cols);
    neu_o = neu_h + round_up8(size_t(neuron_rows) * neuron.memory_cols);
    stage = neu_o + round_up8(size_t(neuron_rows) * neuron.out_cols);
    const int out_cols = max(synapse.out_cols, neuron.out_cols);
    syn_noise = stage + round_up8(size_t(kTileRows) * stage_ld);
    neu_noise = syn_noise + round_up8(size_t(kTileRows) * out_cols);
    per_warp = neu_noise + round_up8(size_t(kTileRows) * out_cols) - stage;
    sensory = stage + per_warp * kWarps;
    observation = sensory + round_up8(size_t(lifetimes) * net.inputs * net.channels);
    actions = observation + round_up8(size_t(lifetimes) * observation_size);
    total = actions + round_up8(size_t(lifetimes) * net.outputs);
    theta = syn_h;
    if (total < theta + round_up8(param_count)) total = theta + round_up8(param_count);
  }
};

// ---- one tile of cell instances through one cell step, by one warp ------------------------

struct TileCell {
  const float* weights;    // shared memory: the start of the block's weights
  PaddedCell padded;
  GateConstants gates;
  float readout_gain;
};

/// The cell step of the 16 instances staged in `stage` (their gate inputs, laid
/// out as PaddedCell describes), output noise in `noise` ([16 x Op], zero where
/// none): h' into h_out ([16 x Mp]) and o into o_out ([16 x Op]). Rows past the
/// block's instances are staged as zeros and written to the padding rows of
/// h_out and o_out, which nothing reads. kMT: Mp / 16.
template <class Gemm, int kMT>
__device__ void tile_cell_step(const TileCell& cell, float* stage, int ld, const float* noise, float* h_out,
                               float* o_out) {
  using Acc = typename Gemm::Accumulator;
  const PaddedCell& p = cell.padded;
  const int Mp = p.memory_cols, Op = p.out_cols, k_steps = p.k_rows / 8;
  const float gain = cell.gates.gain, reset_offset = cell.gates.reset_offset;

  // Gates: r in tiles 0 .. kMT-1, z in kMT .. 2 kMT-1.
  Acc gate[2 * kMT], h[kMT];
  for (Acc& acc : gate) Gemm::fill(acc, 0.0f);
  Gemm::template multiply_add<2 * kMT>(gate, stage, ld, cell.weights + p.gate, p.gate_ld, k_steps);
  for (int j = 0; j < kMT; ++j) Gemm::load(h[j], stage + 16 * j, ld);
  __syncwarp();  // every lane holds its h before r o h overwrites it
  for (int j = 0; j < kMT; ++j) {
    for (int i = 0; i < Acc::num_elements; ++i) {
      gate[j].x[i] = sigmoid(gain * (gate[j].x[i] - reset_offset)) * h[j].x[i];               // r o h
      gate[kMT + j].x[i] = sigmoid(gain * gate[kMT + j].x[i]);                                 // z
    }
    Gemm::store(stage + 16 * j, gate[j], ld);
  }
  __syncwarp();

  // Candidate over [r o h | 1 | x | o_prev], then h' = (1 - z) h + z tanh(gain c).
  Acc cand[kMT];
  for (Acc& acc : cand) Gemm::fill(acc, 0.0f);
  Gemm::template multiply_add<kMT>(cand, stage, ld, cell.weights + p.cand, p.cand_ld, k_steps);
  __syncwarp();  // the candidate has read r o h before h' overwrites it
  for (int j = 0; j < kMT; ++j) {
    const Acc& z = gate[kMT + j];
    for (int i = 0; i < Acc::num_elements; ++i) {
      cand[j].x[i] = (1.0f - z.x[i]) * h[j].x[i] + z.x[i] * tanhf(gain * cand[j].x[i]);
    }
    Gemm::store(stage + 16 * j, cand[j], ld);
    Gemm::store(h_out + 16 * j, cand[j], Mp);
  }
  __syncwarp();

  // Read-out o = clamp(gain (W_o [h' ; 1] + noise), 0, 1).
  for (int t = 0; t < Op / 16; ++t) {
    Acc out[1], drawn;
    Gemm::fill(out[0], 0.0f);
    Gemm::template multiply_add<1>(out, stage, ld, cell.weights + p.out + 16 * t, p.out_ld, p.readout_rows() / 8);
    Gemm::load(drawn, noise + 16 * t, Op);
    for (int i = 0; i < Acc::num_elements; ++i) {
      out[0].x[i] = clamp01(cell.readout_gain * (out[0].x[i] + drawn.x[i]));
    }
    Gemm::store(o_out + 16 * t, out[0], Op);
  }
  __syncwarp();
}

// ---- the kernel ------------------------------------------------------------------------

/// Lays out `cell`'s parameters (theta_cell, as built) as PaddedCell `p`
/// describes, rounded to TF32 when the policy reads them so.
__device__ void lay_out_weights(const CellSpec& cell, const PaddedCell& p, const float* theta_cell, float* shared,
                                bool round_tf32) {
  const CellLayout l = cell_layout(cell);
  const int M = cell.memory, O = cell.outputs, Mp = p.memory_cols;
  const auto put = [&](size_t at, float v) {
    shared[at] = round_tf32 ? nvcuda::wmma::__float_to_tf32(v) : v;
  };
  const int gate_size = p.k_rows * p.gate_ld;  // W_g, then W_c: rows of gate_ld, then of cand_ld floats
  for (int i = threadIdx.x; i < gate_size + p.k_rows * p.cand_ld; i += blockDim.x) {
    const bool gate = i < gate_size;
    const int ld = gate ? p.gate_ld : p.cand_ld, at = gate ? i : i - gate_size;
    const int r = at / ld, col = at % ld, chunk = col / Mp, m = col % Mp;
    const int k = p.theta_row(r, cell);
    float v = 0.0f;
    if (k >= 0 && m < M && col < (gate ? 2 : 1) * Mp) {
      v = gate ? theta_cell[l.w_gate + size_t(k) * 2 * M + chunk * M + m] : theta_cell[l.w_cand + size_t(k) * M + m];
    }
    put((gate ? p.gate : p.cand) + at, v);
  }
  for (int i = threadIdx.x; i < p.readout_rows() * p.out_ld; i += blockDim.x) {
    const int r = i / p.out_ld, j = i % p.out_ld;
    const int m = r < M ? r : (r == p.bias_row() ? M : -1);  // W_o's rows: [h ; 1]
    put(p.out + i, m >= 0 && j < O ? theta_cell[l.w_out + size_t(m) * O + j] : 0.0f);
  }
}

/// Thread 0's lap counter of the block's phases (PhaseClocks): a clock64 read
/// after each barrier that ends a phase, when counting is on.
class PhaseLaps {
 public:
  enum Phase { synapse, neuron, environment, count };
  __device__ explicit PhaseLaps(bool on) : on_(on) {
    if (on_) mark_ = clock64();  // in the body: nvcc's host pass keeps a device constructor's initialisers
  }
  __device__ void lap(Phase phase) {
    if (!on_) return;
    const long long now = clock64();
    spent_[phase] += static_cast<unsigned long long>(now - mark_);
    mark_ = now;
  }
  /// This block's row [synapse, neuron, environment, block-ticks] of `rows`.
  __device__ void write(unsigned long long* rows, unsigned long long block_ticks) const {
    if (!on_) return;
    static_assert(count + 1 == kPhaseClockColumns, "a row: the phases, then the block-ticks");
    unsigned long long* out = rows + size_t(blockIdx.x) * kPhaseClockColumns;
    for (int p = 0; p < count; ++p) out[p] = spent_[p];
    out[count] = block_ticks;
  }

 private:
  bool on_;
  long long mark_ = 0;
  unsigned long long spent_[count] = {0, 0, 0};
};

template <class Task, class Gemm, int kMT>
__global__ void __launch_bounds__(kWarps * kWarp, 1)
    fused_v2_kernel(DeviceNetwork net, Population pop, LifetimeSet lifetimes, Task task, int steps,
                    ObservationShape shape, int lifetimes_per_block, float* __restrict__ fitness,
                    unsigned long long* __restrict__ phase_clocks) {
  ENU_DYNAMIC_SHARED(float, shared);
  const int C = net.channels, K = net.fan_in, N = net.neurons, S = N * K;
  const int observation_size = shape.sources * shape.channels;
  const V2Layout layout(net, pop.param_count, observation_size, lifetimes_per_block);
  const int groups = int(ceil_div(size_t(lifetimes.count), size_t(lifetimes_per_block)));
  const int member = int(blockIdx.x) / groups, first = int(blockIdx.x) % groups * lifetimes_per_block;
  const int count = min(lifetimes_per_block, lifetimes.count - first);  // lifetimes of this block
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const PaddedCell& syn = layout.synapse;
  const PaddedCell& neu = layout.neuron;

  // The member's weights, once: built over the state, laid out, the state zeroed.
  float* theta = shared + layout.theta;
  build_member_theta(pop, member, theta, threadIdx.x, blockDim.x);
  __syncthreads();
  const bool round_tf32 = rounds_weights(Gemm::kPrecision);
  lay_out_weights(net.synapse, syn, theta, shared, round_tf32);
  lay_out_weights(net.neuron, neu, theta + net.neuron_offset, shared, round_tf32);
  __syncthreads();
  for (size_t i = layout.syn_h + threadIdx.x; i < layout.total; i += blockDim.x) shared[i] = 0.0f;
  const int lifetime = int(threadIdx.x);  // thread e < count steps lifetime first + e
  if (lifetime < count) task.start(lifetimes, first + lifetime, member == 0);
  __syncthreads();

  float* syn_h = shared + layout.syn_h;
  float* syn_o = shared + layout.syn_o;
  float* neu_h = shared + layout.neu_h;
  float* neu_o = shared + layout.neu_o;
  float* stage = shared + layout.stage + warp * layout.per_warp;
  // Output noise, one buffer per role: a role without noise keeps its zeros.
  float* syn_noise = shared + layout.syn_noise + warp * layout.per_warp;
  float* neu_noise = shared + layout.neu_noise + warp * layout.per_warp;
  float* sensory = shared + layout.sensory;
  float* observation = shared + layout.observation;
  float* actions = shared + layout.actions;
  const int ld = layout.stage_ld;
  const TileCell syn_cell{shared, syn, gate_constants(net.synapse.kind), readout_gain(net.synapse)};
  const TileCell neu_cell{shared, neu, gate_constants(net.neuron.kind), readout_gain(net.neuron)};
  const PhiloxKey synapse_key = output_noise_key(lifetimes.seed, CellRole::synapse);
  const PhiloxKey neuron_key = output_noise_key(lifetimes.seed, CellRole::neuron);
  const uint32_t member_id = pop.member_id(member);
  PhaseLaps laps(phase_clocks != nullptr && threadIdx.x == 0);

  // Output noise of the tile's rows (instance `cell` of `cells` in lifetime
  // first + row / cells) into `noise`, four channels a draw.
  const auto draw_noise = [&](float* noise, PhiloxKey key, float scale, int cells, int row0, int rows, int Op,
                              uint32_t tick) {
    const int quads = int(ceil_div(size_t(C), 4));
    for (int item = lane; item < kTileRows * quads; item += kWarp) {
      const int i = item / quads, q = item % quads, row = row0 + i;
      if (row >= rows) continue;
      float draws[4];
      cell_noise4(key, member_id, uint32_t(first + row / cells), uint32_t(lifetimes.generation), tick, cells, C,
                  row % cells, q, draws);
      for (int d = 0; d < 4 && q * 4 + d < C; ++d) noise[i * Op + q * 4 + d] = scale * draws[d];
    }
  };

  // One phase: the cell step of `rows` rows (instance row % cells of lifetime
  // first + row / cells), a warp per 16-row tile in turn, then a block barrier.
  // input(row, x) gives column x of a row's [x ; o_prev]; h and 1 are the same for every role.
  const auto run_phase = [&](const TileCell& cell, const CellSpec& spec, int rows, int cells, float* h, float* o,
                             float* noise, PhiloxKey key, float noise_std, uint32_t tick, auto&& input) {
    const PaddedCell& p = cell.padded;
    const int inputs = spec.inputs + cell_layout(spec).feedback;
    for (int row0 = warp * kTileRows; row0 < rows; row0 += kWarps * kTileRows) {
      for (int i = 0; i < kTileRows; ++i) {
        const int row = row0 + i;
        for (int col = lane; col < p.k_rows; col += kWarp) {
          const int x = col - p.input_row();
          float v = 0.0f;
          if (row >= rows) {
          } else if (col < spec.memory) {
            v = h[size_t(row) * p.memory_cols + col];
          } else if (col == p.bias_row()) {
            v = 1.0f;
          } else if (x >= 0 && x < inputs) {
            v = input(row, x);
          }
          stage[i * ld + col] = v;
        }
      }
      if (noise_std != 0.0f) draw_noise(noise, key, noise_std, cells, row0, rows, p.out_cols, tick);
      __syncwarp();
      tile_cell_step<Gemm, kMT>(cell, stage, ld, noise, h + size_t(row0) * p.memory_cols,
                                o + size_t(row0) * p.out_cols);
    }
    __syncthreads();
  };

  for (int step = 0; step < steps; ++step) {
    if (lifetime < count) task.observe(step, observation + lifetime * observation_size, true);
    __syncthreads();
    for (int i = threadIdx.x; i < count * observation_size; i += blockDim.x) {
      const int e = i / observation_size, o = i % observation_size;
      sensory[(e * net.inputs + o / shape.channels) * C + o % shape.channels] = observation[i];
    }
    __syncthreads();
    laps.lap(PhaseLaps::environment);
    for (int tick = 0; tick < net.ticks_per_step; ++tick) {
      const uint32_t global_tick = uint32_t(step * net.ticks_per_step + tick);
      // 1-2. synapses: [h | 1 | pre-synaptic output | post-synaptic output | o_prev],
      // both outputs of the last tick.
      run_phase(syn_cell, net.synapse, count * S, S, syn_h, syn_o, syn_noise, synapse_key, net.synapse_noise,
                global_tick, [&](int row, int x) {
                  const int e = row / S, j = row % S;
                  if (x >= 2 * C) return syn_o[size_t(row) * syn.out_cols + x - 2 * C];
                  if (x >= C) return neu_o[size_t(e * N + j / K) * neu.out_cols + x - C];
                  const int source = net.pre[j];
                  return source < net.inputs ? sensory[(e * net.inputs + source) * C + x]
                                             : neu_o[size_t(e * N + source - net.inputs) * neu.out_cols + x];
                });
      laps.lap(PhaseLaps::synapse);
      // 3-4. neurons: [h | 1 | mean of the K synapse outputs, 0 .. I | o_prev].
      run_phase(neu_cell, net.neuron, count * N, N, neu_h, neu_o, neu_noise, neuron_key, net.neuron_noise,
                global_tick, [&](int row, int x) {
                  if (x >= net.neuron.inputs) return neu_o[size_t(row) * neu.out_cols + x - net.neuron.inputs];
                  if (x >= C) return 0.0f;  // SHARED: [mean ; 0]
                  const int e = row / N, n = row % N;
                  float sum = 0.0f;
                  for (int k = 0; k < K; ++k) sum += syn_o[size_t(e * S + n * K + k) * syn.out_cols + x];
                  return sum / float(K);
                });
      laps.lap(PhaseLaps::neuron);
    }
    // 5. read-out: channel 0 of the last `outputs` neurons.
    for (int i = threadIdx.x; i < count * net.outputs; i += blockDim.x) {
      const int e = i / net.outputs, a = i % net.outputs;
      actions[i] = neu_o[size_t(e * N + N - net.outputs + a) * neu.out_cols];
    }
    __syncthreads();
    if (lifetime < count) task.act(step, actions + lifetime * net.outputs, true);
  }
  if (lifetime < count) fitness[size_t(member) * lifetimes.count + first + lifetime] = task.fitness();
  laps.write(phase_clocks, static_cast<unsigned long long>(steps) * net.ticks_per_step);
}

}  // namespace

std::string fused_v2_cell_limit(const DeviceNetwork& net) {
  for (const auto& [cell, role] : {std::pair{net.synapse, "synapse"}, std::pair{net.neuron, "neuron"}}) {
    const std::string cell_name = std::string("the ") + role + " cell";
    if (cell.kind == CellKind::lstm) return cell_name + " is an LSTM; fused_v2 takes ENU, NFENU and GRU";
    if (cell.memory > kFusedV2MaxMemory) {
      return cell_name + " has memory " + std::to_string(cell.memory) + "; fused_v2 takes at most " +
             std::to_string(kFusedV2MaxMemory);
    }
  }
  if (net.synapse.memory != net.neuron.memory) return "fused_v2 takes synapse and neuron cells of one memory size";
  return "";
}

size_t fused_v2_blocks(const Population& pop, const LifetimeSet& lifetimes, int lifetimes_per_block) {
  return size_t(pop.size) * ceil_div(size_t(lifetimes.count), size_t(lifetimes_per_block));
}

size_t fused_v2_shared_bytes(const DeviceNetwork& net, size_t param_count, int observation_size,
                             int lifetimes_per_block) {
  return V2Layout(net, param_count, observation_size, lifetimes_per_block).total * sizeof(float);
}

int fused_v2_lifetimes_per_block(const DeviceNetwork& net, size_t param_count, int observation_size, int lifetimes,
                                 size_t shared_limit) {
  const int most = std::min(lifetimes, kFusedV2MaxLifetimesPerBlock);
  int fit = 0;
  while (fit < most && fused_v2_shared_bytes(net, param_count, observation_size, fit + 1) <= shared_limit) ++fit;
  if (fit == 0) return 0;
  // As few blocks a member as fit, their lifetimes spread evenly.
  const int groups = int(ceil_div(size_t(lifetimes), size_t(fit)));
  return int(ceil_div(size_t(lifetimes), size_t(groups)));
}

void launch_fused_v2(const DeviceNetwork& net, const Population& pop, const LifetimeSet& lifetimes,
                     const DeviceTask& task, CudaPrecision precision, int lifetimes_per_block, float* fitness,
                     unsigned long long* phase_clocks, cudaStream_t stream) {
  if (pop.size == 0 || lifetimes.count == 0) return;
  if (lifetimes_per_block < 1 || lifetimes_per_block > kFusedV2MaxLifetimesPerBlock) {
    throw Error("CUDA backend: fused_v2 blocks of " + std::to_string(lifetimes_per_block) +
                " lifetimes; it takes 1 to " + std::to_string(kFusedV2MaxLifetimesPerBlock));
  }
  const int observation_size = task.shape.sources * task.shape.channels;
  const size_t blocks = fused_v2_blocks(pop, lifetimes, lifetimes_per_block);
  if (blocks > kMaxGridX) {
    throw Error("CUDA backend: " + std::to_string(pop.size) + " members need " + std::to_string(blocks) +
                " blocks of the fused_v2 kernel; a launch takes at most " + std::to_string(kMaxGridX));
  }
  const size_t shared = fused_v2_shared_bytes(net, pop.param_count, observation_size, lifetimes_per_block);
  with_kernel_task<ModelNeed::agent>(task, net.outputs, [&](auto kernel_task) {
    with_precision(precision, [&](auto gemm) {
      const auto launch = [&](auto memory_tiles) {
        using Task = decltype(kernel_task);
        using Gemm = decltype(gemm);
        constexpr int kMT = decltype(memory_tiles)::value;
        ENU_CUDA_CHECK(cudaFuncSetAttribute(fused_v2_kernel<Task, Gemm, kMT>,
                                            cudaFuncAttributeMaxDynamicSharedMemorySize, int(shared)));
        ENU_LAUNCH((fused_v2_kernel<Task, Gemm, kMT>), dim3(unsigned(blocks)), kWarps * kWarp, shared, stream)(
            net, pop, lifetimes, kernel_task, task.steps, task.shape, lifetimes_per_block, fitness, phase_clocks);
        ENU_CUDA_CHECK_LAUNCH();
      };
      if (net.synapse.memory <= 16) return launch(std::integral_constant<int, 1>{});
      launch(std::integral_constant<int, 2>{});
    });
  });
}

}  // namespace enu::cuda
