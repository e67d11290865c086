#include "cpu_evaluator.hpp"

#include <algorithm>
#include <vector>

#include "runner.hpp"
#include "thread_pool.hpp"

namespace enu {
namespace {

class CpuEvaluator final : public Evaluator {
 public:
  CpuEvaluator(CpuRunnerKind kind, const ModelSpec& model, std::shared_ptr<const Task> task, int threads,
               int lifetimes_per_item, StageProfile* profile)
      : kind_(kind), model_(model), task_(std::move(task)), pool_(threads), chunk_(lifetimes_per_item),
        profile_(profile), workers_(size_t(pool_.size())) {
    const ObservationShape shape = task_->observation_shape();
    for (Worker& worker : workers_) {
      worker.runner = kind == CpuRunnerKind::fast ? make_fast_runner(model, shape, chunk_)
                                                  : make_reference_runner(model, shape, chunk_);
      if (profile_) worker.runner->profile_stages(&worker.stages);
      worker.env = task_->make_environment(chunk_);
      worker.theta.resize(model.param_count());
      worker.observations.resize(size_t(chunk_) * shape.sources * shape.channels);
      worker.outputs.resize(size_t(chunk_) * model.output_count());
    }
  }

  std::string name() const override { return kind_ == CpuRunnerKind::fast ? "cpu" : "reference"; }

  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    check_param_count(pop, model_.param_count());
    const int chunks = lifetimes.count / chunk_ + (lifetimes.count % chunk_ != 0);  // a ceiling that cannot overflow
    pool_.parallel_for(int64_t(pop.size) * chunks, [&](int64_t item, int w) {
      Worker& worker = workers_[size_t(w)];
      const int m = int(item / chunks), first = int(item % chunks) * chunk_;
      const int count = std::min(chunk_, lifetimes.count - first);
      member_params(pop, m, worker.theta.data());
      worker.runner->reset(worker.theta.data(), pop.member_id(m), lifetimes, first, count);
      worker.env->reset(lifetimes, first, count);
      run_lifetimes(*worker.runner, *task_, *worker.env, worker.observations.data(), worker.outputs.data(),
                    fitness + size_t(m) * lifetimes.count + first);
    });
    if (!profile_) return;
    for (Worker& worker : workers_) {
      profile_->add(worker.stages);
      worker.stages = StageProfile{};
    }
  }

 private:
  struct Worker {
    std::unique_ptr<ModelRunner> runner;
    std::unique_ptr<Environment> env;
    std::vector<float> theta, observations, outputs;
    StageProfile stages;  // written by this worker's runner only
  };
  CpuRunnerKind kind_;
  ModelSpec model_;
  std::shared_ptr<const Task> task_;
  ThreadPool pool_;
  int chunk_;
  StageProfile* profile_;
  std::vector<Worker> workers_;
};

class ObjectiveEvaluator final : public Evaluator {
 public:
  explicit ObjectiveEvaluator(std::shared_ptr<const Objective> objective) : objective_(std::move(objective)) {}
  std::string name() const override { return "objective"; }

  void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) override {
    theta_.resize(pop.param_count);
    for (int m = 0; m < pop.size; ++m) {
      member_params(pop, m, theta_.data());
      const float value = float(-objective_->value(theta_.data(), theta_.size()));
      std::fill(fitness + size_t(m) * lifetimes.count, fitness + size_t(m + 1) * lifetimes.count, value);
    }
  }

 private:
  std::shared_ptr<const Objective> objective_;
  std::vector<float> theta_;
};

}  // namespace

std::unique_ptr<Evaluator> make_cpu_evaluator(CpuRunnerKind kind, const ModelSpec& model,
                                              std::shared_ptr<const Task> task, int threads,
                                              int lifetimes_per_item, StageProfile* profile) {
  return std::make_unique<CpuEvaluator>(kind, model, std::move(task), threads, lifetimes_per_item, profile);
}

std::unique_ptr<Evaluator> make_objective_evaluator(std::shared_ptr<const Objective> objective) {
  return std::make_unique<ObjectiveEvaluator>(std::move(objective));
}

}  // namespace enu
