"""environment.yml (conda) names exactly the Python dependencies of pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins_in_environment_yml() -> set[str]:
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("- pip:", 1)[1]
    pins = re.finditer(r"^\s+- ([A-Za-z0-9_.\-]+==[^\s#]+)", pip_section, re.M)
    return {m.group(1) for m in pins}


def test_conda_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    assert _pins_in_environment_yml() == expected


def test_conda_environment_installs_the_package_and_node():
    text = (ROOT / "environment.yml").read_text()
    assert '-e ".[dev]"' in text
    assert re.search(r"^\s+- python=3\.11$", text, re.M)
    assert re.search(r"^\s+- nodejs=20$", text, re.M)
    assert "conda-forge" in text
