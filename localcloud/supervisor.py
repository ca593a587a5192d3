"""Start, find and stop the local cloud from any process (notebook, CLI, tests).

The contract: :func:`start` takes a state folder and the ports to listen on (or a
function that picks them); :func:`stop`, :func:`status` and :func:`client_environment`
take the state folder. Callers map their own settings onto these; nothing here knows them.

The cloud runs detached so it outlives kernel restarts and is shared by every notebook.
A lock in the state folder makes concurrent starters end with one cloud; a record left
by a dead cloud is detected and replaced.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

from .azurite import SERVICES, find_azurite, find_node
from .certs import certificate_paths, ensure_certificates, ensure_hashed_directory, trust_variables
from .constants import SUBSCRIPTION_ID
from .errors import LocalCloudError, LocalCloudRestarted, PortTakenError
from .processes import ChildExited, keep_previous, log_tail, start_logged, wait_started
from .state import Record, StateFolder, pid_alive, read_record, state_folder
from .waits import wait_for

ALL_SERVICES = (*SERVICES, "management")
START_TIMEOUT = 60.0
#: Daemons started, at most, when ports taken meanwhile must be chosen again.
PORT_ATTEMPTS = 3
#: The ports to listen on (service -> port for every name in ALL_SERVICES), or a function
#: that picks them, given the ports the last cloud of this folder used (maybe none).
Ports = Mapping[str, int] | Callable[[dict[str, int]], Mapping[str, int]]


@dataclass
class Status:
    """Whether the cloud runs, its record when there is one, and what is wrong if stale."""

    state: str  # "running", "stopped" or "stale"
    record: Record | None
    folder: StateFolder
    problem: str = ""  # for "stale": what is wrong, in a few words

    @property
    def running(self) -> bool:
        return self.state == "running"

    def as_dict(self) -> dict:
        data: dict = {"state": self.state, "state_dir": str(self.folder.root)}
        if self.problem:
            data["problem"] = self.problem
        if self.record and self.running:
            data.update({
                "endpoints": self.record.endpoints(),
                "ports": self.record.ports,
                "pids": {"localcloud": self.record.pid, "azurite": self.record.azurite_pid},
                "azurite_version": self.record.azurite_version,
                "ca_bundle": self.record.ca_bundle,
                "uptime_seconds": round(time.time() - self.record.started_at, 1),
            })
        return data


def _probe(record: Record, timeout: float) -> tuple[bool | None, str]:
    """Ask /healthz: (True, "") on 200; (False, what is wrong) on any other answer or a
    refusal; (None, ...) if no answer came within ``timeout`` (a busy machine, not
    necessarily a dead cloud)."""
    url = f"{record.endpoints()['management']}/healthz"
    plane = f"the management plane (pid {record.pid})"
    silent = f"{plane} did not answer /healthz within {timeout:g} s"
    try:
        context = ssl.create_default_context(cafile=record.ca_bundle)
        with urllib.request.urlopen(url, context=context, timeout=timeout) as response:
            if response.status == 200:
                return True, ""
            return False, f"{plane} answered /healthz with {response.status}"
    except urllib.error.HTTPError as error:  # the daemon says what is wrong (503)
        return False, _problem_in(error) or f"{plane} answered /healthz with {error.code}"
    except TimeoutError:
        return None, silent
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            return None, silent
        return False, f"{plane} does not answer on port {record.ports['management']} " \
                      f"({error.reason})"
    except FileNotFoundError:
        return False, f"the lab's CA bundle {record.ca_bundle} is gone"
    except (OSError, http.client.HTTPException) as error:  # another program may hold the port
        return False, f"{plane} did not answer /healthz properly ({error})"


def _problem_in(error: urllib.error.HTTPError) -> str:
    """The ``problem`` the daemon's 503 /healthz body names, or "" if it names none."""
    with contextlib.suppress(OSError, ValueError, AttributeError, TypeError):
        return str(json.loads(error.read())["problem"])
    return ""


def health(record: Record, timeout: float = 2.0, patience: float = 15.0) -> tuple[bool, str]:
    """Whether the management plane answers /healthz over HTTPS with the lab CA, and if not,
    what is wrong.

    A probe that times out is repeated with ``patience`` before the cloud is judged dead:
    a stale verdict makes ``start()`` replace a cloud other notebooks may be using.
    """
    answer, problem = _probe(record, timeout)
    if answer is None:
        answer, problem = _probe(record, patience)
    return bool(answer), problem


def healthy(record: Record, timeout: float = 2.0, patience: float = 15.0) -> bool:
    """True if the management plane answers /healthz (see :func:`health`)."""
    return health(record, timeout, patience)[0]


