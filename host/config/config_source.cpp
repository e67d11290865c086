// Reading YAML text with line numbers: where each key came from (a file's line
// or the `--set` override that wrote it), and `--set` overrides written into the
// tree before it is read.
#include "config_fields.hpp"

#include <string>

namespace enu {

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() || key.empty() || key[0] == '[' ? path + key : path + "." + key;
}

std::string Context::where(const std::string& path, const YAML::Mark* mark) const {
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

void Context::fail(const std::string& path, const std::string& problem, const std::string& allowed,
                   const YAML::Mark* mark) const {
  throw Error(where(path, mark) + ": " + path + ": " + problem + (allowed.empty() ? "" : "; allowed: " + allowed));
}

YAML::Node load_yaml(const std::string& text, const std::string& where_prefix, bool is_file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error((is_file ? where_prefix + ":" + std::to_string(e.mark.line + 1) : where_prefix) +
                ": YAML syntax error: " + e.msg);
  }
}

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

}  // namespace enu
