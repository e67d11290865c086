#pragma once
// The field machinery of configuration files: a settings struct is described
// once, by a `fields(visitor, struct)` function that names every key with its
// bounds and a one-line doc. Two visitors walk those descriptions: Reader (YAML
// -> struct, with validation and file:line messages) and Writer (struct ->
// commented YAML), so a key cannot be read but not written, or the reverse.
//
// A visitor `v` offers:
//   v.field(key, value, doc[, bounds])     a scalar, a list of strings, an optional, or topology.pre
//   v.choice(key, value, options, doc)     one of a fixed set of names
//   v.section(key, doc, body)              a map of keys, read by body(sub-visitor)
//   v.absent(key, problem, allowed)        a known key that must not be given here
//   v.require(key, value, ok, allowed)     a cross-check: "<value> is not allowed" when !ok
//   v.check(key, ok, problem, allowed)     a cross-check with its own wording of the problem
// The Reader also reads sections whose keys the user names (`named`).
//
// Run configs (config_schema.cpp) and comparison files (analysis/compare.cpp) are
// both described this way.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "config_values.hpp"
#include "enu/common.hpp"
#include "enu/config.hpp"
#include "suggest.hpp"

namespace enu {

/// "a.b" + "c" -> "a.b.c"; "a.b" + "[2]" -> "a.b[2]".
std::string join_path(const std::string& path, const std::string& key);

// ---- context: where a key came from ------------------------------------------------

/// The YAML tree being read, its source name, and which paths overrides wrote, so
/// that each message can point at "file:line" or at the `--set` responsible.
class Context {
 public:
  Context(std::string source, YAML::Node root) : source_(std::move(source)), root_(std::move(root)) {}

  const std::string& source() const { return source_; }
  YAML::Node& root() { return root_; }
  void mark_override(const std::string& path, const std::string& text) { overrides_[path] = text; }

  /// "--set k=v" when an override wrote `path` or a section above it; else
  /// "source:line" of the key (or of its nearest ancestor when the key is absent).
  std::string where(const std::string& path, const YAML::Mark* mark = nullptr) const;

  /// Throws "<where>: <path>: <problem>; allowed: <allowed>" (no "; allowed"
  /// part when `allowed` is empty: a problem that already names what is allowed).
  [[noreturn]] void fail(const std::string& path, const std::string& problem, const std::string& allowed,
                         const YAML::Mark* mark = nullptr) const;

 private:
  std::string source_;
  YAML::Node root_;
  std::map<std::string, std::string> overrides_;  // path -> override text
};

/// Parses YAML text; a syntax error names `where_prefix` (with the line when the
/// text is a file's).
YAML::Node load_yaml(const std::string& text, const std::string& where_prefix, bool is_file);

/// Writes each "dotted.key=value" into the tree. A null value (`key=`, `key=~`)
/// removes the key, so it takes its default.
void apply_overrides(Context& ctx, const std::vector<std::string>& overrides);

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
    if (node.IsDefined()) read(join_path(path_, key), node, value, bounds);
  }

  /// An optional value: absent stays absent.
  template <class T>
  void field(const std::string& key, std::optional<T>& value, const char* /*doc*/, const Bounds& bounds = {}) {
    const YAML::Node node = claim(key);
    if (!node.IsDefined()) return;
    T parsed{};
    read(join_path(path_, key), node, parsed, bounds);
    value = parsed;
  }

  /// `model.network.topology.pre`: a list of lists of integers (bounds checked by
  /// the caller, which knows inputs, neurons and fan_in).
  void field(const std::string& key, std::vector<std::vector<int>>& table, const char* doc);

  /// A list of strings; no value given (`key:`) reads as an empty list.
  void field(const std::string& key, std::vector<std::string>& list, const char* doc);

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

  /// A section whose keys are names the user chooses (a comparison's models):
  /// `body(sub, name)` reads the value under each name with `sub`, in file order.
  template <class Body>
  void named(const std::string& key, const char* doc, Body&& body) {
    section(key, doc, [&](Reader& sub) {
      for (const std::string& name : sub.names()) body(sub, name);
    });
  }

  /// A known key that must not be given in this configuration.
  void absent(const std::string& key, const std::string& reason, const std::string& allowed) {
    const YAML::Node node = claim(key);
    if (node.IsDefined()) ctx_.fail(join_path(path_, key), reason, allowed);
  }

  /// A check across fields, once they are read.
  template <class T>
  void require(const std::string& key, const T& value, bool ok, const std::string& allowed) {
    if (!ok) check(key, false, show(value) + " is not allowed", allowed);
  }

  /// The same, with the problem in the caller's words.
  void check(const std::string& key, bool ok, const std::string& problem, const std::string& allowed) const;

  /// Rejects keys that no field claimed (suggesting the nearest known one) and
  /// keys given twice.
  void finish() const;

 private:
  YAML::Node claim(const std::string& key);
  /// The keys of this map that are names (scalars), in file order.
  std::vector<std::string> names() const;
  static std::string wrong_kind(const YAML::Node& node, const char* expected);

  template <class T>
  void read(const std::string& path, const YAML::Node& node, T& value, const Bounds& bounds) const {
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

  const Context& ctx_;
  YAML::Node node_;
  std::string path_;
  std::vector<std::string> known_;
};

/// Reads a whole file's tree into a struct: `body(reader)` visits its top-level
/// fields. A top level that is not a map fails, naming the `keys` it should hold.
template <class Body>
void read_top_level(Context& ctx, const std::string& keys, Body&& body) {
  const YAML::Node& root = ctx.root();
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    throw Error(ctx.source() + ": the top level must be a map of " + keys + "; got " + show_node(root));
  Reader reader(ctx, root.IsMap() ? root : YAML::Node(YAML::NodeType::Map), "");
  body(reader);
  reader.finish();
}

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

  // Checks concern reading only.
  void absent(const std::string&, const std::string&, const std::string&) {}
  template <class T>
  void require(const std::string&, const T&, bool, const std::string&) {}
  void check(const std::string&, bool, const std::string&, const std::string&) {}

 private:
  YAML::Emitter& out_;
};

// ---- the run config's table (config_schema.cpp) -------------------------------------

/// Every key of a run config, once; instantiated for Reader and Writer.
template <class V>
void fields(V& v, RunConfig& c);

}  // namespace enu
