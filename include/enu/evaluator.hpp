#pragma once
/// @brief The Backend interface: evaluate a whole population's fitness.

#include <cstdint>
#include <string>

#include "enu/philox.hpp"
#include "enu/task.hpp"

namespace enu {

/// The member id of the centre run on its own (a centre-only population, an
/// analysis, a recorded lifetime): its per-member streams (output noise) are
/// none of the population's members'.
constexpr uint32_t kCentreMemberId = 0xFFFFFFFFu;

/// A population of mirrored perturbations around a centre, never materialised:
/// member m has theta + sign(m) * sigma * eps_{m/2}, sign = +1 for even m and -1
/// for odd m, where eps_i[k] is the k-th standard normal of the es_noise stream
/// at (seed, generation, pair i). A centre-only population (size 1) is the centre
/// itself. Backends regenerate each member's parameters where they evaluate it
/// (the CUDA backend hands kernels a copy whose centre is in device memory).
/// A slice (a distributed rank's share) holds members first .. first+size-1 of
/// the whole population: m below is local, its noise and random streams those of
/// member first + m, and fitness rows are local.
/// Given rows (an outside optimizer's candidates, the Python evaluator), member m
/// is row m of a [size x param_count] matrix instead, with member m's streams.
///
/// Built by name, so that a call site says which number is which:
///   Population::mirrored(centre, n, members, sigma).with_seed(seed).at_generation(g)
///   Population::centre_alone(centre, n)
///   Population::given_rows(rows, n, members)
struct Population {
  const float* centre = nullptr;
  size_t param_count = 0;
  float sigma = 0.0f;
  uint64_t seed = 0;
  uint64_t generation = 0;
  int size = 0;
  bool centre_only = false;
  int first = 0;                  // global index of local member 0
  const float* rows = nullptr;    // given members: [size x param_count], row m local member m's parameters

  // Explicit: no positional Population{...} (an aggregate would take one).
  explicit Population() = default;

  /// `members` mirrored perturbations of `sigma` around the centre, with the noise
  /// of seed 0 and generation 0 until with_seed and at_generation say otherwise.
  static Population mirrored(const float* centre, size_t param_count, int members, float sigma) {
    Population pop;
    pop.centre = centre;
    pop.param_count = param_count;
    pop.sigma = sigma;
    pop.size = members;
    return pop;
  }
  /// The centre on its own: one member, no noise, so no seed or generation.
  static Population centre_alone(const float* centre, size_t param_count) {
    Population pop = mirrored(centre, param_count, 1, 0.0f);
    pop.centre_only = true;
    return pop;
  }
  /// `members` parameter vectors given as the rows of `rows` ([members x
  /// param_count], row-major), evaluated as members 0 .. members-1.
  static Population given_rows(const float* rows, size_t param_count, int members) {
    Population pop = mirrored(nullptr, param_count, members, 0.0f);
    pop.rows = rows;
    return pop;
  }
  /// This population with the es_noise stream of run seed `s`.
  Population with_seed(uint64_t s) const {
    Population pop = *this;
    pop.seed = s;
    return pop;
  }
  /// This population with the noise of generation `g`.
  Population at_generation(uint64_t g) const {
    Population pop = *this;
    pop.generation = g;
    return pop;
  }

  /// Identifier used to key per-member random streams (output noise).
  ENU_HD uint32_t member_id(int m) const { return centre_only ? kCentreMemberId : uint32_t(first + m); }
};

/// eps_{pair}[first .. first+count-1] of a generation, written to out.
void es_noise(uint64_t seed, uint64_t generation, uint32_t pair, size_t first, size_t count, float* out);
/// Local member m's parameters (centre when the population is centre-only, its
/// row when rows are given).
void member_params(const Population& pop, int m, float* out);

/// Every backend's first check: a population whose members have another
/// parameter count than the model's is refused, naming both.
inline void check_param_count(const Population& pop, size_t model_params) {
  if (pop.param_count != model_params) {
    throw Error("population has " + std::to_string(pop.param_count) + " parameters, the model " +
                std::to_string(model_params));
  }
}

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  virtual std::string name() const = 0;
  /// fitness[m * lifetimes.count + e] for every member m and lifetime e.
  virtual void evaluate(const Population& pop, const LifetimeSet& lifetimes, float* fitness) = 0;
};

}  // namespace enu
