"""classroom/jupyterhub_config.py as JupyterHub loads it, and the pins `make hub` installs."""

from __future__ import annotations

import json
import runpy
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from traitlets.config import Config

from .conftest import require_readable_project

PROJECT = Path(__file__).resolve().parents[2]
CONFIG = PROJECT / "classroom" / "jupyterhub_config.py"


def load(monkeypatch, tmp_path, python: str) -> Config:
    config = Config()
    monkeypatch.setenv("QUEUE_LAB_HUB_PYTHON", python)
    monkeypatch.setenv("QUEUE_LAB_HUB_DIR", str(tmp_path / "hub"))
    monkeypatch.setenv("QUEUE_LAB_INSTRUCTOR", "teacher")
    runpy.run_path(str(CONFIG), init_globals={"get_config": lambda: config})
    return config


def test_loopback_pam_class_group_and_the_learners_command(monkeypatch, tmp_path):
    require_readable_project()
    c = load(monkeypatch, tmp_path, "/bin/sh")  # any program every user can run
    assert (c.JupyterHub.ip, c.JupyterHub.hub_ip) == ("127.0.0.1", "127.0.0.1")
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.PAMAuthenticator.allowed_groups == {"queue-lab-learners"}
    assert c.Authenticator.admin_users == {"teacher"}
    expected = "systemdspawner.SystemdSpawner" if Path("/run/systemd/system").is_dir() and \
        _has("systemdspawner") else "localprocess"
    assert c.JupyterHub.spawner_class == expected
    assert c.Spawner.cmd == ["/bin/sh", "-m", "labsupport.classroom.singleuser"]
    culler, = c.JupyterHub.services
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=3600" in culler["command"]
    assert Path(c.ConfigurableHTTPProxy.command[0]) == \
        PROJECT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
    assert (tmp_path / "hub").stat().st_mode & 0o077 == 0, "the hub's secrets folder is 0700"


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_a_python_learners_cannot_run_is_refused_with_a_sentence(monkeypatch, tmp_path):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    (closed / "python").write_text("")
    (closed / "python").chmod(0o755)
    with pytest.raises(SystemExit, match=r"Learners could not run the lab: \S+ is not open to "
                       r"other users \(mode 700\)\. .* QUEUE_LAB_HUB_PYTHON"):
        load(monkeypatch, tmp_path, str(closed / "python"))


def test_the_pins_make_hub_installs():
    extra = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["hub"]
    pins = dict(line.split("==") for line in extra)
    constraints = dict(line.split("==") for line in (PROJECT / "constraints.txt").read_text()
                       .splitlines() if "==" in line and not line.startswith("#"))
    for package, pinned in pins.items():
        assert constraints[package] == pinned, f"constraints.txt pins {package} the same"
        assert version(package) == pinned, f"installed {package} is the pinned one"
    proxy = json.loads((PROJECT / "classroom" / "package.json").read_text())["dependencies"]
    lock = json.loads((PROJECT / "classroom" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/configurable-http-proxy"]["version"] == \
        proxy["configurable-http-proxy"] == "5.3.0"
    root = json.loads((PROJECT / "package.json").read_text())["dependencies"]
    assert "configurable-http-proxy" not in root, "the hub's proxy stays out of the lab's"

