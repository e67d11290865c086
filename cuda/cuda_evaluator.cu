// The CUDA backend behind the Evaluator interface: sizes checked against the
// device once, then one launch (and two small copies) per evaluation.
#include <algorithm>
#include <string>
#include <vector>

#include "cuda_check.cuh"
#include "enu/cuda_backend.hpp"
#include "enu/task_lifetimes.hpp"
#include "fused_v2.cuh"
#include "launch_geometry.cuh"
#include "layered_network.cuh"
#include "population_kernels.cuh"
#include "testing.hpp"

namespace enu {
namespace {

using cuda::DeviceBuffer;

int current_device() {
  std::string reason;
  if (cuda_device_count(&reason) == 0) throw Error("--backend cuda: " + reason);
  int device = 0;
  ENU_CUDA_CHECK(cudaGetDevice(&device));
  return device;
}

// Why the fused kernels cannot take a cell or a block's shared memory, or "" when they can.
std::string cell_limit(const CellSpec& cell, const char* role) {
  if (cell.memory <= cuda::kFusedMaxMemory) return "";
  return std::string("the ") + role + " cell has memory " + std::to_string(cell.memory) +
         "; the fused kernels take at most " + std::to_string(cuda::kFusedMaxMemory);
}

/// The most shared memory a block may opt in to on the current device, in bytes.
size_t device_shared_limit() {
  int limit = 0;
  ENU_CUDA_CHECK(cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, current_device()));
  return size_t(limit);
}

std::string shared_limit(size_t bytes, const std::string& what) {
  const size_t limit = device_shared_limit();
  if (bytes <= limit) return "";
  return what + " needs " + std::to_string(bytes / 1024) + " KiB of shared memory per block; " +
         "this device gives at most " + std::to_string(limit / 1024) + " KiB";
}

void require(const std::string& limit) {
  if (!limit.empty()) throw Error("CUDA backend: " + limit);
}

/// Throws, saying how much is needed, when `bytes` (of which `held` are already
/// allocated by the caller) do not fit in the device's free memory; `what()`
/// names what needs them (built only for the message).
template <class Describe>
void check_free(size_t bytes, size_t held, Describe&& what) {
  size_t free_bytes = 0, total = 0;
  ENU_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
  if (bytes > free_bytes + held) {
    throw Error("CUDA backend: " + what() + " needs " + std::to_string(bytes >> 20) + " MiB of device memory; " +
                std::to_string(free_bytes >> 20) + " MiB of " + std::to_string(total >> 20) + " MiB are free");
  }
}

std::string population_text(const Population& pop, const LifetimeSet& lifetimes) {
  return "a population of " + std::to_string(pop.size) + " members x " + std::to_string(lifetimes.count) +
         " lifetimes";
}

cuda::DeviceTask device_task_for(const TaskConfig& config) {
  const TaskEntry& entry = task_entry(config.name);
  if (entry.model == ModelNeed::none) {
    throw Error("--backend cuda: task '" + config.name + "' has no CUDA version yet (" +
                task_names([](const TaskEntry& t) { return t.model != ModelNeed::none; }) + " have)");
  }
  cuda::DeviceTask t;
  t.config = config;
  t.kind = entry.kind;
  t.model = entry.model;
  with_lifetime(entry.kind, [&](auto tag) {
    using Lifetime = typename decltype(tag)::type;
    t.steps = Lifetime::steps(Lifetime::settings_of(config, entry.kind));
    t.shape = ObservationShape{Lifetime::kSources, Lifetime::kChannels};
    t.action_count = Lifetime::kActions;
  });
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
  net.synapse_noise = spec.noise_std(CellRole::synapse);
  net.neuron_noise = spec.noise_std(CellRole::neuron);
  net.neuron_offset = spec.neuron_offset();
  pre.upload(spec.topology.pre.data(), spec.topology.pre.size(), stream);
  net.pre = pre.data();
  return net;
}

/// The model on the device: a single cell, or a network (fused kernel or layered
/// path) with its `pre` table uploaded; checks the sizes against the kernels and
/// the device once.
class DeviceModel {
 public:
  DeviceModel(const ModelSpec& model, const cuda::DeviceTask& task, const CudaOptions& options, cudaStream_t stream)
      : model_(model), members_per_chunk_(options.members_per_chunk),
        lifetimes_per_block_(options.lifetimes_per_block), phase_clocks_(options.phase_clocks) {
    const bool agent = !task.replay && task.model == ModelNeed::agent;
    const std::string name = agent ? "the maze task" : "this task";
    if (!is_network()) {
      if (agent) throw Error("--backend cuda: " + name + " takes a network");
      require(cell_limit(model.cell, "single"));
      if (model.cell.inputs < task.shape.channels) {
        throw Error("--backend cuda: the cell has " + std::to_string(model.cell.inputs) + " inputs, " + name +
                    " needs " + std::to_string(task.shape.channels));
      }
      require(shared_limit(cuda::single_unit_shared_bytes(model.cell), "a member's parameters and lifetime scratch"));
      return;
    }
    if (!task.replay && !agent) {
      throw Error("--backend cuda: " + name + " takes a single cell, not a network");
    }
    net_ = device_network(model.network, pre_, stream);
    if (task.shape.sources != net_.inputs || task.shape.channels > net_.channels) {
      throw Error("--backend cuda: the network has " + std::to_string(net_.inputs) + " inputs of " +
                  std::to_string(net_.channels) + " channels; " + name + " gives " +
                  std::to_string(task.shape.sources) + " sources of " + std::to_string(task.shape.channels));
    }
    // auto takes the first kernel that takes the network: fused_v2 (ENU, NFENU and
    // GRU cells of memory <= 32, a member's weights and one lifetime within the
    // device's shared memory), then fused (memory within what it gives a lane, a
    // block's parameters and signals in shared memory), then the layered path,
    // which has neither limit.
    const int observation_size = task.shape.sources * task.shape.channels;
    std::string v2_limit = cuda_network_path_limit(model.network, CudaPath::fused_v2);
    if (v2_limit.empty()) {
      v2_limit = shared_limit(cuda::fused_v2_shared_bytes(net_, model.param_count(), observation_size, 1),
                              "fused_v2: a member's weights and one lifetime's network");
    }
    std::string fused_limit = cuda_network_path_limit(model.network, CudaPath::fused);
    if (fused_limit.empty()) {
      fused_limit = shared_limit(cuda::network_shared_bytes(net_, model.param_count(), observation_size),
                                 "a member's parameters and the network's signals");
    }
    switch (options.path) {
      case CudaPath::fused_v2: require(v2_limit); path_ = CudaPath::fused_v2; break;
      case CudaPath::fused: require(fused_limit); path_ = CudaPath::fused; break;
      case CudaPath::layered: path_ = CudaPath::layered; break;
      case CudaPath::automatic:
        path_ = v2_limit.empty() ? CudaPath::fused_v2 : fused_limit.empty() ? CudaPath::fused : CudaPath::layered;
        break;
    }
    precision_ = options.precision;
    if (path_ == CudaPath::layered) {
      layered_ = std::make_unique<cuda::LayeredNetwork>(net_, model.param_count(), options.tf32);
    }
  }

