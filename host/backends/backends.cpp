#include "backends.hpp"

#include <algorithm>
#include <cstdio>

#include "backend_entries.hpp"
#include "cpu_evaluator.hpp"
#include "tasks.hpp"

namespace enu {
namespace {

EvaluatorRequest request_for(const RunConfig& config, int local_rank, StageProfile* profile) {
  EvaluatorRequest request;
  request.model = config.model_spec();
  request.task = config.task;
  request.threads = config.run.threads;
  request.lifetimes_per_item = lifetimes_per_item(config);
  request.cuda = CudaOptions{config.run.cuda_path, config.run.cuda_tf32, config.run.cuda_precision};
  request.local_rank = local_rank;
  request.profile = profile;
  return request;
}

// The reference is the oracle and the CPU the fallback: neither is one of auto's candidates.
bool auto_candidate(const Backend& backend) {
  return backend.kind() != BackendKind::reference && backend.kind() != BackendKind::cpu &&
         backend.not_automatic().empty();
}

}  // namespace

int lifetimes_per_item(const RunConfig& config) {
  // A property of the model, never of the thread count, so that results do not
  // depend on how many threads run them.
  return std::min(config.es.lifetimes, config.model.kind == ModelSpec::Kind::cell ? 32 : 8);
}

const std::vector<const Backend*>& registered_backends() {
  static const std::vector<const Backend*> backends{&reference_backend(), &cpu_backend(), &cuda_backend()};
  return backends;
}

const Backend& find_backend(BackendKind kind) {
  for (const Backend* backend : registered_backends()) {
    if (backend->kind() == kind) return *backend;
  }
  throw Error(std::string("no backend '") + to_string(kind) + "' in the registry");
}

BackendEvaluator make_evaluator(const RunConfig& config, int local_rank, StageProfile* profile) {
  const Backend& cpu = find_backend(BackendKind::cpu);
  if (is_objective_task(config.task.name)) return {&cpu, make_objective_evaluator(make_objective(config.task))};
  const EvaluatorRequest request = request_for(config, local_rank, profile);
  if (config.run.backend != BackendKind::automatic) {
    const Backend& backend = find_backend(config.run.backend);
    const std::string why = backend.unavailable();
    if (!why.empty()) throw Error(std::string("--backend ") + backend.name() + ": " + why + "; use --backend cpu");
    return {&backend, backend.make_evaluator(request)};
  }
  for (const Backend* backend : registered_backends()) {
    if (!auto_candidate(*backend)) continue;
    // auto falls back to the CPU for what a faster backend does not take yet.
    try {
      return {backend, backend->make_evaluator(request)};
    } catch (const Error& e) {
      std::fprintf(stderr, "enu: backend auto: %s; using the CPU\n", e.what());
    }
  }
  return {&cpu, cpu.make_evaluator(request)};
}

std::shared_ptr<EsUpdater> make_updater(const RunConfig& config, const Backend& evaluated_on) {
  switch (config.run.es_update) {
    case UpdateDevice::host:
      return nullptr;
    case UpdateDevice::automatic:
      return evaluated_on.make_updater();
    case UpdateDevice::cuda:
      break;
  }
  const Backend& cuda = find_backend(BackendKind::cuda);
  const std::string why = cuda.unavailable();
  if (!why.empty()) throw Error("run.es_update = cuda: " + why + "; use run.es_update=host");
  return cuda.make_updater();
}

std::vector<const Backend*> bench_backends(const std::string& requested, std::vector<std::string>& skipped) {
  if (requested != "auto" && requested != "all") {
    for (const Backend* backend : registered_backends()) {
      if (requested != backend->name()) continue;
      for (const std::string& why : {backend->unavailable(), backend->not_benchmarked()}) {
        if (!why.empty()) throw Error("--backend " + requested + ": " + why);
      }
      return {backend};
    }
    std::string expected = "auto, all";
    const std::vector<const Backend*>& all = registered_backends();
    for (size_t i = 0; i < all.size(); ++i) {
      expected += std::string(i + 1 == all.size() ? " or " : ", ") + all[i]->name();
    }
    throw Error("--backend '" + requested + "': expected " + expected);
  }
  std::vector<const Backend*> chosen;
  for (const Backend* backend : registered_backends()) {
    if (backend->kind() == BackendKind::reference) {
      if (requested == "all") chosen.push_back(backend);
      continue;
    }
    const std::string why = backend->not_automatic();
    if (why.empty()) {
      chosen.push_back(backend);
    } else {
      skipped.push_back(std::string(backend->name()) + ": " + why);
    }
  }
  return chosen;
}

}  // namespace enu
