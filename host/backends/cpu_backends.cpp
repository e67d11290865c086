// The two CPU backends: `reference` (scalar loops on one thread, the tests'
// oracle) and `cpu` (batched GEMMs on a thread pool), one entry class over CpuRunnerKind.
#include <algorithm>

#include "backend_entries.hpp"
#include "cpu_evaluator.hpp"
#include "cpu_peak.hpp"
#include "runner.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(CpuRunnerKind runner) : runner_(runner) {}

  BackendKind kind() const override {
    return runner_ == CpuRunnerKind::reference ? BackendKind::reference : BackendKind::cpu;
  }
  bool on_gpu() const override { return false; }

  std::unique_ptr<Evaluator> make_evaluator(const EvaluatorRequest& request) const override {
    return make_cpu_evaluator(runner_, request.model, make_task(request.task), threads(request.threads),
                              request.lifetimes_per_item, request.profile);
  }

  BenchHardware bench_hardware(int threads_wanted) const override {
    const int used = threads(threads_wanted);
    return {std::string(name()) + " (" + std::to_string(used) + (used == 1 ? " thread)" : " threads)"),
            cpu_peak_gflops(used), 2 * used};
  }

  std::vector<float> replay(const ReplayRequest& r) const override {
    const auto runner = runner_ == CpuRunnerKind::reference ? make_reference_runner(r.model, r.shape, r.lifetimes)
                                                            : make_fast_runner(r.model, r.shape, r.lifetimes);
    const size_t obs_size = size_t(r.shape.sources) * r.shape.channels;
    const int A = r.model.output_count();
    runner->reset(r.theta.data(), kCentreMemberId, r.set, r.first, r.lifetimes);
    std::vector<float> step_obs(size_t(r.lifetimes) * obs_size), step_actions(size_t(r.lifetimes) * A),
        actions(size_t(r.lifetimes) * r.steps * A);
    for (int t = 0; t < r.steps; ++t) {
      for (int e = 0; e < r.lifetimes; ++e) {
        std::copy_n(&r.observations[(size_t(e) * r.steps + t) * obs_size], obs_size, &step_obs[e * obs_size]);
      }
      runner->step(step_obs.data(), step_actions.data());
      for (int e = 0; e < r.lifetimes; ++e) {
        std::copy_n(&step_actions[size_t(e) * A], A, &actions[(size_t(e) * r.steps + t) * A]);
      }
    }
    return actions;
  }

 private:
  // The reference backend runs on one thread, whatever was asked.
  int threads(int wanted) const { return runner_ == CpuRunnerKind::reference ? 1 : wanted; }

  CpuRunnerKind runner_;
};

}  // namespace

const Backend& reference_backend() {
  static const CpuBackend backend(CpuRunnerKind::reference);
  return backend;
}

const Backend& cpu_backend() {
  static const CpuBackend backend(CpuRunnerKind::fast);
  return backend;
}

}  // namespace enu
