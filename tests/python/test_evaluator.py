"""enu.Evaluator: the engine's fitness from Python, on the members `enu evolve` meets."""

import sys
import threading
import time

import numpy as np
import pytest

import enu
from conftest import SMALL_IAF, config_path, read_csv, set_args, text


def test_given_rows_are_the_members_enu_evolve_evaluates(small_iaf):
    """The engine's members as rows (mirrored_members) get exactly the fitness
    of the mirrored population the strategy evaluates."""
    evaluator = enu.Evaluator(small_iaf)
    centre = small_iaf.initial_centre()
    rows = enu.mirrored_members(centre, 0.05, 8, seed=small_iaf["run.seed"], generation=2)
    assert rows.shape == (8, small_iaf.param_count) and rows.dtype == np.float32
    mirrored = evaluator.evaluate_mirrored(centre, 0.05, 8, 2)
    np.testing.assert_array_equal(evaluator.evaluate(rows, 2), mirrored)
    assert len(set(mirrored.tolist())) > 1  # the members differ: the check compares something


def test_mirrored_members_are_centre_plus_minus_sigma_noise(small_iaf):
    """Member 2i and 2i + 1 are centre + sigma eps_i and centre - sigma eps_i,
    eps_i from es_noise (to float32 rounding: the engine fuses the multiply-add)."""
    centre = small_iaf.initial_centre()
    n = small_iaf.param_count
    rows = enu.mirrored_members(centre, 0.05, 4, seed=3, generation=1)
    for i in range(2):
        eps = enu.es_noise(3, 1, i, n)
        np.testing.assert_allclose(rows[2 * i], centre + np.float32(0.05) * eps, rtol=0, atol=1e-6)
        np.testing.assert_allclose(rows[2 * i + 1], centre - np.float32(0.05) * eps, rtol=0, atol=1e-6)
    assert abs(float(enu.es_noise(3, 1, 0, 100000).std()) - 1.0) < 0.01  # standard normals


def test_fitness_is_what_the_strategy_logs(small_iaf, tmp_path, cli):
    """Generation 0's best, mean and centre fitness as enu.evolve's callback
    reports them (the run loop's own doubles) equal the evaluator's, bit for
    bit, and the CLI's metrics.csv prints the same numbers."""
    reports = []
    enu.evolve(small_iaf, out=tmp_path / "run", on_generation=reports.append)
    evaluator = enu.Evaluator(small_iaf)
    centre = small_iaf.initial_centre()
    sigma = small_iaf["es.sigma"]
    members = evaluator.evaluate(enu.mirrored_members(centre, sigma, 8, small_iaf["run.seed"], 0), 0)
    centre_fitness = evaluator.evaluate_centre(centre, 0)
    assert reports[0]["best"] == members.max()
    assert reports[0]["mean"] == members.mean()  # the same summation order: member 0 up
    assert reports[0]["centre"] == centre_fitness
    cli("evolve", config_path("iaf"), *set_args(SMALL_IAF), "--out", tmp_path / "cli", "--quiet")
    logged = read_csv(tmp_path / "cli" / "metrics.csv")[0]
    assert (logged["best"], logged["mean"], logged["centre"]) == (text(members.max()), text(members.mean()),
                                                                  text(centre_fitness))


def test_per_lifetime_fitness_averages_to_the_member_fitness(small_iaf):
    """per_lifetime gives [members x lifetimes] float32 whose float64 row means are the member fitness."""
    evaluator = enu.Evaluator(small_iaf)
    rows = enu.mirrored_members(small_iaf.initial_centre(), 0.05, 4, 1, 0)
    each = evaluator.evaluate(rows, 0, lifetimes=5, per_lifetime=True)
    assert each.shape == (4, 5) and each.dtype == np.float32
    np.testing.assert_array_equal(each.astype(np.float64).mean(axis=1), evaluator.evaluate(rows, 0, lifetimes=5))
    other_seed = evaluator.evaluate(rows, 0, lifetimes=5, seed=99, per_lifetime=True)
    assert not np.array_equal(each, other_seed)  # the seed picks the lifetimes


