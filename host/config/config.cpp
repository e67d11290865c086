// Run configuration: YAML in, every key checked, YAML out.
//
// Each settings struct is described once, by a `fields(visitor, struct)` function
// that names every key with its bounds and a one-line doc. Two visitors walk
// those descriptions: Reader (YAML -> struct, with validation) and Writer (struct
// -> commented YAML), so a key cannot be read but not written, or the reverse.
#include "enu/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include "suggest.hpp"
#include "enu/task_table.hpp"

#include "enu/maze_tasks.hpp"

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
    case CudaPath::layered: return "layered";
  }
  return "?";
}

namespace {

std::string name_of(ModelSpec::Kind kind) { return kind == ModelSpec::Kind::cell ? "cell" : "network"; }
std::string name_of(const std::string& name) { return name; }
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
template <class E, class = std::enable_if_t<std::is_enum_v<E>>>
std::string show(E v) {
  return name_of(v);
}

/// A node as the user wrote it, short enough for one message.
std::string show_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(empty)";
  if (node.IsScalar()) return "\"" + node.Scalar() + "\"";
  YAML::Emitter out;
  out << YAML::Flow << node;
  std::string s = out.c_str();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// ---- bounds ----------------------------------------------------------------------

/// An interval for a numeric field; open or closed at each end.
struct Bounds {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;

  bool contains(double v) const {
    return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
  std::string describe() const {
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi)
      return std::string("in ") + (lo_open ? "(" : "[") + shortest(lo) + ", " + shortest(hi) +
             (hi_open ? ")" : "]");
    if (has_lo) return (lo_open ? "> " : ">= ") + shortest(lo);
    if (has_hi) return (hi_open ? "< " : "<= ") + shortest(hi);
    return "";
  }
};

Bounds at_least(double lo) { return {lo, Bounds{}.hi, false, false}; }
Bounds above(double lo) { return {lo, Bounds{}.hi, true, false}; }
Bounds closed(double lo, double hi) { return {lo, hi, false, false}; }
Bounds open(double lo, double hi) { return {lo, hi, true, true}; }
Bounds half_open(double lo, double hi) { return {lo, hi, false, true}; }

// ---- scalars ---------------------------------------------------------------------

template <class T>
const char* type_name() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, std::string>) return "a string";
  else if constexpr (std::is_same_v<T, uint64_t>) return "an unsigned 64-bit integer";
  else if constexpr (std::is_integral_v<T>) return "an integer";
  else return "a number";
}

bool all_of_chars(const std::string& s, const char* allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string::npos;
}

/// Parses a plain scalar into `out`; false when the text is not a T. Stricter
/// than yaml-cpp's own conversions: no hex, no 1.0 for an int, no nan or inf.
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
bool parse_scalar(const std::string& s, float& out) { return parse_float(s, out); }
bool parse_scalar(const std::string& s, double& out) { return parse_float(s, out); }
bool parse_scalar(const std::string& s, bool& out) {
  if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  return false;
}

// ---- context: where a key came from ------------------------------------------------

/// The YAML tree being read, its source name, and which paths overrides wrote, so
/// that each message can point at "file:line" or at the `--set` responsible.
class Context {
 public:
  Context(std::string source, YAML::Node root) : source_(std::move(source)), root_(std::move(root)) {}

  YAML::Node& root() { return root_; }
  void mark_override(const std::string& path, const std::string& text) { overrides_[path] = text; }

  /// "--set k=v" when an override wrote `path` or a section above it; else
  /// "source:line" of the key (or of its nearest ancestor when the key is absent).
  std::string where(const std::string& path, const YAML::Mark* mark = nullptr) const {
    for (size_t end = path.size(); end > 0; --end) {
      if (end != path.size() && path[end] != '.' && path[end] != '[') continue;
      const auto it = overrides_.find(path.substr(0, end));
      if (it != overrides_.end()) return "--set " + it->second;
    }
    if (mark && !mark->is_null()) return source_ + ":" + std::to_string(mark->line + 1);
    YAML::Mark found = YAML::Mark::null_mark();
    YAML::Node node;
    node.reset(root_);
    size_t pos = 0;
    while (pos < path.size()) {
      YAML::Node next(YAML::NodeType::Undefined);
      if (path[pos] == '[') {
        const size_t close = path.find(']', pos);
        const size_t index = std::stoul(path.substr(pos + 1, close - pos - 1));
        pos = close + 1;
        if (!node.IsSequence() || index >= node.size()) break;
        const YAML::Node& seq = node;
        next.reset(seq[index]);
        found = next.Mark();
      } else {
        if (path[pos] == '.') ++pos;
        const size_t end = std::min(path.find('.', pos), path.find('[', pos));
        const std::string key = path.substr(pos, end - pos);
        pos = end == std::string::npos ? path.size() : end;
        if (!node.IsMap()) break;
        for (auto it = node.begin(); it != node.end(); ++it)
          if (it->first.IsScalar() && it->first.Scalar() == key) {
            next.reset(it->second);
            found = it->first.Mark();  // the key's line: a block map's value starts below it
            break;
          }
      }
      if (!next.IsDefined()) break;
      node.reset(next);
    }
    return found.is_null() ? source_ : source_ + ":" + std::to_string(found.line + 1);
  }

