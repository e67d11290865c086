// The single cell: the reference step against hand-computed and naive
// double-precision implementations of DESIGN.md 2.1, parameter counts, and the
// published initialisation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "enu/cell.hpp"
#include "reference/reference.hpp"

namespace enu {
namespace {

// |got - ref| <= atol + rtol * |ref| for every element; NaN anywhere fails.
// Reports the count and the first few mismatches with their labels.
::testing::AssertionResult all_close(const std::vector<double>& got, const std::vector<double>& ref, double atol,
                                     double rtol, const std::vector<std::string>& labels) {
  if (got.size() != ref.size()) return ::testing::AssertionFailure() << "size " << got.size() << " vs " << ref.size();
  std::ostringstream first;
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double diff = std::abs(got[i] - ref[i]);
    const bool ok = std::isfinite(got[i]) && std::isfinite(ref[i]) && diff <= atol + rtol * std::abs(ref[i]);
    if (ok) continue;
    if (++bad <= 5) {
      first << "\n  " << (i < labels.size() ? labels[i] : std::to_string(i)) << ": got " << got[i] << " want "
            << ref[i] << " (diff " << diff << ")";
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << got.size() << " elements differ" << first.str();
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }

const CellKind kKinds[] = {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm};

// ---- hand-computed tiny cells -------------------------------------------------

// Two steps of one cell with I = M = O = 1 and named weights, the expected
// values written as the scalar formulas of DESIGN.md 2.1 (so a swapped gate
// column, a missing steepness factor or a wrong bias offset shows up here
// first). The flat theta is assembled by hand in the documented order: W_g rows
// [x ; (o) ; h ; 1] x columns [r z] (LSTM: [i f o]), then W_c, then W_o.
// Tolerance 1e-6: a handful of float operations on O(1) values.
struct TinyResult {
  std::vector<float> h, o;
};

TinyResult run_reference(const CellSpec& spec, const std::vector<float>& theta, const float* xs, int steps) {
  const CellLayout l = cell_layout(spec);
  EXPECT_EQ(l.param_count, theta.size());
  std::vector<float> state(size_t(l.state_size), 0.0f);
  TinyResult r;
  for (int t = 0; t < steps; ++t) {
    reference::cell_step(spec, theta.data(), &xs[t], nullptr, state.data());
    r.h.push_back(state[size_t(l.h)]);
    r.o.push_back(state[size_t(l.o)]);
  }
  return r;
}

const float kTinyInputs[2] = {0.7f, -0.4f};

TEST(CellHand, EnuTwoSteps) {
  // W_g: rows x, o_prev, h, bias; columns reset, update.
  const double gxr = 0.5, gxz = -0.3, gor = 0.8, goz = 0.6, ghr = -0.7, ghz = 0.4, gbr = 0.2, gbz = 0.1;
  const double cx = 0.9, co = 0.5, ch = 0.6, cb = 0.05;  // W_c rows x, o_prev, r*h, bias
  const double oh = 0.8, ob = 0.3;                        // W_o rows h, bias
  const std::vector<float> theta = {float(gxr), float(gxz), float(gor), float(goz), float(ghr), float(ghz),
                                    float(gbr), float(gbz), float(cx),  float(co),  float(ch),  float(cb),
                                    float(oh),  float(ob)};
  double h = 0.0, o = 0.0;
  std::vector<double> want_h, want_o;
  for (float xf : kTinyInputs) {
    const double x = xf;
    const double r = sigmoid(3.0 * ((gxr * x + gor * o + ghr * h + gbr) - 1.0));
    const double z = sigmoid(3.0 * (gxz * x + goz * o + ghz * h + gbz));
    const double c = std::tanh(3.0 * (cx * x + co * o + ch * r * h + cb));
    h = (1.0 - z) * h + z * c;
    o = clamp01(oh * h + ob);
    want_h.push_back(h);
    want_o.push_back(o);
  }
  const TinyResult got = run_reference(CellSpec{CellKind::enu, 1, 1, 1, false}, theta, kTinyInputs, 2);
  for (int t = 0; t < 2; ++t) {
    EXPECT_NEAR(got.h[size_t(t)], want_h[size_t(t)], 1e-6) << "step " << t;
    EXPECT_NEAR(got.o[size_t(t)], want_o[size_t(t)], 1e-6) << "step " << t;
  }
  // The values are not degenerate: o is strictly inside (0, 1) and h moves.
  EXPECT_GT(want_o[1], 0.0);
  EXPECT_LT(want_o[1], 1.0);
  EXPECT_GT(std::abs(want_h[1] - want_h[0]), 1e-3);
}

// NFENU: the ENU without output feedback, so W_g and W_c have rows [x ; h ; 1].
TEST(CellHand, NfenuTwoSteps) {
  const double gxr = 0.5, gxz = -0.3, ghr = -0.7, ghz = 0.4, gbr = 0.2, gbz = 0.1;
  const double cx = 0.9, ch = 0.6, cb = 0.05;
  const double oh = 0.8, ob = 0.3;
  const std::vector<float> theta = {float(gxr), float(gxz), float(ghr), float(ghz), float(gbr), float(gbz),
                                    float(cx),  float(ch),  float(cb),  float(oh),  float(ob)};
  double h = 0.0;
  std::vector<double> want_h, want_o;
  for (float xf : kTinyInputs) {
    const double x = xf;
    const double r = sigmoid(3.0 * ((gxr * x + ghr * h + gbr) - 1.0));
    const double z = sigmoid(3.0 * (gxz * x + ghz * h + gbz));
    const double c = std::tanh(3.0 * (cx * x + ch * r * h + cb));
    h = (1.0 - z) * h + z * c;
    want_h.push_back(h);
    want_o.push_back(clamp01(oh * h + ob));
  }
  const TinyResult got = run_reference(CellSpec{CellKind::nfenu, 1, 1, 1, false}, theta, kTinyInputs, 2);
  for (int t = 0; t < 2; ++t) {
    EXPECT_NEAR(got.h[size_t(t)], want_h[size_t(t)], 1e-6) << "step " << t;
    EXPECT_NEAR(got.o[size_t(t)], want_o[size_t(t)], 1e-6) << "step " << t;
  }
}

// GRU: standard gates (no factor 3, no reset offset) and no feedback.
TEST(CellHand, GruTwoSteps) {
  const double gxr = 0.5, gxz = -0.3, ghr = -0.7, ghz = 0.4, gbr = 0.2, gbz = 0.1;
  const double cx = 0.9, ch = 0.6, cb = 0.05;
  const double oh = 0.8, ob = 0.3;
  const std::vector<float> theta = {float(gxr), float(gxz), float(ghr), float(ghz), float(gbr), float(gbz),
                                    float(cx),  float(ch),  float(cb),  float(oh),  float(ob)};
  double h = 0.0;
  std::vector<double> want_h, want_o;
  for (float xf : kTinyInputs) {
    const double x = xf;
    const double r = sigmoid(gxr * x + ghr * h + gbr);
    const double z = sigmoid(gxz * x + ghz * h + gbz);
    const double c = std::tanh(cx * x + ch * r * h + cb);
    h = (1.0 - z) * h + z * c;
    want_h.push_back(h);
    want_o.push_back(clamp01(oh * h + ob));
  }
  const TinyResult got = run_reference(CellSpec{CellKind::gru, 1, 1, 1, false}, theta, kTinyInputs, 2);
  for (int t = 0; t < 2; ++t) {
    EXPECT_NEAR(got.h[size_t(t)], want_h[size_t(t)], 1e-6) << "step " << t;
    EXPECT_NEAR(got.o[size_t(t)], want_o[size_t(t)], 1e-6) << "step " << t;
  }
}

// LSTM: W_g columns [input forget output], candidate tanh(W_c [x ; h ; 1]).
TEST(CellHand, LstmTwoSteps) {
  const double gxi = 0.5, gxf = -0.3, gxo = 0.7, ghi = -0.7, ghf = 0.4, gho = 0.2, gbi = 0.2, gbf = 0.1, gbo = -0.1;
  const double cx = 0.9, ch = 0.6, cb = 0.05;
  const double oh = 0.8, ob = 0.3;
  const std::vector<float> theta = {float(gxi), float(gxf), float(gxo), float(ghi), float(ghf), float(gho), float(gbi),
                                    float(gbf), float(gbo), float(cx),  float(ch),  float(cb),  float(oh),  float(ob)};
  double h = 0.0, c = 0.0;
  std::vector<double> want_h, want_o;
  for (float xf : kTinyInputs) {
    const double x = xf;
    const double in_gate = sigmoid(gxi * x + ghi * h + gbi);
    const double forget = sigmoid(gxf * x + ghf * h + gbf);
    const double out_gate = sigmoid(gxo * x + gho * h + gbo);
    const double g = std::tanh(cx * x + ch * h + cb);
    c = forget * c + in_gate * g;
    h = out_gate * std::tanh(c);
    want_h.push_back(h);
    want_o.push_back(clamp01(oh * h + ob));
  }
  const TinyResult got = run_reference(CellSpec{CellKind::lstm, 1, 1, 1, false}, theta, kTinyInputs, 2);
  for (int t = 0; t < 2; ++t) {
    EXPECT_NEAR(got.h[size_t(t)], want_h[size_t(t)], 1e-6) << "step " << t;
    EXPECT_NEAR(got.o[size_t(t)], want_o[size_t(t)], 1e-6) << "step " << t;
  }
}

// Spike mode multiplies the pre-clamp read-out by 1000 and adds the noise before
// the gain: after one step y = 0.3 + 0.8 h ~ 0.62 > 1e-3, so o = 1; a noise of -1
// pushes y below 0, so o = 0; and a read-out of exactly 0.0005 gives 0.5.
TEST(CellHand, SpikeGainAndNoise) {
  CellSpec spec{CellKind::nfenu, 1, 1, 1, true};
  std::vector<float> theta = {0.5f, -0.3f, -0.7f, 0.4f, 0.2f, 0.1f, 0.9f, 0.6f, 0.05f, 0.8f, 0.3f};
  const CellLayout l = cell_layout(spec);
  std::vector<float> state(size_t(l.state_size), 0.0f);
  const float x = 0.7f, minus_one = -1.0f;
  reference::cell_step(spec, theta.data(), &x, nullptr, state.data());
  EXPECT_EQ(state[size_t(l.o)], 1.0f);
  reference::cell_step(spec, theta.data(), &x, &minus_one, state.data());
  EXPECT_EQ(state[size_t(l.o)], 0.0f);
  theta[9] = 0.0f;      // W_o h-row
  theta[10] = 0.0005f;  // W_o bias
  reference::cell_step(spec, theta.data(), &x, nullptr, state.data());
  EXPECT_NEAR(state[size_t(l.o)], 0.5f, 1e-4);
}

// ---- naive double-precision cell ------------------------------------------------

// A second implementation of DESIGN.md 2.1 in double, indexing theta straight
// from the documented layout (W_g (U+1) x G*M, then W_c (U+1) x M, then W_o
// (M+1) x O, input-major, bias row last) without CellLayout.
struct NaiveCell {
  CellKind kind;
  int I, M, O;
  bool spiking;
  std::vector<double> h, c, o;
  double last_readout_min_gap = 1e9;  // distance of the last pre-gain read-out from the spike window edges

  NaiveCell(CellKind k, int inputs, int memory, int outputs, bool spike)
      : kind(k), I(inputs), M(memory), O(outputs), spiking(spike), h(size_t(memory)), c(size_t(memory)),
        o(size_t(outputs)) {}

  int feedback() const { return kind == CellKind::enu ? O : 0; }
  int U() const { return I + feedback() + M; }
  int G() const { return kind == CellKind::lstm ? 3 : 2; }
  size_t param_count() const { return size_t(U() + 1) * (G() + 1) * M + size_t(M + 1) * O; }

  void step(const std::vector<float>& theta, const float* x) {
    const int u = U(), g = G();
    const float* wg = theta.data();
    const float* wc = wg + size_t(u + 1) * g * M;
    const float* wo = wc + size_t(u + 1) * M;
    // [X ; h ; 1] with X = [x ; o_prev] for the ENU.
    std::vector<double> in;
    for (int i = 0; i < I; ++i) in.push_back(x[i]);
    for (int k = 0; k < feedback(); ++k) in.push_back(o[size_t(k)]);
    for (int m = 0; m < M; ++m) in.push_back(h[size_t(m)]);
    in.push_back(1.0);
    auto matvec = [&](const float* W, int n_out, int col) {
      double sum = 0.0;
      for (int r = 0; r <= u; ++r) sum += in[size_t(r)] * double(W[size_t(r) * n_out + col]);
      return sum;
    };
    std::vector<double> h_new(static_cast<size_t>(M));
    if (kind == CellKind::lstm) {
      for (int m = 0; m < M; ++m) {
        const double ig = sigmoid(matvec(wg, g * M, m));
        const double fg = sigmoid(matvec(wg, g * M, M + m));
        const double og = sigmoid(matvec(wg, g * M, 2 * M + m));
        const double cand = std::tanh(matvec(wc, M, m));
        c[size_t(m)] = fg * c[size_t(m)] + ig * cand;
        h_new[size_t(m)] = og * std::tanh(c[size_t(m)]);
      }
    } else {
      const bool steep = kind != CellKind::gru;
      std::vector<double> r(static_cast<size_t>(M)), z(static_cast<size_t>(M));
      for (int m = 0; m < M; ++m) {
        const double rt = matvec(wg, g * M, m), zt = matvec(wg, g * M, M + m);
        r[size_t(m)] = steep ? sigmoid(3.0 * (rt - 1.0)) : sigmoid(rt);
        z[size_t(m)] = steep ? sigmoid(3.0 * zt) : sigmoid(zt);
      }
      for (int m = 0; m < M; ++m) in[size_t(I + feedback() + m)] = r[size_t(m)] * h[size_t(m)];
      for (int m = 0; m < M; ++m) {
        const double cand = std::tanh((steep ? 3.0 : 1.0) * matvec(wc, M, m));
        h_new[size_t(m)] = (1.0 - z[size_t(m)]) * h[size_t(m)] + z[size_t(m)] * cand;
      }
    }
    h = h_new;
    for (int k = 0; k < O; ++k) {
      double y = double(wo[size_t(M) * O + k]);
      for (int m = 0; m < M; ++m) y += h[size_t(m)] * double(wo[size_t(m) * O + k]);
      o[size_t(k)] = clamp01((spiking ? 1000.0 : 1.0) * y);
    }
  }
};

// reference::cell_step against the naive double cell over 30 steps of random
// inputs with random theta (N(0, 0.5^2)), every kind, I=3, M=5, O=2.
//
// Graded mode: both run freely for 30 steps and h, c (LSTM) and o are compared
// every step. Tolerance atol 2e-5 + rtol 1e-4: one float step is ~1e-7 relative
// per operation over sums of ~10 terms, and the steep gates (factor 3) and 30
// recurrent steps amplify it (measured: max 1.5e-6), so this leaves a 10x margin.
//
// Spike mode: a flipped spike would feed back and make the trajectories part
// for good, so the naive cell is re-synchronised to the reference state before
// every step and only the one-step map is compared. o = clamp(1000 y) is
// 1000-Lipschitz in the read-out y, so o is compared with 1000 x the graded
// atol (2e-2); outside the thin window y in [0, 1e-3] that still demands an
// exact 0 or 1.
void compare_with_naive(CellKind kind, bool spiking, uint32_t seed) {
  const int I = 3, M = 5, O = 2, steps = 30;
  const CellSpec spec{kind, I, M, O, spiking};
  const CellLayout l = cell_layout(spec);
  NaiveCell naive(kind, I, M, O, spiking);
  ASSERT_EQ(naive.param_count(), l.param_count);
  std::mt19937 rng(seed);
  std::normal_distribution<float> weight(0.0f, 0.5f);
  std::uniform_real_distribution<float> input(-1.0f, 1.0f);
  std::vector<float> theta(l.param_count);
  for (float& w : theta) w = weight(rng);
  std::vector<float> state(size_t(l.state_size), 0.0f);

  std::vector<double> got, want;
  std::vector<std::string> labels;
  int spikes = 0, silent = 0;
  for (int t = 0; t < steps; ++t) {
    float x[I];
    for (float& v : x) v = input(rng);
    if (spiking) {  // re-synchronise (see above)
      for (int m = 0; m < M; ++m) naive.h[size_t(m)] = state[size_t(l.h + m)];
      for (int k = 0; k < O; ++k) naive.o[size_t(k)] = state[size_t(l.o + k)];
    }
    reference::cell_step(spec, theta.data(), x, nullptr, state.data());
    naive.step(theta, x);
    for (int m = 0; m < M; ++m) {
      got.push_back(state[size_t(l.h + m)]);
      want.push_back(naive.h[size_t(m)]);
      labels.push_back("step " + std::to_string(t) + " h[" + std::to_string(m) + "]");
      if (kind == CellKind::lstm) {
        got.push_back(state[size_t(l.c + m)]);
        want.push_back(naive.c[size_t(m)]);
        labels.push_back("step " + std::to_string(t) + " c[" + std::to_string(m) + "]");
      }
    }
    for (int k = 0; k < O; ++k) {
      got.push_back(state[size_t(l.o + k)]);
      want.push_back(naive.o[size_t(k)]);
      labels.push_back("step " + std::to_string(t) + " o[" + std::to_string(k) + "]");
      spikes += naive.o[size_t(k)] == 1.0;
      silent += naive.o[size_t(k)] == 0.0;
    }
  }
  const double atol = 2e-5, rtol = 1e-4;
  if (!spiking) {
    EXPECT_TRUE(all_close(got, want, atol, rtol, labels)) << to_string(kind);
    return;
  }
  // Spike mode: memory at the graded tolerance, outputs at 1000x.
  std::vector<double> got_h, want_h, got_o, want_o;
  std::vector<std::string> labels_h, labels_o;
  for (size_t i = 0; i < got.size(); ++i) {
    const bool is_o = labels[i].find(" o[") != std::string::npos;
    (is_o ? got_o : got_h).push_back(got[i]);
    (is_o ? want_o : want_h).push_back(want[i]);
    (is_o ? labels_o : labels_h).push_back(labels[i]);
  }
  EXPECT_TRUE(all_close(got_h, want_h, atol, rtol, labels_h)) << to_string(kind) << " spiking";
  EXPECT_TRUE(all_close(got_o, want_o, 1000 * atol, 0.0, labels_o)) << to_string(kind) << " spiking";
  // The rollout exercised both sides of the threshold.
  EXPECT_GT(spikes, 0) << to_string(kind);
  EXPECT_GT(silent, 0) << to_string(kind);
}

TEST(CellNaive, GradedAllKinds) {
  for (CellKind kind : kKinds) {
    SCOPED_TRACE(to_string(kind));
    for (uint32_t seed : {1u, 2u, 3u}) compare_with_naive(kind, false, seed);
  }
}

TEST(CellNaive, SpikingAllKinds) {
  for (CellKind kind : kKinds) {
    SCOPED_TRACE(to_string(kind));
    for (uint32_t seed : {4u, 5u, 6u}) compare_with_naive(kind, true, seed);
  }
}

// A NaN in theta must reach the output (and fail any comparison), never be
// clamped into [0, 1] silently: guards the comparison helpers above too.
TEST(CellNaive, NanInThetaIsNotHidden) {
  const CellSpec spec{CellKind::gru, 2, 3, 1, false};
  const CellLayout l = cell_layout(spec);
  std::vector<float> theta(l.param_count, 0.1f);
  theta[l.w_gate] = std::nanf("");
  std::vector<float> state(size_t(l.state_size), 0.0f);
  const float x[2] = {0.5f, -0.5f};
  reference::cell_step(spec, theta.data(), x, nullptr, state.data());
  EXPECT_TRUE(std::isnan(state[size_t(l.h)]));
  EXPECT_FALSE(all_close({std::nan("")}, {0.0}, 1.0, 1.0, {"nan"}));
}

// ---- parameter counts and layout ---------------------------------------------------

// The published sizes (DESIGN.md 2.1): neuron ENU 6768, synapse ENU 8304; the
// other kinds by formula (U+1) (G+1) M + (M+1) O, with U = I + M (+ O for the
// ENU) and G = 3 gate chunks for the LSTM, 2 otherwise.
TEST(CellLayoutTest, ParameterCounts) {
  EXPECT_EQ(cell_layout(CellSpec{CellKind::enu, 16, 32, 16, false}).param_count, 6768u);
  EXPECT_EQ(cell_layout(CellSpec{CellKind::enu, 32, 32, 16, false}).param_count, 8304u);
  for (int I : {1, 4, 16, 32}) {
    for (int M : {1, 5, 32}) {
      for (int O : {1, 3, 16}) {
        const size_t ro = size_t(M + 1) * O;
        const size_t enu = size_t(I + O + M + 1) * 3 * M + ro;
        const size_t plain = size_t(I + M + 1) * 3 * M + ro;
        const size_t lstm = size_t(I + M + 1) * 4 * M + ro;
        EXPECT_EQ(cell_layout(CellSpec{CellKind::enu, I, M, O, false}).param_count, enu);
        EXPECT_EQ(cell_layout(CellSpec{CellKind::nfenu, I, M, O, false}).param_count, plain);
        EXPECT_EQ(cell_layout(CellSpec{CellKind::gru, I, M, O, false}).param_count, plain);
        EXPECT_EQ(cell_layout(CellSpec{CellKind::lstm, I, M, O, true}).param_count, lstm);
      }
    }
  }
}

// Offsets follow the documented order (W_g, W_c, W_o) and the state is
// [h | c (LSTM) | o].
TEST(CellLayoutTest, OffsetsAndState) {
  const int I = 3, M = 5, O = 2;
  for (CellKind kind : kKinds) {
    SCOPED_TRACE(to_string(kind));
    const CellLayout l = cell_layout(CellSpec{kind, I, M, O, false});
    const int U = I + M + (kind == CellKind::enu ? O : 0), G = kind == CellKind::lstm ? 3 : 2;
    EXPECT_EQ(l.gate_inputs, U);
    EXPECT_EQ(l.gate_chunks, G);
    EXPECT_EQ(l.w_gate, 0u);
    EXPECT_EQ(l.w_cand, size_t(U + 1) * G * M);
    EXPECT_EQ(l.w_out, size_t(U + 1) * (G + 1) * M);
    EXPECT_EQ(l.h, 0);
    EXPECT_EQ(l.o, kind == CellKind::lstm ? 2 * M : M);
    if (kind == CellKind::lstm) {
      EXPECT_EQ(l.c, M);
    }
    EXPECT_EQ(l.state_size, l.o + O);
  }
}

// ---- published initialisation --------------------------------------------------

// max |Q^T Q - I| over the Gram matrix of a rows x cols block of an input-major
// matrix with leading dimension ld (columns as vectors) or of its rows.
double gram_error(const float* W, int rows, int cols, size_t ld, bool of_columns) {
  const int n = of_columns ? cols : rows, dim = of_columns ? rows : cols;
  auto at = [&](int vec, int d) { return double(of_columns ? W[size_t(d) * ld + vec] : W[size_t(vec) * ld + d]); };
  double worst = 0.0;
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      double dot = 0.0;
      for (int d = 0; d < dim; ++d) dot += at(a, d) * at(b, d);
      const double err = std::abs(dot - (a == b ? 1.0 : 0.0));
      worst = std::isfinite(err) ? std::max(worst, err) : 1e9;
    }
  }
  return worst;
}

// Every gate chunk (U x M, bias row excluded) and W_c have orthonormal columns,
// W_o's M x O block orthonormal columns (rows when M < O), and every bias row is
// exactly zero. Tolerance 1e-5: the Gram-Schmidt runs in double, so only the
// float rounding of each entry (~6e-8 relative) remains.
TEST(CellInit, OrthogonalChunksAndZeroBias) {
  const CellSpec specs[] = {{CellKind::enu, 3, 5, 2, false},   {CellKind::lstm, 4, 8, 3, false},
                            {CellKind::gru, 2, 4, 6, false},   {CellKind::nfenu, 1, 2, 3, false},
                            {CellKind::enu, 16, 32, 16, false}};
  for (const CellSpec& spec : specs) {
    SCOPED_TRACE(std::string(to_string(spec.kind)) + " I=" + std::to_string(spec.inputs) +
                 " M=" + std::to_string(spec.memory) + " O=" + std::to_string(spec.outputs));
    const CellLayout l = cell_layout(spec);
    const int U = l.gate_inputs, M = spec.memory, O = spec.outputs, G = l.gate_chunks;
    std::vector<float> theta(l.param_count, std::nanf(""));
    init_cell_params(spec, 17, 0, theta.data());
    const float* wg = theta.data() + l.w_gate;
    const float* wc = theta.data() + l.w_cand;
    const float* wo = theta.data() + l.w_out;
    for (int g = 0; g < G; ++g) {
      EXPECT_LT(gram_error(wg + size_t(g) * M, U, M, size_t(G) * M, true), 1e-5) << "gate chunk " << g;
    }
    EXPECT_LT(gram_error(wc, U, M, size_t(M), true), 1e-5) << "W_c";
    EXPECT_LT(gram_error(wo, M, O, size_t(O), M >= O), 1e-5) << "W_o";
    for (int j = 0; j < G * M; ++j) EXPECT_EQ(wg[size_t(U) * G * M + j], 0.0f) << "W_g bias " << j;
    for (int j = 0; j < M; ++j) EXPECT_EQ(wc[size_t(U) * M + j], 0.0f) << "W_c bias " << j;
    for (int k = 0; k < O; ++k) EXPECT_EQ(wo[size_t(M) * O + k], 0.0f) << "W_o bias " << k;
    for (float w : theta) ASSERT_TRUE(std::isfinite(w));
  }
}

// The initialisation is a pure function of (seed, block): the same inputs give
// bit-identical theta, a different seed or block a different one, and chunks of
// one cell are not copies of each other.
TEST(CellInit, SeedDeterminism) {
  const CellSpec spec{CellKind::enu, 3, 5, 2, false};
  const size_t n = cell_layout(spec).param_count;
  std::vector<float> a(n), b(n), other_seed(n), other_block(n);
  init_cell_params(spec, 5, 0, a.data());
  init_cell_params(spec, 5, 0, b.data());
  init_cell_params(spec, 6, 0, other_seed.data());
  init_cell_params(spec, 5, 1, other_block.data());
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other_seed);
  EXPECT_NE(a, other_block);
  // Reset chunk vs update chunk, first weight row.
  const int M = spec.memory;
  EXPECT_FALSE(std::equal(a.begin(), a.begin() + M, a.begin() + M));
}

}  // namespace
}  // namespace enu
