"""enu.evolve / enu.resume: `enu evolve` from Python, the same folder and bits."""

import os
import signal
import threading

import numpy as np
import pytest

import enu
from conftest import SMALL_IAF, config_path

# metrics.csv columns that are not timings: equal between runs of the same config.
DETERMINISTIC = ["generation", "best", "mean", "centre", "sigma", "nonfinite", "centre_hash"]


def same_rows(a, b):
    for column in DETERMINISTIC:
        np.testing.assert_array_equal(a[column], b[column], err_msg=column)


def test_python_runs_are_cli_runs(cli, tmp_path):
    """enu.evolve writes the run the CLI writes: metrics (but timings), both
    checkpoints bit for bit, the held-out summary and the analysis CSV."""
    result = enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "py")
    cli("evolve", config_path("iaf"), *[a for s in SMALL_IAF for a in ("--set", s)], "--out", tmp_path / "cli",
        "--quiet")
    same_rows(enu.read_metrics(tmp_path / "py"), enu.read_metrics(tmp_path / "cli"))
    for which in ("latest", "best"):
        py = enu.Checkpoint.load(tmp_path / "py" / f"checkpoint_{which}.npz")
        ref = enu.Checkpoint.load(tmp_path / "cli" / f"checkpoint_{which}.npz")
        np.testing.assert_array_equal(py.theta, ref.theta)
        np.testing.assert_array_equal(py.moment1, ref.moment1)
    summary = (tmp_path / "cli" / "summary.yaml").read_text()
    assert f"held_out_fitness_mean: {result['held_out_mean']:.9g}" in summary
    assert (tmp_path / "py" / "fi_curve.csv").read_text() == (tmp_path / "cli" / "fi_curve.csv").read_text()
    assert result["generations"] == 3 and not result["stopped"] and result["backend"] == "cpu"


def test_the_callback_sees_every_generation_and_can_stop_it(tmp_path):
    """on_generation gets each generation's report as metrics.csv has it;
    returning False stops the run with a checkpoint, and resuming it gives the
    rows and centres of a run that was never stopped."""
    whole = enu.evolve(config_path("iaf"), SMALL_IAF + ["run.generations=6"], out=tmp_path / "whole")
    reports = []

    def stop_after_two(report):
        reports.append(report)
        return report["generation"] < 1

    first = enu.evolve(config_path("iaf"), SMALL_IAF + ["run.generations=6"], out=tmp_path / "split",
                       on_generation=stop_after_two)
    assert first["stopped"] and first["generations"] == 2
    assert [r["generation"] for r in reports] == [0, 1]
    rows = enu.read_metrics(tmp_path / "split")
    assert [r["best"] for r in reports] == pytest.approx(rows["best"].tolist(), rel=1e-5)  # CSV: 6 digits
    second = enu.resume(tmp_path / "split")
    assert second["generations"] == 6 and whole["generations"] == 6
    same_rows(enu.read_metrics(tmp_path / "split"), enu.read_metrics(tmp_path / "whole"))


def test_an_exception_in_the_callback_propagates_and_the_run_resumes(tmp_path):
    """A callback that raises ends the call with its exception; the folder resumes to the uninterrupted bits."""
    enu.evolve(config_path("iaf"), SMALL_IAF + ["run.generations=5", "run.checkpoint_every=2"], out=tmp_path / "whole")

    def fail_at_three(report):
        if report["generation"] == 3:
            raise RuntimeError("the callback failed")

    with pytest.raises(RuntimeError, match="the callback failed"):
        enu.evolve(config_path("iaf"), SMALL_IAF + ["run.generations=5", "run.checkpoint_every=2"],
                   out=tmp_path / "broken", on_generation=fail_at_three)
    enu.resume(tmp_path / "broken")
    same_rows(enu.read_metrics(tmp_path / "broken"), enu.read_metrics(tmp_path / "whole"))


def test_resume_refuses_what_the_cli_refuses(tmp_path):
    """A resume may change run.* only, and the folder must hold a checkpoint."""
    enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "run")
    with pytest.raises(enu.Error, match="only run.* settings may be overridden"):
        enu.resume(tmp_path / "run", ["es.sigma=0.5"])
    with pytest.raises(enu.Error, match="checkpoint_latest.npz"):
        enu.resume(tmp_path / "empty")


def test_warm_start_begins_at_the_given_centre(tmp_path):
    """run.init_from starts a new run from another run's best centre: its first centre hash is that centre's."""
    enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "first")
    best = tmp_path / "first" / "checkpoint_best.npz"
    result = enu.evolve(config_path("iaf"), SMALL_IAF + [f"run.init_from={best}", "run.generations=1"],
                        out=tmp_path / "second")
    assert result["generations"] == 1
    start = enu.Checkpoint.load(tmp_path / "second" / "checkpoint_best.npz")  # generation 0's centre
    np.testing.assert_array_equal(start.theta, enu.Checkpoint.load(best).theta)


def test_metrics_arrays_have_the_columns_of_the_file(tmp_path):
    """read_metrics: one array per column, counts as integers, the hash as uint64."""
    enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "run")
    metrics = enu.read_metrics(tmp_path / "run")
    header = (tmp_path / "run" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert list(metrics) == header
    assert metrics["generation"].tolist() == [0, 1, 2]
    assert metrics["centre_hash"].dtype == np.uint64 and metrics["best"].dtype == np.float64


def test_ctrl_c_stops_at_a_generation_boundary(tmp_path):
    """SIGINT while the engine runs stops the run at the next generation with
    its checkpoint written, then raises KeyboardInterrupt saying how to resume;
    the resumed run equals one never interrupted."""
    overrides = SMALL_IAF + ["run.generations=3000", "run.checkpoint_every=1000"]
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt, match=r"stopped at generation (\d+); enu.resume\("):
        enu.evolve(config_path("iaf"), overrides, out=tmp_path / "stopped")
    timer.cancel()
    rows = enu.read_metrics(tmp_path / "stopped")
    reached = enu.Checkpoint.load(tmp_path / "stopped" / "checkpoint_latest.npz").generation
    assert 0 < reached < 3000 and reached == len(rows["generation"])  # stopped between checkpoints, and kept
    short = ["run.generations=" + str(reached + 5)]
    resumed = enu.resume(tmp_path / "stopped", short)
    whole = enu.evolve(config_path("iaf"), overrides + short, out=tmp_path / "whole")
    same_rows(resumed["metrics"], whole["metrics"])


def test_a_folder_in_use_is_refused(tmp_path):
    """While one thread's run writes a folder, a second run into it (from
    another thread of the same process) is refused with enu.Error naming this
    process; when the first ends, the folder is free again."""
    started, release = threading.Event(), threading.Event()

    def hold(report):
        started.set()
        release.wait()
        return False

    first = threading.Thread(target=enu.evolve, args=(config_path("iaf"), SMALL_IAF),
                             kwargs={"out": tmp_path / "run", "on_generation": hold})
    first.start()
    started.wait()
    try:
        with pytest.raises(enu.Error, match=rf"run folder '.*run' is in use by pid {os.getpid()} on host "):
            enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "run")
    finally:
        release.set()
        first.join()
    assert enu.resume(tmp_path / "run")["generations"] == 3


def test_progress_draws_the_cli_line(tmp_path, capfd):
    """progress=True writes `enu evolve`'s progress line to stderr; the default writes nothing."""
    enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "quiet")
    assert capfd.readouterr().err == ""
    enu.evolve(config_path("iaf"), SMALL_IAF, out=tmp_path / "loud", progress=True)
    assert "gen 3/3" in capfd.readouterr().err
