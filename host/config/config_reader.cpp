// Reading a run config: the Reader's checks that are not templates (lists,
// unknown and repeated keys, what a wrong value is), and parse_config and
// load_config, which read a file's tree through the run config's field table.
#include "config_fields.hpp"

#include <fstream>
#include <sstream>

namespace enu {

void Reader::field(const std::string& key, std::vector<std::vector<int>>& table, const char* /*doc*/) {
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

void Reader::field(const std::string& key, std::vector<std::string>& list, const char* /*doc*/) {
  const YAML::Node node = claim(key);
  if (!node.IsDefined()) return;
  list.clear();
  if (node.IsNull()) return;
  const std::string path = join_path(path_, key);
  const char* allowed = "a list of strings";
  if (!node.IsSequence()) ctx_.fail(path, wrong_kind(node, "a list"), allowed);
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    if (!item.IsScalar()) ctx_.fail(path + "[" + std::to_string(i) + "]", wrong_kind(item, "a string"), allowed);
    list.push_back(item.Scalar());
  }
}

void Reader::check(const std::string& key, bool ok, const std::string& problem, const std::string& allowed) const {
  if (ok) return;
  // The key's own line when this map holds it: a key the user named may contain
  // '.' or '[', which a dotted path cannot find.
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      const YAML::Mark mark = it->first.Mark();
      ctx_.fail(join_path(path_, key), problem, allowed, &mark);
    }
  ctx_.fail(join_path(path_, key), problem, allowed);
}

void Reader::finish() const {
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
      const std::string hint = near.empty() ? "" : " (did you mean " + join_path(path_, near) + "?)";
      ctx_.fail(path, "unknown key" + hint,
                (path_.empty() ? std::string("top-level keys ") : "keys in " + path_ + ": ") + join(known_, ", "),
                &mark);
    }
  }
}

std::vector<std::string> Reader::names() const {
  std::vector<std::string> names;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.IsScalar()) names.push_back(it->first.Scalar());
  return names;
}

YAML::Node Reader::claim(const std::string& key) {
  known_.push_back(key);
  const YAML::Node& map = node_;
  const YAML::Node found = map[key];  // a missing key gives an invalid node: swap in Undefined
  return found.IsDefined() ? found : YAML::Node(YAML::NodeType::Undefined);
}

std::string Reader::wrong_kind(const YAML::Node& node, const char* expected) {
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

RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides) {
  Context ctx(source, load_yaml(yaml_text, source, true));
  apply_overrides(ctx, overrides);
  RunConfig config;
  read_top_level(ctx, "sections (name, task, model, es, run)", [&](Reader& reader) { fields(reader, config); });
  return config;
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

}  // namespace enu