  bool is_network() const { return model_.kind == ModelSpec::Kind::network; }
  size_t param_count() const { return model_.param_count(); }
  /// " fused_v2 tf32", " fused", " layered"; "" for a single cell.
  std::string path() const {
    if (!is_network()) return "";
    std::string name = std::string(" ") + to_string(path_);
    if (path_ == CudaPath::fused_v2) name += std::string(" ") + to_string(precision_);
    return name;
  }

  void launch(const Population& pop, const LifetimeSet& lifetimes, const cuda::DeviceTask& task,
              cuda::DeviceBuffer<float>& state, size_t held_bytes, float* fitness, cudaStream_t stream) {
    if (!is_network()) return cuda::launch_single_unit(model_.cell, pop, lifetimes, task, fitness, stream);
    if (layered_) {
      // As many members per chunk as fit in 80% of what is free (with what the path holds already).
      const size_t member_bytes = layered_->bytes_per_member() + lifetimes.count * layered_->bytes_per_lifetime();
      size_t free_bytes = 0, total = 0;
      ENU_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total));
      const size_t usable = size_t(0.8 * double(free_bytes + layered_held_));
      if (usable < member_bytes) {
        check_free(member_bytes, layered_held_ + held_bytes,
                   [&] { return population_text(pop, lifetimes) + " (one member at a time)"; });
      }
      size_t chunk = std::min<size_t>(size_t(pop.size), std::max<size_t>(1, usable / member_bytes));
      if (members_per_chunk_ > 0) chunk = std::min(chunk, size_t(members_per_chunk_));
      layered_->evaluate(pop, lifetimes, task, fitness, int(chunk), stream);
      layered_held_ = std::max(layered_held_, chunk * member_bytes);
      return;
    }
    if (path_ == CudaPath::fused_v2) {
      const int observation_size = task.shape.sources * task.shape.channels;
      int per_block = std::min(lifetimes_per_block_, lifetimes.count);
      if (per_block > cuda::kFusedV2MaxLifetimesPerBlock) {
        throw Error("CUDA backend: fused_v2 blocks of " + std::to_string(per_block) + " lifetimes asked for; a block " +
                    "steps at most " + std::to_string(cuda::kFusedV2MaxLifetimesPerBlock) + ", one a thread");
      }
      if (per_block > 0) {
        require(shared_limit(cuda::fused_v2_shared_bytes(net_, pop.param_count, observation_size, per_block),
                             "fused_v2 with " + std::to_string(per_block) + " lifetimes a block"));
      } else {
        per_block = cuda::fused_v2_lifetimes_per_block(net_, pop.param_count, observation_size, lifetimes.count,
                                                       device_shared_limit());
      }
      if (!phase_clocks_) {
        return cuda::launch_fused_v2(net_, pop, lifetimes, task, precision_, per_block, fitness, nullptr, stream);
      }
      const size_t blocks = cuda::fused_v2_blocks(pop, lifetimes, per_block);
      block_clocks_.resize(blocks * cuda::kPhaseClockColumns);
      cuda::launch_fused_v2(net_, pop, lifetimes, task, precision_, per_block, fitness, block_clocks_.data(), stream);
      std::vector<unsigned long long> rows(block_clocks_.size());
      block_clocks_.download(rows.data(), rows.size(), stream);
      ENU_CUDA_CHECK(cudaStreamSynchronize(stream));
      for (size_t b = 0; b < blocks; ++b) {
        const unsigned long long* row = &rows[b * cuda::kPhaseClockColumns];
        phase_clocks_->synapse += double(row[0]);
        phase_clocks_->neuron += double(row[1]);
        phase_clocks_->environment += double(row[2]);
        phase_clocks_->block_ticks += double(row[3]);
      }
      return;
    }
    const size_t floats = cuda::network_state_floats(net_) * pop.size * lifetimes.count;
    check_free(floats * sizeof(float), held_bytes + state.size() * sizeof(float),
               [&] { return population_text(pop, lifetimes); });
    state.resize(floats);
    cuda::launch_network(net_, pop, lifetimes, task, state.data(), fitness, stream);
  }

 private:
  ModelSpec model_;
  DeviceBuffer<int> pre_;
  cuda::DeviceNetwork net_;
  int members_per_chunk_;
  int lifetimes_per_block_;
  PhaseClocks* phase_clocks_;  // fused_v2: where the counts go, or null
  DeviceBuffer<unsigned long long> block_clocks_;
  CudaPath path_ = CudaPath::automatic;  // what runs a network: fused_v2, fused or layered
  CudaPrecision precision_ = CudaPrecision::fp32;  // fused_v2's GEMMs
  std::unique_ptr<cuda::LayeredNetwork> layered_;
  size_t layered_held_ = 0;  // bytes the layered path has allocated (about)
};

