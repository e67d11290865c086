"""docs/python.md's Python blocks run as written: each in a fresh namespace, from
a folder whose configs/ and docs/ are the repository's (runs/ goes there)."""

import re

import matplotlib
import pytest

from conftest import REPO

matplotlib.use("Agg")  # figures to files, no display

BLOCKS = re.findall(r"^```python\n(.*?)^```", (REPO / "docs" / "python.md").read_text(), re.M | re.S)


def test_the_guide_has_examples():
    """The guide's examples are found (a changed fence would silently test nothing)."""
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_block_runs(index, tmp_path, monkeypatch):
    """Block `index` runs without an error; its own asserts check what it claims."""
    for name in ("configs", "docs"):
        (tmp_path / name).symlink_to(REPO / name)
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[index], f"docs/python.md block {index}", "exec"), {"__name__": "__docs__"})
