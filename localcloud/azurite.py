"""Run Azurite, the storage emulator, as the local cloud's data plane.

The flags are chosen on measurement (see DEVELOPERS.md): HTTPS with the lab CA,
``--oauth basic`` for Entra ID tokens, ``--skipApiVersionCheck`` for today's SDKs,
``--disableTelemetry`` always, and disk persistence (never in-memory).

Azurite runs through our entry point, ``azurite_entry.js``, which changes its accounts on
request (:meth:`Azurite.set_accounts`) without a restart, stops Azurite gracefully when
the daemon that started it is gone, accepts only bearer tokens signed with this local
cloud's key (Azurite's ``--oauth basic`` does not check signatures), and serves no account
rather than the well-known ``devstoreaccount1`` when the lab has none.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from .errors import LocalCloudError, NotInstalledError, PortTakenError
from .ports import HOST, port_accepts, port_taken
from .processes import ChildExited, log_tail, start_logged, wait_started
from .state import StateFolder
from .tokens import SIGNING_KEY_SECRET, new_signing_key

SERVICES = ("blob", "queue", "table")
ENTRY = Path(__file__).with_name("azurite_entry.js")
#: Names the file with the token signing key, for the entry point (never the key itself).
SIGNING_KEY_VARIABLE = "LAB_TOKEN_SIGNING_KEY_FILE"
CONTROL_TIMEOUT = 10.0  # seconds Azurite has to confirm an account change
#: Seconds Azurite has to open its ports: most of the supervisor's 60 s for a whole start
#: (supervisor.START_TIMEOUT). Node loads Azurite in about 1.5 s of CPU; with 32 learners
#: starting at once on 2 cores (the room test, docs/CLASSROOM.md) that took over 30 s.
START_TIMEOUT = 50.0
# The file patches/azurite+3.35.0.patch changes, and the comment it adds (see patches/README.md).
PATCHED_FILE = Path("dist", "src", "queue", "persistence", "LokiQueueMetadataStore.js")
PATCH_MARK = "queue-lab patch (Azure/Azurite#1069)"


def node_project() -> Path:
    """The folder whose ``node_modules`` holds Azurite by default: the project this package
    was installed from (an editable install, as ``make install`` does), else the current
    folder. ``package.json`` there pins Azurite and ``npm ci`` installs it."""
    candidate = Path(__file__).resolve().parents[1]
    if (candidate / "package.json").is_file():
        return candidate
    return Path.cwd()


def azurite_script(root: Path | None = None) -> Path:
    return (root or node_project()) / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"


def find_node() -> str:
    node = shutil.which("node")
    if not node:
        raise NotInstalledError(
            "Node.js was not found on PATH. The local cloud runs Azurite on Node 20+: install "
            "Node.js 20 (https://nodejs.org, or `conda env create -f environment.yml`), then "
            "run `make lab` again."
        )
    return node


def find_azurite(root: Path | None = None) -> Path:
    script = azurite_script(root)
    if not script.is_file():
        where = script.parents[4]
        raise NotInstalledError(
            f"Azurite is not installed: {where / 'node_modules'} is missing or incomplete. "
            f"Run `npm ci` in {where} (or `make lab`, which does it for you)."
        )
    return script


def azurite_version(root: Path | None = None) -> str:
    package = azurite_script(root).parents[2] / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def azurite_patched(root: Path | None = None) -> bool:
    """True if the installed Azurite has the lab's fix for messages that never expire after
    a restart (``npm ci`` applies it; an install with ``--ignore-scripts`` does not)."""
    package = azurite_script(root).parents[2]
    try:
        return PATCH_MARK in (package / PATCHED_FILE).read_text()
    except OSError:
        return False


def accounts_variable(accounts: dict[str, tuple[str, str]]) -> str:
    """The ``AZURITE_ACCOUNTS`` value: ``name:key1:key2`` entries joined by ``;``."""
    return ";".join(f"{name}:{k1}:{k2}" for name, (k1, k2) in sorted(accounts.items()))


class Azurite:
    """One Azurite process (blob, queue and table services) owned by the local cloud."""

    def __init__(self, folder: StateFolder, ports: dict[str, int], root: Path | None = None):
        self.folder = folder
        self.ports = ports
        self.node = find_node()
        self.script = find_azurite(root)
        self.version = azurite_version(root)
        self.process: subprocess.Popen | None = None
        self.log_path = folder.logs / "azurite.log"
        self._replies: int | None = None  # read end of the entry point's answers
        self._pending = b""
        self._ids = itertools.count(1)
        self._control = threading.Lock()

    def command(self) -> list[str]:
        certs = self.folder.certificates
        args = [self.node, str(ENTRY), str(self.script)]
        for service in SERVICES:
            args += [f"--{service}Host", HOST, f"--{service}Port", str(self.ports[service])]
        return args + [
            "--location", str(self.folder.azurite_data),
            "--cert", str(certs.server_cert),
            "--key", str(certs.server_key),
            "--oauth", "basic",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            # No access log: it would write every SAS URL, signature included, to the
            # state folder (the secret scan covers logs). Start-up errors are still logged.
            "--silent",
        ]

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def start(self, accounts: dict[str, tuple[str, str]],
              timeout: float = START_TIMEOUT) -> None:
        """Start Azurite with these extra accounts and wait until every port answers."""
        env = {k: v for k, v in os.environ.items() if k != "AZURITE_ACCOUNTS"}
        # The entry point verifies bearer tokens' signatures with the identity endpoint's key
        # (made here if this Azurite starts before anything else needed it).
        self.folder.secret(SIGNING_KEY_SECRET, new_signing_key)
        env[SIGNING_KEY_VARIABLE] = str(self.folder.secrets / SIGNING_KEY_SECRET)
        if accounts:
            env["AZURITE_ACCOUNTS"] = accounts_variable(accounts)
        self.folder.azurite_data.mkdir(parents=True, exist_ok=True)
        replies, reply_end = os.pipe()
        env["LAB_AZURITE_REPLY_FD"] = str(reply_end)
        try:
            self.process = start_logged(self.command(), self.log_path, env=env,
                                        stdin=subprocess.PIPE, cwd=self.folder.root,
                                        pass_fds=(reply_end,))
        except BaseException:
            os.close(replies)
            raise
        finally:
            os.close(reply_end)
        self._replies, self._pending = replies, b""
        try:
            listening = wait_started(
                self.process, lambda: all(port_accepts(self.ports[s]) for s in SERVICES),
                timeout)
        except ChildExited as exited:
            self._close_channel()
            for service in SERVICES:  # the usual reason: a port was taken meanwhile
                if port_taken(self.ports[service]):
                    raise PortTakenError(service, self.ports[service]) from None
            raise LocalCloudError(
                f"Azurite exited with code {exited.code} while starting. "
                f"Last lines of {self.log_path}:\n{self.log_tail()}"
            ) from None
        if not listening:
            self.stop()
            raise LocalCloudError(
                f"Azurite did not open its ports within {timeout:.0f} s. Last lines of "
                f"{self.log_path}:\n{self.log_tail()}"
            )

    def set_accounts(self, accounts: dict[str, tuple[str, str]],
                     timeout: float = CONTROL_TIMEOUT) -> None:
        """Make the running Azurite serve exactly these accounts, with no restart.

        Returns once Azurite has confirmed: from then on, new keys work and old ones fail.
        """
        with self._control:
            if not self.running:
                raise LocalCloudError(self._not_running())
            request_id = next(self._ids)
            line = json.dumps({"id": request_id, "accounts": accounts_variable(accounts)})
            try:
                self.process.stdin.write(line.encode() + b"\n")
                self.process.stdin.flush()
            except (OSError, ValueError):  # a broken or closed pipe: Azurite is gone
                raise LocalCloudError(self._not_running()) from None
            answer = self._reply(request_id, timeout)
        if not answer.get("ok"):
            raise LocalCloudError(f"Azurite refused the account change: {answer.get('error')}.")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _reply(self, request_id: int, timeout: float) -> dict:
        """The entry point's answer to ``request_id`` (earlier answers are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            line, newline, rest = self._pending.partition(b"\n")
            if newline:
                self._pending = rest
                answer = json.loads(line)
                if answer.get("id") == request_id:
                    return answer
                continue
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise LocalCloudError(
                    f"Azurite did not confirm an account change within {timeout:.0f} s. Last "
                    f"lines of {self.log_path}:\n{self.log_tail()}")
            chunk = os.read(self._replies, 65536)
            if not chunk:
                raise LocalCloudError(self._not_running())
            self._pending += chunk

    def _not_running(self) -> str:
        code = self.process.poll() if self.process else None
        how = "was never started" if self.process is None else (
            "is still running but closed its control channel" if code is None
            else f"exited with code {code}")
        return (f"Azurite {how}, so it cannot change accounts. Restart the local cloud with "
                f"`python -m labsupport up`. Last lines of {self.log_path}:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop gracefully (Azurite saves its database on SIGTERM), then force."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._close_channel()

    def _close_channel(self) -> None:
        """Close our ends of the control pipes (only once Azurite has exited: end of input
        tells a running Azurite that its daemon is gone)."""
        if self.process and self.process.stdin:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self._replies is not None:
            os.close(self._replies)
            self._replies = None

    def log_tail(self, lines: int = 15) -> str:
        return log_tail(self.log_path, lines)
