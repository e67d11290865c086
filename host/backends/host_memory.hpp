#pragma once
// What an evolution or an evaluation holds in host memory, counted from its
// config before anything is allocated, and the refusal of one that this machine
// cannot hold: a config too large for it ends with a message, not with the OOM
// killer part way through a run.

#include <cstdint>
#include <string>
#include <vector>

#include "enu/config.hpp"

namespace enu {

/// Bytes of host memory, part by part. Doubles: a refused config can need more
/// than 2^64 bytes (es.population x es.lifetimes alone reaches 2^62 floats).
struct HostMemory {
  struct Part {
    std::string what;  // e.g. "fitness values (1000000001 members x 1000 lifetimes)"
    double bytes = 0.0;
  };
  std::vector<Part> parts;
  double total() const;
};

/// The host memory that evaluating `members` parameter vectors on `lifetimes`
/// lifetimes each under `config` holds at its peak: a run evaluates es.population
/// members and its centre on es.lifetimes, `enu eval` one centre. Counted from the
/// config alone (no topology drawn, nothing allocated), the buffers that grow with it:
///  - fitness values: members x lifetimes floats, and the ES's mean, order, rank
///    and weight of every member (4 x 8 bytes);
///  - parameter vectors: kParameterVectors of param_count floats;
///  - the CPU evaluator (backends cpu, reference and auto; the cuda backend checks
///    its device's memory when it is made): per worker thread, its copy of the
///    parameters and of the weights packed for the GEMMs, the topology's synapse
///    sources, and for lifetimes_per_item lifetimes every cell's batch rows (gate
///    inputs, gates, candidate, memory, hidden state, outputs and output noise),
///    the observations and the actions.
/// An estimate within a small factor: padding, the allocator's overhead and the
/// environments' few values per lifetime are not counted.
HostMemory estimate_host_memory(const RunConfig& config, uint64_t members, uint64_t lifetimes);

/// Parameter-sized float vectors a run holds at its peak, while a checkpoint is
/// written: the centre and its two optimizer moments (3), the checkpoint's copy
/// of them (3), the evaluated centre kept for the best checkpoint (3), the
/// checkpoint's arrays and its archive (6), and the update's direction (1). The
/// update's noise and double-precision sum (3) are freed by then.
constexpr int kParameterVectors = 16;

/// Bytes this machine can give a new allocation now: MemAvailable in
/// /proc/meminfo (free memory and what the kernel can reclaim), else the free
/// physical pages.
double available_host_memory();

/// Throws enu::Error when `need` exceeds `available` bytes: "<subject> needs
/// 3.7 TiB of host memory (<the parts, largest first>); this machine has 20.1 GiB
/// available".
void require_host_memory(const HostMemory& need, const std::string& subject, double available);

/// `bytes` in binary units for messages: "512 B", "3.7 TiB".
std::string format_bytes(double bytes);

}  // namespace enu
