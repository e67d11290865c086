// iaf: the closed-form firing rate of the reference neuron the cell imitates
// (Extended Data Fig. 2); the lifetime itself is in enu/single_unit_tasks.hpp.
#include <algorithm>
#include <cmath>

#include "tasks.hpp"

namespace enu {

double lif_analytic_rate(const IafConfig& config, double current) {
  if (current <= 0.0) return 0.0;
  const double threshold = config.threshold;
  if (config.leak_tau <= 0.0f) return 1.0 / std::ceil(threshold / current);
  // v_n = current (1 - a^n) / (1 - a): fires once that reaches the threshold.
  const double a = std::exp(-1.0 / config.leak_tau);
  const double ceiling = current / (1.0 - a);
  if (ceiling < threshold) return 0.0;
  const double n = std::ceil(std::log(1.0 - threshold / ceiling) / std::log(a));
  return 1.0 / std::max(1.0, n);
}

}  // namespace enu
