"""enu.record_lifetimes: lifetimes stepped by the engine's record_lifetime, as
numpy arrays, against the engine's evaluators and the CSVs of the command line
(`enu eval --record`, the maze trace of `enu analyze`)."""

import re

import numpy as np
import pytest

import enu
from conftest import config_path, read_csv, run_holding, text

# Tiny runs, evolved in about a second: the engine's paths, not its results.
TINY = ["es.population=8", "es.lifetimes=2", "run.generations=1", "run.threads=1", "run.eval_lifetimes=4"]
CONFIGS = {
    "stdp": ("stdp", ["task.stdp.steps=30", "task.stdp.spike_mean=15", "task.stdp.spike_std=3",
                      "model.cell.memory=4"]),
    "tmaze": ("tmaze_small", ["task.maze.steps=100", "model.network.channels=4", "model.network.memory=5",
                              "run.validation_lifetimes=0"]),
}


def tiny_config(task, *overrides):
    """configs/<task>.yaml at a tiny size."""
    name, sizes = CONFIGS[task]
    return enu.load_config(config_path(name), TINY + sizes + list(overrides))


def graded_theta(config, seed):
    """The initial centre plus noise, with outputs that move rather than sit on the
    clamp at 0, where a wrong value could hide: a network's parameters N(0, 0.1^2)
    (more drives its neurons onto the clamp); a cell's N(0, 0.3^2) and its
    read-out N(0, 0.1^2) with bias 0.5 (as tests/parity's fill_cell_theta)."""
    rng = np.random.default_rng(seed)
    cell = config["model.kind"] == "cell"
    theta = config.initial_centre() + rng.normal(0.0, 0.3 if cell else 0.1, config.param_count)
    if cell:
        _, offset, rows, columns = config.parameter_blocks()[-1]
        theta[offset : offset + rows * columns] = rng.normal(0.0, 0.1, rows * columns)
        theta[offset + (rows - 1) * columns : offset + rows * columns] = 0.5
    return theta.astype(np.float32)


@pytest.fixture(scope="module")
def run_of(cli, tmp_path_factory):
    """run_of(task): a tiny run of the task whose best checkpoint holds graded_theta
    instead of what it evolved, and the theta."""
    runs = {}

    def make(task):
        if task not in runs:
            folder = tmp_path_factory.mktemp(task)
            name, sizes = CONFIGS[task]
            theta = run_holding(cli, folder, name, TINY + sizes, lambda config: graded_theta(config, seed=1))
            runs[task] = (folder, theta)
        return runs[task]

    return make


@pytest.mark.parametrize("task", ["stdp", "tmaze"])
@pytest.mark.parametrize("held_out", [False, True])
def test_fitness_is_the_reference_evaluators(task, held_out):
    """Each recorded lifetime's fitness equals, bit for bit, the reference
    backend's fitness of the centre on the same lifetimes (training lifetimes of
    generation 3 of seed 7, or the held-out ones), as the result's seed and
    generation name them."""
    config = tiny_config(task, "run.backend=reference")
    theta = graded_theta(config, seed=2)
    lifetimes = dict(held_out=True) if held_out else dict(seed=7, generation=3)
    recorded = enu.record_lifetimes(config, theta, 3, **lifetimes)
    if not held_out:
        assert (recorded["seed"], recorded["generation"]) == (7, 3)
    fitness = enu.Evaluator(config).evaluate_centre(theta, recorded["generation"], seed=recorded["seed"],
                                                    lifetimes=3, per_lifetime=True)
    assert recorded["fitness"].dtype == np.float32
    np.testing.assert_array_equal(recorded["fitness"], fitness)
    assert len(set(recorded["fitness"])) > 1, "the lifetimes should differ"


