// enu.Evaluator: fitness of parameter vectors on a config's task, by the backend
// and threads `enu evolve` would use, with the GIL released while it runs. The
// members' parameters are read in place from the caller's float32 array.
#include <nanobind/stl/string.h>

#include <mutex>
#include <optional>

#include "backends.hpp"
#include "bindings.hpp"
#include "run.hpp"

namespace enu::python {
namespace {

class PyEvaluator {
 public:
  explicit PyEvaluator(const PyConfig& config)
      : config_(config.config), chosen_(make_evaluator(config_)), param_count_(enu::param_count(config_)) {}

  std::string name() const { return chosen_.evaluator->name(); }
  size_t param_count() const { return param_count_; }

  /// Fitness [members x lifetimes] of `pop` on generation `generation`'s
  /// lifetimes (seed: the config's run.seed unless given), the GIL released.
  std::vector<float> run(const Population& pop, uint64_t generation, std::optional<uint64_t> seed,
                         std::optional<int> lifetimes) {
    const LifetimeSet set{seed.value_or(config_.run.seed), generation, lifetimes.value_or(config_.es.lifetimes)};
    if (set.count < 1) throw nb::value_error("lifetimes must be at least 1");
    if (pop.size < 1) throw nb::value_error("no members to evaluate");
    std::vector<float> fitness(size_t(pop.size) * size_t(set.count));
    nb::gil_scoped_release released;
    std::lock_guard<std::mutex> one_call_at_a_time(busy_);  // the backend's buffers are this object's
    chosen_.evaluator->evaluate(pop, set, fitness.data());
    return fitness;
  }

  /// As the strategy ranks members: each member's mean over its lifetimes, in
  /// double; or every lifetime's fitness.
  nb::object result(std::vector<float> fitness, int members, bool per_lifetime) const {
    const size_t lifetimes = fitness.size() / size_t(members);
    if (per_lifetime) return nb::cast(to_numpy(std::move(fitness), {size_t(members), lifetimes}));
    std::vector<double> mean(size_t(members), 0.0);
    for (size_t m = 0; m < mean.size(); ++m) {
      for (size_t e = 0; e < lifetimes; ++e) mean[m] += fitness[m * lifetimes + e];
      mean[m] /= double(lifetimes);
    }
    return nb::cast(to_numpy(std::move(mean)));
  }

  uint64_t seed() const { return config_.run.seed; }