  [[noreturn]] void fail(const std::string& path, const std::string& problem, const std::string& allowed,
                         const YAML::Mark* mark = nullptr) const {
    throw Error(where(path, mark) + ": " + path + ": " + problem + "; allowed: " + allowed);
  }

 private:
  std::string source_;
  YAML::Node root_;
  std::map<std::string, std::string> overrides_;  // path -> override text
};

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() || key.empty() || key[0] == '[' ? path + key : path + "." + key;
}

// ---- reader ------------------------------------------------------------------------

/// Reads one YAML map into a struct, checking type and bounds of every field and
/// rejecting keys that no field claims.
class Reader {
 public:
  Reader(const Context& ctx, YAML::Node node, std::string path)
      : ctx_(ctx), node_(std::move(node)), path_(std::move(path)) {}

  template <class T>
  void field(const std::string& key, T& value, const char* /*doc*/, const Bounds& bounds = {}) {
    const YAML::Node node = claim(key);
    if (!node.IsDefined()) return;
    const std::string path = join_path(path_, key);
    std::string allowed = type_name<T>();
    if (!bounds.describe().empty()) allowed += " " + bounds.describe();
    if constexpr (std::is_same_v<T, std::string>) {
      if (!node.IsScalar()) ctx_.fail(path, wrong_kind(node, type_name<T>()), allowed);
      value = node.Scalar();
    } else {
      T parsed{};
      if (!node.IsScalar() || node.Tag() == "!" || !parse_scalar(node.Scalar(), parsed))
        ctx_.fail(path, wrong_kind(node, type_name<T>()), allowed);
      if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
        if (!bounds.contains(double(parsed))) ctx_.fail(path, show(parsed) + " is out of range", allowed);
      value = parsed;
    }
  }

  /// `model.network.topology.pre`: a list of lists of integers (bounds checked by
  /// the caller, which knows inputs, neurons and fan_in).
  void field(const std::string& key, std::vector<std::vector<int>>& table, const char* /*doc*/) {
    const YAML::Node node = claim(key);
    if (!node.IsDefined()) return;
    const std::string path = join_path(path_, key);
    const char* allowed = "a list with one list of source indices per neuron, e.g. [[0, 1], [1, 2]]";
    if (!node.IsSequence()) ctx_.fail(path, wrong_kind(node, "a list of lists"), allowed);
    table.assign(node.size(), {});
    for (size_t r = 0; r < node.size(); ++r) {
      const YAML::Node row = node[r];
      const std::string row_path = path + "[" + std::to_string(r) + "]";
      if (!row.IsSequence()) ctx_.fail(row_path, wrong_kind(row, "a list"), allowed);
      for (size_t k = 0; k < row.size(); ++k) {
        int v = 0;
        const YAML::Node entry = row[k];
        if (!entry.IsScalar() || entry.Tag() == "!" || !parse_scalar(entry.Scalar(), v))
          ctx_.fail(row_path + "[" + std::to_string(k) + "]", wrong_kind(entry, "an integer"),
                    "integer source indices");
        table[r].push_back(v);
      }
    }
  }

