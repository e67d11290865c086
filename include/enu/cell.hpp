#pragma once
/// @brief Cell kinds as data: the ENU, its no-feedback ablation NFENU, and the
/// GRU and LSTM baselines, with the canonical flat parameter layout.

#include <cstddef>
#include <cstdint>
#include <string>

#include "enu/common.hpp"

namespace enu {

enum class CellKind { enu, nfenu, gru, lstm };

const char* to_string(CellKind kind);

/// One recurrent unit with I input channels, M memory cells and O output channels.
struct CellSpec {
  CellKind kind = CellKind::enu;
  int inputs = 4;         // I
  int memory = 32;        // M
  int outputs = 1;        // O
  bool spiking = false;   // output o = clamp(1000 * (W_o [h;1] + noise), 0, 1)
};

/// Offsets into one cell's flat theta and state, derived from its spec.
///
/// theta = [ W_g ((U+1) x G*M) | W_c ((U+1) x M) | W_o ((M+1) x O) ], each matrix
/// input-major ([n_in x n_out], row r = weights of input r, bias row last), with
/// U = I + O + M for the ENU (output fed back) and U = I + M otherwise. G = 2 gate
/// chunks (reset, update) for ENU/NFENU/GRU and 3 (input, forget, output) for LSTM.
///
/// state = [ h (M) | c (M, LSTM only) | o (O) ]; all zero at the start of a lifetime.
struct CellLayout {
  int feedback = 0;     // output channels fed back into the gates (O or 0)
  int gate_inputs = 0;  // U
  int gate_chunks = 0;  // G
  size_t w_gate = 0, w_cand = 0, w_out = 0, param_count = 0;
  int h = 0, c = 0, o = 0, state_size = 0;
};

ENU_HD CellLayout cell_layout(const CellSpec& spec) {
  CellLayout l;
  l.feedback = spec.kind == CellKind::enu ? spec.outputs : 0;
  l.gate_inputs = spec.inputs + l.feedback + spec.memory;
  l.gate_chunks = spec.kind == CellKind::lstm ? 3 : 2;
  const size_t rows = size_t(l.gate_inputs) + 1;
  l.w_gate = 0;
  l.w_cand = l.w_gate + rows * size_t(l.gate_chunks * spec.memory);
  l.w_out = l.w_cand + rows * size_t(spec.memory);
  l.param_count = l.w_out + size_t(spec.memory + 1) * size_t(spec.outputs);
  l.h = 0;
  l.c = spec.kind == CellKind::lstm ? spec.memory : 0;
  l.o = spec.kind == CellKind::lstm ? 2 * spec.memory : spec.memory;
  l.state_size = l.o + spec.outputs;
  return l;
}

/// The constants of the gates and the read-out, the same in every backend
/// (DESIGN.md 2.1). ENU and NFENU gates are steep and the reset gate is biased
/// shut: r = sigmoid(3 (a_r - 1)), z = sigmoid(3 a_z), candidate tanh(3 a_c);
/// the GRU's are the standard ones (gain 1, no offset). The LSTM uses neither.
struct GateConstants {
  float gain = 1.0f;          // on the reset, update and candidate pre-activations
  float reset_offset = 0.0f;  // subtracted from the reset pre-activation
};
ENU_HD GateConstants gate_constants(CellKind kind) {
  return kind == CellKind::enu || kind == CellKind::nfenu ? GateConstants{3.0f, 1.0f} : GateConstants{};
}
/// o = clamp(gain * (W_o [h ; 1] + noise), 0, 1): gain 1000 makes a spiking read-out a step.
ENU_HD float readout_gain(const CellSpec& spec) { return spec.spiking ? 1000.0f : 1.0f; }

/// Multiply-adds of one step, counted as 2 FLOPs each (the figure benchmarks report).
inline double cell_flops_per_step(const CellSpec& spec) {
  const CellLayout l = cell_layout(spec);
  return 2.0 * ((l.gate_inputs + 1.0) * (l.gate_chunks + 1) * spec.memory +
                (spec.memory + 1.0) * spec.outputs);
}

/// Throws enu::Error naming the field when a size is not positive.
void validate(const CellSpec& spec, const std::string& where);

/// The published initialisation: every gate chunk (U x M, and W_o's M x O) is a
/// (semi-)orthogonal matrix from Gaussian draws of the run's init stream; bias
/// rows are zero. `block` separates the cells of one model (synapse 0, neuron 1).
void init_cell_params(const CellSpec& spec, uint64_t seed, uint32_t block, float* theta);

}  // namespace enu
