// The scalar reference network tick: a loop over synapses, then over neurons.
#include <vector>

#include "reference/reference.hpp"

namespace enu::reference {

void network_tick(const NetworkSpec& spec, const float* theta, const float* sensory, const float* synapse_noise,
                  const float* neuron_noise, float* synapse_state, float* neuron_state) {
  const Topology& t = spec.topology;
  const int C = spec.channels, K = t.fan_in;
  const CellSpec syn = spec.synapse_cell(), neu = spec.neuron_cell();
  const CellLayout syn_l = cell_layout(syn), neu_l = cell_layout(neu);
  const float* theta_syn = theta + spec.synapse_offset();
  const float* theta_neu = theta + spec.neuron_offset();

  // 1. broadcast: every synapse reads its source and its neuron's last output,
  //    all from the previous tick (neurons update only after every synapse).
  std::vector<float> syn_input(size_t(t.synapses()) * 2 * C);
  for (int j = 0; j < t.synapses(); ++j) {
    const int source = t.pre[size_t(j)], n = j / K;
    const float* pre_signal = source < t.inputs ? sensory + size_t(source) * C
                                                : neuron_state + size_t(source - t.inputs) * neu_l.state_size + neu_l.o;
    const float* post_signal = neuron_state + size_t(n) * neu_l.state_size + neu_l.o;
    for (int c = 0; c < C; ++c) {
      syn_input[size_t(j) * 2 * C + c] = pre_signal[c];
      syn_input[size_t(j) * 2 * C + C + c] = post_signal[c];
    }
  }
  // 2. synapse cells.
  for (int j = 0; j < t.synapses(); ++j) {
    cell_step(syn, theta_syn, &syn_input[size_t(j) * 2 * C], synapse_noise ? synapse_noise + size_t(j) * C : nullptr,
              synapse_state + size_t(j) * syn_l.state_size);
  }
  // 3. segmented mean over each neuron's K synapses; 4. neuron cells.
  std::vector<float> neuron_input(size_t(neu.inputs), 0.0f);
  for (int n = 0; n < t.neurons; ++n) {
    for (int c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (int k = 0; k < K; ++k) sum += synapse_state[size_t(n * K + k) * syn_l.state_size + syn_l.o + c];
      neuron_input[size_t(c)] = sum / float(K);
    }
    cell_step(neu, theta_neu, neuron_input.data(), neuron_noise ? neuron_noise + size_t(n) * C : nullptr,
              neuron_state + size_t(n) * neu_l.state_size);
  }
}

}  // namespace enu::reference
