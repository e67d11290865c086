// libFuzzer target: `enu compare` reading a finished run back from its folder
// (read_run): the input is summary.yaml, then after a line "--metrics--" the
// run's metrics.csv, written into a folder of this process's own.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "compare.hpp"
#include "enu/common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("enu_fuzz_run_folder_" + std::to_string(::getpid()));
  static const enu::RunConfig config;  // iaf: no maze adaptation file to read
  std::filesystem::create_directories(folder);
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n--metrics--\n";
  const size_t at = text.find(marker);
  std::ofstream(folder / "summary.yaml", std::ios::binary) << text.substr(0, at);
  std::ofstream(folder / "metrics.csv", std::ios::binary)
      << (at == std::string::npos ? std::string() : text.substr(at + marker.size()));
  try {
    enu::read_run(folder, 1, 0.5, config);
  } catch (const enu::Error&) {
  }
  return 0;
}
