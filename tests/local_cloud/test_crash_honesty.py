"""After a crash the local cloud says what is wrong, and that it restarted, never silently.

Each test has its own cloud (a private state folder) and kills a part of it with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings

import pytest

import localcloud
from labsupport import local
from labsupport.config import load_config
from labsupport.errors import LocalCloudRestarted
from labsupport.waits import wait_for
from localcloud import supervisor
from localcloud.state import pid_alive

pytestmark = pytest.mark.cloud  # every test here starts a local cloud of its own


@pytest.fixture
def config(tmp_path):
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    yield config
    localcloud.stop(tmp_path)


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(pid), what=f"pid {pid} to end", timeout=30)


def test_status_says_azurite_was_killed_and_healthz_answers_at_once(config):
    record = local.up(config)
    kill(record.azurite_pid)

    answer, problem = supervisor._probe(record, timeout=2.0)
    assert answer is False, "the daemon must answer /healthz (503) within 2 s, not time out"
    current = localcloud.status(config.state_dir)
    assert current.state == "stale"
    assert current.problem == f"Azurite (pid {record.azurite_pid}) was killed by signal 9"
    assert current.as_dict()["problem"] == current.problem


def test_status_says_the_daemon_is_gone(config):
    record = local.up(config)
    kill(record.pid)
    current = localcloud.status(config.state_dir)
    assert current.state == "stale"
    assert current.problem.startswith(f"the local cloud's daemon (pid {record.pid}) is gone")


def test_up_after_a_crash_says_it_restarted_and_what_may_be_lost(config):
    record = local.up(config)
    kill(record.azurite_pid)
    with pytest.warns(LocalCloudRestarted) as caught:
        again = local.up(config)
    assert again.pid != record.pid
    message = str(caught[0].message)
    assert message.startswith(f"The local cloud had stopped working (Azurite (pid "
                              f"{record.azurite_pid}) "
                              f"was killed by signal 9) and was restarted.")
    assert "written in the last few seconds before it stopped may be lost" in message
    assert caught[0].filename == __file__, "the warning names the caller, not labsupport"


def test_up_after_a_clean_stop_says_nothing(config):
    local.up(config)
    localcloud.stop(config.state_dir)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        local.up(config)
    assert [w for w in caught if issubclass(w.category, LocalCloudRestarted)] == []


def test_connect_says_the_cloud_was_restarted(config, private_connect):
    from labsupport import connect

    record = local.up(config)
    kill(record.pid)
    with pytest.warns(LocalCloudRestarted, match=r"had stopped working \(the local cloud's daemon"):
        connect("crash-honesty", quiet=True, config=config)


def test_the_cli_status_and_up_say_what_happened(config):
    record = local.up(config)
    kill(record.azurite_pid)
    env = {**os.environ, "LAB_STATE_DIR": str(config.state_dir)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "labsupport", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    status = cli("status")
    assert "local cloud: stale" in status.stdout
    assert f"problem     Azurite (pid {record.azurite_pid}) was killed by signal 9" \
        in status.stdout
    assert "`python -m labsupport up` replaces it" in status.stdout
    up = cli("up")
    assert up.returncode == 0, up.stderr
    assert up.stderr.startswith("note: The local cloud had stopped working (Azurite (pid ")
    assert "local cloud running" in up.stdout


def test_the_previous_runs_log_is_kept(config):
    folder = localcloud.StateFolder(config.state_dir)
    first = local.up(config)
    log = folder.logs / "localcloud.log"
    # The daemon writes its record, then logs that it is ready: wait for the line.
    wait_for(lambda: "local cloud ready" in log.read_text(), what="the daemon's ready line")
    kill(first.pid)  # the log that says why matters most after a crash
    first_log = log.read_text()
    with pytest.warns(LocalCloudRestarted):
        local.up(config)
    assert (folder.logs / "localcloud.log.1").read_text() == first_log
    assert log.read_text() != first_log
