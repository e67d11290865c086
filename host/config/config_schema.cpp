// The run config's field table: every key, its doc and bounds, and the checks
// across keys (task and model must fit each other). Read and written through
// the visitors of config_fields.hpp; RunConfig::model_spec builds the model.
#include "config_fields.hpp"
#include "enu/maze_tasks.hpp"
#include "enu/task_table.hpp"

namespace enu {
namespace {

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
  v.choice("current_draw", c.current_draw, {IafCurrentDraw::per_window, IafCurrentDraw::per_step},
           "per_window = one current per window, uniform(lo, hi) * randint(1, multiplier_max) (enu); per_step = the "
           "multiplier per window, the uniform base redrawn every step (the authors' code)");
  v.choice("scoring", c.scoring, {IafScoring::enu, IafScoring::published},
           "enu = spike at o > 0.5, a step costs |timing difference| + size_penalty min(o, 1 - o); published = spike "
           "at o > 0.05, a step costs (timing difference)^2 + size_penalty (o - 1)^2 where o > 0.05 (the authors' "
           "code); fitness = minus the mean cost per step");
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

const std::vector<MazeRules> kMazeRules = {MazeRules::published, MazeRules::forgiving};
const std::vector<MazeLayout> kMazeLayouts = {MazeLayout::east_corridor, MazeLayout::north_corridor};
const std::vector<MazeActions> kMazeActions = {MazeActions::absolute, MazeActions::egocentric};

template <class V>
void fields(V& v, MazeConfig& c) {
  v.choice("rules", c.rules, kMazeRules,
           "scoring and energy: published (the authors') | forgiving (enu's first rules); docs/maze.md");
  v.choice("layout", c.layout, kMazeLayouts,
           "east_corridor (the authors' grid) | north_corridor (enu's first grid)");
  v.choice("actions", c.actions, kMazeActions,
           "absolute (move along the corridor or either arm: the authors') | egocentric (forward, turn left, "
           "turn right)");
  v.field("steps", c.steps, "environment steps per lifetime", at_least(1));
  v.field("corridor_length", c.corridor_length, "moves from the start to the (first) junction", at_least(1));
  v.field("arm_length", c.arm_length,
          "moves from a junction to an end (tmaze) or to a second junction (double_tmaze)", at_least(2));
  v.field("end_length", c.end_length, "double_tmaze: moves from a second junction to each of its ends",
          at_least(1));
  v.field("food_reward", c.food_reward, "reward for reaching the food end");
  v.field("poison_reward", c.poison_reward, "reward for reaching the poison end (the agent always senses it)");
  v.field("swap_poison_reward", c.swap_poison_reward,
          "forgiving rules: fitness for the first poison after a swap, before any other item; 0 = not penalised");
  v.field("first_event_reward", c.first_event_reward,
          "published rules: fitness for the lifetime's first item, food or poison (how the agent learns the colours)");
  v.field("energy_start", c.energy_start, "energy at the start of a lifetime", above(0));
  v.field("energy_restore", c.energy_restore,
          "energy after eating food (published rules: also after the lifetime's first poison; the cap)", above(0));
  v.field("energy_per_step", c.energy_per_step,
          "energy spent by every step that does not eat; forgiving rules: at <= 0 the lifetime ends", at_least(0));
  v.field("alive_bonus", c.alive_bonus, "fitness per step alive (published rules: per step with energy > 0)");
  v.field("swap_every", c.swap_every, "food items between two chances of a swap", at_least(1));
  v.field("swap_probability", c.swap_probability,
          "P(swap) at each chance: the poison takes the food end, the food a random other end", closed(0, 1));
  v.field("poisons_to_die", c.poisons_to_die,
          "forgiving rules: poisons in a row (no food between) that end the lifetime; 0 = never", at_least(0));
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

// Sizes are ints in the runners and kernels. Widths (a cell's inputs, memory and
// outputs, a network's channels and inputs) up to 2^16 keep their sums and small
// multiples, and synapses up to 2^26 a work item's lifetimes of them, within an
// int. Whether such a model fits in memory is for the memory check to say.
constexpr int kMaxWidth = 1 << 16;
constexpr int kMaxSynapses = 1 << 26;

template <class V>
void fields(V& v, CellSpec& c) {
  v.choice("type", c.kind, kCellKinds, "cell kind");
  v.field("inputs", c.inputs, "I: input channels", closed(1, kMaxWidth));
  v.field("memory", c.memory, "M: memory cells", closed(1, kMaxWidth));
  v.field("outputs", c.outputs, "O: output channels", closed(1, kMaxWidth));
  v.field("spiking", c.spiking, "spike mode: output = clamp(1000 * (W_o [h;1]), 0, 1)");
}

template <class V>
void fields(V& v, TopologyConfig& c) {
  v.field("inputs", c.inputs, "sensory input sources (sources 0 .. inputs-1)", closed(1, kMaxWidth));
  v.field("neurons", c.neurons, "neurons (sources inputs .. inputs+neurons-1)", closed(1, kMaxSynapses));
  v.field("outputs", c.outputs, "read-out neurons: the last `outputs` neurons", at_least(1));
  v.require("outputs", c.outputs, c.outputs <= c.neurons, "<= neurons (" + show(c.neurons) + ")");
  v.field("fan_in", c.fan_in, "K: incoming synapses per neuron", at_least(1));
  const int sources = c.inputs + c.neurons;
  v.require("fan_in", c.fan_in, c.fan_in <= sources, "<= inputs + neurons (" + show(sources) + ")");
  v.require("fan_in", c.fan_in, int64_t(c.neurons) * c.fan_in <= kMaxSynapses,
            "neurons x fan_in <= " + show(kMaxSynapses) + " synapses");
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
  v.field("channels", c.channels, "C: channels of every signal between cells", closed(1, kMaxWidth));
  v.field("memory", c.memory, "M of every cell", closed(1, kMaxWidth));
  v.choice("synapse", c.synapse_kind, kCellKinds, "cell kind of the synapses");
  v.choice("neuron", c.neuron_kind, kCellKinds, "cell kind of the neurons");
  v.field("shared", c.shared, "SHARED ablation: one parameter set for synapses and neurons");
  v.require("shared", c.shared, !c.shared || c.synapse_kind == c.neuron_kind,
            "true only when synapse and neuron are the same cell kind (here " +
                std::string(to_string(c.synapse_kind)) + " and " + to_string(c.neuron_kind) + ")");
  v.field("ticks_per_step", c.ticks_per_step, "network ticks per environment step", at_least(1));
  v.field("output_noise", c.output_noise, "std of the N(0,1) noise added to cell outputs before the clamp",
          at_least(0));
  v.choice("output_noise_on", c.output_noise_on, {NoiseCells::neurons, NoiseCells::all},
           "cells whose outputs get the noise: the neurons, or all (synapses too, as in the published code)");
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
  v.choice("cuda_path", c.cuda_path, {CudaPath::automatic, CudaPath::fused, CudaPath::fused_v2, CudaPath::layered},
           "networks on the cuda backend: fused_v2 = one kernel, a block per member, gate GEMMs as warp tiles; "
           "fused = one kernel, a block per lifetime; layered = cuBLAS GEMMs per gate layer over all lifetimes; "
           "auto = the first of fused_v2, fused, layered that takes the network");
  v.field("cuda_tf32", c.cuda_tf32, "layered path: let cuBLAS use TF32 tensor cores (faster, ~1e-3 relative error)");
  v.choice("cuda_precision", c.cuda_precision, {CudaPrecision::fp32, CudaPrecision::tf32, CudaPrecision::tf32x3},
           "fused_v2 path: the gate GEMMs' arithmetic; tf32 = tensor cores, operands rounded to TF32 (~1e-3 "
           "relative error; maze fitness within 1% of fp32, docs/gpu_v2.md); tf32x3 = tensor cores on split operands, "
           "FP32-class error; fp32 = FP32 FMAs");
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

}  // namespace

// The table's top: a template, instantiated for the two visitors here, where the
// rest of the table is visible.
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
  // Absolute moves go along the corridor and the two arms; north_corridor's second
  // junctions branch north and south, across the arms, which no absolute move reaches.
  const bool double_maze = task_kind(c.task.name) == TaskKind::double_tmaze;
  v.require("task.maze.actions", c.task.maze.actions,
            !(double_maze && c.task.maze.layout == MazeLayout::north_corridor &&
              c.task.maze.actions == MazeActions::absolute),
            "egocentric for double_tmaze in layout north_corridor (absolute moves cannot reach its south ends)");
  if (!network) {  // a single recurrent agent: the whole observation in, one output per action
    const int values = maze::kSources * maze::kChannels;
    v.require("model.cell.inputs", c.model.cell.inputs, c.model.cell.inputs == values,
              "exactly " + show(values) + " for a single-cell agent in task " + c.task.name + " (" +
                  show(maze::kSources) + " inputs x " + show(maze::kChannels) + " channels, read as one vector)");
    v.require("model.cell.outputs", c.model.cell.outputs, c.model.cell.outputs == maze::kActions,
              "exactly " + show(maze::kActions) + " for a single-cell agent in task " + c.task.name +
                  " (one per action)");
    return;
  }
  v.require("model.network.topology.inputs", c.model.topology.inputs, c.model.topology.inputs == task.min_inputs,
            "exactly " + show(task.min_inputs) + " for task " + c.task.name +
                " (three observation inputs and the reward input)");
  v.require("model.network.topology.outputs", c.model.topology.outputs, c.model.topology.outputs == maze::kActions,
            "exactly " + show(maze::kActions) + " for task " + c.task.name + " (one per action)");
  v.require("model.network.channels", c.model.network.channels, c.model.network.channels >= maze::kChannels,
            ">= " + show(maze::kChannels) + " for task " + c.task.name + " (the reward input uses channels 1 and 2)");
}

template void fields(Reader& v, RunConfig& c);
template void fields(Writer& v, RunConfig& c);

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
