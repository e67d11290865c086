"""enu.fi_curve, enu.stdp_window, enu.maze_adaptation: the engine's analyses as
arrays and numbers, against the CSVs and the summary `enu analyze` writes for
the same run."""

import numpy as np
import pytest

import enu
from conftest import config_path, read_csv, run_holding, text

# Tiny runs, evolved in about a second: the engine's paths, not its results.
TINY = ["es.population=8", "es.lifetimes=2", "run.generations=1", "run.threads=1"]
# Per task: its config, sizes, and a theta (seed, noise std, read-out bias or
# None) whose analysis moves: rates and weights that vary, swaps in the maze.
RUNS = {
    "iaf": ("iaf", ["task.iaf.steps=40", "model.cell.memory=4"], (5, 0.5, -0.01)),
    "stdp": ("stdp", ["task.stdp.steps=30", "task.stdp.spike_mean=15", "task.stdp.spike_std=3",
                      "model.cell.memory=4"], (1, 0.3, 0.0)),
    "tmaze": ("tmaze_small", ["task.maze.steps=100", "model.network.channels=4", "model.network.memory=5",
                              "run.eval_lifetimes=24", "run.validation_lifetimes=0"], (1, 0.1, None)),
}


def config_of(task):
    name, sizes, _ = RUNS[task]
    return enu.load_config(config_path(name), TINY + sizes)


def moving_theta(config, task):
    """The initial centre plus Gaussian noise and, for a cell, a read-out bias
    that keeps its output off the clamp (RUNS says which)."""
    seed, std, bias = RUNS[task][2]
    theta = config.initial_centre() + np.random.default_rng(seed).normal(0.0, std, config.param_count)
    if bias is not None:
        _, offset, rows, columns = config.parameter_blocks()[-1]
        theta[offset + (rows - 1) * columns : offset + rows * columns] = bias
    return theta.astype(np.float32)


@pytest.fixture(scope="module")
def analysed(cli, tmp_path_factory):
    """analysed(task): a tiny run of the task whose best checkpoint holds
    moving_theta, analysed by `enu analyze`: (run folder, what analyze printed)."""
    runs = {}

    def make(task):
        if task not in runs:
            folder = tmp_path_factory.mktemp(task)
            name, sizes, _ = RUNS[task]
            run_holding(cli, folder, name, TINY + sizes, lambda config: moving_theta(config, task))
            runs[task] = (folder, cli("analyze", folder))
        return runs[task]

    return make


@pytest.mark.parametrize("task, analysis, file, moving",
                         [("iaf", enu.fi_curve, "fi_curve.csv", "rate_evolved"),
                          ("stdp", enu.stdp_window, "stdp_window.csv", "dw_evolved")])
def test_curve_is_the_csv_analyze_writes(analysed, task, analysis, file, moving):
    """The curve's columns are the CSV's, named and ordered as its header, each
    value the CSV's number; its error and description are the line `enu analyze`
    prints; and the evolved curve moves (not a clamped constant)."""
    folder, printed = analysed(task)
    curve = analysis(folder / "checkpoint_best.npz")
    rows = read_csv(folder / file)
    columns = [key for key in curve if key not in ("error", "description")]
    assert columns == list(rows[0])
    for name in columns:
        assert curve[name].dtype == np.float64 and curve[name].shape == (len(rows),), name
        np.testing.assert_array_equal(curve[name], [float(row[name]) for row in rows], err_msg=name)
    error = curve["error"]
    assert f"{curve['description']}: {error:.4f} ({100 * error:.1f}%)" in printed
    assert np.unique(curve[moving]).size >= 5, f"{moving} should vary over the probes"


