"""enu from Python: the engine's configs, evaluators, evolution, checkpoints,
lifetimes and analyses over numpy arrays. docs/python.md has the guide."""

from enu._enu import (
    Checkpoint,
    Config,
    Error,
    Evaluator,
    es_noise,
    fi_curve,
    maze_adaptation,
    mirrored_members,
    record_lifetimes,
    stdp_window,
)

__all__ = [
    "Checkpoint",
    "Config",
    "Error",
    "Evaluator",
    "es_noise",
    "fi_curve",
    "load_config",
    "maze_adaptation",
    "mirrored_members",
    "record_lifetimes",
    "stdp_window",
]


def load_config(path, overrides=()):
    """Loads a YAML config with overrides ('section.key=value', as `enu evolve --set`)."""
    return Config.load(str(path), list(overrides))
