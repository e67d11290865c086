// libFuzzer target: the comparison file reader of `enu compare` (YAML text and
// --set overrides; its base config is looked up beside the repository's configs).
#include "compare.hpp"
#include "enu/common.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const enu::fuzz::Input input = enu::fuzz::split_input(data, size);
  try {
    enu::parse_compare_config(input.document, "fuzz.yaml", ENU_CONFIGS_DIR, input.overrides);
  } catch (const enu::Error&) {
  }
  return 0;
}