def test_maze_adaptation_is_the_csv_analyze_writes(analysed):
    """The agent's and the best fixed policy's numbers are maze_adaptation.csv's
    rows, column by column at its six significant digits (the policy, its count
    and completeness too), and the description is what `enu analyze` prints."""
    folder, printed = analysed("tmaze")
    result = enu.maze_adaptation(folder / "checkpoint_best.npz")
    agent, fixed = read_csv(folder / "maze_adaptation.csv")
    assert (agent["policy"], fixed["policy"]) == ("agent", "best_fixed")
    extra = {"policies_evaluated", "search_complete", "fixed_policy"}
    for row, numbers in ((agent, result["agent"]), (fixed, result["best_fixed"])):
        for column in row.keys() - extra - {"policy"}:
            assert text(numbers[column]) == row[column], f"{row['policy']} {column}"
    assert text(result["best_fixed"]["policies_evaluated"]) == fixed["policies_evaluated"]
    assert text(int(result["best_fixed"]["search_complete"])) == fixed["search_complete"]
    assert result["best_fixed"]["policy"] == fixed["fixed_policy"]
    assert result["lifetimes"] == result["agent"]["lifetimes"] == 24
    assert result["description"] in printed
    assert result["best_fixed"]["swaps_counted"] > 0 and result["agent"]["swaps_counted"] > 0, "no swap met"


def test_maze_adaptation_by_input_order_is_the_summarys(analysed):
    """The arrays by input order are the numbers of the description's per-order
    lines (lifetimes, agent score and fitness, best fixed score), and count
    every lifetime once."""
    folder, _ = analysed("tmaze")
    result = enu.maze_adaptation(folder / "checkpoint_best.npz")
    agent, fixed = result["agent"]["by_order"], result["best_fixed"]["by_order"]
    assert len(result["input_orders"]) == 6
    for k, order in enumerate(result["input_orders"]):
        line = (f"  {order}: {agent['lifetimes'][k]:2d} lifetimes, agent {agent['adaptation_score'][k]:.3f} "
                f"(fitness {agent['mean_fitness'][k]:.2f}), best fixed {fixed['adaptation_score'][k]:.3f}")
        assert line in result["description"].splitlines()
    for score in (result["agent"], result["best_fixed"]):
        assert score["by_order"]["lifetimes"].sum() == result["lifetimes"]
        assert score["by_order"]["lifetimes_scored"].sum() == score["lifetimes_scored"]


def test_a_theta_given_with_a_checkpoint_is_analysed(analysed):
    """theta given beside a checkpoint replaces its centre: the checkpoint's
    config with the centre gives the checkpoint's curve, another theta another."""
    folder, _ = analysed("stdp")
    checkpoint = enu.Checkpoint.load(str(folder / "checkpoint_best.npz"))
    theta = moving_theta(checkpoint.config, "stdp")
    np.testing.assert_array_equal(enu.stdp_window(checkpoint.config, theta)["dw_evolved"],
                                  enu.stdp_window(checkpoint)["dw_evolved"])
    assert not np.array_equal(enu.stdp_window(checkpoint, theta * np.float32(0.5))["dw_evolved"],
                              enu.stdp_window(checkpoint)["dw_evolved"])


@pytest.mark.parametrize("analysis, task, message", [
    (enu.fi_curve, "stdp", "f-I curve: task stdp is not iaf"),
    (enu.stdp_window, "iaf", "learning window: task iaf is not stdp or stdp_complex"),
    (enu.maze_adaptation, "stdp", "maze adaptation: task stdp is not a maze task"),
    (enu.fi_curve, "tmaze", "f-I curve: task tmaze is not iaf"),
])
def test_an_analysis_of_another_task_is_refused(analysis, task, message):
    """Each analysis refuses a config of a task it does not analyse, naming the task."""
    config = config_of(task)
    with pytest.raises(enu.Error, match=message):
        analysis(config, config.initial_centre())


def test_bad_theta_is_refused():
    """A float64 or wrong-sized theta, or none with a Config, is refused with what is wrong."""
    config = config_of("iaf")
    theta = config.initial_centre()
    with pytest.raises(TypeError, match="float32"):
        enu.fi_curve(config, theta.astype(np.float64))
    with pytest.raises(ValueError, match=f"{theta.size + 1} values.*{theta.size} parameters"):
        enu.fi_curve(config, np.append(theta, np.float32(0)))
    with pytest.raises(TypeError, match="theta is required"):
        enu.fi_curve(config)
