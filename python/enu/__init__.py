"""enu from Python: the engine's configs, evaluators, evolution, checkpoints,
lifetimes and analyses over numpy arrays (docs/python.md).

Everything here calls the C++ engine (the extension module enu._enu); what is
written in Python only moves arguments and reads files the engine wrote."""

import csv
import os

import numpy as np

from enu import _enu
from enu._enu import (
    Checkpoint,
    Config,
    Error,
    Evaluator,
    backends,
    es_noise,
    fi_curve,
    maze_adaptation,
    mirrored_members,
    record_lifetimes,
    stdp_window,
)

__all__ = ["Checkpoint", "Config", "Error", "Evaluator", "backends", "es_noise", "evolve", "fi_curve", "load_config",
           "maze_adaptation", "mirrored_members", "read_metrics", "record_lifetimes", "resume", "stdp_window"]


def load_config(path, overrides=()):
    """Loads a YAML config with overrides ('section.key=value', as `enu evolve --set`)."""
    return Config.load(path, list(overrides))


def evolve(config, overrides=(), *, out=None, on_generation=None, progress=False):
    """Evolves a config (an enu.Config or a YAML path, with overrides) as `enu evolve` does.

    See enu._enu.evolve for the run folder, the callback and the returned dict;
    its "metrics" entry holds metrics.csv as arrays (read_metrics)."""
    if not isinstance(config, Config):
        config = load_config(config, overrides)
    elif overrides:
        config = config.with_overrides(list(overrides))
    result = _enu.evolve(config, out=out or "", on_generation=on_generation, progress=progress)
    result["metrics"] = read_metrics(result["run_dir"])
    return result


def resume(run_dir, overrides=(), *, on_generation=None, progress=False):
    """Continues a run folder from its latest checkpoint, as `enu evolve --resume` does
    (overrides: run.* only); returns what evolve returns."""
    result = _enu.resume(run_dir, list(overrides), on_generation=on_generation, progress=progress)
    result["metrics"] = read_metrics(result["run_dir"])
    return result


# metrics.csv's columns that count things; centre_hash is a 64-bit FNV-1a hash.
_INTEGER_COLUMNS = {"generation", "nonfinite", "ranks"}


def read_metrics(run_dir):
    """metrics.csv of a run folder as a dict of numpy arrays, one entry per column
    (generation, best, mean, centre, sigma, ..., centre_hash as uint64)."""
    with open(os.path.join(os.fspath(run_dir), "metrics.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, values = rows[0], rows[1:]
    columns = {}
    for i, name in enumerate(header):
        column = [row[i] for row in values]
        if name == "centre_hash":
            columns[name] = np.array([int(v) for v in column], dtype=np.uint64)
        elif name in _INTEGER_COLUMNS:
            columns[name] = np.array([int(v) for v in column], dtype=np.int64)
        else:
            columns[name] = np.array([float(v) for v in column], dtype=np.float64)
    return columns
