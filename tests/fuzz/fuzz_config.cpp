// libFuzzer target: the run config reader (YAML text and --set overrides).
// Property beyond "no crash": a config the reader accepts is written back by
// to_yaml as YAML that reads back to the same config.
#include "enu/common.hpp"
#include "enu/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const enu::fuzz::Input input = enu::fuzz::split_input(data, size);
  enu::RunConfig config;
  try {
    config = enu::parse_config(input.document, "fuzz.yaml", input.overrides);
  } catch (const enu::Error&) {
    return 0;  // refused with a message: what bad input should get
  }
  const std::string written = enu::to_yaml(config);
  if (enu::to_yaml(enu::parse_config(written, "written.yaml")) != written) __builtin_trap();
  return 0;
}
