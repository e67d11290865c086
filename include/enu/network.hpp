#pragma once
/// @brief Networks of ENUs (ENU-NN): every synapse and every neuron is a cell.

#include <cstdint>
#include <string>
#include <vector>

#include "enu/cell.hpp"
#include "enu/philox.hpp"

namespace enu {

/// Who feeds whom. Sources are the sensory inputs (0 .. inputs-1) followed by the
/// neurons (inputs .. inputs+neurons-1). Neuron n owns synapses n*K .. n*K+K-1 and
/// synapse j reads source pre[j]. The last `outputs` neurons are read out.
struct Topology {
  int inputs = 0;
  int neurons = 0;
  int fan_in = 0;   // K
  int outputs = 0;
  std::vector<int> pre;  // neurons * fan_in source indices

  int synapses() const { return neurons * fan_in; }
  int sources() const { return inputs + neurons; }
};

/// Explicit wiring from one list of K sources per neuron; throws enu::Error on
/// ragged lists or out-of-range sources.
Topology topology_from_table(int inputs, int outputs, const std::vector<std::vector<int>>& pre,
                             const std::string& where);
/// Each neuron draws K distinct sources (any input or neuron, itself included)
/// from a generator seeded by `seed`; the same seed always gives the same wiring.
Topology random_topology(int inputs, int neurons, int outputs, int fan_in, uint64_t seed);
/// The neurons each input feeds directly, e.g. "input 0 -> neurons 0 1 3; input 1
/// -> neurons 2 (read out: 2)". With one parameter set for every synapse, inputs
/// that feed the same neurons are interchangeable: the wiring is what tells them apart.
std::string input_wiring(const Topology& t);

/// The cells whose outputs get the output noise: the neurons only, or every cell
/// of the network, synapses too (as the published code has it).
enum class NoiseCells { neurons, all };
const char* to_string(NoiseCells cells);

/// A network's two populations of cells; each draws its output noise from a
/// stream of its own.
enum class CellRole { synapse, neuron };

struct NetworkSpec {
  Topology topology;
  int channels = 16;             // C: channels of every signal between cells
  int memory = 32;               // M of every cell
  CellKind synapse_kind = CellKind::enu;
  CellKind neuron_kind = CellKind::enu;
  bool shared = false;           // SHARED ablation: one theta for synapses and neurons
  int ticks_per_step = 1;        // network ticks per environment step
  float output_noise = 0.01f;    // std of the N(0,1) noise added to cell outputs before the clamp
  NoiseCells output_noise_on = NoiseCells::neurons;  // which cells get it
  bool spiking = false;          // neuron outputs in spike mode

  /// Synapse cell: input [pre output ; post feedback] (2C), output C.
  CellSpec synapse_cell() const;
  /// Neuron cell: input C (2C with the second half zero in SHARED mode), output C.
  CellSpec neuron_cell() const;
  /// theta = [theta_syn | theta_neu], or one block when shared.
  size_t synapse_offset() const { return 0; }
  size_t neuron_offset() const;
  size_t param_count() const;
  /// The synapses (S) or the neurons (N).
  int cells(CellRole role) const { return role == CellRole::synapse ? topology.synapses() : topology.neurons; }
  /// std of the output noise of the synapses or of the neurons; 0 where they draw none.
  float noise_std(CellRole role) const {
    return role == CellRole::neuron || output_noise_on == NoiseCells::all ? output_noise : 0.0f;
  }
};

void validate(const NetworkSpec& spec, const std::string& where);

/// The output-noise stream of the synapses or of the neurons. The streams are
/// independent: noise on the synapses leaves every neuron draw as it was.
ENU_HD PhiloxKey output_noise_key(uint64_t seed, CellRole role) {
  return stream_key(seed, role == CellRole::synapse ? Stream::synapse_noise : Stream::output_noise);
}

/// Four N(0,1) draws for `cell` of the `cells` synapses or neurons whose stream
/// is `key` (output_noise_key), channels 4q .. 4q+3, at one tick of one lifetime
/// of one member: the output noise, identical on every backend.
ENU_HD void cell_noise4(PhiloxKey key, uint32_t member, uint32_t lifetime, uint32_t generation, uint32_t tick,
                        int cells, int channels, int cell, int q, float out[4]) {
  const uint32_t blocks_per_cell = uint32_t(channels + 3) / 4;
  const uint32_t index = (tick * uint32_t(cells) + uint32_t(cell)) * blocks_per_cell + uint32_t(q);
  normals4(PhiloxCounter{{index, member, lifetime, generation}}, key, out);
}

/// noise_std(role) * N(0,1) for every synapse (or neuron) and channel at one
/// tick: out [S x C] (or [N x C]).
void fill_output_noise(const NetworkSpec& spec, CellRole role, uint64_t seed, uint32_t member, uint32_t lifetime,
                       uint32_t generation, uint32_t tick, float* out);
void init_network_params(const NetworkSpec& spec, uint64_t seed, float* theta);
/// FLOPs of one tick (all synapses and neurons), as in DESIGN.md section 5.
double network_flops_per_tick(const NetworkSpec& spec);

}  // namespace enu
