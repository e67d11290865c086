// The CUDA backend's entry: the kernels in cuda/ when this build has them, else
// an entry that says why not. The one place a build without nvcc shows.
#include "backend_entries.hpp"

#if defined(ENU_HAVE_CUDA)
#include "testing.hpp"  // cuda/: cuda_replay
#endif

namespace enu {
namespace {

#if defined(ENU_HAVE_CUDA)

class CudaBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::cuda; }
  bool on_gpu() const override { return true; }

  std::string unavailable() const override {
    std::string reason;
    return cuda_device_count(&reason) > 0 ? "" : reason;
  }
  // The emulated device (ENU_CUDA_EMULATION) runs the kernels on the CPU to check
  // them, not to be fast: auto passes it over and bench refuses it.
  std::string not_automatic() const override {
    const std::string why = unavailable();
    if (why.empty() && cuda_is_emulation()) return "the CUDA device is the CPU emulation (use --backend cuda for it)";
    return why;
  }
  std::string not_benchmarked() const override {
    if (!cuda_is_emulation()) return "";
    return "this build's CUDA device is the CPU emulation, which checks the kernels but has no speed worth measuring "
           "(build without ENU_CUDA_EMULATION for a GPU)";
  }

  std::unique_ptr<Evaluator> make_evaluator(const EvaluatorRequest& request) const override {
    cuda_use_device(request.local_rank % cuda_device_count(nullptr));
    return make_cuda_evaluator(request.model, request.task, request.cuda);
  }
  std::unique_ptr<EsUpdater> make_updater() const override { return make_cuda_updater(); }

  BenchHardware bench_hardware(int) const override {
    // Warm up on the whole population: a GPU's rate depends on how full it is.
    return {"cuda (" + cuda_device_name() + ")", cuda_peak_gflops(), 1 << 30};
  }
  std::vector<CudaPath> network_paths(const NetworkSpec& network) const override {
    std::vector<CudaPath> paths;
    for (CudaPath path : {CudaPath::fused_v2, CudaPath::fused, CudaPath::layered}) {
      if (cuda_network_path_limit(network, path).empty()) paths.push_back(path);
    }
    return paths;
  }

  // The device replays lifetimes from 0: lifetimes before `first` run on zero
  // observations, and their rows are dropped.
  std::vector<float> replay(const ReplayRequest& r) const override {
    const size_t obs_per_lifetime = size_t(r.steps) * r.shape.sources * r.shape.channels;
    std::vector<float> observations(size_t(r.first) * obs_per_lifetime, 0.0f);
    observations.insert(observations.end(), r.observations.begin(), r.observations.end());
    const LifetimeSet from_zero{r.set.seed, r.set.generation, r.first + r.lifetimes};
    std::vector<float> actions = cuda_replay(r.model, r.shape, r.theta, observations, r.steps, from_zero, r.cuda);
    actions.erase(actions.begin(), actions.begin() + long(size_t(r.first) * r.steps * r.model.output_count()));
    return actions;
  }
};

#else

// A build without nvcc: the backend is named, and says why it cannot run.
class CudaBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::cuda; }
  bool on_gpu() const override { return true; }
  std::string unavailable() const override {
    return "this enu was built without CUDA (no nvcc when CMake configured it)";
  }
  std::unique_ptr<Evaluator> make_evaluator(const EvaluatorRequest&) const override { throw Error(unavailable()); }
  BenchHardware bench_hardware(int) const override { throw Error(unavailable()); }
  std::vector<float> replay(const ReplayRequest&) const override { throw Error(unavailable()); }
};

#endif

}  // namespace

const Backend& cuda_backend() {
  static const CudaBackend backend;
  return backend;
}

}  // namespace enu
