#pragma once
// Many instances of one cell kind with shared weights, stepped together: every
// gate layer becomes one small GEMM over all rows (DESIGN.md section 4, CPU form).

#include <vector>

#include "enu/cell.hpp"
#include "fast/gemm.hpp"
#include "stage_profile.hpp"

namespace enu::fast {

class BatchedCell {
 public:
  BatchedCell(const CellSpec& spec, int max_rows);

  /// Packs the cell's flat theta (canonical layout) into the GEMM layout.
  void set_params(const float* theta);
  /// Zeroes every state and sets how many rows the next steps compute.
  void reset(int rows);
  /// Row r's I input channels, to be written before each step.
  float* input(int row) { return &gate_in_[size_t(row) * gate_ld_]; }
  /// One step of every row; noise is [rows x outputs] (row stride `outputs`) or null.
  void step(const float* noise);
  /// Charges the products of later steps to `gemm` and the rest to `gates` on
  /// `clock` (which must outlive this cell); a clock without a profile costs nothing.
  void time_stages(StageClock* clock, Stage gemm, Stage gates) {
    clock_ = clock;
    gemm_stage_ = gemm;
    gates_stage_ = gates;
  }
  /// Row r's O outputs after the last step.
  const float* output(int row) const { return &out_[size_t(row) * out_ld_]; }

 private:
  void step_rows(int first, int rows, const float* noise);

  // Rows whose buffers take about this many bytes form one tile: with the
  // weights they stay in a core's L2 cache through a whole step (48 to 384 KiB
  // measured alike on the 256 x 64 network; no tiles: 1.4x slower there).
  static constexpr size_t kTileBytes = 192 * 1024;
  CellSpec spec_;
  CellLayout layout_;
  int max_rows_, rows_ = 0, padded_rows_ = 0, tile_rows_ = kRowTile;
  PackedWeights w_gate_, w_cand_, w_out_;
  int gate_ld_, gates_ld_, cand_ld_, hidden_ld_, out_ld_;
  std::vector<float> gate_in_;   // [x ; o_prev ; h (then r*h) ; 1] per row
  std::vector<float> gates_;     // gate pre-activations
  std::vector<float> cand_;      // candidate pre-activations
  std::vector<float> hidden_;    // [h ; 1] per row: the read-out's input and the memory itself
  std::vector<float> cell_;      // LSTM cell memory
  std::vector<float> out_;       // o per row (padded)
  StageClock* clock_ = nullptr;
  Stage gemm_stage_ = Stage::neuron_gemm, gates_stage_ = Stage::neuron_gates;

  void lap(Stage stage) {
    if (clock_) clock_->lap(stage);
  }
};

}  // namespace enu::fast
