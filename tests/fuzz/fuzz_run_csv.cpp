// libFuzzer target: the reader a resume applies to the run's CSVs (metrics.csv,
// validation.csv): rows_before. The first byte picks the generation it keeps
// rows below. Properties beyond "no crash": what it keeps is header and whole
// rows, and keeping again changes nothing.
#include <string>

#include "enu/common.hpp"
#include "run.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string header = "generation,centre";
  const std::string csv(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string kept;
  try {
    kept = enu::rows_before(csv, header, data[0], "fuzz.csv");
  } catch (const enu::Error&) {
    return 0;
  }
  if (kept.compare(0, header.size() + 1, header + "\n") != 0 || kept.back() != '\n') __builtin_trap();
  if (enu::rows_before(kept, header, data[0], "kept.csv") != kept) __builtin_trap();
  return 0;
}
