#pragma once
/// @brief Checkpoints: everything needed to resume a run bit for bit.
///
/// A checkpoint is one uncompressed .npz file (a zip archive numpy reads with
/// np.load) holding header.yaml (format version, generation, seed, best fitness,
/// the run's resolved config) and float32 arrays theta.npy, moment1.npy and
/// moment2.npy. Each member carries the zip CRC-32, checked on load. Files are
/// written to a temporary name and renamed, so a crash never leaves half a file.

#include <cstdint>
#include <string>

#include "enu/strategy.hpp"

namespace enu {

struct Checkpoint {
  EsState state;
  uint64_t seed = 0;
  double best_fitness = 0.0;        // best centre fitness so far
  uint64_t best_generation = 0;
  std::string config_yaml;          // to_yaml() of the run's config
};

/// Writes atomically (temporary file, then rename). Throws enu::Error on I/O failure.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Throws enu::Error naming the file and what is wrong: missing, truncated, bad
/// checksum, unknown version, missing array, wrong dtype or shape.
Checkpoint load_checkpoint(const std::string& path);
/// The checkpoint held in `archive` (a whole .npz file's bytes); `where` names
/// it in the messages of the same checks.
Checkpoint checkpoint_from_bytes(const std::string& archive, const std::string& where);

}  // namespace enu