def test_results_do_not_depend_on_threads(small_iaf):
    """One thread or two: the same bits."""
    rows = enu.mirrored_members(small_iaf.initial_centre(), 0.05, 8, 1, 0)
    one = enu.Evaluator(small_iaf.with_overrides(["run.threads=1"])).evaluate(rows, per_lifetime=True)
    two = enu.Evaluator(small_iaf.with_overrides(["run.threads=2"])).evaluate(rows, per_lifetime=True)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize(
    "make, error, message",
    [(lambda r: r.astype(np.float64), TypeError, "dtype must be float32"),
     (lambda r: r.tolist(), TypeError, "expected a numpy array of float32, got list"),
     (lambda r: r[0], ValueError, "expected 2 dimensions, got 1"),
     (lambda r: np.ascontiguousarray(r[:, :-1]), ValueError, r"has \d+ values per row; the model has \d+"),
     (lambda r: r[::2], ValueError, "must be C-contiguous"),
     (lambda r: np.asfortranarray(r), ValueError, "must be C-contiguous"),
     (lambda r: r[:0], ValueError, "no members")])
def test_bad_parameter_arrays_are_refused(small_iaf, make, error, message):
    """Wrong dtype, shape, order, parameter count or no members: an exception naming it, never a copy or a crash."""
    rows = enu.mirrored_members(small_iaf.initial_centre(), 0.05, 4, 1, 0)
    with pytest.raises(error, match=message):
        enu.Evaluator(small_iaf).evaluate(make(rows))


def test_bad_requests_are_refused(small_iaf):
    """No lifetimes, an odd mirrored population, a centre of the wrong size: clear exceptions."""
    evaluator = enu.Evaluator(small_iaf)
    centre = small_iaf.initial_centre()
    with pytest.raises(ValueError, match="lifetimes must be at least 1"):
        evaluator.evaluate_centre(centre, lifetimes=0)
    with pytest.raises(ValueError, match="population must be even"):
        evaluator.evaluate_mirrored(centre, 0.1, 3)
    with pytest.raises(ValueError, match="theta: has 10 values per row"):
        evaluator.evaluate_centre(np.zeros(10, np.float32))


def test_evaluations_run_while_python_runs(small_iaf):
    """The GIL is released while the engine evaluates: a Python thread keeps
    counting during a long evaluation (held, it would stall for the whole call),
    and two threads evaluating at once get the results of one thread alone."""
    config = small_iaf.with_overrides(["run.threads=1"])
    rows = enu.mirrored_members(config.initial_centre(), 0.05, 256, 1, 0)  # about 50 ms a call
    alone = enu.Evaluator(config).evaluate(rows, lifetimes=8)

    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())

    counter = threading.Thread(target=count)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # the counter gets the GIL within 0.1 ms whenever it is free
    counter.start()
    start = time.perf_counter()
    enu.Evaluator(config).evaluate(rows, lifetimes=8)
    end = time.perf_counter()
    done.set()
    counter.join()
    sys.setswitchinterval(switch)
    inside = [t for t in ticks if start <= t <= end]
    gaps = np.diff([start, *inside, end])
    assert gaps.max() < 0.5 * (end - start), f"the counter stalled {gaps.max():.3f} s of a {end - start:.3f} s call"

    results = [None, None]

    def evaluate(i):
        results[i] = enu.Evaluator(config).evaluate(rows, lifetimes=8)

    threads = [threading.Thread(target=evaluate, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(results[0], alone)
    np.testing.assert_array_equal(results[1], alone)


def test_every_task_evaluates():
    """A network task (the small T-maze) and an objective (sphere) evaluate through the same call."""
    maze = enu.load_config(config_path("tmaze_small"), ["es.lifetimes=2", "task.maze.steps=20", "run.threads=1"])
    f = enu.Evaluator(maze).evaluate(enu.mirrored_members(maze.initial_centre(), 0.01, 2, 1, 0))
    assert f.shape == (2,) and np.isfinite(f).all()
    sphere = enu.load_config(config_path("sphere"))
    centre = sphere.initial_centre()
    value = enu.Evaluator(sphere).evaluate_centre(centre)
    assert value == pytest.approx(-float(np.sum(centre.astype(np.float64) ** 2)), rel=1e-6)


def test_backends_say_what_this_build_can_run(small_iaf):
    """The CPU backends always run; a backend that cannot run here is refused with its reason."""
    backends = {b["name"]: b for b in enu.backends()}
    assert backends["cpu"]["unavailable"] == "" and backends["reference"]["unavailable"] == ""
    assert not backends["cpu"]["on_gpu"]
    for name, backend in backends.items():
        if backend["unavailable"]:
            with pytest.raises(enu.Error):
                enu.Evaluator(small_iaf.with_overrides([f"run.backend={name}"]))
    reference = enu.Evaluator(small_iaf.with_overrides(["run.backend=reference"]))
    assert reference.name == "reference"