  /// One of a fixed set of names (an enum, or the task name).
  template <class E>
  void choice(const std::string& key, E& value, const std::vector<E>& options, const char* /*doc*/) {
    const YAML::Node node = claim(key);
    if (!node.IsDefined()) return;
    std::vector<std::string> names;
    for (const E& o : options) names.push_back(name_of(o));
    const std::string path = join_path(path_, key);
    const std::string allowed = "one of " + join(names, ", ");
    if (!node.IsScalar()) ctx_.fail(path, wrong_kind(node, "a name"), allowed);
    const auto it = std::find(names.begin(), names.end(), node.Scalar());
    if (it == names.end()) {
      const std::string near = closest(node.Scalar(), names);
      ctx_.fail(path, show_node(node) + " is not a valid value" + (near.empty() ? "" : " (did you mean " + near + "?)"),
                allowed);
    }
    value = options[size_t(it - names.begin())];
  }

  template <class Body>
  void section(const std::string& key, const char* /*doc*/, Body&& body) {
    const YAML::Node node = claim(key);
    const std::string path = join_path(path_, key);
    if (node.IsDefined() && !node.IsNull() && !node.IsMap())
      ctx_.fail(path, wrong_kind(node, "a section (a map of keys)"), "a map of keys");
    // An empty or absent section reads as all defaults.
    Reader sub(ctx_, node.IsMap() ? node : YAML::Node(YAML::NodeType::Map), path);
    body(sub);
    sub.finish();
  }

  /// A known key that must not be given in this configuration.
  void absent(const std::string& key, const std::string& reason, const std::string& allowed) {
    const YAML::Node node = claim(key);
    if (node.IsDefined()) ctx_.fail(join_path(path_, key), reason, allowed);
  }

  /// A check across fields, once they are read.
  template <class T>
  void require(const std::string& key, const T& value, bool ok, const std::string& allowed) {
    if (!ok) ctx_.fail(join_path(path_, key), show(value) + " is not allowed", allowed);
  }

  /// Rejects keys that no field claimed (suggesting the nearest known one) and
  /// keys given twice.
  void finish() const {
    std::vector<std::string> seen;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const YAML::Mark mark = it->first.Mark();
      if (!it->first.IsScalar())
        ctx_.fail(path_, "key " + show_node(it->first) + " is not a name", "one of " + join(known_, ", "), &mark);
      const std::string key = it->first.Scalar();
      const std::string path = join_path(path_, key);
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        ctx_.fail(path, "key \"" + key + "\" is given twice", "each key once", &mark);
      seen.push_back(key);
      if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
        const std::string near = closest(key, known_);
        ctx_.fail(path, "unknown key \"" + key + "\"" + (near.empty() ? "" : " (did you mean " + join_path(path_, near) + "?)"),
                  (path_.empty() ? std::string("top-level keys ") : "keys in " + path_ + ": ") + join(known_, ", "),
                  &mark);
      }
    }
  }

 private:
  YAML::Node claim(const std::string& key) {
    known_.push_back(key);
    const YAML::Node& map = node_;
    const YAML::Node found = map[key];  // a missing key gives an invalid node: swap in Undefined
    return found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined);
  }
  static std::string wrong_kind(const YAML::Node& node, const char* expected) {
    if (node.IsNull()) return std::string("no value given where ") + expected + " is expected";
    if (node.IsMap()) return "a map " + show_node(node) + " where " + expected + " is expected";
    if (node.IsSequence()) return "a list " + show_node(node) + " where " + expected + " is expected";
    if (node.Tag() == "!") return "a quoted string " + show_node(node) + " where " + expected + " is expected";
    int i = 0;
    double d = 0;
    if (std::string(expected) == "an integer" && !parse_scalar(node.Scalar(), i) && parse_scalar(node.Scalar(), d))
      return "a fractional number " + show_node(node) + " where an integer is expected";
    return show_node(node) + " is not " + expected;
  }

  const Context& ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

// ---- writer ------------------------------------------------------------------------

/// Emits every field with its doc and allowed range as a trailing comment.
class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}

  template <class T>
  void field(const std::string& key, const T& value, const char* doc, const Bounds& bounds = {}) {
    out_ << YAML::Key << key << YAML::Value;
    if constexpr (std::is_same_v<T, std::string>) out_ << YAML::DoubleQuoted << value;
    else if constexpr (std::is_same_v<T, std::vector<std::vector<int>>>) out_ << YAML::Flow << value;
    else out_ << show(value);
    const std::string range = bounds.describe();
    out_ << YAML::Comment(range.empty() ? doc : std::string(doc) + " (" + range + ")");
  }

  template <class E>
  void choice(const std::string& key, const E& value, const std::vector<E>& options, const char* doc) {
    std::vector<std::string> names;
    for (const E& o : options) names.push_back(name_of(o));
    out_ << YAML::Key << key << YAML::Value << name_of(value)
         << YAML::Comment(std::string(doc) + " (" + join(names, " | ") + ")");
  }

  template <class Body>
  void section(const std::string& key, const char* doc, Body&& body) {
    out_ << YAML::Key << key << YAML::Comment(doc) << YAML::Value << YAML::BeginMap;
    body(*this);
    out_ << YAML::EndMap;
  }

  void absent(const std::string&, const std::string&, const std::string&) {}
  template <class T>
  void require(const std::string&, const T&, bool, const std::string&) {}

 private:
  YAML::Emitter& out_;
};

