// The reference backend's runner: each lifetime stepped alone with scalar loops.
#include <algorithm>
#include <string>
#include <vector>

#include "reference/reference.hpp"
#include "runner.hpp"

namespace enu {
namespace {

class ReferenceRunner final : public ModelRunner {
 public:
  ReferenceRunner(const ModelSpec& model, ObservationShape shape, int capacity)
      : model_(model), shape_(shape), capacity_(capacity) {
    const ObservationShape cap = model.observation_capacity();
    input_.resize(size_t(cap.sources) * cap.channels);
    if (model.kind == ModelSpec::Kind::cell) {
      state_.resize(size_t(capacity) * cell_layout(model.cell).state_size);
    } else {
      const NetworkSpec& net = model.network;
      syn_state_size_ = size_t(net.topology.synapses()) * cell_layout(net.synapse_cell()).state_size;
      neu_state_size_ = size_t(net.topology.neurons) * cell_layout(net.neuron_cell()).state_size;
      state_.resize(size_t(capacity) * (syn_state_size_ + neu_state_size_));
      synapse_noise_.resize(size_t(net.topology.synapses()) * net.channels);
      neuron_noise_.resize(size_t(net.topology.neurons) * net.channels);
    }
  }

  void reset(const float* theta, uint32_t member_id, const LifetimeSet& set, int first, int count) override {
    if (count > capacity_) {
      throw Error("reference runner: " + std::to_string(count) + " lifetimes; it was made for " +
                  std::to_string(capacity_));
    }
    theta_ = theta;
    member_ = member_id;
    set_ = set;
    first_ = first;
    count_ = count;
    tick_ = 0;
    std::fill(state_.begin(), state_.end(), 0.0f);
  }

  void step(const float* observations, float* outputs) override {
    const ObservationShape cap = model_.observation_capacity();
    const size_t obs_stride = size_t(shape_.sources) * shape_.channels;
    const int A = model_.output_count();
    for (int i = 0; i < count_; ++i) {
      pad_observation(shape_, cap.channels, observations + i * obs_stride, input_.data());
      if (model_.kind == ModelSpec::Kind::cell) {
        const CellLayout l = cell_layout(model_.cell);
        float* state = &state_[size_t(i) * l.state_size];
        reference::cell_step(model_.cell, theta_, input_.data(), nullptr, state);
        for (int k = 0; k < A; ++k) outputs[size_t(i) * A + k] = state[l.o + k];
      } else {
        network_step(i, outputs + size_t(i) * A);
      }
    }
    tick_ += model_.kind == ModelSpec::Kind::cell ? 1 : model_.network.ticks_per_step;
  }

  int output_count() const override { return model_.output_count(); }
  int lifetimes() const override { return count_; }

  bool read_state(int i, ModelState& out) const override {
    if (i < 0 || i >= count_) return false;
    // Copies `count` rows of `width` values at `offset` within cells of `stride` floats.
    auto rows = [](const float* cells, int count, size_t stride, int offset, int width, std::vector<float>& to) {
      to.resize(size_t(count) * width);
      for (int k = 0; k < count; ++k)
        std::copy_n(cells + size_t(k) * stride + offset, width, to.begin() + ptrdiff_t(k) * width);
    };
    if (model_.kind == ModelSpec::Kind::cell) {
      const CellLayout l = cell_layout(model_.cell);
      const float* state = &state_[size_t(i) * l.state_size];
      out.neurons = 1;
      out.channels = model_.cell.outputs;
      out.neuron_memory = model_.cell.memory;
      out.synapses = out.synapse_memory = 0;
      rows(state, 1, l.state_size, l.o, out.channels, out.neuron_outputs);
      rows(state, 1, l.state_size, l.h, out.neuron_memory, out.neuron_h);
      out.synapse_outputs.clear();
      out.synapse_h.clear();
      return true;
    }
    const NetworkSpec& net = model_.network;
    const CellLayout syn_l = cell_layout(net.synapse_cell()), neu_l = cell_layout(net.neuron_cell());
    const float* syn_state = &state_[size_t(i) * (syn_state_size_ + neu_state_size_)];
    const float* neu_state = syn_state + syn_state_size_;
    out.neurons = net.topology.neurons;
    out.channels = net.channels;
    out.neuron_memory = net.memory;
    out.synapses = net.topology.synapses();
    out.synapse_memory = net.memory;
    rows(neu_state, out.neurons, neu_l.state_size, neu_l.o, out.channels, out.neuron_outputs);
    rows(neu_state, out.neurons, neu_l.state_size, neu_l.h, out.neuron_memory, out.neuron_h);
    rows(syn_state, out.synapses, syn_l.state_size, syn_l.o, out.channels, out.synapse_outputs);
    rows(syn_state, out.synapses, syn_l.state_size, syn_l.h, out.synapse_memory, out.synapse_h);
    return true;
  }

 private:
  void network_step(int i, float* outputs) {
    const NetworkSpec& net = model_.network;
    const Topology& t = net.topology;
    float* syn_state = &state_[size_t(i) * (syn_state_size_ + neu_state_size_)];
    float* neu_state = syn_state + syn_state_size_;
    const CellLayout neu_l = cell_layout(net.neuron_cell());
    for (int tick = 0; tick < net.ticks_per_step; ++tick) {
      const uint32_t lifetime = uint32_t(first_ + i), global_tick = uint32_t(tick_ + tick);
      reference::network_tick(net, theta_, input_.data(),
                              noise(CellRole::synapse, lifetime, global_tick, synapse_noise_),
                              noise(CellRole::neuron, lifetime, global_tick, neuron_noise_), syn_state, neu_state);
    }
    // Read-out: channel 0 of the last `outputs` neurons.
    for (int k = 0; k < t.outputs; ++k) {
      outputs[k] = neu_state[size_t(t.neurons - t.outputs + k) * neu_l.state_size + neu_l.o];
    }
  }

  /// The output noise of the synapses or the neurons at one tick of one
  /// lifetime, drawn into `buffer`; null where they draw none.
  const float* noise(CellRole role, uint32_t lifetime, uint32_t tick, std::vector<float>& buffer) {
    if (model_.network.noise_std(role) == 0.0f) return nullptr;
    fill_output_noise(model_.network, role, set_.seed, member_, lifetime, uint32_t(set_.generation), tick,
                      buffer.data());
    return buffer.data();
  }

  ModelSpec model_;
  ObservationShape shape_;
  int capacity_;
  const float* theta_ = nullptr;
  uint32_t member_ = 0;
  LifetimeSet set_;
  int first_ = 0, count_ = 0, tick_ = 0;
  size_t syn_state_size_ = 0, neu_state_size_ = 0;
  std::vector<float> state_, input_, synapse_noise_, neuron_noise_;
};

}  // namespace

std::unique_ptr<ModelRunner> make_reference_runner(const ModelSpec& model, ObservationShape shape, int capacity) {
  return std::make_unique<ReferenceRunner>(model, model.input_shape(shape), capacity);
}

}  // namespace enu
