#pragma once
/// @brief OpenAI-ES (Salimans et al. 2017) with mirrored sampling, rank-based
/// fitness shaping and SGD-momentum or Adam; the host-side controller.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "enu/config.hpp"
#include "enu/evaluator.hpp"

namespace enu {

/// Everything that evolves between generations; a checkpoint stores exactly this.
struct EsState {
  uint64_t generation = 0;        // generations completed
  std::vector<float> theta;       // the centre
  std::vector<float> moment1;     // SGD velocity, or Adam's first moment
  std::vector<float> moment2;     // Adam's second moment (empty for SGD)
  uint64_t optimizer_steps = 0;   // Adam's bias-correction count
};

struct GenerationReport {
  uint64_t generation = 0;        // the generation just evaluated and applied
  float sigma = 0.0f;
  double best = 0.0, mean = 0.0;  // over finite member fitnesses
  double centre = 0.0;            // fitness of the centre before the update
  int nonfinite = 0;              // members whose fitness was NaN or infinite
  double eval_seconds = 0.0, update_seconds = 0.0;
  double lifetimes_per_second = 0.0;
};

/// Shaped weights from member fitnesses. Ties share their mean rank, so equal
/// fitnesses get equal weights. pareto: w = (rank/P)^exponent normalised to sum 1
/// (rank 1 = worst); centred_ranks: w = rank/(P-1) - 1/2 scaled so sum |w| = 1.
/// Non-finite fitnesses must already be replaced.
std::vector<double> shape_fitness(const std::vector<double>& fitness, Shaping shaping, float exponent);

/// Ascent direction sigma * sum_m w_m sign(m) eps_{m/2}, summed pair by pair as
/// (w_{2i} - w_{2i+1}) eps_i, so mirrored members of equal weight cancel exactly.
void es_direction(const std::vector<double>& weights, float sigma, uint64_t seed, uint64_t generation,
                  size_t param_count, float* direction);

/// The update of one generation from its member fitnesses (non-finite ones
/// already replaced): shaping, the ascent direction over the regenerated noise,
/// and the optimizer step on `state` (theta and moments; the caller counts
/// generations). The host version is the reference; cuda/device_es.cu does the
/// same on a GPU.
class EsUpdater {
 public:
  virtual ~EsUpdater() = default;
  virtual std::string name() const = 0;
  virtual void apply(const EsConfig& config, uint64_t seed, uint64_t generation, float sigma,
                     const std::vector<double>& member_fitness, EsState& state) = 0;
};

std::unique_ptr<EsUpdater> make_host_updater();

/// SGD with momentum or Adam on the state, given the ascent direction: the
/// optimizer step both updaters take (the device one in its own kernel).
void optimizer_step(const EsConfig& config, const float* direction, EsState& state);

class EvolutionStrategy {
 public:
  /// `state.theta` must hold the initial centre; empty moments are created.
  /// `updater`: where the update runs (null: the host).
  EvolutionStrategy(const EsConfig& config, uint64_t seed, EsState state, std::shared_ptr<EsUpdater> updater = nullptr);

  /// Evaluates the population and the centre on this generation's lifetimes,
  /// shapes, and applies the update.
  GenerationReport step(Evaluator& evaluator);

  const EsState& state() const { return state_; }
  float sigma_at(uint64_t generation) const;

 private:

  EsConfig config_;
  uint64_t seed_;
  EsState state_;
  std::vector<float> fitness_;    // population x lifetimes
  std::shared_ptr<EsUpdater> updater_;
};

}  // namespace enu