// ---- the schema: every key, once ---------------------------------------------------

template <class V>
void fields(V& v, IafConfig& c) {
  v.field("steps", c.steps, "environment steps per lifetime", at_least(1));
  v.field("windows", c.windows, "input windows per lifetime; the current is constant within one", at_least(1));
  v.require("windows", c.windows, c.windows > 0 && c.steps % c.windows == 0,
            "a divisor of steps (" + show(c.steps) + ")");
  v.field("threshold", c.threshold, "reference neuron fires when its potential reaches this, then resets to 0",
          above(0));
  v.field("leak_tau", c.leak_tau, "leak time constant in steps; 0 = perfect integrator", at_least(0));
  v.field("current_lo", c.current_lo, "lowest base input current per step", at_least(0));
  v.field("current_hi", c.current_hi, "highest base input current per step", at_least(0));
  v.require("current_hi", c.current_hi, c.current_lo < c.current_hi, "> current_lo (" + show(c.current_lo) + ")");
  v.field("multiplier_max", c.multiplier_max, "current = uniform(lo, hi) * randint(1, multiplier_max)",
          at_least(1));
  v.field("size_penalty", c.size_penalty, "weight of the penalty on outputs that are neither 0 nor 1",
          at_least(0));
}

template <class V>
void fields(V& v, StdpConfig& c) {
  v.field("steps", c.steps, "environment steps per lifetime", at_least(1));
  v.field("potential_lo", c.potential_lo, "graded input potential ~ uniform(lo, hi), drawn every step",
          closed(0, 1));
  v.field("potential_hi", c.potential_hi, "upper end of the graded potential", closed(0, 1));
  v.require("potential_hi", c.potential_hi, c.potential_lo < c.potential_hi,
            "> potential_lo (" + show(c.potential_lo) + ")");
  v.field("spike_mean", c.spike_mean, "mean step of the pre and post spikes", at_least(0));
  v.require("spike_mean", c.spike_mean, c.spike_mean < float(c.steps), "< steps (" + show(c.steps) + ")");
  v.field("spike_std", c.spike_std, "std (steps) of the spike times; they are never equal", above(0));
  v.field("modulator_probability", c.modulator_probability, "P(neuromodulator = 1) per lifetime",
          closed(0, 1));
  v.field("amplitude", c.amplitude, "A: peak weight change", above(0));
  v.field("tau", c.tau, "decay (steps) of the window; with the neuromodulator present for stdp_complex",
          above(0));
  v.field("period", c.period, "stdp_complex without neuromodulator: period (steps) of cos^2(pi dt / period)",
          above(0));
  v.field("tau_absent", c.tau_absent, "stdp_complex without neuromodulator: decay (steps) of the window",
          above(0));
}

