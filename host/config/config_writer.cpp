// Writing a run config: every key, resolved, with its doc and range as a
// comment, through the run config's field table; parse_config reads it back to
// an equal config.
#include "config_fields.hpp"

namespace enu {

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

}  // namespace enu
