#include "backends.hpp"

#include <algorithm>
#include <cstdio>

#include "cpu_evaluator.hpp"
#include "enu/cuda_backend.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

// Why CUDA cannot run here, or "" when a device is present.
std::string cuda_unavailable() {
#if defined(ENU_HAVE_CUDA)
  std::string reason;
  return cuda_device_count(&reason) > 0 ? "" : reason;
#else
  return "this enu was built without CUDA (no nvcc when CMake configured it)";
#endif
}

// Why `auto` leaves CUDA out, or "" when it takes it.
std::string cuda_not_automatic() {
  const std::string why = cuda_unavailable();
#if defined(ENU_HAVE_CUDA)
  if (why.empty() && cuda_is_emulation()) return "the CUDA device is the CPU emulation (use --backend cuda for it)";
#endif
  return why;
}

}  // namespace

std::unique_ptr<Evaluator> make_evaluator(const RunConfig& config, [[maybe_unused]] int local_rank,
                                          StageProfile* profile) {
  if (is_objective_task(config.task.name)) return make_objective_evaluator(make_objective(config.task));
  const ModelSpec model = config.model_spec();
  BackendKind kind = config.run.backend;
  if (kind == BackendKind::cuda || kind == BackendKind::automatic) {
    const std::string why = kind == BackendKind::cuda ? cuda_unavailable() : cuda_not_automatic();
    if (kind == BackendKind::cuda && !why.empty()) throw Error("--backend cuda: " + why + "; use --backend cpu");
#if defined(ENU_HAVE_CUDA)
    if (why.empty()) {
      cuda_use_device(local_rank % cuda_device_count(nullptr));
      // auto falls back to the CPU for what the CUDA backend does not take yet.
      try {
        return make_cuda_evaluator(model, config.task, CudaOptions{config.run.cuda_path, config.run.cuda_tf32});
      } catch (const Error& e) {
        if (kind == BackendKind::cuda) throw;
        std::fprintf(stderr, "enu: backend auto: %s; using the CPU\n", e.what());
      }
    }
#endif
    kind = BackendKind::cpu;
  }
  // Lifetimes per work item: a property of the model, never of the thread count,
  // so that results do not depend on how many threads run them.
  const int per_item = std::min(config.es.lifetimes, model.kind == ModelSpec::Kind::cell ? 32 : 8);
  const CpuRunnerKind runner = kind == BackendKind::reference ? CpuRunnerKind::reference : CpuRunnerKind::fast;
  const int threads = kind == BackendKind::reference ? 1 : config.run.threads;
  return make_cpu_evaluator(runner, model, make_task(config.task), threads, per_item, profile);
}

std::shared_ptr<EsUpdater> make_updater(const RunConfig& config, const Evaluator& evaluator) {
  UpdateDevice device = config.run.es_update;
  if (device == UpdateDevice::automatic) {
    device = evaluator.name().rfind("cuda", 0) == 0 ? UpdateDevice::cuda : UpdateDevice::host;
  }
  if (device == UpdateDevice::host) return nullptr;
#if defined(ENU_HAVE_CUDA)
  return make_cuda_updater();
#else
  throw Error("run.es_update = cuda: " + cuda_unavailable() + "; use run.es_update=host");
#endif
}

std::vector<BackendKind> bench_backends(const std::string& requested, std::vector<std::string>& skipped) {
  const std::string why = requested == "cuda" ? cuda_unavailable() : cuda_not_automatic();
  if (requested == "cpu") return {BackendKind::cpu};
  if (requested == "reference") return {BackendKind::reference};
  if (requested == "cuda") {
    if (!why.empty()) throw Error("--backend cuda: " + why);
#if defined(ENU_HAVE_CUDA)
    if (cuda_is_emulation()) {
      throw Error("--backend cuda: this build's CUDA device is the CPU emulation, which checks the kernels but has "
                  "no speed worth measuring (build without ENU_CUDA_EMULATION for a GPU)");
    }
#endif
    return {BackendKind::cuda};
  }
  if (requested != "auto" && requested != "all") {
    throw Error("--backend '" + requested + "': expected auto, all, cpu, reference or cuda");
  }
  std::vector<BackendKind> kinds{BackendKind::cpu};
  if (requested == "all") kinds.insert(kinds.begin(), BackendKind::reference);
  if (why.empty()) {
    kinds.push_back(BackendKind::cuda);
  } else {
    skipped.push_back("cuda: " + why);
  }
  return kinds;
}

}  // namespace enu
