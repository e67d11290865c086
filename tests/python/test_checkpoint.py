"""enu.Checkpoint: read what the CLI wrote, write what the CLI resumes from."""

import numpy as np
import pytest

import enu
from conftest import SMALL_IAF, config_path


@pytest.fixture
def cli_run(cli, tmp_path):
    """A 3-generation iaf run of the CLI."""
    out = tmp_path / "cli"
    cli("evolve", config_path("iaf"), *[a for s in SMALL_IAF for a in ("--set", s)], "--out", out, "--quiet")
    return out


def test_reads_what_numpy_reads(cli_run):
    """theta and the moments equal the arrays numpy.load finds in the .npz; the
    header's generation and config come along."""
    checkpoint = enu.Checkpoint.load(cli_run / "checkpoint_latest.npz")
    with np.load(cli_run / "checkpoint_latest.npz") as npz:
        np.testing.assert_array_equal(checkpoint.theta, npz["theta"])
        np.testing.assert_array_equal(checkpoint.moment1, npz["moment1"])
    assert checkpoint.theta.dtype == np.float32
    assert checkpoint.generation == 3
    assert checkpoint.config["es.population"] == 8
    assert checkpoint.config.param_count == checkpoint.theta.size


def test_a_written_checkpoint_resumes_on_the_cli(cli, cli_run, tmp_path):
    """A checkpoint read and written again from Python, alone in a new folder,
    resumes on the CLI to the same centre as the original folder."""
    copy = tmp_path / "copy"
    copy.mkdir()
    enu.Checkpoint.load(cli_run / "checkpoint_latest.npz").save(copy / "checkpoint_latest.npz")
    for folder in (cli_run, copy):
        cli("evolve", "--resume", folder, "--set", "run.generations=5", "--quiet")
    np.testing.assert_array_equal(enu.Checkpoint.load(copy / "checkpoint_latest.npz").theta,
                                  enu.Checkpoint.load(cli_run / "checkpoint_latest.npz").theta)


def test_a_new_checkpoint_warm_starts_a_run(small_iaf, tmp_path):
    """Checkpoint(config, theta) is a run's starting point: run.init_from takes its theta as the first centre."""
    theta = small_iaf.initial_centre() + np.float32(0.5)
    path = tmp_path / "start.npz"
    checkpoint = enu.Checkpoint(small_iaf, theta)
    assert checkpoint.generation == 0 and not checkpoint.moment1.any() and checkpoint.moment1.size == theta.size
    checkpoint.save(path)
    np.testing.assert_array_equal(small_iaf.with_overrides([f"run.init_from={path}"]).initial_centre(), theta)


def test_changing_theta_keeps_its_size(small_iaf):
    """theta may be replaced by float32 values of the same size only."""
    checkpoint = enu.Checkpoint(small_iaf, small_iaf.initial_centre())
    checkpoint.theta = np.ones(small_iaf.param_count, np.float32)
    assert (checkpoint.theta == 1).all()
    with pytest.raises(ValueError, match="theta has 3 values"):
        checkpoint.theta = np.ones(3, np.float32)
    with pytest.raises(TypeError, match="dtype must be float32"):
        checkpoint.theta = np.ones(small_iaf.param_count)
    with pytest.raises(ValueError, match="the config's model has"):
        enu.Checkpoint(small_iaf, np.ones(3, np.float32))


def test_missing_and_corrupt_files_name_the_fault(cli_run, tmp_path):
    """A missing file, a truncated one and a flipped byte each raise enu.Error naming the file."""
    with pytest.raises(enu.Error, match="nothing.npz"):
        enu.Checkpoint.load(tmp_path / "nothing.npz")
    data = (cli_run / "checkpoint_latest.npz").read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(enu.Error, match="truncated.npz"):
        enu.Checkpoint.load(truncated)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(bytes(flipped))
    with pytest.raises(enu.Error, match="corrupt.npz"):
        enu.Checkpoint.load(corrupt)