class CudaEvaluator final : public Evaluator {
 public:
  CudaEvaluator(const ModelSpec& model, const TaskConfig& task, const CudaOptions& options)
      : task_(device_task_for(task)), device_index_(current_device()), device_(model, task_, options, stream_) {}

  std::string name() const override { return "cuda" + device_.path(); }

  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    check_param_count(pop, device_.param_count());
    const size_t results = size_t(pop.size) * lifetimes.count;
    // Given members travel whole; mirrored ones are rebuilt from the centre on the device.
    const size_t inputs = pop.rows ? size_t(pop.size) * pop.param_count : pop.param_count;
    const size_t held_before = (centre_.size() + rows_.size() + fitness_.size()) * sizeof(float);
    check_free((inputs + results) * sizeof(float), held_before, [&] { return population_text(pop, lifetimes); });
    Population device_pop = pop;
    if (pop.rows) {
      rows_.upload(pop.rows, inputs, stream_);
      device_pop.rows = rows_.data();
    } else {
      centre_.upload(pop.centre, pop.param_count, stream_);
      device_pop.centre = centre_.data();
    }
    fitness_.resize(results);
    const size_t held = (centre_.size() + rows_.size() + fitness_.size()) * sizeof(float);
    device_.launch(device_pop, lifetimes, task_, state_, held, fitness_.data(), stream_);
    fitness_.download(fitness, results, stream_);
    ENU_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  cuda::DeviceTask task_;
  int device_index_;           // checked first: no device gives its reason, not a failed stream
  cuda::OwnedStream stream_;
  DeviceModel device_;
  DeviceBuffer<float> centre_, rows_, fitness_, state_;
};

