"""Idle servers stop, and their learner's local cloud with them (jupyterhub-idle-culler).

A hub whose culler stops servers idle for 20 s (the class default is an hour): a learner's
server starts, its kernel starts the learner's local cloud, the kernel is shut down, and
nobody uses the server again. The culler must stop the server, and with it the cloud.
"""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest

from labsupport.classroom.remote_kernel import RemoteKernel

from .conftest import Hub, add_learners, learner_names, remove_learners, require_root
from .test_hub import cloud_status

pytestmark = [pytest.mark.hub, pytest.mark.timeout(600)]


def test_an_idle_server_and_its_cloud_stop(learner_python, tmp_path):
    require_root()
    name, = learner_names("c", 1)
    add_learners(name)
    hub = None
    try:
        hub = Hub(tmp_path, learner_python, idle_timeout=20, cull_every=5)
        hub.api("POST", "/users", json={"usernames": [name]})
        hub.start_server(name)
        kernel = RemoteKernel(hub.base, name, hub.token).start()
        try:
            kernel.run(["import labsupport; labsupport.connect('idle', quiet=True)"])
        finally:
            kernel.shutdown()
        home = Path(pwd.getpwnam(name).pw_dir)
        assert cloud_status(home)["state"] == "running"
        hub.wait(lambda: not hub.user(name)["servers"], 180, "the culler to stop the server")
        assert "Culling server" in hub.log.read_text(errors="replace")
        hub.wait(lambda: cloud_status(home)["state"] != "running", 60,
                 "the learner's cloud to stop with the server")
    finally:
        if hub is not None:
            hub.stop()
        remove_learners(name)
