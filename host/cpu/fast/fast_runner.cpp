// The fast backend's runner: all lifetimes of a work item stepped together, a
// network's synapses (and its neurons) forming one batch of rows per tick.
#include <algorithm>
#include <vector>

#include "fast/batched_cell.hpp"
#include "runner.hpp"

namespace enu {
namespace {

class FastCellRunner final : public ModelRunner {
 public:
  FastCellRunner(const CellSpec& spec, ObservationShape shape, int capacity)
      : spec_(spec), shape_(shape), cell_(spec, capacity) {
    cell_.time_stages(&clock_, Stage::neuron_gemm, Stage::neuron_gates);
  }

  void reset(const float* theta, uint32_t, const LifetimeSet&, int, int count) override {
    count_ = count;
    cell_.set_params(theta);
    cell_.reset(count);
  }

  void step(const float* observations, float* outputs) override {
    const size_t obs_stride = size_t(shape_.sources) * shape_.channels;
    for (int i = 0; i < count_; ++i) pad_observation(shape_, spec_.inputs, observations + i * obs_stride, cell_.input(i));
    clock_.lap(Stage::inputs);
    cell_.step(nullptr);
    for (int i = 0; i < count_; ++i) {
      std::copy(cell_.output(i), cell_.output(i) + spec_.outputs, outputs + size_t(i) * spec_.outputs);
    }
  }

  int output_count() const override { return spec_.outputs; }
  int lifetimes() const override { return count_; }

 private:
  bool times_stages() const override { return true; }

  CellSpec spec_;
  ObservationShape shape_;
  int count_ = 0;
  fast::BatchedCell cell_;
};

class FastNetworkRunner final : public ModelRunner {
 public:
  FastNetworkRunner(const NetworkSpec& spec, ObservationShape shape, int capacity)
      : spec_(spec),
        shape_(shape),
        synapses_(spec.synapse_cell(), capacity * spec.topology.synapses()),
        neurons_(spec.neuron_cell(), capacity * spec.topology.neurons),
        sensory_(size_t(capacity) * spec.topology.inputs * spec.channels),
        synapse_noise_(size_t(capacity) * spec.topology.synapses() * spec.channels),
        neuron_noise_(size_t(capacity) * spec.topology.neurons * spec.channels) {
    synapses_.time_stages(&clock_, Stage::synapse_gemm, Stage::synapse_gates);
    neurons_.time_stages(&clock_, Stage::neuron_gemm, Stage::neuron_gates);
  }

  void reset(const float* theta, uint32_t member_id, const LifetimeSet& set, int first, int count) override {
    synapses_.set_params(theta + spec_.synapse_offset());
    neurons_.set_params(theta + spec_.neuron_offset());
    synapses_.reset(count * spec_.topology.synapses());
    neurons_.reset(count * spec_.topology.neurons);
    member_ = member_id;
    set_ = set;
    first_ = first;
    count_ = count;
    tick_ = 0;
  }

  void step(const float* observations, float* outputs) override {
    const Topology& t = spec_.topology;
    const int C = spec_.channels, K = t.fan_in, S = t.synapses(), N = t.neurons;
    const size_t obs_stride = size_t(shape_.sources) * shape_.channels;
    for (int i = 0; i < count_; ++i) {
      pad_observation(shape_, C, observations + i * obs_stride, &sensory_[size_t(i) * t.inputs * C]);
    }
    for (int tick = 0; tick < spec_.ticks_per_step; ++tick, ++tick_) {
      // 1. broadcast: source output and post-synaptic feedback, both from the last tick.
      for (int i = 0; i < count_; ++i) {
        for (int j = 0; j < S; ++j) {
          const int source = t.pre[size_t(j)];
          const float* pre_signal = source < t.inputs ? &sensory_[(size_t(i) * t.inputs + source) * C]
                                                      : neurons_.output(i * N + source - t.inputs);
          float* in = synapses_.input(i * S + j);
          std::copy(pre_signal, pre_signal + C, in);
          std::copy(neurons_.output(i * N + j / K), neurons_.output(i * N + j / K) + C, in + C);
        }
      }
      clock_.lap(Stage::inputs);
      // 2. every synapse of every lifetime in one batch, with the output noise
      //    every backend draws (as the neurons in 4.).
      synapses_.step(fill_noise(CellRole::synapse, synapse_noise_));
      // 3. segmented mean straight into the neurons' inputs.
      const float inv_k = 1.0f / float(K);
      for (int row = 0; row < count_ * N; ++row) {
        float* a = neurons_.input(row);
        std::fill(a, a + C, 0.0f);
        for (int k = 0; k < K; ++k) {
          const float* o = synapses_.output(row * K + k);
          for (int c = 0; c < C; ++c) a[c] += o[c];
        }
        for (int c = 0; c < C; ++c) a[c] *= inv_k;
      }
      clock_.lap(Stage::segmented_mean);
      // 4. neurons.
      neurons_.step(fill_noise(CellRole::neuron, neuron_noise_));
    }
    for (int i = 0; i < count_; ++i) {
      for (int k = 0; k < t.outputs; ++k) outputs[size_t(i) * t.outputs + k] = neurons_.output(i * N + N - t.outputs + k)[0];
    }
  }

  int output_count() const override { return spec_.topology.outputs; }
  int lifetimes() const override { return count_; }

 private:
  bool times_stages() const override { return true; }

  // The output noise of the synapses or the neurons at this tick, lifetime by
  // lifetime into `buffer`; null where they draw none. Its time is charged to
  // their gates (the cell step's first lap).
  const float* fill_noise(CellRole role, std::vector<float>& buffer) {
    if (spec_.noise_std(role) == 0.0f) return nullptr;
    const size_t stride = size_t(spec_.cells(role)) * spec_.channels;
    for (int i = 0; i < count_; ++i) {
      fill_output_noise(spec_, role, set_.seed, member_, uint32_t(first_ + i), uint32_t(set_.generation),
                        uint32_t(tick_), &buffer[size_t(i) * stride]);
    }
    return buffer.data();
  }

  NetworkSpec spec_;
  ObservationShape shape_;
  fast::BatchedCell synapses_, neurons_;
  std::vector<float> sensory_, synapse_noise_, neuron_noise_;
  uint32_t member_ = 0;
  LifetimeSet set_;
  int first_ = 0, count_ = 0, tick_ = 0;
};

}  // namespace

std::unique_ptr<ModelRunner> make_fast_runner(const ModelSpec& model, ObservationShape shape, int capacity) {
  if (model.kind == ModelSpec::Kind::cell) {
    return std::make_unique<FastCellRunner>(model.cell, model.input_shape(shape), capacity);
  }
  return std::make_unique<FastNetworkRunner>(model.network, shape, capacity);
}

}  // namespace enu
