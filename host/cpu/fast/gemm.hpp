#pragma once
// The small dense products at the heart of the fast CPU backend: C = A B with A
// a batch of rows (one per cell instance, inputs and bias 1 last) and B a gate
// layer's weights, packed once per member with columns padded to the tile width
// so that the kernel never takes a remainder path.

#include <vector>

namespace enu::fast {

constexpr int kRowTile = 6;   // rows per register tile
constexpr int kColTile = 16;  // columns per register tile (two 8-wide vectors)

inline int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

/// A [k x n] input-major weight matrix with its columns padded to kColTile.
struct PackedWeights {
  int k = 0, n = 0, n_padded = 0;
  std::vector<float> data;  // k x n_padded

  void resize(int rows, int cols);
  /// Copies W ([k x n], row stride n) into the padded layout; padding stays zero.
  void pack(const float* W);
};

/// C[rows x B.n_padded] = A[rows x B.k] B, rows a multiple of kRowTile.
/// Leading dimensions lda >= B.k and ldc >= B.n_padded.
void gemm(int rows, const float* A, int lda, const PackedWeights& B, float* C, int ldc);

}  // namespace enu::fast
