"""enu.Config: the engine's reader from Python (values, overrides, errors, layout)."""

import pathlib

import numpy as np
import pytest

import enu
from conftest import REPO, config_path


def test_values_are_python_values_of_the_resolved_config():
    """Keys read back as the YAML spells them, typed, with the overrides applied."""
    config = enu.load_config(config_path("iaf"), ["es.population=64", "run.seed=7"])
    assert config["es.population"] == 64 and isinstance(config["es.population"], int)
    assert config["run.seed"] == 7
    assert isinstance(config["es.sigma"], float)
    assert config["task.name"] == "iaf"
    assert config["es"]["population"] == 64  # a section is a dict
    assert config.to_dict()["es"] == config["es"]


def test_setting_a_value_is_checked_like_set():
    """config[key] = value goes through the engine's checks: a good value lands,
    an unknown key or an out-of-range value raises enu.Error naming it."""
    config = enu.load_config(config_path("iaf"))
    config["es.sigma"] = 0.02
    config["model.cell.spiking"] = False
    assert config["es.sigma"] == pytest.approx(0.02) and config["model.cell.spiking"] is False
    with pytest.raises(enu.Error, match=r"es\.sigmaa: unknown key \(did you mean es\.sigma\?\)"):
        config["es.sigmaa"] = 0.1
    with pytest.raises(enu.Error, match=r"es\.sigma: -1 is out of range"):
        config["es.sigma"] = -1.0
    with pytest.raises(enu.Error, match=r"es\.population"):
        config["es.population"] = "many"
    with pytest.raises(TypeError, match=r"es\.sigma: a config value is"):
        config["es.sigma"] = object()
    assert config["es.sigma"] == pytest.approx(0.02)  # a refused change leaves the config as it was


def test_bad_files_and_keys_name_the_fault(tmp_path):
    """A missing file, a YAML key the schema lacks (with file and line) and a
    missing key to read each raise a clear exception."""
    with pytest.raises(enu.Error, match=r"nope\.yaml: cannot open"):
        enu.load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntask:\n  name: iaf\nes:\n  popullation: 8\n")
    with pytest.raises(enu.Error, match=r"bad\.yaml:5: es\.popullation: unknown key"):
        enu.load_config(bad)
    with pytest.raises(KeyError, match=r"no 'foo' in es"):
        enu.load_config(config_path("iaf"))["es.foo"]


def test_resolved_yaml_reads_back_to_the_same_config(tmp_path):
    """to_yaml / write give YAML the engine reads back to an equal config."""
    config = enu.load_config(config_path("tmaze_small"), ["es.sigma=0.03"])
    again = enu.Config.from_yaml(config.to_yaml(), "again")
    assert again.to_yaml() == config.to_yaml()
    path = tmp_path / "resolved.yaml"
    config.write(path)
    assert enu.load_config(path).to_yaml() == config.to_yaml()


def test_cell_blocks_follow_the_cell_equations():
    """A single ENU of I inputs, M memory cells and O outputs has W_g
    ((I+O+M+1) x 2M), W_c ((I+O+M+1) x M) and W_o ((M+1) x O), back to back."""
    config = enu.load_config(config_path("iaf"))
    i, m, o = config["model.cell.inputs"], config["model.cell.memory"], config["model.cell.outputs"]
    u = i + o + m
    assert config.parameter_blocks() == [("W_g", 0, u + 1, 2 * m), ("W_c", (u + 1) * 2 * m, u + 1, m),
                                         ("W_o", (u + 1) * 3 * m, m + 1, o)]
    assert config.param_count == (u + 1) * 3 * m + (m + 1) * o


def test_network_blocks_cover_the_parameters_once():
    """A network's synapse and neuron blocks tile [0, param_count) without a gap or overlap."""
    config = enu.load_config(config_path("tmaze_small"))
    blocks = config.parameter_blocks()
    assert [b[0] for b in blocks] == ["synapse.W_g", "synapse.W_c", "synapse.W_o",
                                      "neuron.W_g", "neuron.W_c", "neuron.W_o"]
    end = 0
    for _, offset, rows, columns in blocks:
        assert offset == end
        end = offset + rows * columns
    assert end == config.param_count
    assert "parameters" in config.parameter_layout


def test_initial_centre_is_the_published_initialisation():
    """The first centre is float32 of the model's size, with zero bias rows
    (the published initialisation) and orthogonal-scale weights elsewhere."""
    config = enu.load_config(config_path("iaf"))
    theta = config.initial_centre()
    assert theta.dtype == np.float32 and theta.shape == (config.param_count,)
    for _, offset, rows, columns in config.parameter_blocks():
        block = theta[offset:offset + rows * columns].reshape(rows, columns)
        assert not block[-1].any()  # the bias row
        assert np.abs(block[:-1]).max() > 0


def test_every_committed_config_loads():
    """Every config in configs/ (but the comparison files) loads with a positive parameter count."""
    for path in sorted((REPO / "configs").glob("*.yaml")):
        if path.name.startswith("compare_"):
            continue
        assert enu.load_config(path).param_count > 0, path.name


def test_the_package_carries_its_type_stubs():
    """The installed package has py.typed and stubs naming every public function of the module."""
    folder = pathlib.Path(enu.__file__).parent
    assert (folder / "py.typed").exists()
    stubs = (folder / "_enu.pyi").read_text()
    for name in ("Config", "Evaluator", "Checkpoint", "evolve", "resume", "record_lifetimes", "fi_curve",
                 "stdp_window", "maze_adaptation", "es_noise", "mirrored_members", "backends"):
        assert f"def {name}(" in stubs or f"class {name}" in stubs, name
