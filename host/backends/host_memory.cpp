#include "host_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "backends.hpp"
#include "enu/task_table.hpp"
#include "thread_pool.hpp"

namespace enu {
namespace {

// Floats one cell of one lifetime holds in a fast runner's batch: its rows of
// gate inputs (U + 1), gates (G x M), candidate (M), hidden state (M + 1),
// memory (M) and outputs (O). The reference runner holds less.
double cell_row_floats(const CellSpec& spec) {
  const CellLayout layout = cell_layout(spec);
  return double(layout.gate_inputs) + 1.0 + double(layout.gate_chunks + 3) * spec.memory + 1.0 + spec.outputs;
}

// The CPU evaluator's workers: what every thread allocates once, for a work
// item of lifetimes_per_item lifetimes.
HostMemory::Part cpu_workers(const RunConfig& config, size_t param_count) {
  const int threads = config.run.backend == BackendKind::reference ? 1 : ThreadPool::size_for(config.run.threads);
  const int lifetimes = lifetimes_per_item(config);
  double per_lifetime = 0.0;
  uint64_t synapses = 0;
  std::ostringstream what;
  what << "CPU evaluator (" << threads << (threads == 1 ? " thread" : " threads") << " x " << lifetimes
       << " lifetimes of ";
  if (config.model.kind == ModelSpec::Kind::cell) {
    const CellSpec& cell = config.model.cell;
    per_lifetime = cell_row_floats(cell) + cell.inputs + cell.outputs;
    what << "one cell)";
  } else {
    const NetworkSpec& net = config.model.network;
    const TopologyConfig& t = config.model.topology;
    const double channels = net.channels;
    synapses = uint64_t(t.neurons) * uint64_t(t.fan_in);
    // Every cell's rows and output noise, the sensory inputs and observations, the actions.
    per_lifetime = double(synapses) * (cell_row_floats(net.synapse_cell()) + channels) +
                   t.neurons * (cell_row_floats(net.neuron_cell()) + channels) + 2.0 * t.inputs * channels + t.outputs;
    what << t.neurons << " neurons and " << synapses << " synapses)";
  }
  // Per thread: the parameters and the packed weights (2), the synapse sources.
  const double per_thread = 4.0 * (lifetimes * per_lifetime + 2.0 * double(param_count) + double(synapses));
  return {what.str(), threads * per_thread};
}

}  // namespace

double HostMemory::total() const {
  double sum = 0.0;
  for (const Part& part : parts) sum += part.bytes;
  return sum;
}

HostMemory estimate_host_memory(const RunConfig& config, uint64_t members, uint64_t lifetimes) {
  const bool objective = is_objective_task(config.task.name);
  // The parameter count of the config's cells: the network's topology is not drawn.
  const size_t params = objective                                      ? size_t(config.task.function.dimension)
                        : config.model.kind == ModelSpec::Kind::cell ? cell_layout(config.model.cell).param_count
                                                                     : config.model.network.param_count();
  HostMemory memory;
  std::ostringstream fitness, vectors;
  fitness << "fitness values (" << members << " members x " << lifetimes << " lifetimes)";
  memory.parts.push_back({fitness.str(), 4.0 * double(members) * double(lifetimes) + 32.0 * double(members)});
  vectors << "parameter vectors (" << kParameterVectors << " x " << params << " floats)";
  memory.parts.push_back({vectors.str(), 4.0 * kParameterVectors * double(params)});
  if (!objective && config.run.backend != BackendKind::cuda) memory.parts.push_back(cpu_workers(config, params));
  return memory;
}

double available_host_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  double kib = 0.0;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024.0;
  }
  return double(sysconf(_SC_AVPHYS_PAGES)) * double(sysconf(_SC_PAGESIZE));
}

void require_host_memory(const HostMemory& need, const std::string& subject, double available) {
  if (need.total() <= available) return;
  std::vector<HostMemory::Part> parts = need.parts;
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  std::string list;
  for (const HostMemory::Part& part : parts) list += (list.empty() ? "" : ", ") + part.what + " " + format_bytes(part.bytes);
  throw Error(subject + " needs " + format_bytes(need.total()) + " of host memory (" + list + "); this machine has " +
              format_bytes(available) + " available");
}

std::string format_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(units)) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace enu
