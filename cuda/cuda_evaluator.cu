// The CUDA backend behind the Evaluator interface: sizes checked against the
// device once, then one launch (and two small copies) per evaluation.
#include <algorithm>
#include <string>

#include "cuda_check.cuh"
#include "enu/cuda_backend.hpp"
#include "population_kernels.cuh"

namespace enu {
namespace {

using cuda::DeviceBuffer;

constexpr int kMaxMemory = 128;  // the kernels give each lane at most 4 memory cells

int current_device() {
  std::string reason;
  if (cuda_device_count(&reason) == 0) throw Error("--backend cuda: " + reason);
  int device = 0;
  ENU_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

void check_cell(const CellSpec& cell, const char* role) {
  if (cell.memory > kMaxMemory) {
    throw Error(std::string("CUDA backend: the ") + role + " cell has memory " + std::to_string(cell.memory) +
                "; the fused kernels take at most " + std::to_string(kMaxMemory));
  }
}

void check_shared(size_t bytes, const std::string& what) {
  int limit = 0;
  ENU_CUDA_CHECK(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, current_device()));
  if (bytes > size_t(limit)) {
    throw Error("CUDA backend: " + what + " needs " + std::to_string(bytes / 1024) + " KiB of shared memory per block; " +
                "this device gives at most " + std::to_string(limit / 1024) + " KiB");
  }
}

/// Throws, saying how much is needed, when `bytes` (of which `held` are already
/// allocated by the caller) do not fit in the device's free memory.
void check_free(size_t bytes, size_t held, const std::string& what) {
  size_t free_bytes = 0, total = 0;
  ENU_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
  if (bytes > free_bytes + held) {
    throw Error("CUDA backend: " + what + " needs " + std::to_string(bytes >> 20) + " MiB of device memory; " +
                std::to_string(free_bytes >> 20) + " MiB of " + std::to_string(total >> 20) + " MiB are free");
  }
}

cuda::DeviceTask device_task_for(const TaskConfig& task) {
  cuda::DeviceTask t;
  if (task.name == "iaf") {
    t.kind = cuda::DeviceTask::Kind::iaf;
    t.iaf = task.iaf;
    t.steps = task.iaf.steps;
    t.shape = ObservationShape{1, 1};
  } else if (task.name == "stdp" || task.name == "stdp_complex") {
    t.kind = cuda::DeviceTask::Kind::stdp;
    t.stdp = task.stdp;
    t.complex_rule = task.name == "stdp_complex";
    t.steps = task.stdp.steps;
    t.shape = ObservationShape{1, 4};
  } else {
    throw Error("--backend cuda: task '" + task.name + "' has no CUDA version yet (iaf, stdp, stdp_complex have)");
  }
  return t;
}

/// The network in device form, its `pre` table uploaded into `pre`.
cuda::DeviceNetwork device_network(const NetworkSpec& spec, DeviceBuffer<int>& pre, cudaStream_t stream) {
  cuda::DeviceNetwork net;
  net.synapse = spec.synapse_cell();
  net.neuron = spec.neuron_cell();
  net.inputs = spec.topology.inputs;
  net.neurons = spec.topology.neurons;
  net.fan_in = spec.topology.fan_in;
  net.outputs = spec.topology.outputs;
  net.channels = spec.channels;
  net.ticks_per_step = spec.ticks_per_step;
  net.output_noise = spec.output_noise;
  net.neuron_offset = spec.neuron_offset();
  check_cell(net.synapse, "synapse");
  check_cell(net.neuron, "neuron");
  pre.upload(spec.topology.pre.data(), spec.topology.pre.size(), stream);
  net.pre = pre.data();
  return net;
}

class CudaEvaluator final : public Evaluator {
 public:
  CudaEvaluator(const ModelSpec& model, const TaskConfig& task) : model_(model), task_(device_task_for(task)) {
    current_device();
    if (model.kind != ModelSpec::Kind::cell) {
      throw Error("--backend cuda: task '" + task.name + "' takes a single cell, not a network");
    }
    check_cell(model.cell, "single");
    if (model.cell.inputs < task_.shape.channels) {
      throw Error("--backend cuda: the cell has " + std::to_string(model.cell.inputs) + " inputs, the task needs " +
                  std::to_string(task_.shape.channels));
    }
    check_shared(cuda::single_unit_shared_bytes(model.cell), "a member's parameters and lifetime scratch");
  }

  std::string name() const override { return "cuda"; }

  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    const size_t results = size_t(pop.size) * lifetimes.count;
    check_free((pop.param_count + results) * sizeof(float), (centre_.size() + fitness_.size()) * sizeof(float),
               "a population of " + std::to_string(pop.size) + " members x " + std::to_string(lifetimes.count) +
                   " lifetimes");
    centre_.upload(pop.centre, pop.param_count, stream_);
    fitness_.resize(results);
    Population device_pop = pop;
    device_pop.centre = centre_.data();
    cuda::launch_single_unit(model_.cell, device_pop, lifetimes, task_, fitness_.data(), stream_);
    fitness_.download(fitness, results, stream_);
    ENU_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  ModelSpec model_;
  cuda::DeviceTask task_;
  cuda::OwnedStream stream_;
  DeviceBuffer<float> centre_, fitness_;
};

}  // namespace

std::unique_ptr<Evaluator> make_cuda_evaluator(const ModelSpec& model, const TaskConfig& task) {
  return std::make_unique<CudaEvaluator>(model, task);
}

std::vector<float> cuda_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                               const std::vector<float>& observations, int steps, const LifetimeSet& set) {
  current_device();
  const int action_count = model.action_count();
  const size_t obs_size = size_t(shape.sources) * shape.channels;
  if (theta.size() != model.param_count() || observations.size() != size_t(set.count) * steps * obs_size) {
    throw Error("cuda_replay: theta or observations do not match the model and the lifetimes");
  }
  cuda::OwnedStream stream;
  DeviceBuffer<float> centre, obs, actions(size_t(set.count) * steps * action_count), fitness(size_t(set.count));
  centre.upload(theta.data(), theta.size(), stream);
  obs.upload(observations.data(), observations.size(), stream);
  cuda::DeviceTask task;
  task.kind = cuda::DeviceTask::Kind::replay;
  task.steps = steps;
  task.shape = shape;
  task.observations = obs.data();
  task.actions = actions.data();
  const Population pop{centre.data(), theta.size(), 0.0f, set.seed, set.generation, 1, true};
  if (model.kind == ModelSpec::Kind::cell) {
    if (shape.sources != 1 || shape.channels > model.cell.inputs) {
      throw Error("cuda_replay: a single cell takes one source of at most I channels");
    }
    check_cell(model.cell, "single");
    check_shared(cuda::single_unit_shared_bytes(model.cell), "the cell");
    cuda::launch_single_unit(model.cell, pop, set, task, fitness.data(), stream);
  } else {
    if (shape.sources != model.network.topology.inputs || shape.channels > model.network.channels) {
      throw Error("cuda_replay: observations must have one source per network input and at most C channels");
    }
    DeviceBuffer<int> pre;
    const cuda::DeviceNetwork net = device_network(model.network, pre, stream);
    check_shared(cuda::network_shared_bytes(net, theta.size(), int(obs_size)), "the network's parameters");
    DeviceBuffer<float> state(cuda::network_state_floats(net) * set.count);
    cuda::launch_network(net, pop, set, task, state.data(), fitness.data(), stream);
  }
  std::vector<float> out(actions.size());
  actions.download(out.data(), out.size(), stream);
  ENU_CUDA_CHECK(cudaStreamSynchronize(stream));
  return out;
}

}  // namespace enu