def test_fitness_is_close_to_the_fast_cpu_backend():
    """On stdp the fast CPU backend gives the recorded fitness within atol 1e-4 +
    rtol 1e-3: its exp approximation, FMAs and summation order differ from the
    reference by a few ulps per step, and tests/parity (SingleUnitTaskFitness)
    holds stdp fitness to this bound. (Maze lifetimes are not compared: an argmax
    near a tie may turn a whole lifetime, which parity allows for a few.)"""
    config = tiny_config("stdp", "run.backend=cpu")
    theta = graded_theta(config, seed=3)
    recorded = enu.record_lifetimes(config, theta, 8, seed=7, generation=3)
    fitness = enu.Evaluator(config).evaluate_centre(theta, 3, seed=7, lifetimes=8, per_lifetime=True)
    np.testing.assert_allclose(fitness, recorded["fitness"], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("task", ["stdp", "tmaze"])
def test_steps_are_what_eval_record_writes(cli, run_of, task):
    """Held-out lifetime 0 of a checkpoint is the lifetime `enu eval --record`
    writes: every step's inputs, outputs (the actions) and reward, and the
    fitness it prints, at the CSV's six significant digits."""
    folder, _ = run_of(task)
    checkpoint = folder / "checkpoint_best.npz"
    printed = cli("eval", checkpoint, "--lifetimes", 2, "--record", folder / "trace.csv")
    rows = read_csv(folder / "trace.csv")
    recorded = enu.record_lifetimes(checkpoint, held_out=True)
    steps, inputs = recorded["observations"].shape[1:]
    actions = recorded["actions"].shape[2]
    assert len(rows) == steps and len(rows[0]) == 1 + inputs + actions + 1
    for step, row in enumerate(rows):
        assert row["step"] == str(step)
        assert [row[f"input{i}"] for i in range(inputs)] == [text(v) for v in recorded["observations"][0, step]]
        assert [row[f"output{a}"] for a in range(actions)] == [text(v) for v in recorded["actions"][0, step]]
        assert row["reward"] == text(recorded["rewards"][0, step])
    assert f"recorded one lifetime (fitness {text(recorded['fitness'][0])})" in printed
    assert len({row["output0"] for row in rows}) > 3, "outputs should move"


def test_network_states_are_the_maze_traces(cli, run_of):
    """The traced held-out lifetime `enu analyze` writes to network_states.csv
    (every neuron's outputs and h, every synapse's h, after each step) is the
    recorded one, step by step, at six significant digits."""
    folder, _ = run_of("tmaze")
    printed = cli("analyze", folder)
    traced = int(re.search(r"traced held-out lifetime (\d+):", printed).group(1))
    recorded = enu.record_lifetimes(folder / "checkpoint_best.npz", lifetimes=traced + 1, held_out=True)
    rows = read_csv(folder / "network_states.csv")
    assert 0 < len(rows) <= recorded["rewards"].shape[1]  # the trace ends where the agent died
    for step, row in enumerate(rows):
        values = [recorded[key][traced, step].ravel() for key in ("neuron_outputs", "neuron_h", "synapse_h")]
        assert list(row.values())[1:] == [text(v) for v in np.concatenate(values)], f"step {step}"


def test_network_arrays_follow_the_config():
    """A network's arrays have the config's shapes (synapses = neurons x fan_in)
    and are float32; with two ticks per step the neuron outputs are the state
    after the last tick, whose read-out neurons' channel 0 is each step's action;
    synapse outputs are clamped outputs in [0, 1] and move."""
    config = tiny_config("tmaze", "model.network.ticks_per_step=2")
    recorded = enu.record_lifetimes(config, graded_theta(config, seed=5), 2)
    lifetimes, steps, neurons, fan_in, channels, memory = 2, 100, 6, 8, 4, 5
    sources, observed = recorded["observation_shape"]
    shapes = {
        "observations": (lifetimes, steps, sources * observed),
        "actions": (lifetimes, steps, 3),
        "rewards": (lifetimes, steps),
        "fitness": (lifetimes,),
        "neuron_outputs": (lifetimes, steps, neurons, channels),
        "neuron_h": (lifetimes, steps, neurons, memory),
        "synapse_outputs": (lifetimes, steps, neurons * fan_in, channels),
        "synapse_h": (lifetimes, steps, neurons * fan_in, memory),
    }
    assert sources == 4
    for key, shape in shapes.items():
        assert recorded[key].shape == shape, key
        assert recorded[key].dtype == np.float32, key
    assert "outputs" not in recorded and "h" not in recorded
    np.testing.assert_array_equal(recorded["actions"], recorded["neuron_outputs"][:, :, -3:, 0])
    synapses = recorded["synapse_outputs"]
    assert synapses.min() >= 0.0 and synapses.max() <= 1.0 and np.unique(synapses).size > 100


def test_cell_arrays_follow_the_config():
    """A single cell gives its outputs [lifetimes x steps x outputs] (channel 0
    the action) and its memory h [.. x memory], and no network arrays."""
    config = tiny_config("stdp", "model.cell.outputs=2")
    recorded = enu.record_lifetimes(config, graded_theta(config, seed=5), 2)
    assert recorded["observation_shape"] == (1, 4)
    assert recorded["observations"].shape == (2, 30, 4)
    assert recorded["outputs"].shape == (2, 30, 2) and recorded["h"].shape == (2, 30, 4)
    assert not {"neuron_outputs", "neuron_h", "synapse_outputs", "synapse_h"} & recorded.keys()
    np.testing.assert_array_equal(recorded["actions"], recorded["outputs"][:, :, :1])
    assert np.unique(recorded["h"]).size > 10


def test_a_checkpoint_a_path_and_a_config_give_the_same_lifetimes(run_of):
    """A checkpoint's path, the Checkpoint and its config with its centre record
    the same arrays; theta given with a checkpoint replaces its centre."""
    folder, theta = run_of("stdp")
    path = folder / "checkpoint_best.npz"
    checkpoint = enu.Checkpoint.load(str(path))
    by_path = enu.record_lifetimes(path, lifetimes=2)
    other = enu.record_lifetimes(str(path), -theta, 2)
    for recorded in (enu.record_lifetimes(checkpoint, lifetimes=2),
                     enu.record_lifetimes(checkpoint.config, theta, 2)):
        assert recorded.keys() == by_path.keys()
        for key, value in by_path.items():
            np.testing.assert_array_equal(recorded[key], value, err_msg=key)
    assert not np.array_equal(other["outputs"], by_path["outputs"])


def test_bad_input_is_refused():
    """A float64 or wrong-sized theta, no theta with a Config, lifetimes < 1,
    held-out lifetimes with a generation and a function objective each raise an
    error that says what is wrong."""
    config = tiny_config("stdp")
    theta = config.initial_centre()
    with pytest.raises(TypeError, match="float32"):
        enu.record_lifetimes(config, theta.astype(np.float64))
    with pytest.raises(ValueError, match=f"{theta.size - 1} values.*{theta.size} parameters"):
        enu.record_lifetimes(config, theta[1:])
    with pytest.raises(TypeError, match="theta is required"):
        enu.record_lifetimes(config)
    with pytest.raises(ValueError, match="lifetimes must be at least 1, got 0"):
        enu.record_lifetimes(config, theta, 0)
    with pytest.raises(ValueError, match="held-out.*no generation"):
        enu.record_lifetimes(config, theta, held_out=True, generation=2)
    sphere = enu.load_config(config_path("sphere"))
    with pytest.raises(enu.Error, match="task sphere .*no lifetimes"):
        enu.record_lifetimes(sphere, sphere.initial_centre())
