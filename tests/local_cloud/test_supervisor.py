"""Start, reuse, stop, stale records and concurrent starts of the local cloud."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import certifi
import pytest

import localcloud
from labsupport import local
from labsupport.config import load_config
from labsupport.errors import (
    LocalCloudError,
    LocalCloudRestarted,
    NotInstalledError,
    PortInUseError,
)
from labsupport.waits import wait_for
from localcloud import azurite as azurite_module
from localcloud import supervisor
from localcloud import waits as localcloud_waits
from localcloud.state import pid_alive, read_record


@pytest.fixture
def state(tmp_path):
    """A private state folder; whatever starts there is stopped afterwards."""
    yield tmp_path
    localcloud.stop(tmp_path)


def config_for(state: Path, **settings):
    return load_config({"LAB_STATE_DIR": str(state), **settings}, env_file=False)


def daemons_for(state: Path, program: str = "localcloud.daemon") -> list[int]:
    """Pids of local-cloud daemons (or Azurites: ``program="azurite"``) for this folder."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ours = program in cmd and str(state) in cmd
        if ours and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.mark.cloud
def test_up_starts_reuses_and_down_stops(state):
    first = local.up(config_for(state))
    assert pid_alive(first.pid) and pid_alive(first.azurite_pid)
    again = local.up(config_for(state))
    assert again.pid == first.pid, "a second up() must reuse the running cloud"
    current = localcloud.status(state)
    assert current.state == "running"
    data = current.as_dict()
    assert set(data["endpoints"]) == {"management", "identity", "queue", "blob", "table"}
    assert all(url.startswith("https://127.0.0.1:") for url in data["endpoints"].values())

    assert localcloud.stop(state) is True
    assert not pid_alive(first.pid) and not pid_alive(first.azurite_pid)
    assert localcloud.status(state).state == "stopped"
    assert localcloud.stop(state) is False


@pytest.mark.cloud
def test_ports_are_reused_on_restart(state):
    first = local.up(config_for(state))
    localcloud.stop(state)
    second = local.up(config_for(state))
    assert second.ports == first.ports


@pytest.mark.cloud
def test_stale_record_is_replaced(state):
    first = local.up(config_for(state))
    os.kill(first.pid, signal.SIGKILL)  # the daemon dies; its Azurite is orphaned
    wait_for(lambda: not pid_alive(first.pid), what="the killed daemon to end", timeout=30)
    assert localcloud.status(state).state == "stale"
    with pytest.warns(LocalCloudRestarted):
        second = local.up(config_for(state))
    assert second.pid != first.pid
    assert not pid_alive(first.azurite_pid), "the orphaned Azurite must be stopped"
    assert localcloud.status(state).running


@pytest.mark.cloud
def test_record_of_a_vanished_process_is_replaced(state):
    folder = localcloud.StateFolder(state)
    state.mkdir(exist_ok=True)
    folder.record.write_text(json.dumps({
        "pid": 999999, "azurite_pid": 999998, "ports": {"management": 1}, "started_at": 0,
        "azurite_version": "x", "state_dir": str(state), "ca_bundle": "/nonexistent",
    }))
    with pytest.warns(LocalCloudRestarted):
        record = local.up(config_for(state))
    assert record.pid != 999999 and read_record(folder).pid == record.pid