 private:
  RunConfig config_;
  BackendEvaluator chosen_;
  size_t param_count_;
  std::mutex busy_;
};

const char* const kLifetimesDoc =
    " `generation` and `seed` (default: the config's run.seed) pick the lifetimes, as generation `generation` of "
    "a run with that seed meets them; `lifetimes` (default es.lifetimes) how many. Returns each member's mean "
    "fitness over its lifetimes (float64, the value the strategy ranks), or with per_lifetime=True every "
    "lifetime's (float32, [members x lifetimes]).";

}  // namespace

void bind_evaluator(nb::module_& m) {
  nb::class_<PyEvaluator>(m, "Evaluator",
                          "Evaluates parameter vectors on a config's task with the backend `enu evolve` would use "
                          "(run.backend, run.threads, run.cuda_*). One call at a time per object; several objects "
                          "evaluate at once from several threads (the GIL is released while they run).")
      .def(nb::init<const PyConfig&>(), nb::arg("config"))
      .def_prop_ro("name", &PyEvaluator::name, "The backend and path, as `enu evolve` logs it.")
      .def_prop_ro("param_count", &PyEvaluator::param_count)
      .def(
          "evaluate",
          [](PyEvaluator& self, Float32Argument params, uint64_t generation, std::optional<uint64_t> seed,
             std::optional<int> lifetimes, bool per_lifetime) {
            const FloatArray rows = float32_array(params.object, "params", 2, self.param_count());
            const int members = int(rows.shape[0]);
            const Population pop = Population::given_rows(rows.data, self.param_count(), members);
            return self.result(self.run(pop, generation, seed, lifetimes), members, per_lifetime);
          },
          nb::arg("params"), nb::arg("generation") = 0, nb::kw_only(), nb::arg("seed") = nb::none(),
          nb::arg("lifetimes") = nb::none(), nb::arg("per_lifetime") = false,
          (std::string("Fitness of members given as the rows of a float32 [members x param_count] C-ordered array "
                       "(read in place, not copied); row m is member m, with member m's random streams.") +
           kLifetimesDoc)
              .c_str())
      .def(
          "evaluate_mirrored",
          [](PyEvaluator& self, Float32Argument centre, float sigma, int population, uint64_t generation,
             std::optional<uint64_t> seed, std::optional<int> lifetimes, bool per_lifetime) {
            const FloatArray c = float32_array(centre.object, "centre", 1, self.param_count());
            if (population < 2 || population % 2 != 0) {
              throw nb::value_error(("population must be even and at least 2 (mirrored pairs), got " +
                                     std::to_string(population))
                                        .c_str());
            }
            const Population pop = Population::mirrored(c.data, self.param_count(), population, sigma)
                                       .with_seed(seed.value_or(self.seed()))
                                       .at_generation(generation);
            return self.result(self.run(pop, generation, seed, lifetimes), population, per_lifetime);
          },
          nb::arg("centre"), nb::arg("sigma"), nb::arg("population"), nb::arg("generation") = 0, nb::kw_only(),
          nb::arg("seed") = nb::none(), nb::arg("lifetimes") = nb::none(), nb::arg("per_lifetime") = false,
          (std::string("Fitness of the population `enu evolve` evaluates at a generation: member m = centre + "
                       "(+1 for even m, -1 for odd m) * sigma * es_noise(seed, generation, m // 2), built by the "
                       "backend where it evaluates.") +
           kLifetimesDoc)
              .c_str())
      .def(
          "evaluate_centre",
          [](PyEvaluator& self, Float32Argument theta, uint64_t generation, std::optional<uint64_t> seed,
             std::optional<int> lifetimes, bool per_lifetime) {
            const FloatArray t = float32_array(theta.object, "theta", 1, self.param_count());
            const Population pop = Population::centre_alone(t.data, self.param_count());
            const nb::object one_member = self.result(self.run(pop, generation, seed, lifetimes), 1, per_lifetime);
            return nb::object(one_member[0]);
          },
          nb::arg("theta"), nb::arg("generation") = 0, nb::kw_only(), nb::arg("seed") = nb::none(),
          nb::arg("lifetimes") = nb::none(), nb::arg("per_lifetime") = false,
          (std::string("Fitness of a centre on its own, as `enu evolve` logs a generation's centre fitness (the "
                       "centre's own random streams, not member 0's).") +
           kLifetimesDoc)
              .c_str());

  m.def(
      "backends",
      [] {
        nb::list out;
        for (const Backend* backend : registered_backends()) {
          nb::dict entry;
          entry["name"] = backend->name();
          entry["on_gpu"] = backend->on_gpu();
          entry["unavailable"] = backend->unavailable();
          out.append(entry);
        }
        return out;
      },
      "The backends of this build (reference, cpu, and cuda where nvcc built it): for each a dict of name, "
      "on_gpu and unavailable (why this build or machine cannot run it; \"\" when it can). run.backend picks one.");
  m.def(
      "es_noise",
      [](uint64_t seed, uint64_t generation, uint32_t pair, size_t count) {
        std::vector<float> eps(count);
        es_noise(seed, generation, pair, 0, count, eps.data());
        return to_numpy(std::move(eps));
      },
      nb::arg("seed"), nb::arg("generation"), nb::arg("pair"), nb::arg("count"),
      "eps_pair of a generation (float32 standard normals of the es_noise Philox stream): members 2 pair and "
      "2 pair + 1 of a run with this seed are centre +- sigma * eps_pair.");
  m.def(
      "mirrored_members",
      [](Float32Argument centre, float sigma, int population, uint64_t seed, uint64_t generation) {
        const FloatArray c = float32_array(centre.object, "centre", 1, 0);
        if (population < 0) throw nb::value_error("population must not be negative");
        const size_t n = c.shape[0];
        const Population pop =
            Population::mirrored(c.data, n, population, sigma).with_seed(seed).at_generation(generation);
        std::vector<float> rows(size_t(population) * n);
        for (int i = 0; i < population; ++i) member_params(pop, i, rows.data() + size_t(i) * n);
        return to_numpy(std::move(rows), {size_t(population), n});
      },
      nb::arg("centre"), nb::arg("sigma"), nb::arg("population"), nb::arg("seed"), nb::arg("generation"),
      "The members of a generation as rows [population x n], computed as the engine computes them (so that "
      "Evaluator.evaluate gives exactly the fitness of Evaluator.evaluate_mirrored).");
}

}  // namespace enu::python
