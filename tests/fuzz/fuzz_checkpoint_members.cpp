// libFuzzer target: what a checkpoint holds behind its CRC-32s (the YAML
// header, the stored config, the .npy arrays), reached by wrapping the input's
// parts in a valid archive: random bytes rarely pass the CRC check that
// enu_fuzz_checkpoint meets first. The parts are separated by lines "--member--",
// in the order header.yaml, config.yaml, theta.npy, moment1.npy, moment2.npy.
#include <string>
#include <vector>

#include "enu/checkpoint.hpp"
#include "enu/common.hpp"
#include "npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kNames[] = {"header.yaml", "config.yaml", "theta.npy", "moment1.npy", "moment2.npy"};
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n--member--\n";
  std::vector<enu::npz::Member> members;
  size_t start = 0;
  for (const char* name : kNames) {
    const size_t end = std::min(text.find(marker, start), text.size());
    members.push_back({name, start <= text.size() ? text.substr(start, end - start) : std::string()});
    start = end == text.size() ? text.size() + 1 : end + marker.size();
  }
  try {
    enu::checkpoint_from_bytes(enu::npz::zip_stored(members), "fuzz.npz");
  } catch (const enu::Error&) {
  }
  return 0;
}
