// Plain objectives for checking the evolution strategy itself.
#include <cmath>

#include "tasks.hpp"

namespace enu {
namespace {

class Sphere final : public Objective {
 public:
  std::string name() const override { return "sphere"; }
  double value(const float* x, size_t n) const override {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
    return sum;
  }
};

class Rastrigin final : public Objective {
 public:
  std::string name() const override { return "rastrigin"; }
  double value(const float* x, size_t n) const override {
    constexpr double kTwoPi = 6.283185307179586;
    double sum = 10.0 * double(n);
    for (size_t i = 0; i < n; ++i) sum += double(x[i]) * x[i] - 10.0 * std::cos(kTwoPi * x[i]);
    return sum;
  }
};

}  // namespace

std::shared_ptr<const Objective> make_sphere() { return std::make_shared<Sphere>(); }
std::shared_ptr<const Objective> make_rastrigin() { return std::make_shared<Rastrigin>(); }

std::shared_ptr<const Objective> make_objective(const TaskConfig& config) {
  switch (task_kind(config.name)) {
    case TaskKind::sphere: return make_sphere();
    case TaskKind::rastrigin: return make_rastrigin();
    default:
      throw Error("task '" + config.name + "' is not a function objective (" +
                  task_names([](const TaskEntry& t) { return t.model == ModelNeed::none; }) + ")");
  }
}

}  // namespace enu
