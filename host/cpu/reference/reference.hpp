#pragma once
// The reference implementations: plain scalar loops written to be read, the
// oracle every other backend is tested against. Not tuned; never used in runs
// unless asked for (--backend reference).

#include "enu/cell.hpp"
#include "enu/network.hpp"

namespace enu::reference {

/// One step of one cell. `state` = [h | c (LSTM) | o] is updated in place; the
/// new output is state + layout.o. `noise` (O values) may be null.
void cell_step(const CellSpec& spec, const float* theta, const float* x, const float* noise, float* state);

/// One tick of a network of cells (DESIGN.md 2.2) for one lifetime.
/// sensory: [inputs x C]; synapse_state: [S x syn state]; neuron_state: [N x neu state];
/// synapse_noise: [S x C] or null; neuron_noise: [N x C] or null. Scratch space
/// is allocated here: this is the oracle.
void network_tick(const NetworkSpec& spec, const float* theta, const float* sensory, const float* synapse_noise,
                  const float* neuron_noise, float* synapse_state, float* neuron_state);

}  // namespace enu::reference
