// The scalar reference cell step, one line of maths per line of DESIGN.md 2.1.
#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/reference.hpp"

namespace enu::reference {
namespace {

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// out[j] = sum_i in[i] * W[i][j] + W[n_in][j]: the bias is the last input row.
void affine(const float* W, int n_in, int n_out, const float* in, float* out) {
  for (int j = 0; j < n_out; ++j) {
    float sum = W[size_t(n_in) * n_out + j];
    for (int i = 0; i < n_in; ++i) sum += in[i] * W[size_t(i) * n_out + j];
    out[j] = sum;
  }
}

}  // namespace

void cell_step(const CellSpec& spec, const float* theta, const float* x, const float* noise, float* state) {
  const CellLayout l = cell_layout(spec);
  const int I = spec.inputs, M = spec.memory, O = spec.outputs, F = l.feedback;
  float* h = state + l.h;
  float* c = state + l.c;  // LSTM cell memory
  float* o = state + l.o;

  // X = [x ; o_prev] (feedback only for the ENU), followed by h.
  std::vector<float> gate_in(static_cast<size_t>(l.gate_inputs));
  std::copy(x, x + I, gate_in.begin());
  std::copy(o, o + F, gate_in.begin() + I);
  std::copy(h, h + M, gate_in.begin() + I + F);

  std::vector<float> gates(static_cast<size_t>(l.gate_chunks * M)), cand(static_cast<size_t>(M));
  affine(theta + l.w_gate, l.gate_inputs, l.gate_chunks * M, gate_in.data(), gates.data());

  if (spec.kind == CellKind::lstm) {
    // Standard LSTM: input, forget, output gates; candidate from [x ; h].
    affine(theta + l.w_cand, l.gate_inputs, M, gate_in.data(), cand.data());
    for (int m = 0; m < M; ++m) {
      const float in_gate = sigmoid(gates[m]), forget = sigmoid(gates[M + m]), out_gate = sigmoid(gates[2 * M + m]);
      c[m] = forget * c[m] + in_gate * std::tanh(cand[m]);
      h[m] = out_gate * std::tanh(c[m]);
    }
  } else {
    // ENU/NFENU: steep gates, reset biased shut; GRU: standard gates.
    const GateConstants k = gate_constants(spec.kind);
    std::vector<float> reset(static_cast<size_t>(M)), update(static_cast<size_t>(M));
    for (int m = 0; m < M; ++m) {
      reset[m] = sigmoid(k.gain * (gates[m] - k.reset_offset));
      update[m] = sigmoid(k.gain * gates[M + m]);
      gate_in[size_t(I + F + m)] = reset[m] * h[m];
    }
    affine(theta + l.w_cand, l.gate_inputs, M, gate_in.data(), cand.data());
    for (int m = 0; m < M; ++m) {
      const float candidate = std::tanh(k.gain * cand[m]);
      h[m] = (1.0f - update[m]) * h[m] + update[m] * candidate;
    }
  }

  // o = clamp(gain * (W_o [h ; 1] + noise), 0, 1), gain 1000 in spike mode.
  const float gain = readout_gain(spec);
  affine(theta + l.w_out, M, O, h, o);
  for (int k = 0; k < O; ++k) {
    o[k] = std::clamp(gain * (o[k] + (noise ? noise[k] : 0.0f)), 0.0f, 1.0f);
  }
}

}  // namespace enu::reference
