"""Run ``python -m labsupport api`` in a child process on a free loopback port.

For notebooks and tests: :func:`start_service` returns once ``/healthz`` answers 200 (or
raises with the service's log tail), and ``stop()`` shuts it down gracefully. The service's
log goes to a file, never into the notebook. The service answers only requests with its
bearer token (:mod:`.access`): a client sends ``service.headers``.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ..errors import LabError
from ..paths import state_dir
from ..ports import HOST, free_port
from ..redact import redact
from ..waits import WaitTimeout, wait_for
from .access import TOKEN_VARIABLE, new_token, token_path


class BackgroundService:
    """The queue API as a real process. Use :func:`start_service`, or as a context manager."""

    def __init__(self, queue_name: str, *, port: int | None = None,
                 state: Path | None = None, access_log: bool = True) -> None:
        self.queue_name = queue_name
        self.port = port or free_port()
        self.state = Path(state) if state else state_dir()
        self.log_path = self.state / "logs" / f"queue-api-{self.port}.log"
        self.access_log = access_log
        self.process: subprocess.Popen | None = None
        self.token = new_token()  # handed to the service; it refuses requests without it

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        """What a client sends so the service answers it: its bearer token."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def token_path(self) -> Path:
        """The 0600 file where the running service keeps its token (for other programs)."""
        return token_path(self.state, self.port)

    def start(self, timeout: float = 60.0) -> BackgroundService:
        """Start the process and wait until ``/healthz`` answers 200 (at most ``timeout`` s)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "labsupport", "api", "--port", str(self.port),
                   "--queue", self.queue_name]
        if not self.access_log:
            command.append("--no-access-log")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "LAB_STATE_DIR": str(self.state), "PYTHONUNBUFFERED": "1",
                     TOKEN_VARIABLE: self.token})
        atexit.register(self.stop)  # a kernel restart must not leave the service behind
        self._wait_until_healthy(timeout)
        return self

    def _wait_until_healthy(self, timeout: float) -> None:
        last = ["no answer yet"]

        def healthy() -> bool:
            if self.process.poll() is not None:
                raise LabError(f"The queue API exited (code {self.process.returncode}) before "
                               f"it was ready. Its log ends with:\n{self.log_tail()}")
            try:
                answer = httpx.get(f"{self.url}/healthz", headers=self.headers, timeout=5.0)
            except httpx.TransportError as exc:
                last[0] = type(exc).__name__
                return False
            last[0] = f"/healthz answered {answer.status_code}: {answer.text[:200]}"
            return answer.status_code == 200

        try:
            wait_for(healthy, what="the queue API to answer /healthz", timeout=timeout,
                     interval=0.1)
        except WaitTimeout:
            self.stop()
            raise LabError(f"The queue API did not become ready within {timeout:.0f} s "
                           f"({last[0]}). Its log ends with:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return redact("\n".join(text.splitlines()[-lines:]))

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        """Ask the service to shut down (it closes its queue client); kill it if it hangs.
        Returns the exit code (None if it never started)."""
        if self.process is None:
            return None
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def __enter__(self) -> BackgroundService:
        return self if self.running else self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<queue API {state} at {self.url}, queue {self.queue_name}>"


def start_service(lab, queue_name: str | None = None, *, port: int | None = None,
                  timeout: float = 60.0, access_log: bool = True) -> BackgroundService:
    """Start the queue API on ``lab``'s storage account in the background (for ``queue_name``,
    default ``lab.queue_name``); return once it answers. A port that turns out to be taken
    (another program was quicker) is retried on a new one."""
    attempt = 1
    while True:
        service = BackgroundService(queue_name or lab.queue_name, port=port,
                                    state=lab.config.state_dir, access_log=access_log)
        try:
            return service.start(timeout)
        except LabError:
            if port is not None or attempt == 3 or "already in use" not in service.log_tail():
                raise
        attempt += 1
