// libFuzzer target: what a checkpoint holds behind its CRC-32s (the YAML
// header, the stored config, the .npy arrays), reached by wrapping the input's
// parts in a valid archive: random bytes rarely pass the CRC check that
// enu_fuzz_checkpoint meets first. The parts are separated by lines "--member--",
// in the order header.yaml, config.yaml, theta.npy, moment1.npy, moment2.npy.
#include <string>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/common.hpp"
#include "fuzz_input.hpp"
#include "npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kNames[] = {"header.yaml", "config.yaml", "theta.npy", "moment1.npy", "moment2.npy"};
  const std::vector<std::string> bytes =
      enu::fuzz::parts(std::string(reinterpret_cast<const char*>(data), size), "\n--member--\n", 5);
  std::vector<enu::npz::Member> members;
  for (size_t i = 0; i < bytes.size(); ++i) members.push_back({kNames[i], bytes[i]});
  try {
    enu::checkpoint_from_bytes(enu::npz::zip_stored(members), "fuzz.npz");
  } catch (const enu::Error&) {
  }
  return 0;
}
