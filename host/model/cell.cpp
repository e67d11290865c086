// Cell kinds, their validation, and the published initialisation.
#include <cmath>
#include <vector>

#include "enu/cell.hpp"
#include "enu/philox.hpp"

namespace enu {

const char* to_string(CellKind kind) {
  switch (kind) {
    case CellKind::enu: return "enu";
    case CellKind::nfenu: return "nfenu";
    case CellKind::gru: return "gru";
    case CellKind::lstm: return "lstm";
  }
  return "?";
}

void validate(const CellSpec& spec, const std::string& where) {
  auto require_positive = [&](int value, const char* field) {
    if (value < 1) {
      throw Error(where + "." + field + " = " + std::to_string(value) + ": must be at least 1");
    }
  };
  require_positive(spec.inputs, "inputs");
  require_positive(spec.memory, "memory");
  require_positive(spec.outputs, "outputs");
}

namespace {

// Fills a rows x cols block of an input-major matrix (leading dimension ld) with a
// (semi-)orthogonal matrix: orthonormal columns when rows >= cols, else
// orthonormal rows, as torch.nn.init.orthogonal_ gives. Gram-Schmidt in double
// on Gaussian draws; draws are keyed by (block, chunk) so each chunk is fixed by
// the seed alone.
void orthogonal_block(uint64_t seed, uint32_t block, uint32_t chunk, int rows, int cols, size_t ld,
                      float* out) {
  const bool tall = rows >= cols;
  const int n_vec = tall ? cols : rows, dim = tall ? rows : cols;
  std::vector<double> vec(size_t(n_vec) * dim);
  const PhiloxKey key = stream_key(seed, Stream::init);
  for (size_t i = 0; i < vec.size(); i += 4) {
    float draw[4];
    normals4(PhiloxCounter{{uint32_t(i / 4), block, chunk, 0}}, key, draw);
    for (size_t k = 0; k < 4 && i + k < vec.size(); ++k) vec[i + k] = draw[k];
  }
  for (int a = 0; a < n_vec; ++a) {
    double* va = &vec[size_t(a) * dim];
    // Modified Gram-Schmidt, applied twice for orthogonality to rounding level.
    for (int pass = 0; pass < 2; ++pass) {
      for (int b = 0; b < a; ++b) {
        const double* vb = &vec[size_t(b) * dim];
        double dot = 0.0;
        for (int d = 0; d < dim; ++d) dot += va[d] * vb[d];
        for (int d = 0; d < dim; ++d) va[d] -= dot * vb[d];
      }
    }
    double norm = 0.0;
    for (int d = 0; d < dim; ++d) norm += va[d] * va[d];
    norm = std::sqrt(norm);
    for (int d = 0; d < dim; ++d) va[d] /= norm;
  }
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      out[size_t(r) * ld + c] = float(tall ? vec[size_t(c) * dim + r] : vec[size_t(r) * dim + c]);
    }
  }
}

}  // namespace

void init_cell_params(const CellSpec& spec, uint64_t seed, uint32_t block, float* theta) {
  const CellLayout l = cell_layout(spec);
  const int M = spec.memory, U = l.gate_inputs;
  const size_t gate_cols = size_t(l.gate_chunks) * M;
  // Bias rows stay zero; every weight is overwritten below.
  for (size_t i = 0; i < l.param_count; ++i) theta[i] = 0.0f;
  uint32_t chunk = 0;
  for (int g = 0; g < l.gate_chunks; ++g, ++chunk) {
    orthogonal_block(seed, block, chunk, U, M, gate_cols, theta + l.w_gate + size_t(g) * M);
  }
  orthogonal_block(seed, block, chunk++, U, M, size_t(M), theta + l.w_cand);
  orthogonal_block(seed, block, chunk, M, spec.outputs, size_t(spec.outputs), theta + l.w_out);
}

}  // namespace enu
