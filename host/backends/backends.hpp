#pragma once
// The backend registry: every backend enu has, whether this build and machine
// can run it (and why not), and how to make its evaluator and its ES updater.
// The CLI, `enu compare`, `enu bench` and the tests ask it; only host/backends/
// knows whether this build has CUDA. Adding a backend: a Backend subclass and
// its line in registered_backends().

#include <memory>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/cuda_backend.hpp"
#include "enu/evaluator.hpp"
#include "enu/strategy.hpp"
#include "stage_profile.hpp"

namespace enu {

/// What a backend makes an evaluator for: a model on a task, and how to run it.
/// Each backend reads the settings that concern it and ignores the others.
struct EvaluatorRequest {
  ModelSpec model;
  TaskConfig task;
  int threads = 1;                  // CPU worker threads, 0 = all cores (the reference backend uses one)
  int lifetimes_per_item = 1;       // CPU: lifetimes a work item steps together
  CudaOptions cuda;                 // CUDA: network path, TF32, members per chunk
  int local_rank = 0;               // CUDA: this process's rank on its node; it takes GPU local_rank % GPUs
  StageProfile* profile = nullptr;  // CPU fast backend: receives its stage times (`enu bench`)
};

/// The hardware a backend runs on, as `enu bench` names and measures it.
struct BenchHardware {
  std::string label;         // e.g. "cpu (8 threads)", "cuda (NVIDIA H200)"
  double peak_gflops = 0.0;  // its FP32 FMA peak, measured now
  int warmup_members = 0;    // members of the untimed evaluation whose rate sizes the timed ones
};

/// Hand-made observations through lifetimes first .. first+lifetimes-1 of `set`,
/// one parameter vector run as the centre (member id kCentreMemberId): the
/// per-step check of a backend against the reference.
struct ReplayRequest {
  ModelSpec model;
  ObservationShape shape;
  std::vector<float> theta;
  std::vector<float> observations;  // [lifetimes x steps x sources x channels]
  int steps = 0;
  LifetimeSet set;
  int first = 0, lifetimes = 0;
  CudaOptions cuda;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendKind kind() const = 0;
  /// As --backend and run.backend spell it.
  const char* name() const { return to_string(kind()); }
  /// Whether it runs on a GPU (its tests are the `gpu`-labelled ones).
  virtual bool on_gpu() const = 0;

  /// Why this build or machine cannot run it; "" when it can.
  virtual std::string unavailable() const { return ""; }
  /// Why --backend auto (and `enu bench`'s auto) passes it over; "" when auto may choose it.
  virtual std::string not_automatic() const { return unavailable(); }
  /// Why `enu bench` refuses to measure it though it runs; "" when it measures it.
  virtual std::string not_benchmarked() const { return ""; }

  /// Throws enu::Error when it does not take the request (a task or size it has no kernels for).
  virtual std::unique_ptr<Evaluator> make_evaluator(const EvaluatorRequest& request) const = 0;
  /// The ES update on its own device; nullptr when it has none (the host updates).
  virtual std::unique_ptr<EsUpdater> make_updater() const { return nullptr; }
  /// Its hardware's label and peak when the CPU backends have `threads` threads.
  virtual BenchHardware bench_hardware(int threads) const = 0;
  /// The ways it can run `network` (run.cuda_path): those whose kernels take its
  /// cells (the device's memory is checked when the evaluator is made). `enu
  /// bench` and the tests take each in turn.
  virtual std::vector<CudaPath> network_paths(const NetworkSpec&) const { return {CudaPath::automatic}; }
  /// Every step's actions of the replayed lifetimes, [lifetimes x steps x actions].
  virtual std::vector<float> replay(const ReplayRequest& request) const = 0;
};

/// Every backend, available or not, in `enu bench --backend all`'s order:
/// reference, cpu, cuda.
const std::vector<const Backend*>& registered_backends();
/// The registry's entry for `kind` (not automatic).
const Backend& find_backend(BackendKind kind);

/// Lifetimes a CPU work item steps together (EvaluatorRequest::lifetimes_per_item).
int lifetimes_per_item(const RunConfig& config);

/// An evaluator and the backend it runs on.
struct BackendEvaluator {
  const Backend* backend = nullptr;
  std::unique_ptr<Evaluator> evaluator;
};

/// The evaluator for a config's task and model on run.backend; auto takes the
/// first backend auto may choose that takes the config, else the CPU. The
/// objective tasks (sphere, rastrigin) are evaluated on the CPU whatever the
/// backend. Throws enu::Error saying why a backend cannot be had. `local_rank`:
/// this process's rank on its node in an MPI job. `profile`: stage times of the
/// CPU fast backend (`enu bench`).
BackendEvaluator make_evaluator(const RunConfig& config, int local_rank = 0, StageProfile* profile = nullptr);

/// Where a run's ES update goes (run.es_update; auto: the device of the backend
/// the run evaluates on, if it has an updater); nullptr means the host.
std::shared_ptr<EsUpdater> make_updater(const RunConfig& config, const Backend& evaluated_on);

/// The backends `enu bench` measures for `requested` (auto: those auto may
/// choose; all: the reference too; or one by name), with the reason for each
/// one skipped.
std::vector<const Backend*> bench_backends(const std::string& requested, std::vector<std::string>& skipped);

}  // namespace enu
