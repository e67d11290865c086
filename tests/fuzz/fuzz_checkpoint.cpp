// libFuzzer target: the checkpoint reader (.npz bytes: zip directory, headers,
// CRC-32, .npy arrays, the YAML header and the stored config). Property beyond
// "no crash": a checkpoint it accepts is saved and read back unchanged.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/common.hpp"

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  enu::Checkpoint checkpoint;
  try {
    checkpoint = enu::checkpoint_from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npz");
  } catch (const enu::Error&) {
    return 0;
  }
  const std::string path = "/tmp/enu_fuzz_checkpoint_" + std::to_string(::getpid()) + ".npz";
  enu::save_checkpoint(path, checkpoint);
  const enu::Checkpoint again = enu::load_checkpoint(path);
  std::remove(path.c_str());
  if (!same_bits(again.state.theta, checkpoint.state.theta) || again.config_yaml != checkpoint.config_yaml ||
      again.state.generation != checkpoint.state.generation) {
    __builtin_trap();
  }
  return 0;
}
