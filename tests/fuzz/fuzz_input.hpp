#pragma once
// What every fuzz target shares: the input as text, cut into parts at marker
// lines (a document and its `--set` overrides, say), and the rule that bad
// input may only ever end in enu::Error (a message naming the problem): any
// other exception escapes to libFuzzer, which reports it as a crash with the
// input that caused it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace enu::fuzz {

/// `text` cut at each `marker` into `count` parts: the last keeps whatever
/// follows it, markers included; parts the text does not reach are empty.
inline std::vector<std::string> parts(const std::string& text, const std::string& marker, size_t count) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < count) {
    const size_t end = text.find(marker, start);
    if (end == std::string::npos) break;
    out.push_back(text.substr(start, end - start));
    start = end + marker.size();
  }
  out.push_back(text.substr(start));
  out.resize(count);
  return out;
}

/// The lines after a line "--set" are overrides ("key=value" each); what comes
/// before is the document. Seeds without the marker are documents alone.
struct Input {
  std::string document;
  std::vector<std::string> overrides;
};

inline Input split_input(const uint8_t* data, size_t size) {
  const std::vector<std::string> halves =
      parts(std::string(reinterpret_cast<const char*>(data), size), "\n--set\n", 2);
  Input input{halves[0], {}};
  for (std::string& line : parts(halves[1], "\n", halves[1].size() + 1)) {
    if (!line.empty()) input.overrides.push_back(std::move(line));
  }
  return input;
}

}  // namespace enu::fuzz
