// Topologies and the parameter layout of a network of cells.
#include <algorithm>
#include <numeric>

#include "enu/network.hpp"
#include "enu/philox.hpp"

namespace enu {

Topology topology_from_table(int inputs, int outputs, const std::vector<std::vector<int>>& pre,
                             const std::string& where) {
  Topology t;
  t.inputs = inputs;
  t.neurons = int(pre.size());
  t.outputs = outputs;
  t.fan_in = pre.empty() ? 0 : int(pre[0].size());
  for (size_t n = 0; n < pre.size(); ++n) {
    if (int(pre[n].size()) != t.fan_in) {
      throw Error(where + ": neuron " + std::to_string(n) + " has " + std::to_string(pre[n].size()) +
                  " sources but neuron 0 has " + std::to_string(t.fan_in) + " (fan-in must be equal)");
    }
    for (int source : pre[n]) {
      if (source < 0 || source >= t.sources()) {
        throw Error(where + ": neuron " + std::to_string(n) + " reads source " + std::to_string(source) +
                    ", outside [0, " + std::to_string(t.sources()) + ")");
      }
      t.pre.push_back(source);
    }
  }
  return t;
}

Topology random_topology(int inputs, int neurons, int outputs, int fan_in, uint64_t seed) {
  Topology t;
  t.inputs = inputs;
  t.neurons = neurons;
  t.outputs = outputs;
  t.fan_in = fan_in;
  std::vector<int> candidates(size_t(t.sources()));
  for (int n = 0; n < neurons; ++n) {
    // Partial Fisher-Yates over all sources: K distinct picks per neuron.
    std::iota(candidates.begin(), candidates.end(), 0);
    CounterRng rng(stream_key(seed, Stream::init), 0xFFFFFFFFu, uint32_t(n), 0);
    for (int k = 0; k < fan_in; ++k) {
      const int pick = rng.randint(k, t.sources() - 1);
      std::swap(candidates[size_t(k)], candidates[size_t(pick)]);
      t.pre.push_back(candidates[size_t(k)]);
    }
  }
  return t;
}

std::string input_wiring(const Topology& t) {
  std::string text;
  for (int input = 0; input < t.inputs; ++input) {
    std::string fed;
    for (int n = 0; n < t.neurons; ++n) {
      const auto first = t.pre.begin() + ptrdiff_t(n) * t.fan_in;
      if (std::find(first, first + t.fan_in, input) != first + t.fan_in) fed += " " + std::to_string(n);
    }
    text += (input > 0 ? "; input " : "input ") + std::to_string(input) + " -> neurons" + (fed.empty() ? " none" : fed);
  }
  text += " (read out:";
  for (int n = t.neurons - t.outputs; n < t.neurons; ++n) text += " " + std::to_string(n);
  return text + ")";
}

const char* to_string(NoiseCells cells) {
  switch (cells) {
    case NoiseCells::neurons: return "neurons";
    case NoiseCells::all: return "all";
  }
  return "?";
}

CellSpec NetworkSpec::synapse_cell() const {
  return CellSpec{synapse_kind, 2 * channels, memory, channels, false};
}

CellSpec NetworkSpec::neuron_cell() const {
  return CellSpec{neuron_kind, shared ? 2 * channels : channels, memory, channels, spiking};
}

size_t NetworkSpec::neuron_offset() const {
  return shared ? 0 : cell_layout(synapse_cell()).param_count;
}

size_t NetworkSpec::param_count() const {
  return neuron_offset() + cell_layout(neuron_cell()).param_count;
}

void validate(const NetworkSpec& spec, const std::string& where) {
  const Topology& t = spec.topology;
  auto fail = [&](const std::string& what) { throw Error(where + ": " + what); };
  if (spec.channels < 1) fail("channels must be at least 1");
  if (spec.memory < 1) fail("memory must be at least 1");
  if (spec.ticks_per_step < 1) fail("ticks_per_step must be at least 1");
  if (t.inputs < 1 || t.neurons < 1 || t.fan_in < 1) fail("inputs, neurons and fan_in must be at least 1");
  if (t.outputs < 1 || t.outputs > t.neurons) fail("outputs must be between 1 and the number of neurons");
  if (t.fan_in > t.sources()) fail("fan_in exceeds the number of sources (inputs + neurons)");
  if (int(t.pre.size()) != t.synapses()) fail("pre table does not hold neurons x fan_in entries");
  for (int source : t.pre) {
    if (source < 0 || source >= t.sources()) fail("pre table names source " + std::to_string(source));
  }
  if (spec.shared && spec.synapse_kind != spec.neuron_kind) {
    fail("shared parameters need the same cell kind for synapses and neurons");
  }
}

void init_network_params(const NetworkSpec& spec, uint64_t seed, float* theta) {
  init_cell_params(spec.synapse_cell(), seed, 0, theta);
  if (!spec.shared) init_cell_params(spec.neuron_cell(), seed, 1, theta + spec.neuron_offset());
}

void fill_output_noise(const NetworkSpec& spec, CellRole role, uint64_t seed, uint32_t member, uint32_t lifetime,
                       uint32_t generation, uint32_t tick, float* out) {
  const PhiloxKey key = output_noise_key(seed, role);
  const int cells = spec.cells(role), C = spec.channels;
  const float scale = spec.noise_std(role);
  for (int cell = 0; cell < cells; ++cell) {
    for (int q = 0; q * 4 < C; ++q) {
      float draws[4];
      cell_noise4(key, member, lifetime, generation, tick, cells, C, cell, q, draws);
      for (int lane = 0; lane < 4 && q * 4 + lane < C; ++lane) {
        out[size_t(cell) * C + q * 4 + lane] = scale * draws[lane];
      }
    }
  }
}

double network_flops_per_tick(const NetworkSpec& spec) {
  const double channels_mean = double(spec.topology.fan_in) * spec.channels;  // segmented sum
  return spec.topology.synapses() * cell_flops_per_step(spec.synapse_cell()) +
         spec.topology.neurons * (cell_flops_per_step(spec.neuron_cell()) + channels_mean);
}

}  // namespace enu