template <class V>
void fields(V& v, MazeConfig& c) {
  v.field("steps", c.steps, "environment steps per lifetime", at_least(1));
  v.field("corridor_length", c.corridor_length, "forward moves from the start to the (first) junction", at_least(1));
  v.field("arm_length", c.arm_length,
          "forward moves from a junction to an end (tmaze) or to a second junction (double_tmaze)", at_least(2));
  v.field("end_length", c.end_length, "double_tmaze: forward moves from a second junction to each of its ends",
          at_least(1));
  v.field("food_reward", c.food_reward, "reward for reaching the food end");
  v.field("poison_reward", c.poison_reward, "reward for reaching the poison end (the agent always senses it)");
  v.field("swap_poison_reward", c.swap_poison_reward,
          "fitness for the first poison after a swap, before any other item; 0 = not penalised");
  v.field("energy_start", c.energy_start, "energy at the start of a lifetime", above(0));
  v.field("energy_restore", c.energy_restore, "energy after eating food", above(0));
  v.field("energy_per_step", c.energy_per_step,
          "energy spent by every step that does not eat food; at <= 0 the lifetime ends", at_least(0));
  v.field("alive_bonus", c.alive_bonus, "fitness per step alive");
  v.field("swap_every", c.swap_every, "food items between two chances of a swap", at_least(1));
  v.field("swap_probability", c.swap_probability,
          "P(swap) at each chance: the poison takes the food end, the food a random other end", closed(0, 1));
  v.field("poisons_to_die", c.poisons_to_die, "poisons in a row (no food between) that end the lifetime; 0 = never",
          at_least(0));
  v.field("permute_inputs", c.permute_inputs, "permute the three observation inputs per lifetime");
  v.field("balanced_orders", c.balanced_orders,
          "take the six input orders in turn (lifetime k of generation g: order (k + g) mod 6) instead of "
          "drawing them");
  v.require("balanced_orders", c.balanced_orders, !c.balanced_orders || c.permute_inputs,
            "false when permute_inputs is false");
}

template <class V>
void fields(V& v, FunctionConfig& c) {
  v.field("dimension", c.dimension, "number of coordinates", at_least(1));
  v.field("initial_value", c.initial_value, "every coordinate of the starting centre");
}

template <class V>
void fields(V& v, TaskConfig& c) {
  std::vector<std::string> names;
  for (const TaskEntry& t : task_table()) names.push_back(t.name);
  v.choice("name", c.name, names, "which task to evolve");
  const TaskEntry& task = task_entry(c.name);
  // Only the chosen task's section may be given: settings for another task would
  // be silently ignored otherwise.
  const auto part = [&](const std::string& section, const char* doc, auto& settings) {
    std::vector<std::string> users;
    for (const TaskEntry& t : task_table())
      if (section == t.section) users.push_back(t.name);
    if (section == task.section)
      v.section(section, doc, [&](auto& s) { fields(s, settings); });
    else
      v.absent(section, "this section is for task " + join(users, " or ") + ", but task.name is " + c.name,
               "task." + std::string(task.section) + " for task " + c.name);
  };
  part("iaf", "settings of the iaf task", c.iaf);
  part("stdp", "settings of the stdp and stdp_complex tasks", c.stdp);
  part("maze", "settings of the tmaze and double_tmaze tasks", c.maze);
  part("function", "settings of the sphere and rastrigin tasks", c.function);
}

const std::vector<CellKind> kCellKinds = {CellKind::enu, CellKind::nfenu, CellKind::gru, CellKind::lstm};

template <class V>
void fields(V& v, CellSpec& c) {
  v.choice("type", c.kind, kCellKinds, "cell kind");
  v.field("inputs", c.inputs, "I: input channels", at_least(1));
  v.field("memory", c.memory, "M: memory cells", at_least(1));
  v.field("outputs", c.outputs, "O: output channels", at_least(1));
  v.field("spiking", c.spiking, "spike mode: output = clamp(1000 * (W_o [h;1]), 0, 1)");
}

template <class V>
void fields(V& v, TopologyConfig& c) {
  v.field("inputs", c.inputs, "sensory input sources (sources 0 .. inputs-1)", at_least(1));
  v.field("neurons", c.neurons, "neurons (sources inputs .. inputs+neurons-1)", at_least(1));
  v.field("outputs", c.outputs, "read-out neurons: the last `outputs` neurons", at_least(1));
  v.require("outputs", c.outputs, c.outputs <= c.neurons, "<= neurons (" + show(c.neurons) + ")");
  v.field("fan_in", c.fan_in, "K: incoming synapses per neuron", at_least(1));
  const int sources = c.inputs + c.neurons;
  v.require("fan_in", c.fan_in, c.fan_in <= sources, "<= inputs + neurons (" + show(sources) + ")");
  v.field("random_seed", c.random_seed, "seed of the random fan-in wiring, used when pre is empty");
  v.field("pre", c.pre, "explicit wiring: one list of fan_in source indices per neuron; [] = random");
  if (c.pre.empty()) return;
  v.require("pre", c.pre, int(c.pre.size()) == c.neurons,
            "exactly neurons (" + show(c.neurons) + ") rows, or [] for random wiring");
  for (size_t r = 0; r < c.pre.size(); ++r) {
    const std::string row = "pre[" + std::to_string(r) + "]";
    v.require(row, c.pre[r], int(c.pre[r].size()) == c.fan_in, "exactly fan_in (" + show(c.fan_in) + ") sources");
    for (size_t k = 0; k < c.pre[r].size(); ++k)
      v.require(row + "[" + std::to_string(k) + "]", c.pre[r][k], c.pre[r][k] >= 0 && c.pre[r][k] < sources,
                "source indices in [0, inputs + neurons) = [0, " + show(sources) + ")");
  }
}

