#pragma once
// What every fuzz target shares: the input as text, split into a document and
// `--set` overrides, and the rule that bad input may only ever end in
// enu::Error (a message naming the problem): any other exception escapes to
// libFuzzer, which reports it as a crash with the input that caused it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace enu::fuzz {

/// The lines after a line "--set" are overrides ("key=value" each); what comes
/// before is the document. Seeds without the marker are documents alone.
struct Input {
  std::string document;
  std::vector<std::string> overrides;
};

inline Input split_input(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n--set\n";
  const size_t at = text.find(marker);
  Input input{text.substr(0, at), {}};
  if (at == std::string::npos) return input;
  size_t start = at + marker.size();
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    if (end > start) input.overrides.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return input;
}

}  // namespace enu::fuzz
