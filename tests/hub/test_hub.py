"""§1 on this machine: the hub from classroom/jupyterhub_config.py with real learners.

A learner logs in with the password ``class add-learners`` printed (PAM); a wrong one is
refused. Their first start copies the notebooks into their home; a kernel of their server,
reached through the hub's proxy, runs ``connect()`` and gets a local cloud whose state is
under their home, as that learner; stopping the server stops that cloud.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from labsupport.classroom.remote_kernel import RemoteKernel

from .conftest import PROJECT

pytestmark = [pytest.mark.hub, pytest.mark.timeout(600)]


def login(hub, name: str, password: str) -> requests.Response:
    session = requests.Session()
    session.get(f"{hub.base}/hub/login", timeout=60)
    return session.post(f"{hub.base}/hub/login", allow_redirects=False, timeout=60, data={
        "username": name, "password": password, "_xsrf": session.cookies.get("_xsrf")})


def test_learners_log_in_with_their_own_password_only(hub_learners):
    hub, passwords = hub_learners
    ana, ben = sorted(passwords)
    assert login(hub, ana, passwords[ana]).status_code == 302, "the right password logs in"
    assert login(hub, ana, passwords[ben]).status_code == 403, "another's password does not"
    assert login(hub, "root", passwords[ana]).status_code == 403


def cloud_status(home: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "labsupport", "status", "--json"],
                          env={**os.environ, "LAB_STATE_DIR": str(home / "queue-lab" / ".lab")},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_first_start_gives_notebooks_and_a_cloud_that_stops_with_the_server(hub_learners):
    hub, passwords = hub_learners
    name = sorted(passwords)[0]
    home = Path(pwd.getpwnam(name).pw_dir)
    hub.start_server(name)
    copy = home / "queue-lab" / "notebooks"
    lessons = sorted(p.name for p in (PROJECT / "notebooks").glob("[0-9]*.ipynb"))
    assert sorted(p.name for p in copy.glob("[0-9]*.ipynb")) == lessons
    assert all(p.stat().st_uid == pwd.getpwnam(name).pw_uid for p in copy.iterdir())
    kernel = RemoteKernel(hub.base, name, hub.token).start("queue-lab/notebooks")
    try:
        _, where = kernel.run(["import os, getpass, labsupport\n"
                               "lab = labsupport.connect('hubtest', quiet=True)",
                               "print(getpass.getuser(), os.getcwd(), lab.config.state_dir, "
                               "sep='|')"])
    finally:
        kernel.shutdown()
    user, cwd, state = where.strip().split("|")
    assert (user, cwd) == (name, str(copy))
    assert Path(state) == home / "queue-lab" / ".lab"
    running = cloud_status(home)
    assert running["state"] == "running", running
    hub.stop_server(name)
    assert cloud_status(home)["state"] != "running", "the cloud stopped with the server"