template <class V>
void fields(V& v, NetworkSpec& c, TopologyConfig& topology) {
  v.field("channels", c.channels, "C: channels of every signal between cells", at_least(1));
  v.field("memory", c.memory, "M of every cell", at_least(1));
  v.choice("synapse", c.synapse_kind, kCellKinds, "cell kind of the synapses");
  v.choice("neuron", c.neuron_kind, kCellKinds, "cell kind of the neurons");
  v.field("shared", c.shared, "SHARED ablation: one parameter set for synapses and neurons");
  v.require("shared", c.shared, !c.shared || c.synapse_kind == c.neuron_kind,
            "true only when synapse and neuron are the same cell kind (here " +
                std::string(to_string(c.synapse_kind)) + " and " + to_string(c.neuron_kind) + ")");
  v.field("ticks_per_step", c.ticks_per_step, "network ticks per environment step", at_least(1));
  v.field("output_noise", c.output_noise, "std of the N(0,1) noise added to neuron outputs", at_least(0));
  v.field("spiking", c.spiking, "neuron outputs in spike mode");
  v.section("topology", "who feeds whom", [&](auto& s) { fields(s, topology); });
}

template <class V>
void fields(V& v, ModelConfig& c) {
  v.choice("kind", c.kind, {ModelSpec::Kind::cell, ModelSpec::Kind::network},
           "a single cell, or a network of cells");
  if (c.kind == ModelSpec::Kind::cell) {
    v.section("cell", "the single cell", [&](auto& s) { fields(s, c.cell); });
    v.absent("network", "given, but model.kind is cell", "model.network only with model.kind network");
  } else {
    v.absent("cell", "given, but model.kind is network", "model.cell only with model.kind cell");
    v.section("network", "the network of cells", [&](auto& s) { fields(s, c.network, c.topology); });
  }
}

template <class V>
void fields(V& v, EsConfig& c) {
  v.field("population", c.population, "P: members per generation; even, as they come in mirrored pairs", at_least(2));
  v.require("population", c.population, c.population % 2 == 0, "an even integer >= 2 (mirrored pairs)");
  v.field("lifetimes", c.lifetimes, "E: lifetimes per member; fitness is their mean", at_least(1));
  v.field("sigma", c.sigma, "noise std of the perturbations", above(0));
  v.field("sigma_decay", c.sigma_decay, "sigma_g = max(sigma_min, sigma * sigma_decay^g)", Bounds{0, 1, true, false});
  v.field("sigma_min", c.sigma_min, "floor of the decayed sigma", at_least(0));
  v.require("sigma_min", c.sigma_min, c.sigma_min <= c.sigma, "<= sigma (" + show(c.sigma) + ")");
  v.choice("shaping", c.shaping, {Shaping::pareto, Shaping::centred_ranks},
           "fitness shaping: pareto = (rank/P)^exponent normalised; centred_ranks in [-0.5, 0.5]");
  v.field("pareto_exponent", c.pareto_exponent, "exponent of the pareto shaping", above(0));
  v.choice("optimizer", c.optimizer, {OptimizerKind::sgd, OptimizerKind::adam}, "update rule");
  v.field("learning_rate", c.learning_rate, "step size", above(0));
  v.field("momentum", c.momentum, "sgd momentum", half_open(0, 1));
  v.field("beta1", c.beta1, "adam first-moment decay", open(0, 1));
  v.field("beta2", c.beta2, "adam second-moment decay", open(0, 1));
  v.field("epsilon", c.epsilon, "adam denominator offset", above(0));
  v.field("weight_decay", c.weight_decay, "theta <- theta - lr * weight_decay * theta", at_least(0));
  v.choice("nonfinite", c.nonfinite, {NonFinitePolicy::worst, NonFinitePolicy::abort},
           "non-finite fitness: worst = rank last and warn; abort = stop the run");
  v.field("max_nonfinite_fraction", c.max_nonfinite_fraction,
          "more non-finite members than this fraction stops the run", closed(0, 1));
}

