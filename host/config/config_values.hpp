#pragma once
// The value vocabulary of configuration files: how a value is named and shown
// in YAML and in messages, which intervals a number may lie in, and how a plain
// scalar is parsed (strictly: no hex, no 1.0 for an int, no nan or inf).

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "enu/config.hpp"

namespace enu {

// ---- names -----------------------------------------------------------------------

std::string name_of(ModelSpec::Kind kind);
std::string name_of(const std::string& name);
template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
std::string name_of(E value) {
  return to_string(value);
}

// ---- formatting ------------------------------------------------------------------

/// Shortest decimal that reads back to exactly `value`, so files stay readable
/// ("0.02", not "0.0199999996") and round trips stay exact.
template <class F>
std::string shortest(F value) {
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, result.ptr);
}

std::string show(int v);
std::string show(uint64_t v);
std::string show(float v);
std::string show(double v);
std::string show(bool v);
std::string show(const std::string& v);
std::string show(const std::vector<int>& row);
std::string show(const std::vector<std::vector<int>>& table);
template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
std::string show(E v) {
  return name_of(v);
}

/// A node as the user wrote it, short enough for one message.
std::string show_node(const YAML::Node& node);

// ---- bounds ----------------------------------------------------------------------

/// An interval for a numeric field; open or closed at each end.
struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;

  bool contains(double v) const { return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi); }
  /// "in [0, 1)", "> 0", "<= 5", or "" when unbounded.
  std::string describe() const;
};

Bounds at_least(double lo);
Bounds above(double lo);
Bounds closed(double lo, double hi);
Bounds open(double lo, double hi);
Bounds half_open(double lo, double hi);

// ---- scalars ---------------------------------------------------------------------

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, uint64_t>) return "an unsigned 64-bit integer";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else return "a number";
}

/// True when `s` is non-empty and made only of the characters in `allowed`.
bool all_of_chars(const std::string& s, const char* allowed);

/// Parses a plain scalar into `out`; false when the text is not a T.
bool parse_scalar(const std::string& s, int& out);
bool parse_scalar(const std::string& s, uint64_t& out);
bool parse_scalar(const std::string& s, float& out);
bool parse_scalar(const std::string& s, double& out);
bool parse_scalar(const std::string& s, bool& out);

}  // namespace enu
