// The fast cell step: GEMM, element-wise gate maths, GEMM, update, read-out.
#include "fast/batched_cell.hpp"

#include <algorithm>
#include <cstring>

#include "fast/vmath.hpp"

namespace enu::fast {

BatchedCell::BatchedCell(const CellSpec& spec, int max_rows)
    : spec_(spec), layout_(cell_layout(spec)), max_rows_(max_rows) {
  const int M = spec.memory, U = layout_.gate_inputs;
  w_gate_.resize(U + 1, layout_.gate_chunks * M);
  w_cand_.resize(U + 1, M);
  w_out_.resize(M + 1, spec.outputs);
  const int rows = round_up(max_rows, kRowTile);
  gate_ld_ = U + 1;
  gates_ld_ = w_gate_.n_padded;
  cand_ld_ = w_cand_.n_padded;
  hidden_ld_ = M + 1;
  out_ld_ = w_out_.n_padded;
  gate_in_.assign(size_t(rows) * gate_ld_, 0.0f);
  gates_.assign(size_t(rows) * gates_ld_, 0.0f);
  cand_.assign(size_t(rows) * cand_ld_, 0.0f);
  hidden_.assign(size_t(rows) * hidden_ld_, 0.0f);
  cell_.assign(size_t(rows) * M, 0.0f);
  out_.assign(size_t(rows) * out_ld_, 0.0f);
  const int lstm_cells = spec.kind == CellKind::lstm ? M : 0;
  const size_t row_bytes = sizeof(float) * size_t(gate_ld_ + gates_ld_ + cand_ld_ + hidden_ld_ + lstm_cells + out_ld_);
  tile_rows_ = std::max(kRowTile, int(kTileBytes / row_bytes) / kRowTile * kRowTile);
}

void BatchedCell::set_params(const float* theta) {
  w_gate_.pack(theta + layout_.w_gate);
  w_cand_.pack(theta + layout_.w_cand);
  w_out_.pack(theta + layout_.w_out);
}

void BatchedCell::reset(int rows) {
  rows_ = std::min(rows, max_rows_);
  padded_rows_ = round_up(rows_, kRowTile);
  std::fill(gate_in_.begin(), gate_in_.end(), 0.0f);
  std::fill(cell_.begin(), cell_.end(), 0.0f);
  std::fill(out_.begin(), out_.end(), 0.0f);
  for (int r = 0; r < padded_rows_; ++r) {
    float* hidden = &hidden_[size_t(r) * hidden_ld_];
    std::fill(hidden, hidden + spec_.memory, 0.0f);
    hidden[spec_.memory] = 1.0f;  // bias input of the read-out
  }
}

void BatchedCell::step(const float* noise) {
  // Every stage works row by row, so a tile of rows can go through all of them
  // while it stays in cache; one pass per stage over all rows would stream them
  // from memory once per stage (and once per column tile in the GEMMs).
  for (int first = 0; first < padded_rows_; first += tile_rows_) {
    step_rows(first, std::min(tile_rows_, padded_rows_ - first), noise);
  }
}

void BatchedCell::step_rows(int first, int rows, const float* noise) {
  const int I = spec_.inputs, M = spec_.memory, O = spec_.outputs, F = layout_.feedback;
  const bool lstm = spec_.kind == CellKind::lstm;
  float* const gate_in = &gate_in_[size_t(first) * gate_ld_];
  float* const gates = &gates_[size_t(first) * gates_ld_];
  float* const cand = &cand_[size_t(first) * cand_ld_];
  float* const hidden = &hidden_[size_t(first) * hidden_ld_];
  float* const cell = &cell_[size_t(first) * M];
  float* const out = &out_[size_t(first) * out_ld_];

  // Gate input rows: [x (filled by the caller) ; o_prev ; h ; 1].
  for (int r = 0; r < rows; ++r) {
    float* in = &gate_in[size_t(r) * gate_ld_];
    std::memcpy(in + I, &out[size_t(r) * out_ld_], sizeof(float) * F);
    std::memcpy(in + I + F, &hidden[size_t(r) * hidden_ld_], sizeof(float) * M);
    in[I + F + M] = 1.0f;
  }
  lap(gates_stage_);
  gemm(rows, gate_in, gate_ld_, w_gate_, gates, gates_ld_);

  if (lstm) {
    gemm(rows, gate_in, gate_ld_, w_cand_, cand, cand_ld_);
    lap(gemm_stage_);
    for (int r = 0; r < rows; ++r) {
      const float* g = &gates[size_t(r) * gates_ld_];
      const float* a = &cand[size_t(r) * cand_ld_];
      float* c = &cell[size_t(r) * M];
      float* h = &hidden[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) {
        c[m] = sigmoid_approx(g[M + m]) * c[m] + sigmoid_approx(g[m]) * tanh_approx(a[m]);
        h[m] = sigmoid_approx(g[2 * M + m]) * tanh_approx(c[m]);
      }
    }
  } else {
    lap(gemm_stage_);
    // Gates in place (reset over the first M columns, update over the next M),
    // and r * h written over h in the gate input for the candidate layer.
    const GateConstants constants = gate_constants(spec_.kind);
    const float gain = constants.gain, reset_offset = constants.reset_offset;
    for (int r = 0; r < rows; ++r) {
      float* g = &gates[size_t(r) * gates_ld_];
      float* in_h = &gate_in[size_t(r) * gate_ld_ + I + F];
      const float* h = &hidden[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) g[m] = sigmoid_approx(gain * (g[m] - reset_offset));
      for (int m = M; m < 2 * M; ++m) g[m] = sigmoid_approx(gain * g[m]);
      for (int m = 0; m < M; ++m) in_h[m] = g[m] * h[m];
    }
    lap(gates_stage_);
    gemm(rows, gate_in, gate_ld_, w_cand_, cand, cand_ld_);
    lap(gemm_stage_);
    for (int r = 0; r < rows; ++r) {
      const float* z = &gates[size_t(r) * gates_ld_ + M];
      const float* a = &cand[size_t(r) * cand_ld_];
      float* h = &hidden[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) h[m] = (1.0f - z[m]) * h[m] + z[m] * tanh_approx(gain * a[m]);
    }
  }

  lap(gates_stage_);
  gemm(rows, hidden, hidden_ld_, w_out_, out, out_ld_);
  lap(gemm_stage_);
  // The read-out of the real rows (the padding rows beyond rows_ stay unclamped and unused).
  const float gain = readout_gain(spec_);
  for (int r = 0; r < std::min(rows, rows_ - first); ++r) {
    float* o = &out[size_t(r) * out_ld_];
    const float* eps = noise ? noise + size_t(first + r) * O : nullptr;
    for (int k = 0; k < O; ++k) o[k] = std::clamp(gain * (o[k] + (eps ? eps[k] : 0.0f)), 0.0f, 1.0f);
  }
  lap(gates_stage_);
}

}  // namespace enu::fast