template <class V>
void fields(V& v, RunSettings& c) {
  v.field("seed", c.seed, "run seed: noise, initial weights and environments derive from it");
  v.field("generations", c.generations, "generations to run", at_least(1));
  v.field("max_minutes", c.max_minutes, "wall-clock limit in minutes; 0 = none", at_least(0));
  v.field("checkpoint_every", c.checkpoint_every, "generations between checkpoint writes", at_least(1));
  v.choice("backend", c.backend,
           {BackendKind::automatic, BackendKind::cpu, BackendKind::reference, BackendKind::cuda},
           "evaluation backend; auto = cuda when a GPU is present, else cpu");
  v.choice("es_update", c.es_update, {UpdateDevice::automatic, UpdateDevice::host, UpdateDevice::cuda},
           "where the ES update runs: auto = cuda when the cuda backend evaluates, else host");
  v.choice("cuda_path", c.cuda_path, {CudaPath::automatic, CudaPath::fused, CudaPath::layered},
           "networks on the cuda backend: fused = one kernel, a block per lifetime; layered = cuBLAS GEMMs per gate "
           "layer over all lifetimes; auto = layered above 512 synapses");
  v.field("cuda_tf32", c.cuda_tf32, "layered path: let cuBLAS use TF32 tensor cores (faster, ~1e-3 relative error)");
  v.field("threads", c.threads, "CPU worker threads; 0 = all cores", at_least(0));
  v.field("out_dir", c.out_dir, "run folder; \"\" = runs/<name>");
  v.field("init_from", c.init_from,
          "a checkpoint (.npz) of a model with the same parameters: its centre starts this run (generation 0, fresh "
          "optimizer state); \"\" = the model's initialisation");
  v.field("eval_lifetimes", c.eval_lifetimes, "fresh lifetimes for the final evaluation", at_least(1));
  v.field("validation_lifetimes", c.validation_lifetimes,
          "> 0: at every checkpoint the centre is evaluated on this many fixed validation lifetimes and the best "
          "checkpoint keeps the best of those; 0: the best centre fitness of a generation's own lifetimes",
          at_least(0));
  v.field("mpi_timeout_seconds", c.mpi_timeout_seconds,
          "MPI runs: a rank whose evaluation of its slice, or whose wait in the fitness exchange, exceeds this "
          "aborts the whole job naming itself; 0 = no watchdog",
          at_least(0));
}

template <class V>
void fields(V& v, RunConfig& c) {
  v.field("name", c.name, "run name, used for the run folder");
  v.require("name", c.name, all_of_chars(c.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."),
            "a non-empty name of letters, digits, '_', '-' and '.'");
  v.section("task", "what is evolved for", [&](auto& s) { fields(s, c.task); });
  v.section("model", "what evolution shapes", [&](auto& s) { fields(s, c.model); });
  v.section("es", "evolution strategy", [&](auto& s) { fields(s, c.es); });
  v.section("run", "run control", [&](auto& s) { fields(s, c.run); });

  // Task and model must fit each other; checked once both are read.
  const TaskEntry& task = task_entry(c.task.name);
  const bool network = c.model.kind == ModelSpec::Kind::network;
  v.require("model.kind", c.model.kind, !(network && task.model == ModelNeed::none),
            "cell (or no model section): task " + c.task.name + " takes no model");
  v.require("model.kind", c.model.kind, !(network && task.model == ModelNeed::cell),
            "cell for task " + c.task.name + "; network models need a network task such as tmaze or double_tmaze");
  if (task.model == ModelNeed::cell)
    v.require("model.cell.inputs", c.model.cell.inputs, c.model.cell.inputs >= task.min_inputs,
              ">= " + std::to_string(task.min_inputs) + " for task " + c.task.name + " (its observation channels)");
  if (task.model != ModelNeed::agent) return;
  if (!network) {  // a single recurrent agent: the whole observation in, one output per action
    const int values = kMazeSources * kMazeChannels;
    v.require("model.cell.inputs", c.model.cell.inputs, c.model.cell.inputs == values,
              "exactly " + show(values) + " for a single-cell agent in task " + c.task.name + " (" +
                  show(kMazeSources) + " inputs x " + show(kMazeChannels) + " channels, read as one vector)");
    v.require("model.cell.outputs", c.model.cell.outputs, c.model.cell.outputs == kMazeActions,
              "exactly " + show(kMazeActions) + " for a single-cell agent in task " + c.task.name +
                  " (forward, turn left, turn right)");
    return;
  }
  v.require("model.network.topology.inputs", c.model.topology.inputs, c.model.topology.inputs == task.min_inputs,
            "exactly " + show(task.min_inputs) + " for task " + c.task.name +
                " (three observation inputs and the reward input)");
  v.require("model.network.topology.outputs", c.model.topology.outputs, c.model.topology.outputs == kMazeActions,
            "exactly " + show(kMazeActions) + " for task " + c.task.name + " (forward, turn left, turn right)");
  v.require("model.network.channels", c.model.network.channels, c.model.network.channels >= kMazeChannels,
            ">= " + show(kMazeChannels) + " for task " + c.task.name + " (the reward input uses channels 1 and 2)");
}

// ---- loading -----------------------------------------------------------------------

YAML::Node load_yaml(const std::string& text, const std::string& where_prefix, bool is_file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error((is_file ? where_prefix + ":" + std::to_string(e.mark.line + 1) : where_prefix) +
                ": YAML syntax error: " + e.msg);
  }
}

