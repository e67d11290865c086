#pragma once
/// @brief A run's settings: one struct per section, defaults where declared,
/// read from YAML (every key checked) and written back out fully resolved.

#include <cstdint>
#include <string>
#include <vector>

#include "enu/model.hpp"

namespace enu {

enum class BackendKind { automatic, cpu, reference, cuda };
enum class Shaping { pareto, centred_ranks };
enum class OptimizerKind { sgd, adam };
enum class NonFinitePolicy { worst, abort };
enum class UpdateDevice { automatic, host, cuda };
enum class CudaPath { automatic, fused, fused_v2, layered };
/// The arithmetic of the fused v2 kernel's gate GEMMs (docs/gpu_v2.md): fp32 = FP32
/// FMAs; tf32 = tensor cores on operands rounded to TF32 (10-bit mantissa);
/// tf32x3 = tensor cores on split operands (hi*hi + hi*lo + lo*hi), FP32-class error.
enum class CudaPrecision { fp32, tf32, tf32x3 };
/// The maze's scoring and energy (docs/maze.md, "Rules"): published = the authors'
/// code; forgiving = enu's first rule set (the first poison after a swap is free,
/// poisons in a row or starvation end the lifetime).
enum class MazeRules { published, forgiving };
/// east_corridor: the authors' grid (start west, corridor east, arms north and
/// south); north_corridor: enu's first grid (start south, corridor north, arms
/// west and east).
enum class MazeLayout { east_corridor, north_corridor };
/// absolute: move along the corridor's direction or either arm's (the authors' east,
/// north, south); egocentric: forward, turn left, turn right.
enum class MazeActions { absolute, egocentric };

/// iaf's input current (task.iaf.current_draw): per_window = one draw
/// uniform(current_lo, current_hi) * randint(1, multiplier_max) per window
/// (enu); per_step = the multiplier drawn per window, the base redrawn every
/// step (the authors' code).
enum class IafCurrentDraw { per_window, per_step };
/// iaf's score (task.iaf.scoring): enu = a spike is o > 0.5, each step costs
/// |timing difference| + size_penalty min(o, 1 - o); published = the authors'
/// code: a spike is y > 0.05, each step costs (timing difference)^2 +
/// size_penalty (y - 1)^2 where y > 0.05. Fitness: minus the mean over steps.
enum class IafScoring { enu, published };

/// task.iaf: integrate-and-fire imitation (Extended Data Fig. 2 of the paper).
struct IafConfig {
  int steps = 100;                 // environment steps per lifetime
  int windows = 4;                 // input held constant over steps/windows steps
  float threshold = 0.5f;          // reference neuron fires when v >= threshold, then v = 0
  float leak_tau = 0.0f;           // 0: perfect integrator; > 0: v <- v * exp(-1/tau) + I
  float current_lo = 0.01f;        // input = uniform(current_lo, current_hi) * randint(1, multiplier_max)
  float current_hi = 0.02f;
  int multiplier_max = 10;
  float size_penalty = 1.0f;       // weight of the penalty on outputs that are neither 0 nor 1
  IafCurrentDraw current_draw = IafCurrentDraw::per_window;
  IafScoring scoring = IafScoring::enu;
};

/// task.stdp: a synapse whose weight follows a neuromodulated STDP rule.
struct StdpConfig {
  int steps = 100;
  float potential_lo = 0.45f;      // graded potential ~ uniform(lo, hi), drawn every step
  float potential_hi = 0.55f;
  float spike_mean = 50.0f;        // pre and post spike steps ~ round(N(mean, std)), never equal
  float spike_std = 7.0f;
  float modulator_probability = 0.5f;  // P(neuromodulator = 1) per lifetime
  float amplitude = 0.5f;          // A
  float tau = 10.0f;               // simple: dw = m A sign(dt) exp(-|dt|/tau); complex, m = 1: A exp(-|dt|/tau)
  float period = 10.0f;            // complex, m = 0: A cos^2(pi dt / period) exp(-|dt|/tau_absent)
  float tau_absent = 20.0f;
};

/// task.function: sphere or rastrigin, for checking the strategy itself.
struct FunctionConfig {
  int dimension = 50;
  float initial_value = 1.0f;      // every coordinate of the starting centre
};

/// task.maze: the reward-switching T-maze (tmaze) and its two-junction form
/// (double_tmaze), after Soltoggio et al. 2008. Layouts and rules: docs/maze.md.
/// A config that omits rules, layout and actions gets enu's first maze (forgiving,
/// north_corridor, egocentric), so that run folders and checkpoints written before
/// these keys existed replay unchanged; the paper-size configs set the published ones.
struct MazeConfig {
  MazeRules rules = MazeRules::forgiving;
  MazeLayout layout = MazeLayout::north_corridor;
  MazeActions actions = MazeActions::egocentric;
  int steps = 400;                 // environment steps per lifetime
  int corridor_length = 4;         // forward moves from the start to the (first) junction
  int arm_length = 2;              // forward moves from a junction to an end (tmaze) or to a second junction (double_tmaze)
  int end_length = 1;              // double_tmaze: forward moves from a second junction to each of its two ends
  float food_reward = 1.0f;        // reward for reaching the food end
  float poison_reward = -1.0f;     // reward for reaching the poison end (the agent always senses this one)
  float swap_poison_reward = 0.0f; // forgiving: fitness for the first poison after a swap, before any other item
  float first_event_reward = 1.0f; // published: fitness for the lifetime's first item, whatever it was
  float energy_start = 18.0f;      // energy at the start of a lifetime
  float energy_restore = 18.0f;    // energy after eating food (published: also after the lifetime's first poison)
  float energy_per_step = 0.25f;   // energy spent by every step that does not eat; forgiving: <= 0 ends the lifetime
  float alive_bonus = 0.025f;      // fitness per step alive (published: per step with energy > 0)
  int swap_every = 5;              // food items between two chances of a swap
  float swap_probability = 0.5f;   // P(swap) at each chance: the poison takes the food end, the food a random other end
  int poisons_to_die = 2;          // forgiving: poisons in a row (no food between) that end the lifetime; 0 = never
  bool permute_inputs = true;      // permute the three observation inputs per lifetime
  bool balanced_orders = false;    // with permute_inputs: lifetime k of generation g takes input order (k + g) mod 6
};

struct TaskConfig {
  std::string name = "iaf";        // iaf | stdp | stdp_complex | tmaze | double_tmaze | sphere | rastrigin
  IafConfig iaf;
  StdpConfig stdp;                 // also read for stdp_complex (rule = complex)
  MazeConfig maze;                 // read by tmaze and double_tmaze
  FunctionConfig function;
};

/// model.network.topology: an explicit table, or a seeded random fan-in.
struct TopologyConfig {
  int inputs = 4;
  int neurons = 6;
  int outputs = 3;
  int fan_in = 8;
  uint64_t random_seed = 1;              // used when `pre` is empty
  std::vector<std::vector<int>> pre;     // one list of fan_in sources per neuron
};

struct ModelConfig {
  ModelSpec::Kind kind = ModelSpec::Kind::cell;
  CellSpec cell;                         // model.cell
  NetworkSpec network;                   // model.network (its topology from `topology`)
  TopologyConfig topology;               // model.network.topology
};

struct EsConfig {
  int population = 256;                  // P, even: mirrored pairs
  int lifetimes = 8;                     // E lifetimes per member (fitness = their mean)
  float sigma = 0.01f;                   // noise std
  float sigma_decay = 1.0f;              // sigma_g = max(sigma_min, sigma * sigma_decay^g)
  float sigma_min = 0.0f;
  Shaping shaping = Shaping::pareto;     // pareto: (rank/P)^exponent normalised; centred_ranks
  float pareto_exponent = 5.0f;
  OptimizerKind optimizer = OptimizerKind::sgd;
  float learning_rate = 1.0f;
  float momentum = 0.9f;                 // sgd
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // adam
  float weight_decay = 0.0f;             // theta <- theta - lr * weight_decay * theta
  NonFinitePolicy nonfinite = NonFinitePolicy::worst;  // worst: rank last, warn; abort: stop
  float max_nonfinite_fraction = 0.5f;   // more non-finite members than this stops the run
};

struct RunSettings {
  uint64_t seed = 1;
  int generations = 1000;
  double max_minutes = 0.0;              // stop after this wall time (0: no limit)
  int checkpoint_every = 10;             // generations between latest-checkpoint writes
  BackendKind backend = BackendKind::automatic;
  UpdateDevice es_update = UpdateDevice::automatic;  // where the ES update runs; auto = cuda with the cuda backend
  CudaPath cuda_path = CudaPath::automatic;  // networks on cuda: fused kernel or layered GEMMs; auto by size
  bool cuda_tf32 = false;                    // layered path: TF32 tensor cores in the GEMMs
  CudaPrecision cuda_precision = CudaPrecision::tf32;  // fused v2 kernel: its GEMMs' arithmetic (docs/gpu_v2.md)
  int threads = 0;                       // CPU worker threads (0: all cores)
  std::string out_dir;                   // run folder ("" -> runs/<name>)
  std::string init_from;                 // a checkpoint whose centre starts the run ("" -> the model's initialisation)
  int eval_lifetimes = 256;              // fresh lifetimes for the final evaluation
  int validation_lifetimes = 0;          // > 0: the best checkpoint is chosen on these fixed lifetimes
  double mpi_timeout_seconds = 1800.0;   // MPI runs: abort the job when a rank's generation stalls this long (0: never)
};

struct RunConfig {
  std::string name = "run";
  TaskConfig task;
  ModelConfig model;
  EsConfig es;
  RunSettings run;

  /// The model with its topology built (explicit table or random fan-in).
  ModelSpec model_spec() const;
};

/// Loads a YAML file, applies `overrides` ("section.key=value", each parsed as
/// YAML), and validates everything. Throws enu::Error naming the key, the value,
/// the file and line (or the override), and what is allowed.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {});
/// Same, from YAML text; `source` names it in messages.
RunConfig parse_config(const std::string& yaml_text, const std::string& source,
                       const std::vector<std::string>& overrides = {});
/// Every key, resolved, as YAML that parse_config reads back to an equal config.
std::string to_yaml(const RunConfig& config);

const char* to_string(BackendKind kind);
const char* to_string(Shaping shaping);
const char* to_string(OptimizerKind kind);
const char* to_string(NonFinitePolicy policy);
const char* to_string(UpdateDevice device);
const char* to_string(CudaPath path);
const char* to_string(CudaPrecision precision);
const char* to_string(MazeRules rules);
const char* to_string(IafCurrentDraw draw);
const char* to_string(IafScoring scoring);
const char* to_string(MazeLayout layout);
const char* to_string(MazeActions actions);

}  // namespace enu
