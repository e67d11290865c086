// A register-tiled kernel in the style of BLIS's 6x16 AVX2 micro-kernel,
// written with GCC/Clang vector extensions so that it stays portable C++: each
// tile keeps 12 accumulators of 8 floats in registers while it walks k.
#include "gemm.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace enu::fast {
namespace {

using v8 = float __attribute__((vector_size(32)));

inline v8 load8(const float* p) {
  v8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }

}  // namespace

void PackedWeights::resize(int rows, int cols) {
  k = rows;
  n = cols;
  n_padded = round_up(cols, kColTile);
  data.assign(size_t(k) * n_padded, 0.0f);
}

void PackedWeights::pack(const float* W) {
  for (int r = 0; r < k; ++r) std::copy(W + size_t(r) * n, W + size_t(r + 1) * n, &data[size_t(r) * n_padded]);
}

void gemm(int rows, const float* A, int lda, const PackedWeights& B, float* C, int ldc) {
  assert(rows % kRowTile == 0 && lda >= B.k && ldc >= B.n_padded);
  const int K = B.k, ldb = B.n_padded;
  for (int j0 = 0; j0 < B.n_padded; j0 += kColTile) {
    const float* b = B.data.data() + j0;
    for (int r0 = 0; r0 < rows; r0 += kRowTile) {
      const float* a = A + size_t(r0) * lda;
      v8 acc[kRowTile][2] = {};
      for (int kk = 0; kk < K; ++kk) {
        const v8 b0 = load8(b + size_t(kk) * ldb), b1 = load8(b + size_t(kk) * ldb + 8);
        for (int i = 0; i < kRowTile; ++i) {
          const float ai = a[size_t(i) * lda + kk];
          acc[i][0] += ai * b0;
          acc[i][1] += ai * b1;
        }
      }
      for (int i = 0; i < kRowTile; ++i) {
        float* c = C + size_t(r0 + i) * ldc + j0;
        store8(c, acc[i][0]);
        store8(c + 8, acc[i][1]);
      }
    }
  }
}

}  // namespace enu::fast
