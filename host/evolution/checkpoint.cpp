#include "enu/checkpoint.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "enu/common.hpp"
#include "files.hpp"
#include "npz.hpp"

namespace enu {
namespace {

constexpr char kFormat[] = "enu-checkpoint";
constexpr uint64_t kVersion = 1;
constexpr char kHeader[] = "header.yaml";
constexpr char kConfig[] = "config.yaml";  // raw bytes, so any text round-trips exactly
constexpr char kTheta[] = "theta.npy";
constexpr char kMoment1[] = "moment1.npy";
constexpr char kMoment2[] = "moment2.npy";

// What is wrong with the array lengths, or "" when they fit param_count.
std::string length_problem(const EsState& state, uint64_t param_count) {
  const std::string expected = "param_count (" + std::to_string(param_count) + ")";
  if (state.theta.size() != param_count) {
    return "theta has " + std::to_string(state.theta.size()) + " values, expected " + expected;
  }
  if (state.moment1.size() != param_count) {
    return "moment1 has " + std::to_string(state.moment1.size()) + " values, expected " + expected;
  }
  if (!state.moment2.empty() && state.moment2.size() != param_count) {
    return "moment2 has " + std::to_string(state.moment2.size()) + " values, expected 0 (SGD) or " + expected;
  }
  return "";
}

uint64_t double_bits(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

// A YAML 1.2 float for people and other tools; loading uses the exact bits.
std::string yaml_double(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string header_yaml(const Checkpoint& checkpoint) {
  char bits[32];
  std::snprintf(bits, sizeof bits, "0x%016llx", static_cast<unsigned long long>(double_bits(checkpoint.best_fitness)));
  const EsState& state = checkpoint.state;
  return std::string("# enu checkpoint; the format is described in docs/checkpoint.md\n") +
         "format: " + kFormat + "\n" +
         "version: " + std::to_string(kVersion) + "\n" +
         "generation: " + std::to_string(state.generation) + "\n" +
         "seed: " + std::to_string(checkpoint.seed) + "\n" +
         "optimizer_steps: " + std::to_string(state.optimizer_steps) + "\n" +
         "best_fitness: " + yaml_double(checkpoint.best_fitness) + "\n" +
         "best_fitness_bits: " + bits + "\n" +
         "best_generation: " + std::to_string(checkpoint.best_generation) + "\n" +
         "param_count: " + std::to_string(state.theta.size()) + "\n" +
         "config: " + kConfig + "\n";
}

YAML::Node required(const YAML::Node& header, const char* key) {
  const YAML::Node node = header[key];
  if (!node) throw Error(std::string(kHeader) + " lacks the key '" + key + "'");
  if (!node.IsScalar()) throw Error(std::string(kHeader) + ": '" + key + "' is not a scalar");
  return node;
}

// Unsigned integers are parsed strictly (no sign, no spaces, no overflow);
// base 16 takes a 0x prefix.
uint64_t header_u64(const YAML::Node& header, const char* key, int base = 10) {
  const std::string& text = required(header, key).Scalar();
  const size_t skip = base == 16 && text.compare(0, 2, "0x") == 0 ? 2 : 0;
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data() + skip, end, value, base);
  if (error != std::errc() || stop != end || text.size() == skip) {
    throw Error(std::string(kHeader) + ": '" + key + "' is '" + text + "', not an unsigned " +
                (base == 16 ? "hex " : "") + "integer");
  }
  return value;
}

const std::string& member(const std::vector<npz::Member>& members, const char* name) {
  const auto found = std::find_if(members.begin(), members.end(), [&](const npz::Member& m) { return m.name == name; });
  if (found == members.end()) throw Error(std::string("missing member '") + name + "'");
  return found->bytes;
}

Checkpoint parse_checkpoint(const std::string& archive) {
  const std::vector<npz::Member> members = npz::unzip_stored(archive);
  const YAML::Node header = YAML::Load(member(members, kHeader));
  if (!header.IsMap()) throw Error(std::string(kHeader) + " is not a YAML mapping");
  const std::string& format = required(header, "format").Scalar();
  if (format != kFormat) throw Error("format is '" + format + "', expected '" + kFormat + "'");
  const uint64_t version = header_u64(header, "version");
  if (version != kVersion) {
    throw Error("unsupported checkpoint version " + std::to_string(version) + " (this build reads version " +
                std::to_string(kVersion) + ")");
  }

  Checkpoint checkpoint;
  EsState& state = checkpoint.state;
  state.generation = header_u64(header, "generation");
  state.optimizer_steps = header_u64(header, "optimizer_steps");
  checkpoint.seed = header_u64(header, "seed");
  checkpoint.best_generation = header_u64(header, "best_generation");
  const uint64_t bits = header_u64(header, "best_fitness_bits", 16);
  std::memcpy(&checkpoint.best_fitness, &bits, sizeof bits);
  const uint64_t param_count = header_u64(header, "param_count");

  checkpoint.config_yaml = member(members, kConfig);
  state.theta = npz::floats_from_npy(member(members, kTheta), kTheta);
  state.moment1 = npz::floats_from_npy(member(members, kMoment1), kMoment1);
  state.moment2 = npz::floats_from_npy(member(members, kMoment2), kMoment2);
  const std::string problem = length_problem(state, param_count);
  if (!problem.empty()) throw Error(problem);
  return checkpoint;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  const EsState& state = checkpoint.state;
  std::string archive;
  try {
    const std::string problem = length_problem(state, state.theta.size());
    if (!problem.empty()) throw Error(problem);
    archive = npz::zip_stored({
        {kHeader, header_yaml(checkpoint)},
        {kConfig, checkpoint.config_yaml},
        {kTheta, npz::npy_from_floats(state.theta)},
        {kMoment1, npz::npy_from_floats(state.moment1)},
        {kMoment2, npz::npy_from_floats(state.moment2)},
    });
  } catch (const Error& e) {
    throw Error("cannot save checkpoint '" + path + "': " + e.what());
  }
  write_file_atomically(path, archive);
}

Checkpoint checkpoint_from_bytes(const std::string& archive, const std::string& where) {
  try {
    return parse_checkpoint(archive);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  } catch (const YAML::Exception& e) {
    throw Error(where + ": " + kHeader + ": " + e.what());
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  return checkpoint_from_bytes(read_whole_file(path, "checkpoint"), "checkpoint '" + path + "'");
}

}  // namespace enu
