"""Shared fixtures of the Python package's tests: the repository, the CLI built
beside the package (build/host/cli/enu, by tools/check.sh), small configs, and
the engine's CSVs as text."""

import csv
import os
import pathlib
import subprocess

import numpy as np

import pytest

import enu

REPO = pathlib.Path(__file__).resolve().parents[2]
CLI = REPO / "build" / "host" / "cli" / "enu"

# iaf at a size that evolves in well under a second: the engine's paths, not its results.
SMALL_IAF = ["es.population=8", "es.lifetimes=2", "run.generations=3", "run.eval_lifetimes=4", "run.threads=1"]


@pytest.fixture(scope="session")
def cli():
    """Runs the `enu` command line; fails (not skips) when it was not built."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with `cmake -S . -B build && cmake --build build` (tools/check.sh does)")

    def run(*args, cwd=None):
        done = subprocess.run([str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"enu {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    return run


def set_args(overrides):
    """Overrides as the CLI's --set arguments."""
    return [a for s in overrides for a in ("--set", s)]


def run_holding(cli, folder, config_name, overrides, make_theta):
    """A CLI run of configs/<config_name>.yaml into `folder` whose best checkpoint
    then holds make_theta(its config) instead of what it evolved; returns that theta."""
    cli("evolve", config_path(config_name), *set_args(overrides), "--out", folder, "--quiet")
    checkpoint = enu.Checkpoint.load(folder / "checkpoint_best.npz")
    checkpoint.theta = make_theta(checkpoint.config)
    checkpoint.save(folder / "checkpoint_best.npz")
    return checkpoint.theta


def read_csv(path):
    """A CSV the engine wrote, as a list of dicts of strings."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def text(value):
    """A number as the engine's CSVs print it (six significant digits; integers whole)."""
    return str(value) if isinstance(value, (bool, int, np.integer)) else format(float(value), ".6g")


@pytest.fixture
def small_iaf():
    """configs/iaf.yaml at a tiny size."""
    return enu.load_config(REPO / "configs" / "iaf.yaml", SMALL_IAF)


def config_path(name):
    return os.fspath(REPO / "configs" / f"{name}.yaml")