@pytest.mark.cloud
def test_concurrent_starts_end_with_one_cloud(state):
    env = {**os.environ, "LAB_STATE_DIR": str(state)}
    starters = [
        subprocess.Popen([sys.executable, "-m", "labsupport", "up"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in starters]
    assert all(p.returncode == 0 for p in starters), outputs
    assert len(daemons_for(state)) == 1
    assert len({line for line in outputs}) == 1, "every starter must report the same cloud"


# Loaded into the daemon through PYTHONPATH: Azurite starts, then the management plane
# never starts serving, so the starter gives up. Touches a marker once Azurite is up.
HANGING_DAEMON = """
import asyncio, os, pathlib, uvicorn

async def _hang(self, sockets=None):
    pathlib.Path(os.environ["LAB_TEST_HANG_MARKER"]).touch()
    await asyncio.Event().wait()

uvicorn.Server.serve = _hang
"""


class _ClockThatJumps:
    """The local cloud's clock, 1000 s ahead once ``marker`` exists (its deadline passes)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def monotonic(self) -> float:
        return time.monotonic() + (1000.0 if self.marker.exists() else 0.0)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@pytest.mark.cloud
def test_start_that_times_out_leaves_no_process_behind(state, tmp_path_factory, monkeypatch):
    hook = tmp_path_factory.mktemp("hook")
    (hook / "sitecustomize.py").write_text(HANGING_DAEMON)
    marker = hook / "azurite-is-up"
    monkeypatch.setenv("PYTHONPATH", str(hook))
    monkeypatch.setenv("LAB_TEST_HANG_MARKER", str(marker))
    # The supervisor waits through localcloud.waits.wait_for: both read the jumping clock.
    monkeypatch.setattr(supervisor, "time", _ClockThatJumps(marker))
    monkeypatch.setattr(localcloud_waits, "time", _ClockThatJumps(marker))
    try:
        with pytest.raises(LocalCloudError, match="did not become ready"):
            local.up(config_for(state))
        assert marker.exists(), "the daemon must have started Azurite before the timeout"
        deadline = time.monotonic() + 10
        while (daemons_for(state) or daemons_for(state, "azurite")) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert daemons_for(state) == [], "the daemon that timed out must be stopped"
        assert daemons_for(state, "azurite") == [], "its Azurite must be stopped too"
    finally:
        for pid in daemons_for(state) + daemons_for(state, "azurite"):
            os.kill(pid, signal.SIGKILL)


def test_configured_port_in_use_is_a_clear_error(state):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(PortInUseError) as error:
            local.up(config_for(state, LAB_QUEUE_PORT=str(port)))
    assert str(port) in str(error.value) and "LAB_QUEUE_PORT" in str(error.value)


def test_a_port_the_last_cloud_left_in_time_wait_is_free(state):
    """A stopped server leaves its side of closed connections in TIME_WAIT for a minute.
    Azurite and uvicorn listen with SO_REUSEADDR, so the port is free to them: a
    configured port must not be refused as "in use" after `down` and `up`."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server closes first, so its side waits in TIME_WAIT
        client.close()
    chosen = local.choose_ports(config_for(state, LAB_QUEUE_PORT=str(port)), {})
    assert chosen["queue"] == port


def test_missing_node_says_how_to_install_it(state, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(NotInstalledError, match="Node.js"):
        local.up(config_for(state))


def test_a_running_cloud_is_used_without_node_on_path(lab_config, cloud, monkeypatch):
    """Node is needed to start Azurite, not to use the cloud that already runs."""
    monkeypatch.setenv("PATH", "/nonexistent")
    assert local.up(lab_config).pid == cloud.pid


def test_a_running_cloud_is_used_without_node_modules(lab_config, cloud, monkeypatch,
                                                      tmp_path_factory):
    empty = tmp_path_factory.mktemp("project")
    monkeypatch.setattr(azurite_module, "node_project", lambda: empty)
    assert local.up(lab_config).pid == cloud.pid


def test_missing_node_modules_says_npm_ci(state, monkeypatch, tmp_path_factory):
    empty = tmp_path_factory.mktemp("project")
    monkeypatch.setattr(azurite_module, "node_project", lambda: empty)
    with pytest.raises(NotInstalledError, match="npm ci"):
        local.up(config_for(state))


@pytest.mark.cloud
def test_azurite_failing_to_start_shows_its_log(state):
    folder = localcloud.StateFolder(state)
    local.up(config_for(state))
    localcloud.stop(folder)
    folder.certificates.server_cert.write_text("not a certificate\n")
    with pytest.raises(LocalCloudError) as error:
        local.up(config_for(state))
    message = str(error.value)
    assert "failed to start" in message and "Azurite exited" in message
    assert "Last lines" in message


@pytest.mark.cloud
def test_cloud_whose_azurite_died_is_restarted(state):
    first = local.up(config_for(state))
    os.kill(first.azurite_pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(first.azurite_pid), what="the killed Azurite to end",
             timeout=30)
    assert localcloud.status(state).state == "stale"
    with pytest.warns(LocalCloudRestarted):
        second = local.up(config_for(state))
    assert second.pid != first.pid and pid_alive(second.azurite_pid)
    assert not pid_alive(first.pid), "the daemon whose Azurite died must be replaced"


def test_local_cloud_secrets_stay_out_of_reprs():
    from localcloud.tokens import TokenService

    assert "do-not-show" not in repr(TokenService("do-not-show"))


def test_a_lock_held_too_long_is_an_error_that_says_what_to_do(state):
    folder = localcloud.StateFolder(state)
    with (folder.locked(), pytest.raises(localcloud.LocalCloudError) as error,
          folder.locked(timeout=0.1)):
        pass
    message = str(error.value)
    assert str(folder.lock) in message and "python -m labsupport status" in message


@pytest.mark.cloud
def test_a_cloud_whose_ca_bundle_is_gone_is_stale_not_a_crash(state):
    """status() (and so up()) must survive a running record whose CA bundle was removed."""
    record = local.up(config_for(state))
    Path(record.ca_bundle).unlink()
    assert localcloud.status(state).state == "stale"
    with pytest.warns(LocalCloudRestarted, match="CA bundle"):
        again = local.up(config_for(state))
    assert Path(again.ca_bundle).is_file(), "up() replaces the cloud and rewrites the bundle"
    assert localcloud.status(state).running


def test_a_stale_record_never_kills_a_process_of_another_state_folder(state):
    """A record's pids may have been reused. The process now holding one may belong to a
    state folder inside this one (as .lab/test, `make test`'s, is inside .lab): spare it."""
    other = state / "test"
    bystander = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "--state-dir", str(other)])
    try:
        folder = localcloud.StateFolder(state)
        folder.record.write_text(json.dumps({
            "pid": bystander.pid, "azurite_pid": bystander.pid, "ports": {"management": 1},
            "started_at": 0, "azurite_version": "x", "state_dir": str(state),
            "ca_bundle": "/nonexistent",
        }))
        assert localcloud.stop(folder) is True
        assert bystander.poll() is None, "down() killed a process of another state folder"
    finally:
        bystander.kill()
        bystander.wait()


def test_a_process_that_exits_while_being_stopped_is_not_an_error(state, monkeypatch):
    """Between "is it alive?" and the signal, the process may exit on its own (Azurite,
    when the daemon stopping it was killed at its deadline): stopping it is then done."""
    never_a_pid = int(Path("/proc/sys/kernel/pid_max").read_text())  # pids stay below it
    folder = localcloud.StateFolder(state)
    folder.record.write_text(json.dumps({
        "pid": never_a_pid, "azurite_pid": never_a_pid, "ports": {"management": 1},
        "started_at": 0, "azurite_version": "x", "state_dir": str(state),
        "ca_bundle": "/nonexistent",
    }))
    monkeypatch.setattr(supervisor, "_owned_by", lambda pid, folder: True)
    answers = iter([True])  # alive when first checked, gone by the time it is signalled
    monkeypatch.setattr(supervisor, "pid_alive", lambda pid: next(answers, False))

    assert localcloud.stop(folder) is True
    assert not folder.record.exists(), "the stopped cloud's record is removed"


def test_a_slow_health_probe_is_retried_before_the_cloud_is_called_stale(monkeypatch):
    from localcloud import supervisor

    answers = iter([(None, "slow"), (True, "")])  # the first probe times out, then answers
    timeouts = []

    def probe(record, timeout):
        timeouts.append(timeout)
        return next(answers)

    monkeypatch.setattr(supervisor, "_probe", probe)
    assert supervisor.healthy(object(), timeout=2.0, patience=15.0) is True
    assert timeouts == [2.0, 15.0]


def test_a_probe_that_never_answers_times_out_as_none(tmp_path):
    from localcloud import supervisor
    from localcloud.state import Record

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        ports = {"management": port, "queue": port, "blob": port, "table": port}
        record = Record(pid=1, azurite_pid=1, ports=ports, started_at=0,
                        azurite_version="x", state_dir=str(tmp_path),
                        ca_bundle=str(tmp_path / "missing.pem"))
        # No bundle: a refusal before any network wait (False, not None).
        assert supervisor._probe(record, 0.2) == (
            False, f"the lab's CA bundle {tmp_path / 'missing.pem'} is gone")
        record.ca_bundle = certifi.where()
        assert supervisor._probe(record, 0.2) == (
            None, "the management plane (pid 1) did not answer /healthz within 0.2 s")


def test_a_closed_cloud_refuses_to_change_accounts(tmp_path):
    from localcloud.cloud import Cloud
    from localcloud.errors import LocalCloudError
    from localcloud.tokens import TokenService

    class FakeAzurite:
        stopped = changed = 0

        def stop(self):
            FakeAzurite.stopped += 1

        def set_accounts(self, accounts):
            FakeAzurite.changed += 1

    cloud = Cloud(localcloud.StateFolder(tmp_path), {}, FakeAzurite(), TokenService("k"), "h")
    cloud.close()
    with pytest.raises(LocalCloudError, match="shutting down"):
        cloud.apply_accounts({"acct": ("k1", "k2")})
    assert (FakeAzurite.stopped, FakeAzurite.changed) == (1, 0)


def test_azurite_has_most_of_the_start_limit_and_the_daemon_the_rest():
    from localcloud import azurite, supervisor

    assert 0.5 * supervisor.START_TIMEOUT <= azurite.START_TIMEOUT < supervisor.START_TIMEOUT
