// libFuzzer target: `enu compare` reading a finished run back from its folder
// (read_run): the input is summary.yaml, then after a line "--metrics--" the
// run's metrics.csv, written into a folder of this process's own.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compare.hpp"
#include "enu/common.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("enu_fuzz_run_folder_" + std::to_string(::getpid()));
  static const enu::RunConfig config;  // iaf: no maze adaptation file to read
  std::filesystem::create_directories(folder);
  const std::vector<std::string> files =
      enu::fuzz::parts(std::string(reinterpret_cast<const char*>(data), size), "\n--metrics--\n", 2);
  std::ofstream(folder / "summary.yaml", std::ios::binary) << files[0];
  std::ofstream(folder / "metrics.csv", std::ios::binary) << files[1];
  try {
    enu::read_run(folder, 1, 0.5, config);
  } catch (const enu::Error&) {
  }
  return 0;
}