/// Writes each "dotted.key=value" into the tree. A null value (`key=`, `key=~`)
/// removes the key, so it takes its default.
void apply_overrides(Context& ctx, const std::vector<std::string>& overrides) {
  for (const std::string& text : overrides) {
    const std::string where = "--set " + text;
    const size_t eq = text.find('=');
    const std::string key = text.substr(0, eq);
    if (eq == std::string::npos || key.empty() || key.front() == '.' || key.back() == '.' ||
        key.find("..") != std::string::npos)
      throw Error(where + ": expected section.key=value, e.g. es.sigma=0.02");
    const YAML::Node value = load_yaml(text.substr(eq + 1), where, false);
    if (ctx.root().IsNull() || !ctx.root().IsDefined()) ctx.root() = YAML::Node(YAML::NodeType::Map);
    if (!ctx.root().IsMap()) throw Error(where + ": the configuration's top level is not a map of sections");

    YAML::Node node;
    node.reset(ctx.root());
    std::string path;
    size_t pos = 0;
    for (;;) {
      const size_t dot = key.find('.', pos);
      const std::string segment = key.substr(pos, dot - pos);
      path = join_path(path, segment);
      if (dot == std::string::npos) {
        if (value.IsNull()) node.remove(segment);
        else node[segment] = value;
        ctx.mark_override(path, text);
        break;
      }
      YAML::Node child = node[segment];
      if (!child.IsDefined() || child.IsNull()) {
        node[segment] = YAML::Node(YAML::NodeType::Map);
        ctx.mark_override(path, text);
      } else if (!child.IsMap()) {
        throw Error(where + ": " + path + " is a value " + show_node(child) + ", not a section; allowed: " +
                    "a key path through sections, e.g. es.sigma");
      }
      node.reset(node[segment]);
      pos = dot + 1;
    }
  }
}

}  // namespace

RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides) {
  Context ctx(source, load_yaml(yaml_text, source, true));
  apply_overrides(ctx, overrides);
  const YAML::Node& root = ctx.root();
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    throw Error(source + ": the top level must be a map of sections (name, task, model, es, run); got " +
                show_node(root));
  RunConfig config;
  Reader reader(ctx, root.IsMap() ? root : YAML::Node(YAML::NodeType::Map), "");
  fields(reader, config);
  reader.finish();
  return config;
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

std::string to_yaml(const RunConfig& config) {
  RunConfig copy = config;  // the visitors take mutable structs; writing changes nothing
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("enu run configuration, fully resolved") << YAML::BeginMap;
  Writer writer(out);
  fields(writer, copy);
  out << YAML::EndMap;
  if (!out.good()) throw Error("to_yaml: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

ModelSpec RunConfig::model_spec() const {
  ModelSpec spec;
  spec.kind = model.kind;
  if (model.kind == ModelSpec::Kind::cell) {
    spec.cell = model.cell;
    return spec;
  }
  const TopologyConfig& t = model.topology;
  spec.network = model.network;
  spec.network.topology = t.pre.empty()
                              ? random_topology(t.inputs, t.neurons, t.outputs, t.fan_in, t.random_seed)
                              : topology_from_table(t.inputs, t.outputs, t.pre, "model.network.topology.pre");
  return spec;
}

}  // namespace enu