def status(folder: StateFolder | os.PathLike | str) -> Status:
    """Whether the cloud of this state folder runs, is stopped, or is stale (and why)."""
    folder = state_folder(folder)
    record = read_record(folder)
    if record is None:
        return Status("stopped", None, folder)
    if not pid_alive(record.pid):
        azurite = record.azurite_pid
        left = (f"; its Azurite (pid {azurite}) still runs"
                if pid_alive(azurite) and _owned_by(azurite, folder) else "")
        return Status("stale", record, folder,
                      f"the local cloud's daemon (pid {record.pid}) is gone{left}")
    ok, problem = health(record)
    if ok:
        return Status("running", record, folder)
    return Status("stale", record, folder, problem)


def _owned_by(pid: int, folder: StateFolder) -> bool:
    """True if that process was started for this state folder (guards against pid reuse).

    The daemon gets the folder as ``--state-dir``, Azurite its data folder as
    ``--location``. Whole arguments are compared: a folder inside this one is another lab's.
    """
    try:
        args = psutil.Process(pid).cmdline()
    except (psutil.Error, ValueError):  # gone, not ours to read, or no pid at all
        return False
    ours = {str(folder.root), str(folder.azurite_data)}
    return any(arg in ours for arg in args)


def _terminate(pid: int, folder: StateFolder, timeout: float) -> None:
    """SIGTERM a process started for this folder; SIGKILL it after ``timeout`` seconds.
    psutil signals only the process it found (a pid reused meanwhile is not touched)."""
    if not (pid_alive(pid) and _owned_by(pid, folder)):
        return
    with contextlib.suppress(psutil.NoSuchProcess):  # it may end on its own at any moment
        process = psutil.Process(pid)
        process.terminate()
        # Not process.wait(): an ended daemon whose parent has not reaped it stays a
        # zombie, which pid_alive counts as ended.
        if not wait_for(lambda: not pid_alive(pid), timeout, interval=0.05):
            process.kill()


def _clear_stale(folder: StateFolder, record: Record | None) -> None:
    if record:
        _terminate(record.pid, folder, 20.0)
        _terminate(record.azurite_pid, folder, 20.0)
    folder.record.unlink(missing_ok=True)


def last_ports(folder: StateFolder) -> dict[str, int]:
    """The ports the last cloud of this folder listened on ({} if none is known)."""
    with contextlib.suppress(OSError, ValueError):
        ports = json.loads(folder.ports.read_text())
        if isinstance(ports, dict):
            return {k: v for k, v in ports.items() if isinstance(v, int)}
    return {}


def _ports_to_use(ports: Ports, folder: StateFolder) -> dict[str, int]:
    chosen = dict(ports(last_ports(folder)) if callable(ports) else ports)
    missing = [s for s in ALL_SERVICES if not isinstance(chosen.get(s), int)]
    if missing:
        raise ValueError(f"start() needs a port for each of {', '.join(ALL_SERVICES)}; "
                         f"none given for {', '.join(missing)}.")
    folder.ports.write_text(json.dumps(chosen))
    return chosen


def start(folder: StateFolder | os.PathLike | str, ports: Ports, *,
          node_project: Path | None = None, timeout: float = START_TIMEOUT,
          on_restart: Callable[[str], None] | None = None) -> Record:
    """Ensure the local cloud of this state folder runs; return its record.

    ``ports`` is used only when a cloud has to be started (a running one keeps its
    ports); a function is called under the start lock with :func:`last_ports`, and again
    (up to :data:`PORT_ATTEMPTS` starts) if another program takes a port it chose before
    the daemon listens on it. Fixed ports taken that way are a :class:`LocalCloudError`.
    ``node_project`` is the folder whose ``node_modules`` holds Azurite (default: see
    :func:`localcloud.azurite.node_project`). When a cloud that had stopped working is
    replaced, ``on_restart`` gets a sentence saying so; without it that sentence is a
    :class:`LocalCloudRestarted` warning.
    """
    folder = state_folder(folder)
    with folder.locked():
        current = status(folder)
        if current.running:
            ensure_hashed_directory(folder.certificates)  # a cloud started before it existed
            return current.record
        find_node()  # needed to start Azurite, not to use a cloud that runs
        find_azurite(node_project)
        _clear_stale(folder, current.record)
        ensure_certificates(folder.root / "tls")
        folder.logs.mkdir(parents=True, exist_ok=True)
        log_path = folder.logs / "localcloud.log"
        keep_previous(log_path)
        # A port taken between its choice and the listen: a chooser chooses again.
        for _ in range(PORT_ATTEMPTS if callable(ports) else 1):
            chosen = _ports_to_use(ports, folder)
            process = _spawn(folder, chosen, node_project, log_path)
            record = _wait_ready(process, folder, log_path, timeout)
            if record is not None:
                if current.state == "stale":
                    _say_restarted(current.problem, on_restart)
                return record
        raise LocalCloudError(
            f"The local cloud could not listen: another program took one of its ports "
            f"{json.dumps(chosen)} as it started. Stop that program or choose other ports. "
            f"Last lines of {log_path}:\n{log_tail(log_path, 20)}")


