"""The local cloud's own contract, used as any caller would: a state folder and ports in.

No LabConfig here: these tests start the service the way labsupport/local.py does, and
check what it promises its callers (ports, their memory, its own errors and warning).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import warnings

import pytest

import localcloud
from labsupport.config import LOCAL_SUBSCRIPTION_ID
from labsupport.errors import LabError
from labsupport.ports import free_port
from labsupport.waits import wait_for
from localcloud.state import pid_alive


def some_free_ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    for service in localcloud.ALL_SERVICES:
        ports[service] = free_port(set(ports.values()))
    return ports


@pytest.fixture
def state(tmp_path):
    yield tmp_path
    localcloud.stop(tmp_path)


@pytest.mark.cloud
def test_start_listens_on_the_ports_given_and_a_running_cloud_keeps_its_own(state):
    ports = some_free_ports()
    record = localcloud.start(state, ports)
    assert record.ports == ports
    assert record.endpoints()["queue"] == f"https://127.0.0.1:{ports['queue']}"
    again = localcloud.start(state, some_free_ports())
    assert (again.pid, again.ports) == (record.pid, ports), "a running cloud is reused"
    assert localcloud.status(state).running
    assert localcloud.stop(state) is True and localcloud.status(state).state == "stopped"


@pytest.mark.cloud
def test_a_function_picks_the_ports_given_the_last_ones(state):
    first = localcloud.start(state, some_free_ports())
    localcloud.stop(state)
    seen = []

    def choose(last):
        seen.append(dict(last))
        return some_free_ports()

    second = localcloud.start(state, choose)
    assert seen == [first.ports], "the chooser is told the ports the last cloud used"
    assert localcloud.last_ports(localcloud.StateFolder(state)) == second.ports


def test_ports_must_name_every_service(state):
    ports = some_free_ports()
    del ports["management"]
    with pytest.raises(ValueError, match="management"):
        localcloud.start(state, ports)
    assert localcloud.status(state).state == "stopped"


@pytest.mark.cloud
def test_a_restart_after_a_crash_is_its_own_warning_unless_the_caller_says_otherwise(state):
    record = localcloud.start(state, some_free_ports())
    os.kill(record.pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(record.pid), what="the daemon to end", timeout=30)
    with pytest.warns(localcloud.LocalCloudRestarted, match="had stopped working") as caught:
        localcloud.start(state, some_free_ports())
    assert caught[0].filename == __file__, "the warning names the caller"

    told = []
    again = localcloud.status(state).record
    os.kill(again.pid, signal.SIGKILL)
    wait_for(lambda: not pid_alive(again.pid), what="the daemon to end", timeout=30)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        localcloud.start(state, some_free_ports(), on_restart=told.append)
    assert len(told) == 1 and told[0].startswith("The local cloud had stopped working")
    assert not [w for w in warned if issubclass(w.category, localcloud.LocalCloudRestarted)]


@contextlib.contextmanager
def listening(port: int):
    """Another program listening on ``port``."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        yield


@pytest.mark.cloud
@pytest.mark.parametrize("service", ["queue", "management"])
def test_a_port_taken_after_it_was_chosen_is_chosen_again(state, service):
    chosen: list[dict[str, int]] = []

    def choose(last):
        chosen.append(some_free_ports())
        return chosen[-1]

    # The first choice is taken before the daemon listens (another program was quicker).
    with contextlib.ExitStack() as others:
        def quick(last):
            ports = choose(last)
            if len(chosen) == 1:
                others.enter_context(listening(ports[service]))
            return ports

        record = localcloud.start(state, quick)
        assert len(chosen) == 2, "the chooser was asked again"
        assert record.ports == chosen[1] and localcloud.status(state).running
        log = (localcloud.StateFolder(state).logs / "localcloud.log").read_text()
        assert f"Port {chosen[0][service]} ({service}) was taken by another program" in log


@pytest.mark.cloud
def test_fixed_ports_taken_meanwhile_are_a_clear_error(state):
    ports = some_free_ports()
    with listening(ports["queue"]), \
            pytest.raises(localcloud.LocalCloudError, match="another program took one of its "
                          "ports") as error:
        localcloud.start(state, ports)
    assert str(ports["queue"]) in str(error.value)
    assert localcloud.status(state).state == "stopped"


def test_its_errors_are_its_own(state, tmp_path_factory):
    empty = tmp_path_factory.mktemp("no-node-modules")
    with pytest.raises(localcloud.NotInstalledError, match="npm ci") as error:
        localcloud.start(state, some_free_ports(), node_project=empty)
    assert isinstance(error.value, localcloud.LocalCloudError)
    assert not isinstance(error.value, LabError), "the service knows nothing of the lab"


def test_clients_are_told_its_subscription_unless_the_caller_names_another(cloud, lab_config):
    folder = lab_config.state_dir
    assert localcloud.client_environment(folder, cloud)["AZURE_SUBSCRIPTION_ID"] == \
        localcloud.SUBSCRIPTION_ID
    other = "11111111-0000-4000-8000-000000000001"
    assert localcloud.client_environment(folder, cloud, other)["AZURE_SUBSCRIPTION_ID"] == other
    assert LOCAL_SUBSCRIPTION_ID == localcloud.SUBSCRIPTION_ID, \
        "the lab's local backend uses the local cloud's default subscription"
