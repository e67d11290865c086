"""enu from Python: the engine's configs, evaluators, evolution, checkpoints,
lifetimes and analyses over numpy arrays. docs/python.md has the guide."""

from enu._enu import Checkpoint, Config, Error, Evaluator, es_noise, mirrored_members

__all__ = ["Checkpoint", "Config", "Error", "Evaluator", "es_noise", "load_config", "mirrored_members"]


def load_config(path, overrides=()):
    """Loads a YAML config with overrides ('section.key=value', as `enu evolve --set`)."""
    return Config.load(str(path), list(overrides))
