// The value vocabulary of configuration files: the names of the enum settings,
// how values are shown, bounds, and the strict parsing of plain scalars.
#include "config_values.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace enu {

const char* to_string(BackendKind kind) {
  switch (kind) {
    case BackendKind::automatic: return "auto";
    case BackendKind::cpu: return "cpu";
    case BackendKind::reference: return "reference";
    case BackendKind::cuda: return "cuda";
  }
  return "?";
}

const char* to_string(Shaping shaping) {
  switch (shaping) {
    case Shaping::pareto: return "pareto";
    case Shaping::centred_ranks: return "centred_ranks";
  }
  return "?";
}

const char* to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd: return "sgd";
    case OptimizerKind::adam: return "adam";
  }
  return "?";
}

const char* to_string(NonFinitePolicy policy) {
  switch (policy) {
    case NonFinitePolicy::worst: return "worst";
    case NonFinitePolicy::abort: return "abort";
  }
  return "?";
}

const char* to_string(UpdateDevice device) {
  switch (device) {
    case UpdateDevice::automatic: return "auto";
    case UpdateDevice::host: return "host";
    case UpdateDevice::cuda: return "cuda";
  }
  return "?";
}

const char* to_string(CudaPath path) {
  switch (path) {
    case CudaPath::automatic: return "auto";
    case CudaPath::fused: return "fused";
    case CudaPath::fused_v2: return "fused_v2";
    case CudaPath::layered: return "layered";
  }
  return "?";
}

const char* to_string(CudaPrecision precision) {
  switch (precision) {
    case CudaPrecision::fp32: return "fp32";
    case CudaPrecision::tf32: return "tf32";
    case CudaPrecision::tf32x3: return "tf32x3";
  }
  return "?";
}

const char* to_string(IafCurrentDraw draw) {
  switch (draw) {
    case IafCurrentDraw::per_window: return "per_window";
    case IafCurrentDraw::per_step: return "per_step";
  }
  return "?";
}

const char* to_string(IafScoring scoring) {
  switch (scoring) {
    case IafScoring::enu: return "enu";
    case IafScoring::published: return "published";
  }
  return "?";
}

const char* to_string(MazeRules rules) {
  switch (rules) {
    case MazeRules::published: return "published";
    case MazeRules::forgiving: return "forgiving";
  }
  return "?";
}

const char* to_string(MazeLayout layout) {
  switch (layout) {
    case MazeLayout::east_corridor: return "east_corridor";
    case MazeLayout::north_corridor: return "north_corridor";
  }
  return "?";
}

const char* to_string(MazeActions actions) {
  switch (actions) {
    case MazeActions::absolute: return "absolute";
    case MazeActions::egocentric: return "egocentric";
  }
  return "?";
}

std::string name_of(ModelSpec::Kind kind) { return kind == ModelSpec::Kind::cell ? "cell" : "network"; }
std::string name_of(const std::string& name) { return name; }

// ---- formatting ------------------------------------------------------------------

std::string show(int v) { return std::to_string(v); }
std::string show(uint64_t v) { return std::to_string(v); }
std::string show(float v) { return shortest(v); }
std::string show(double v) { return shortest(v); }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(const std::string& v) { return "\"" + v + "\""; }
std::string show(const std::vector<int>& row) {
  std::string s = "[";
  for (size_t i = 0; i < row.size(); ++i) s += (i ? ", " : "") + std::to_string(row[i]);
  return s + "]";
}
std::string show(const std::vector<std::vector<int>>& table) {
  std::string s = "[";
  for (size_t i = 0; i < table.size(); ++i) s += (i ? ", " : "") + show(table[i]);
  return s + "]";
}

std::string show_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(empty)";
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  YAML::Emitter out;
  out << YAML::Flow << node;
  std::string s = out.c_str();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// ---- bounds ----------------------------------------------------------------------

std::string Bounds::describe() const {
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi)
    return std::string("in ") + (lo_open ? "(" : "[") + shortest(lo) + ", " + shortest(hi) + (hi_open ? ")" : "]");
  if (has_lo) return (lo_open ? "> " : ">= ") + shortest(lo);
  if (has_hi) return (hi_open ? "< " : "<= ") + shortest(hi);
  return "";
}

Bounds at_least(double lo) { return {lo, Bounds{}.hi, false, false}; }
Bounds above(double lo) { return {lo, Bounds{}.hi, true, false}; }
Bounds closed(double lo, double hi) { return {lo, hi, false, false}; }
Bounds open(double lo, double hi) { return {lo, hi, true, true}; }
Bounds half_open(double lo, double hi) { return {lo, hi, false, true}; }

// ---- scalars ---------------------------------------------------------------------

bool all_of_chars(const std::string& s, const char* allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string::npos;
}

// Stricter than yaml-cpp's own conversions: no hex, no 1.0 for an int, no nan or inf.
bool parse_scalar(const std::string& s, int& out) {
  if (!all_of_chars(s, "+-0123456789")) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || errno || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    return false;
  out = int(v);
  return true;
}
bool parse_scalar(const std::string& s, uint64_t& out) {
  if (!all_of_chars(s, "+0123456789")) return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (*end || errno) return false;
  out = uint64_t(v);
  return true;
}
namespace {

template <class F>
bool parse_float(const std::string& s, F& out) {
  if (!all_of_chars(s, "+-.0123456789eE")) return false;
  errno = 0;
  char* end = nullptr;
  const F v = std::is_same_v<F, float> ? F(std::strtof(s.c_str(), &end)) : F(std::strtod(s.c_str(), &end));
  if (*end || !std::isfinite(v) || (errno == ERANGE && v != 0)) return false;
  out = v;
  return true;
}

}  // namespace

bool parse_scalar(const std::string& s, float& out) { return parse_float(s, out); }
bool parse_scalar(const std::string& s, double& out) { return parse_float(s, out); }
bool parse_scalar(const std::string& s, bool& out) {
  if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  return false;
}

}  // namespace enu
