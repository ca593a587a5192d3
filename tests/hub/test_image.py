"""§5: the single-user image (binder/Dockerfile) and Zero to JupyterHub's values.yaml.

Neither Docker nor Kubernetes runs here, so this checks what can be checked without them:
the image installs exactly the pinned packages, the values file parses and names that
image, and every way of running the lab starts the same command.
"""

from __future__ import annotations

import json
import re
import runpy
import tomllib
from pathlib import Path

import yaml
from traitlets.config import Config

from .conftest import require_readable_project

PROJECT = Path(__file__).resolve().parents[2]
DOCKERFILE = (PROJECT / "binder" / "Dockerfile").read_text()
VALUES = yaml.safe_load((PROJECT / "classroom" / "k8s" / "values.yaml").read_text())
COMMAND = ["python", "-m", "labsupport.classroom.singleuser"]


def run_lines() -> str:
    """The Dockerfile's RUN instructions, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    return "\n".join(line for line in joined.splitlines() if line.startswith("RUN "))


def test_the_image_installs_exactly_the_pinned_packages():
    runs = run_lines()
    assert "pip install --no-cache-dir --no-deps -r constraints.txt" in runs
    assert "pip install --no-cache-dir --no-deps -e ." in runs
    assert "pip check" in runs, "a missing pin fails the build"
    assert "npm ci" in runs and "npm install" not in runs
    assert [found.strip() for found in re.findall(r"pip install[^&]*", runs)] == [
        "pip install --no-cache-dir --no-deps -r constraints.txt",
        "pip install --no-cache-dir --no-deps -e ."], "nothing installed unpinned"
    pins = dict(line.split("==") for line in (PROJECT / "constraints.txt").read_text()
                .splitlines() if line and not line.startswith("#"))
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["hub"]
    for requirement in wanted:
        name, version = requirement.split("==")
        assert pins.get(name) == version, f"constraints.txt pins {requirement}"


def test_the_image_has_the_labs_node_and_azurite():
    engines = json.loads((PROJECT / "package.json").read_text())["engines"]["node"]
    major = re.search(r"FROM node:(\d+)-", DOCKERFILE).group(1)
    assert engines == f">={major}", "the image's Node is the major the lab asks for"
    assert "COPY package.json package-lock.json ./" in DOCKERFILE
    assert "COPY patches/ patches/" in DOCKERFILE, "npm ci applies the Azurite patch"


def test_values_name_the_image_and_culling():
    title = re.search(r'org\.opencontainers\.image\.title="([^"]+)"', DOCKERFILE).group(1)
    version = re.search(r'org\.opencontainers\.image\.version="([^"]+)"', DOCKERFILE).group(1)
    image = VALUES["singleuser"]["image"]
    assert (image["name"], image["tag"]) == (title, version)
    assert version == tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"][
        "version"]
    assert VALUES["cull"] == {"enabled": True, "timeout": 3600, "every": 60}
    assert VALUES["singleuser"]["memory"]["limit"] and VALUES["singleuser"]["cpu"]["limit"]


def test_every_way_starts_the_same_command(monkeypatch, tmp_path):
    require_readable_project()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    assert cmd == COMMAND
    assert VALUES["singleuser"]["cmd"] == COMMAND
    config = Config()
    monkeypatch.setenv("QUEUE_LAB_HUB_PYTHON", "/bin/sh")
    monkeypatch.setenv("QUEUE_LAB_HUB_DIR", str(tmp_path))
    runpy.run_path(str(PROJECT / "classroom" / "jupyterhub_config.py"),
                   init_globals={"get_config": lambda: config})
    assert config.Spawner.cmd[1:] == COMMAND[1:]
    state = VALUES["singleuser"]["extraEnv"]["LAB_STATE_DIR"]
    assert state == "/home/jovyan/queue-lab/.lab" and "LAB_STATE_DIR=/home/${NB_USER}/" \
        "queue-lab/.lab" in DOCKERFILE, "state under the learner's home, as on one machine"
