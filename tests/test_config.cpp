// Run configuration: the shipped configs load, to_yaml round-trips exactly, and
// every class of mistake is rejected with the key, the value, where it came from
// and what is allowed.
#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "enu/config.hpp"

namespace enu {
namespace {

const char* kSource = "test.yaml";

/// Parses `yaml` expecting a rejection whose message contains every fragment.
void expect_rejected(const std::string& yaml, std::initializer_list<std::string> fragments,
                     const std::vector<std::string>& overrides = {}) {
  try {
    parse_config(yaml, kSource, overrides);
    ADD_FAILURE() << "accepted:\n" << yaml;
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& f : fragments)
      EXPECT_NE(message.find(f), std::string::npos) << "missing '" << f << "' in: " << message;
  }
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every shipped config loads and carries the settings its experiment calls for.
TEST(ConfigFiles, EveryShippedConfigLoads) {
  const std::string dir = std::string(ENU_SOURCE_DIR) + "/configs/";
  const RunConfig iaf = load_config(dir + "iaf.yaml");
  EXPECT_EQ(iaf.task.name, "iaf");
  EXPECT_EQ(iaf.task.iaf.steps, 100);
  EXPECT_EQ(iaf.task.iaf.windows, 4);
  EXPECT_EQ(iaf.task.iaf.multiplier_max, 10);
  EXPECT_TRUE(iaf.model.cell.spiking);
  EXPECT_EQ(iaf.es.optimizer, OptimizerKind::adam);
  EXPECT_EQ(iaf.run.checkpoint_every, 25);

  for (const char* name : {"stdp", "stdp_complex"}) {
    const RunConfig stdp = load_config(dir + name + ".yaml");
    EXPECT_EQ(stdp.task.name, name);
    EXPECT_EQ(stdp.model.cell.inputs, 4);
    EXPECT_FALSE(stdp.model.cell.spiking);
  }

  // The authors' settings (issue 18): iaf's input and scoring, and the strategy of both.
  const RunConfig iaf_published = load_config(dir + "iaf_published.yaml");
  EXPECT_EQ(iaf_published.task.iaf.current_draw, IafCurrentDraw::per_step);
  EXPECT_EQ(iaf_published.task.iaf.scoring, IafScoring::published);
  EXPECT_EQ(iaf_published.task.iaf.multiplier_max, 9);
  const RunConfig stdp = load_config(dir + "stdp.yaml"), stdp_published = load_config(dir + "stdp_published.yaml");
  EXPECT_EQ(to_yaml(RunConfig{"x", stdp.task, stdp.model, {}, {}}),
            to_yaml(RunConfig{"x", stdp_published.task, stdp_published.model, {}, {}}));
  for (const RunConfig* published : {&iaf_published, &stdp_published}) {
    const EsConfig& es = published->es;
    EXPECT_EQ(es.population, 512);
    EXPECT_EQ(es.lifetimes, 32);
    EXPECT_EQ(es.sigma, 0.01f);
    EXPECT_EQ(es.optimizer, OptimizerKind::sgd);
    EXPECT_EQ(es.learning_rate, 1.0f);
    EXPECT_EQ(es.momentum, 0.9f);
    EXPECT_EQ(es.shaping, Shaping::pareto);
    EXPECT_EQ(es.pareto_exponent, 5.0f);
    EXPECT_EQ(published->run.generations, 10000);
  }

  const RunConfig sphere = load_config(dir + "sphere.yaml");
  EXPECT_EQ(sphere.task.function.dimension, 50);
  EXPECT_EQ(sphere.es.population, 64);
  EXPECT_EQ(sphere.es.sigma_decay, 0.995f);
  EXPECT_EQ(sphere.run.generations, 1500);
  EXPECT_EQ(load_config(dir + "rastrigin.yaml").task.function.dimension, 10);
}

/// A config whose every field that `task` uses differs from the struct default,
/// with floats that have no short decimal form.
RunConfig unusual_config(const std::string& task) {
  RunConfig c;
  c.name = "odd-name.1";
  c.task.name = task;
  c.task.iaf = {60, 3, 0.3f, 2.5f, 0.1f / 3, 0.2f / 3, 7, 0.25f, IafCurrentDraw::per_step, IafScoring::published};
  c.task.stdp = {80, 0.1f, 0.9f, 41.5f, 3.25f, 1.0f / 3, 0.7f, 12.0f, 8.0f, 15.0f};
  c.task.function = {9, -2.0f / 3};
  c.model.cell = {CellKind::lstm, 5, 7, 3, true};
  c.es = {10, 3, std::nextafter(0.01f, 1.0f), 0.999f, 1e-7f, Shaping::centred_ranks, 3.5f,
          OptimizerKind::adam, 0.003f, 0.5f, 0.8f, 0.99f, 1e-6f, 1e-4f, NonFinitePolicy::abort, 0.25f};
  c.run = {std::numeric_limits<uint64_t>::max(), 7, 1.0 / 7, 3, BackendKind::reference, UpdateDevice::host, CudaPath::layered, true,
           CudaPrecision::tf32x3, 2,
           "out dir/x", "runs/a b/checkpoint_best.npz", 17, 5,
           2.0 / 3};
  return c;
}

// parse_config(to_yaml(c)) == c for every field a task uses: re-emitting gives the
// same text, and every value line differs from the defaults', so no field is
// dropped on either side.
TEST(ConfigRoundTrip, EveryFieldSurvives) {
  for (const char* task : {"iaf", "stdp_complex", "rastrigin"}) {
    SCOPED_TRACE(task);
    const RunConfig c = unusual_config(task);
    const std::string text = to_yaml(c);
    const RunConfig back = parse_config(text, "to_yaml");
    EXPECT_EQ(to_yaml(back), text);
    EXPECT_EQ(back.es.sigma, c.es.sigma);
    EXPECT_EQ(back.run.seed, c.run.seed);
    EXPECT_EQ(back.run.max_minutes, c.run.max_minutes);

    RunConfig defaults;
    defaults.task.name = task;
    const std::vector<std::string> ours = lines_of(text), theirs = lines_of(to_yaml(defaults));
    ASSERT_EQ(ours.size(), theirs.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      const bool section = ours[i].find(": ") == std::string::npos || ours[i].find(":  #") != std::string::npos;
      const bool same_by_design = ours[i].find("  name: ") == 0 || ours[i].find("  kind: ") == 0;  // set equal above
      if (!section && !same_by_design && ours[i][0] != '#') {
        EXPECT_NE(ours[i], theirs[i]);
      }
    }
  }
}

// Floats come back bit for bit, and are written in their shortest form.
TEST(ConfigRoundTrip, FloatsAreExactAndShort) {
  RunConfig c;
  for (float sigma : {0.1f, 1.0f / 3, 1e-8f, std::nextafter(1.0f, 2.0f), 3e38f}) {
    c.es.sigma = sigma;
    EXPECT_EQ(parse_config(to_yaml(c), "to_yaml").es.sigma, sigma);
  }
  c.es.sigma = 0.02f;
  EXPECT_NE(to_yaml(c).find("sigma: 0.02 "), std::string::npos);
}

// model.network.output_noise_on: neurons unless given; written into the
// resolved config (what a run saves as its config.yaml) and read back from it
// exactly, from a file or from --set.
TEST(ConfigRoundTrip, OutputNoiseOn) {
  const std::string network = "task:\n  name: tmaze\nmodel:\n  kind: network\n";
  const RunConfig plain = parse_config(network, kSource);
  EXPECT_EQ(plain.model.network.output_noise_on, NoiseCells::neurons);
  EXPECT_NE(to_yaml(plain).find("output_noise_on: neurons"), std::string::npos);

  const RunConfig all = parse_config(network + "  network:\n    output_noise_on: all\n", kSource);
  EXPECT_EQ(all.model.network.output_noise_on, NoiseCells::all);
  EXPECT_EQ(all.model_spec().network.output_noise_on, NoiseCells::all);
  const std::string text = to_yaml(all);
  EXPECT_NE(text.find("output_noise_on: all"), std::string::npos);
  const RunConfig back = parse_config(text, "config.yaml");
  EXPECT_EQ(back.model.network.output_noise_on, NoiseCells::all);
  EXPECT_EQ(to_yaml(back), text);
  const RunConfig set = parse_config(network, kSource, {"model.network.output_noise_on=all"});
  EXPECT_EQ(set.model.network.output_noise_on, NoiseCells::all);
}

// An empty file, or missing keys, take the struct defaults.
TEST(ConfigDefaults, MissingKeysTakeStructDefaults) {
  EXPECT_EQ(to_yaml(parse_config("", kSource)), to_yaml(RunConfig{}));
  const RunConfig c = parse_config("es:\n  sigma: 0.5\ntask:\n  iaf:\n", kSource);
  RunConfig expected;
  expected.es.sigma = 0.5f;
  EXPECT_EQ(to_yaml(c), to_yaml(expected));
}

// Overrides are YAML values written over the file before validation; a null
// value restores the default.
TEST(ConfigOverrides, ValidOverridesApply) {
  const RunConfig c = parse_config("es:\n  sigma: 0.1\n  population: 8\n", kSource,
                                   {"es.sigma=0.5", "run.seed=18446744073709551615", "es.population=",
                                    "model.cell={type: gru, inputs: 6}", "name=quoted"});
  EXPECT_EQ(c.es.sigma, 0.5f);
  EXPECT_EQ(c.run.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(c.es.population, EsConfig{}.population);
  EXPECT_EQ(c.model.cell.kind, CellKind::gru);
  EXPECT_EQ(c.model.cell.inputs, 6);
  EXPECT_EQ(c.name, "quoted");
}

// A list-of-lists override reaches the topology table (the network is then
// refused only because no network task exists yet).
TEST(ConfigOverrides, TableOverrideIsParsed) {
  expect_rejected("", {"--set model.kind=network", "network task"},
                  {"model.kind=network", "model.network.topology={inputs: 1, neurons: 2, outputs: 1, fan_in: 2}",
                   "model.network.topology.pre=[[0,1],[1,2]]"});
}

// An override of an unknown key names the override and suggests the near key.
TEST(ConfigOverrides, UnknownKeyIsRejected) {
  expect_rejected("", {"--set es.sigmaa=1", "es.sigmaa", "did you mean es.sigma?", "population"}, {"es.sigmaa=1"});
  expect_rejected("", {"--set esx.sigma=1", "esx", "did you mean es?"}, {"esx.sigma=1"});
}

// A bad override value names the override instead of a file line.
TEST(ConfigOverrides, BadValueNamesTheOverride) {
  expect_rejected("es:\n  sigma: 0.1\n", {"--set es.sigma=abc", "es.sigma", "abc", "a number > 0"},
                  {"es.sigma=abc"});
  expect_rejected("", {"--set es.sigma", "expected section.key=value"}, {"es.sigma"});
  expect_rejected("", {"--set es.sigma.x=1", "es.sigma", "not a section"}, {"es.sigma=1", "es.sigma.x=1"});
  expect_rejected("", {"--set es.sigma=[1", "YAML syntax error"}, {"es.sigma=[1"});
}

// Unknown keys: the full key, its line, the nearest known key if close, and the
// keys that are allowed.
TEST(ConfigErrors, UnknownKey) {
  expect_rejected("es:\n  sigma: 0.1\n  sigmaa: 0.2\n",
                  {"test.yaml:3", "es.sigmaa", "did you mean es.sigma?", "keys in es: population"});
  expect_rejected("name: x\nzzz: 1\n", {"test.yaml:2", "zzz", "top-level keys name, task, model, es, run"});
  expect_rejected("es:\n  sigma: 0.1\n  sigma: 0.2\n", {"test.yaml:3", "es.sigma", "given twice"});
}

// Wrong types: a string, a fraction, a map, a quoted number or nothing where a
// number is expected; a non-boolean for a flag.
TEST(ConfigErrors, WrongType) {
  expect_rejected("es:\n  sigma: abc\n", {"test.yaml:2", "es.sigma", "abc", "a number > 0"});
  expect_rejected("es:\n  population: 2.5\n", {"test.yaml:2", "es.population", "2.5", "an integer >= 2"});
  expect_rejected("run:\n  generations: {a: 1}\n", {"test.yaml:2", "run.generations", "{a: 1}", "an integer >= 1"});
  expect_rejected("es:\n  sigma: \"0.1\"\n", {"test.yaml:2", "es.sigma", "quoted", "0.1", "a number"});
  expect_rejected("es:\n  sigma:\n", {"test.yaml:2", "es.sigma", "no value", "a number > 0"});
  expect_rejected("model:\n  cell:\n    spiking: 1\n", {"test.yaml:3", "model.cell.spiking", "1", "true or false"});
  expect_rejected("es: 5\n", {"test.yaml:1", "es", "5", "a map of keys"});
  expect_rejected("run:\n  seed: -1\n", {"test.yaml:2", "run.seed", "-1", "unsigned 64-bit"});
  expect_rejected("run:\n  seed: 18446744073709551616\n", {"test.yaml:2", "run.seed", "18446744073709551616"});
}

// Choices: a value outside the set names the set and suggests the near name.
TEST(ConfigErrors, UnknownChoice) {
  expect_rejected("es:\n  shaping: paretto\n",
                  {"test.yaml:2", "es.shaping", "paretto", "did you mean pareto?", "one of pareto, centred_ranks"});
  expect_rejected("task:\n  name: mazes\n", {"test.yaml:2", "task.name", "mazes", "one of iaf, stdp"});
  expect_rejected("run:\n  backend: gpu\n", {"test.yaml:2", "run.backend", "gpu", "auto, cpu, reference, cuda"});
  expect_rejected("model:\n  kind: network\n  network:\n    output_noise_on: synapses\n",
                  {"test.yaml:4", "model.network.output_noise_on", "synapses", "one of neurons, all"});
  expect_rejected("",
                  {"--set model.network.output_noise_on=al", "model.network.output_noise_on", "did you mean all?"},
                  {"model.kind=network", "model.network.output_noise_on=al"});
}

// Out-of-range values name the bound.
TEST(ConfigErrors, OutOfRange) {
  expect_rejected("es:\n  sigma: 0\n", {"test.yaml:2", "es.sigma", "0", "> 0"});
  expect_rejected("es:\n  population: 7\n", {"test.yaml:2", "es.population", "7", "even"});
  expect_rejected("es:\n  population: 0\n", {"test.yaml:2", "es.population", "0", ">= 2"});
  expect_rejected("es:\n  momentum: 1\n", {"test.yaml:2", "es.momentum", "1", "[0, 1)"});
  expect_rejected("es:\n  beta2: 1.0\n", {"test.yaml:2", "es.beta2", "1", "(0, 1)"});
  expect_rejected("es:\n  lifetimes: 0\n", {"test.yaml:2", "es.lifetimes", "0", ">= 1"});
  expect_rejected("run:\n  threads: -1\n", {"test.yaml:2", "run.threads", "-1", ">= 0"});
  expect_rejected("run:\n  checkpoint_every: 0\n", {"test.yaml:2", "run.checkpoint_every", "0", ">= 1"});
  expect_rejected("model:\n  cell:\n    memory: 0\n", {"test.yaml:3", "model.cell.memory", "0", "[1, 65536]"});
  // Widths stay far from int overflow in the runners' index arithmetic.
  expect_rejected("model:\n  cell:\n    memory: 2000000000\n",
                  {"test.yaml:3", "model.cell.memory", "2000000000", "[1, 65536]"});
  expect_rejected("task:\n  name: stdp\n  stdp:\n    modulator_probability: 1.5\n",
                  {"test.yaml:4", "task.stdp.modulator_probability", "1.5", "[0, 1]"});
  expect_rejected("es:\n  sigma: 1e50\n", {"test.yaml:2", "es.sigma", "1e50", "a number"});
}

// Checks across fields of one section: lo < hi, windows divide steps, sigma_min
// <= sigma, spikes inside the lifetime.
TEST(ConfigErrors, CrossFieldRanges) {
  expect_rejected("task:\n  iaf:\n    current_lo: 0.03\n    current_hi: 0.02\n",
                  {"test.yaml:4", "task.iaf.current_hi", "0.02", "> current_lo (0.03)"});
  expect_rejected("task:\n  iaf:\n    steps: 100\n    windows: 3\n",
                  {"test.yaml:4", "task.iaf.windows", "3", "a divisor of steps (100)"});
  expect_rejected("task:\n  name: stdp\n  stdp:\n    potential_lo: 0.6\n",
                  {"test.yaml:3", "task.stdp.potential_hi", "0.55", "> potential_lo (0.6)"});
  expect_rejected("task:\n  name: stdp\n  stdp:\n    steps: 40\n",
                  {"test.yaml:3", "task.stdp.spike_mean", "50", "< steps (40)"});
  expect_rejected("es:\n  sigma: 0.01\n  sigma_min: 0.1\n", {"test.yaml:3", "es.sigma_min", "0.1", "<= sigma (0.01)"});
}

// A task section for another task, or a model section of the other kind.
TEST(ConfigErrors, SectionForAnotherChoice) {
  expect_rejected("task:\n  name: stdp\n  iaf:\n    steps: 10\n",
                  {"test.yaml:3", "task.iaf", "task.name is stdp", "task.stdp for task stdp"});
  expect_rejected("model:\n  kind: cell\n  network:\n    channels: 4\n",
                  {"test.yaml:3", "model.network", "model.kind is cell", "only with model.kind network"});
}

// Task and model must fit: stdp needs 4 input channels; single-unit and function
// tasks take no network.
TEST(ConfigErrors, TaskModelMismatch) {
  expect_rejected("task:\n  name: stdp\nmodel:\n  cell:\n    inputs: 2\n",
                  {"test.yaml:5", "model.cell.inputs", "2", ">= 4 for task stdp"});
  expect_rejected("task:\n  name: iaf\nmodel:\n  kind: network\n",
                  {"test.yaml:4", "model.kind", "network", "network task such as tmaze"});
  expect_rejected("task:\n  name: sphere\nmodel:\n  kind: network\n",
                  {"test.yaml:4", "model.kind", "network", "task sphere takes no model"});
}

// Network topology: table shape and source range, outputs and fan-in limits, and
// SHARED needing one cell kind.
TEST(ConfigErrors, NetworkTopology) {
  const std::string head = "model:\n  kind: network\n  network:\n";
  const std::string topo = head + "    topology:\n      inputs: 1\n      neurons: 2\n      fan_in: 2\n      outputs: 1\n";
  expect_rejected(topo + "      pre: [[0, 1]]\n",
                  {"test.yaml:9", "model.network.topology.pre", "[[0, 1]]", "exactly neurons (2) rows"});
  expect_rejected(topo + "      pre:\n        - [0, 1]\n        - [2]\n",
                  {"test.yaml:11", "model.network.topology.pre[1]", "[2]", "exactly fan_in (2) sources"});
  expect_rejected(topo + "      pre:\n        - [0, 1]\n        - [2, 3]\n",
                  {"test.yaml:11", "model.network.topology.pre[1][1]", "3", "[0, 3)"});
  expect_rejected(topo + "      pre: [[0, 1], [a, 1]]\n",
                  {"test.yaml:9", "model.network.topology.pre[1][0]", "a", "integer"});
  expect_rejected(head + "    topology:\n      neurons: 2\n      outputs: 3\n",
                  {"test.yaml:6", "model.network.topology.outputs", "3", "<= neurons (2)"});
  expect_rejected(head + "    topology:\n      inputs: 1\n      neurons: 2\n      outputs: 1\n      fan_in: 4\n",
                  {"test.yaml:8", "model.network.topology.fan_in", "4", "<= inputs + neurons (3)"});
  // Synapses are counted in int: neurons x fan_in has a bound of its own.
  expect_rejected(head + "    topology:\n      inputs: 4\n      neurons: 1000000\n      fan_in: 100\n",
                  {"test.yaml:7", "model.network.topology.fan_in", "100", "neurons x fan_in <= 67108864"});
  expect_rejected(head + "    topology:\n      neurons: 2147483647\n",
                  {"test.yaml:5", "model.network.topology.neurons", "2147483647", "[1, 67108864]"});
  expect_rejected(head + "    synapse: gru\n    neuron: enu\n    shared: true\n",
                  {"test.yaml:6", "model.network.shared", "true", "same cell kind (here gru and enu)"});
}

// YAML syntax errors and missing files become enu::Error with file and line.
TEST(ConfigErrors, SyntaxAndMissingFile) {
  expect_rejected("es:\n  sigma: [0.1\nrun: {}\n", {"test.yaml:3", "YAML syntax error"});
  expect_rejected("- 1\n- 2\n", {"test.yaml", "top level must be a map"});
  try {
    load_config("/nonexistent/enu.yaml");
    ADD_FAILURE() << "missing file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/enu.yaml"), std::string::npos) << e.what();
  }
}

// model_spec(): a cell model copies the cell; a network model gets its wiring
// from the table when given, otherwise from the seeded random fan-in.
TEST(ConfigModelSpec, BuildsCellOrNetwork) {
  RunConfig c;
  c.model.cell.memory = 9;
  const ModelSpec cell = c.model_spec();
  EXPECT_EQ(cell.kind, ModelSpec::Kind::cell);
  EXPECT_EQ(cell.cell.memory, 9);

  c.model.kind = ModelSpec::Kind::network;
  c.model.network.channels = 5;
  c.model.topology = {1, 2, 1, 2, 7, {{0, 1}, {2, 1}}};
  const ModelSpec table = c.model_spec();
  EXPECT_EQ(table.kind, ModelSpec::Kind::network);
  EXPECT_EQ(table.network.channels, 5);
  EXPECT_EQ(table.network.topology.neurons, 2);
  EXPECT_EQ(table.network.topology.pre, (std::vector<int>{0, 1, 2, 1}));

  c.model.topology = {4, 6, 3, 8, 7, {}};
  const ModelSpec random = c.model_spec();
  EXPECT_EQ(random.network.topology.synapses(), 48);
  EXPECT_EQ(random.network.topology.pre, c.model_spec().network.topology.pre);
}

}  // namespace
}  // namespace enu
