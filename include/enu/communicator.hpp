#pragma once
/// @brief What the evolution loop knows about the processes that run it: its
/// rank, the start-up agreement between ranks, and the cost of the fitness
/// exchange. One process is rank 0 of 1; the MPI version lives in host/mpi/.

#include <cstddef>
#include <cstdint>
#include <string>

#include "enu/common.hpp"

namespace enu {

/// Time of the latest population evaluation, over ranks.
struct ExchangeTimes {
  int ranks = 1;
  double eval_min = 0.0, eval_max = 0.0;  // seconds a rank spent evaluating its slice
  double exchange = 0.0;                  // seconds this rank spent in the collective
};

/// An error that every rank raises identically (a failed agreement), so that
/// each can end cleanly instead of aborting the job.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every rank passes its own `value` of the thing named `what`; unless all
  /// equal rank 0's, every rank throws CollectiveError naming the first that differs.
  virtual void agree(const std::string& what, const std::string& value) = 0;
  /// True on every rank when `flag` is true on any: a decision taken from
  /// rank-local facts (wall time) that all ranks must act on together.
  virtual bool any(bool flag) = 0;
  /// Timing of the latest (non-centre) population evaluation.
  virtual ExchangeTimes last_exchange() const = 0;
};

/// The single-process communicator: rank 0 of 1, every agreement holds.
Communicator& single_process();

/// 64-bit FNV-1a of a byte range, chained through `hash`: the centre and
/// checkpoint fingerprints that ranks compare and metrics.csv records.
inline uint64_t fnv1a64(const void* data, size_t bytes, uint64_t hash = 0xcbf29ce484222325ull) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
  return hash;
}

}  // namespace enu
