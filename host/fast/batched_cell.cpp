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
  const int I = spec_.inputs, M = spec_.memory, O = spec_.outputs, F = layout_.feedback;
  const bool lstm = spec_.kind == CellKind::lstm, steep = spec_.kind != CellKind::gru;
  const int rows = padded_rows_;

  // Gate input rows: [x (filled by the caller) ; o_prev ; h ; 1].
  for (int r = 0; r < rows; ++r) {
    float* in = &gate_in_[size_t(r) * gate_ld_];
    std::memcpy(in + I, &out_[size_t(r) * out_ld_], sizeof(float) * F);
    std::memcpy(in + I + F, &hidden_[size_t(r) * hidden_ld_], sizeof(float) * M);
    in[I + F + M] = 1.0f;
  }
  lap(gates_stage_);
  gemm(rows, gate_in_.data(), gate_ld_, w_gate_, gates_.data(), gates_ld_);

  if (lstm) {
    gemm(rows, gate_in_.data(), gate_ld_, w_cand_, cand_.data(), cand_ld_);
    lap(gemm_stage_);
    for (int r = 0; r < rows; ++r) {
      const float* g = &gates_[size_t(r) * gates_ld_];
      const float* cand = &cand_[size_t(r) * cand_ld_];
      float* c = &cell_[size_t(r) * M];
      float* h = &hidden_[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) {
        c[m] = sigmoid_approx(g[M + m]) * c[m] + sigmoid_approx(g[m]) * tanh_approx(cand[m]);
        h[m] = sigmoid_approx(g[2 * M + m]) * tanh_approx(c[m]);
      }
    }
  } else {
    lap(gemm_stage_);
    // Gates in place (reset over the first M columns, update over the next M),
    // and r * h written over h in the gate input for the candidate layer.
    const float gain = steep ? 3.0f : 1.0f, reset_offset = steep ? 1.0f : 0.0f;
    for (int r = 0; r < rows; ++r) {
      float* g = &gates_[size_t(r) * gates_ld_];
      float* in_h = &gate_in_[size_t(r) * gate_ld_ + I + F];
      const float* h = &hidden_[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) g[m] = sigmoid_approx(gain * (g[m] - reset_offset));
      for (int m = M; m < 2 * M; ++m) g[m] = sigmoid_approx(gain * g[m]);
      for (int m = 0; m < M; ++m) in_h[m] = g[m] * h[m];
    }
    lap(gates_stage_);
    gemm(rows, gate_in_.data(), gate_ld_, w_cand_, cand_.data(), cand_ld_);
    lap(gemm_stage_);
    for (int r = 0; r < rows; ++r) {
      const float* z = &gates_[size_t(r) * gates_ld_ + M];
      const float* cand = &cand_[size_t(r) * cand_ld_];
      float* h = &hidden_[size_t(r) * hidden_ld_];
      for (int m = 0; m < M; ++m) h[m] = (1.0f - z[m]) * h[m] + z[m] * tanh_approx(gain * cand[m]);
    }
  }

  lap(gates_stage_);
  gemm(rows, hidden_.data(), hidden_ld_, w_out_, out_.data(), out_ld_);
  lap(gemm_stage_);
  const float gain = spec_.spiking ? 1000.0f : 1.0f;
  for (int r = 0; r < rows_; ++r) {
    float* o = &out_[size_t(r) * out_ld_];
    const float* eps = noise ? noise + size_t(r) * O : nullptr;
    for (int k = 0; k < O; ++k) o[k] = std::clamp(gain * (o[k] + (eps ? eps[k] : 0.0f)), 0.0f, 1.0f);
  }
  lap(gates_stage_);
}

}  // namespace enu::fast