/// The centre alone (a population of one, no noise) through a replay or
/// recording task whose buffers the caller owns: the parity tests' entry points.
class CentreRun {
 public:
  CentreRun(const ModelSpec& model, const std::vector<float>& theta, const char* who)
      : model_(model), theta_(theta), device_index_(current_device()) {
    if (theta.size() != model.param_count()) {
      throw Error(std::string(who) + ": theta has " + std::to_string(theta.size()) + " values; the model has " +
                  std::to_string(model.param_count()) + " parameters");
    }
  }
  cudaStream_t stream() const { return stream_; }

  /// Runs the lifetimes of `set`; fitness() holds one value per lifetime after it.
  void evaluate(const cuda::DeviceTask& task, const LifetimeSet& set, const CudaOptions& options) {
    centre_.upload(theta_.data(), theta_.size(), stream_);
    fitness_.resize(size_t(set.count));
    DeviceModel device(model_, task, options, stream_);
    const Population pop = Population::centre_alone(centre_.data(), theta_.size());
    device.launch(pop, set, task, state_, 0, fitness_.data(), stream_);
    ENU_CUDA_CHECK(cudaStreamSynchronize(stream_));  // before `device` frees its tables
  }

  std::vector<float> download(const DeviceBuffer<float>& buffer) const {
    std::vector<float> host(buffer.size());
    buffer.download(host.data(), host.size(), stream_);
    ENU_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return host;
  }
  const DeviceBuffer<float>& fitness() const { return fitness_; }

 private:
  const ModelSpec& model_;
  const std::vector<float>& theta_;
  int device_index_;  // checked first: no device gives its reason, not a failed stream
  cuda::OwnedStream stream_;
  DeviceBuffer<float> centre_, state_, fitness_;
};

}  // namespace

std::string cuda_network_path_limit(const NetworkSpec& network, CudaPath path) {
  cuda::DeviceNetwork net;
  net.synapse = network.synapse_cell();
  net.neuron = network.neuron_cell();
  switch (path) {
    case CudaPath::fused_v2: return cuda::fused_v2_cell_limit(net);
    case CudaPath::fused: {
      const std::string synapse = cell_limit(net.synapse, "synapse");
      return synapse.empty() ? cell_limit(net.neuron, "neuron") : synapse;
    }
    case CudaPath::automatic:
    case CudaPath::layered: return "";
  }
  return "";
}

std::unique_ptr<Evaluator> make_cuda_evaluator(const ModelSpec& model, const TaskConfig& task,
                                               const CudaOptions& options) {
  return std::make_unique<CudaEvaluator>(model, task, options);
}

std::vector<float> cuda_replay(const ModelSpec& model, ObservationShape shape, const std::vector<float>& theta,
                               const std::vector<float>& observations, int steps, const LifetimeSet& set,
                               const CudaOptions& options) {
  CentreRun run(model, theta, "cuda_replay");
  if (observations.size() != size_t(set.count) * steps * shape.sources * shape.channels) {
    throw Error("cuda_replay: " + std::to_string(observations.size()) + " observations; " +
                std::to_string(set.count) + " lifetimes x " + std::to_string(steps) + " steps x " +
                std::to_string(shape.sources) + " x " + std::to_string(shape.channels) + " expected");
  }
  if (model.kind == ModelSpec::Kind::cell && shape.sources != 1) {
    throw Error("cuda_replay: a single cell takes one source of at most I channels");
  }
  DeviceBuffer<float> obs, actions(size_t(set.count) * steps * model.output_count());
  obs.upload(observations.data(), observations.size(), run.stream());
  cuda::DeviceTask task;
  task.replay = true;
  task.steps = steps;
  task.shape = shape;
  task.observations = obs.data();
  task.actions = actions.data();
  run.evaluate(task, set, options);
  return run.download(actions);
}

DeviceRecording cuda_record(const ModelSpec& model, const TaskConfig& task_config, const std::vector<float>& theta,
                            const LifetimeSet& set, const CudaOptions& options) {
  CentreRun run(model, theta, "cuda_record");
  cuda::DeviceTask task = device_task_for(task_config);
  if (task.model != ModelNeed::agent) throw Error("cuda_record: records the maze tasks only");
  const size_t step_count = size_t(set.count) * task.steps;
  DeviceBuffer<float> observations(step_count * task.shape.sources * task.shape.channels),
      actions(step_count * task.action_count);
  task.observations_out = observations.data();
  task.actions = actions.data();
  run.evaluate(task, set, options);
  return DeviceRecording{run.download(observations), run.download(actions), run.download(run.fitness())};
}

}  // namespace enu
