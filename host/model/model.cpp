// A model is a single cell or a network; this maps the task interface onto it.
#include "enu/model.hpp"

namespace enu {

size_t ModelSpec::param_count() const {
  return kind == Kind::cell ? cell_layout(cell).param_count : network.param_count();
}

int ModelSpec::output_count() const {
  return kind == Kind::cell ? cell.outputs : network.topology.outputs;
}

ObservationShape ModelSpec::observation_capacity() const {
  if (kind == Kind::cell) return ObservationShape{1, cell.inputs};
  return ObservationShape{network.topology.inputs, network.channels};
}

ObservationShape ModelSpec::input_shape(ObservationShape task) const {
  if (kind == Kind::cell) return ObservationShape{1, task.sources * task.channels};
  return task;
}

void ModelSpec::init_params(uint64_t seed, float* theta) const {
  if (kind == Kind::cell) {
    init_cell_params(cell, seed, 0, theta);
  } else {
    init_network_params(network, seed, theta);
  }
}

double ModelSpec::flops_per_step() const {
  return kind == Kind::cell ? cell_flops_per_step(cell)
                            : network.ticks_per_step * network_flops_per_tick(network);
}

double ModelSpec::cell_steps_per_step() const {
  if (kind == Kind::cell) return 1.0;
  return double(network.ticks_per_step) * (network.topology.synapses() + network.topology.neurons);
}

}  // namespace enu