def _spawn(folder: StateFolder, ports: dict[str, int], node_project: Path | None,
           log_path: Path) -> subprocess.Popen:
    """Start the daemon on these ports, detached, its output appended to ``log_path``."""
    command = [sys.executable, "-m", "localcloud.daemon",
               "--state-dir", str(folder.root), "--ports", json.dumps(ports)]
    if node_project is not None:
        command += ["--node-project", str(node_project)]
    return start_logged(command, log_path, stdin=subprocess.DEVNULL, start_new_session=True,
                        cwd=folder.root, env=_daemon_environment())


def _wait_ready(process: subprocess.Popen, folder: StateFolder, log_path: Path,
                timeout: float) -> Record | None:
    """The daemon's record once it is ready; None if it exited because a port was taken."""

    def ready() -> Record | None:
        record = read_record(folder)
        return record if record and record.pid == process.pid else None

    try:
        record = wait_started(process, ready, timeout)
    except ChildExited as exited:
        if exited.code == PortTakenError.EXIT_CODE:
            return None
        raise LocalCloudError(
            f"The local cloud failed to start (exit code {exited.code}). "
            f"Last lines of {log_path}:\n{log_tail(log_path, 20)}"
        ) from None
    if record is None:
        _kill_group(process, folder)
        raise LocalCloudError(
            f"The local cloud did not become ready within {timeout:.0f} s. Last lines "
            f"of {log_path}:\n{log_tail(log_path, 20)}"
        )
    return record


def _say_restarted(problem: str, on_restart: Callable[[str], None] | None) -> None:
    """Tell the caller that a cloud that had stopped working was replaced: a crash must
    not be recovered silently. Without ``on_restart``, warn (LocalCloudRestarted) in the
    first caller outside this package."""
    message = (
        f"The local cloud had stopped working ({problem or 'it did not answer'}) and was "
        f"restarted. Messages written in the last few seconds before it stopped may be lost "
        f"(Azurite saves its queues to disk every 5 s)."
    )
    if on_restart is not None:
        on_restart(message)
        return
    package = str(Path(__file__).resolve().parent)
    frame, level = sys._getframe(1), 2  # level 1 is this function, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    warnings.warn(LocalCloudRestarted(message), stacklevel=level)


def _kill_group(process: subprocess.Popen, folder: StateFolder) -> None:
    """Kill a daemon that did not get ready in time, and Azurite with it: Azurite is in
    the daemon's process group (the daemon leads a new session) and no record names it
    yet. ``process`` is not reaped yet, so its pid (the group's id) cannot be reused."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    record = read_record(folder)
    if record and record.pid == process.pid:
        folder.record.unlink(missing_ok=True)


def stop(folder: StateFolder | os.PathLike | str) -> bool:
    """Stop the local cloud of this state folder if it runs; True if something was stopped."""
    folder = state_folder(folder)
    with folder.locked():
        record = read_record(folder)
        if record is None:
            return False
        _clear_stale(folder, record)
        return True


def _daemon_environment() -> dict[str, str]:
    drop = {"AZURITE_ACCOUNTS", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "PYTHONSTARTUP"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def client_environment(folder: StateFolder | os.PathLike | str, record: Record,
                       subscription_id: str = SUBSCRIPTION_ID) -> dict[str, str]:
    """Variables that let unchanged Azure SDK code use this local cloud as it would Azure
    (``subscription_id``: the one clients should use; the cloud serves any).

    ``SSL_CERT_FILE`` names the CA bundle; ``REQUESTS_CA_BUNDLE`` the hashed directory of
    the same certificates, which requests verifies with without parsing the whole bundle
    for each new connection (see :mod:`localcloud.certs`)."""
    from .tokens import new_signing_key

    folder = state_folder(folder)
    endpoints = record.endpoints()
    return {
        "AZURE_SUBSCRIPTION_ID": subscription_id,
        "LAB_MANAGEMENT_ENDPOINT": endpoints["management"],
        **trust_variables(certificate_paths(Path(record.ca_bundle).parent)),
        "IDENTITY_ENDPOINT": endpoints["identity"],
        "IDENTITY_HEADER": folder.secret("identity-header", new_signing_key),
    }
