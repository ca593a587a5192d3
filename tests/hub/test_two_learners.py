"""§2 with two real learners: learner A, as Unix user A, tries learner B's local cloud.

Each learner's local cloud runs as that learner, with state under their home
(``~/queue-lab/.lab``, as on the hub). A tries B's queue, blob and management ports with
A's own tokens, a forged token, no token, B's account name with A's key (and a SAS signed
with it), B's identity endpoint with A's header, and B's queue API; then tries to read
B's state files. Every attempt must be refused (401/403, or Azurite's 400
InvalidAuthenticationInfo for a wrong key: docs/AZURE_DIFFERENCES.md#wrong-account-key)
and B's queues, messages, blobs and keys must be exactly as before.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from .conftest import (
    HERE,
    add_learners,
    learner_names,
    learner_result,
    remove_learners,
    require_root,
    run_as,
)

pytestmark = [pytest.mark.hub, pytest.mark.timeout(600)]

SIDE = str(HERE / "learner_side.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def two_learners(learner_python, tmp_path_factory):
    require_root()
    a, b = learner_names("i", 2)
    add_learners(a, b)
    api = None
    try:
        endpoints = {name: learner_result(run_as(name, str(learner_python), SIDE, "setup"))
                     for name in (a, b)}
        port = free_port()
        # B's queue API, started as B: it acts with B's credential.
        api = subprocess.Popen(["runuser", "-u", b, "--", "env", "-i", f"HOME=/home/{b}",
                                f"USER={b}", "PATH=/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE=1",
                                f"LAB_STATE_DIR={endpoints[b]['state_dir']}",
                                str(learner_python), "-m", "labsupport", "api",
                                "--port", str(port), "--no-access-log"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        token_file = Path(endpoints[b]["state_dir"]) / "secrets" / f"queue-api-{port}.token"
        deadline = time.monotonic() + 180
        while not (token_file.exists() and listening(port)):
            assert api.poll() is None, f"B's queue API stopped: {api.stderr.read()[-2000:]}"
            assert time.monotonic() < deadline, "B's queue API did not start in 180 s"
            time.sleep(0.5)
        endpoints[b]["api"] = f"http://127.0.0.1:{port}"
        endpoints[b]["api_token"] = token_file.read_text().strip()  # root reads it: control
        yield a, b, endpoints, learner_python
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=60)
        for name in (a, b):
            run_as(name, str(learner_python), "-m", "labsupport", "down", check=False)
        remove_learners(a, b)


def test_state_is_private_to_its_learner(two_learners):
    a, b, endpoints, _ = two_learners
    for name in (a, b):
        state = Path(endpoints[name]["state_dir"])
        assert state.is_relative_to(Path(f"/home/{name}")), "state lives under the home"
        assert state.stat().st_uid == pwd.getpwnam(name).pw_uid, "owned by its learner"
        assert Path(f"/home/{name}").stat().st_mode & 0o077 == 0, "home is 0700"
        key = state / "secrets" / "token-signing-key"
        assert key.stat().st_mode & 0o077 == 0, "the signing key is 0600"


def test_b_api_answers_b(two_learners):
    """Positive control: B's queue API works with B's token, so refusals are its doing."""
    _, b, endpoints, _ = two_learners
    answer = requests.get(f"{endpoints[b]['api']}/queue", timeout=60, headers={
        "Authorization": f"Bearer {endpoints[b]['api_token']}"})
    assert answer.status_code == 200, answer.text


def test_a_reaches_nothing_of_b(two_learners, tmp_path):
    a, b, endpoints, python = two_learners
    before = learner_result(run_as(b, str(python), SIDE, "contents"))
    target = dict(endpoints[b])
    target.pop("api_token")
    aim = Path(f"/tmp/queue-lab-aim-{os.getpid()}.json")
    aim.write_text(json.dumps(target))
    aim.chmod(0o644)
    try:
        results = learner_result(run_as(a, str(python), SIDE, "attack", str(aim)))
    finally:
        aim.unlink()
    after = learner_result(run_as(b, str(python), SIDE, "contents"))
    not_refused = {what: status for what, status in results.items()
                   if status not in (401, 403, "400 InvalidAuthenticationInfo",
                                     "PermissionError")}
    assert not not_refused, f"A got through: {not_refused}"
    assert len(results) >= 50, sorted(results)
    assert after == before, "nothing of B's changed"
    assert before["messages"] == [[f"{b}'s private work", 0]], "B's secret is there to steal"
