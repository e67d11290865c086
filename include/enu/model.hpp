#pragma once
/// @brief What evolution shapes: a single cell or a network of cells, and how
/// task observations and actions map onto it.

#include <cstdint>

#include "enu/cell.hpp"
#include "enu/network.hpp"

namespace enu {

/// Observations arrive as `sources` vectors of `channels` values; a single cell
/// takes one source (its input channels), a network one source per sensory input.
struct ObservationShape {
  int sources = 1;
  int channels = 1;
};

struct ModelSpec {
  enum class Kind { cell, network } kind = Kind::cell;
  CellSpec cell;        // when kind == cell
  NetworkSpec network;  // when kind == network

  size_t param_count() const;
  /// Outputs the model gives each step, per lifetime: the O channels of the cell,
  /// or channel 0 of each read-out neuron. A task acts on the first
  /// Task::action_count() of them: a single-unit task on channel 0 of the cell.
  int output_count() const;
  /// Sources and channels the model can take; a task's shape must fit within it.
  ObservationShape observation_capacity() const;
  /// How the model reads a task's observations: a network as they come (one
  /// source per sensory input); a single cell as one source of all their values
  /// (the same memory, [sources x channels] read as one vector), so that one
  /// recurrent cell can be the whole agent of a many-input task.
  ObservationShape input_shape(ObservationShape task) const;
  void init_params(uint64_t seed, float* theta) const;
  /// FLOPs of one environment step (all ticks).
  double flops_per_step() const;
  /// ENU (cell) steps of one environment step: 1 for a cell, (S + N) per tick for a network.
  double cell_steps_per_step() const;
};

}  // namespace enu
