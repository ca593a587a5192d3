"""What the management plane may use of the running local cloud: endpoints and accounts.

The management plane talks to Azurite only through this object (and the public
storage SDKs), so it never depends on how Azurite is started.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from ..errors import LocalCloudError
from .azurite import Azurite, port_accepts
from .state import StateFolder, read_record, write_record
from .tokens import TokenService


@dataclass
class Cloud:
    """The running local cloud as seen from inside its own process."""

    folder: StateFolder
    ports: dict[str, int]
    azurite: Azurite
    tokens: TokenService
    identity_header: str = field(repr=False)
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    closed: bool = False
    _restart_lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, service: str, account: str) -> str:
        """Path-style URL of an account's service, as Azurite serves it (trailing slash)."""
        return f"https://127.0.0.1:{self.ports[service]}/{account}/"

    @property
    def management_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['management']}"

    def apply_accounts(self, accounts: dict[str, tuple[str, str]]) -> None:
        """Make Azurite serve exactly these accounts (name -> (key1, key2)).

        Azurite reads its accounts only at start, so a change restarts it; data is on
        disk and survives. Blocks until Azurite answers again.
        """
        with self._restart_lock:
            if self.closed:
                raise LocalCloudError("The local cloud is shutting down; start it again "
                                      "with `python -m labsupport up`.")
            if accounts == self.accounts:
                return
            self.azurite.restart(accounts)
            self.accounts = dict(accounts)
            self._record_azurite_pid()

    def close(self) -> None:
        """Stop Azurite for good, waiting for a restart in progress to finish first."""
        with self._restart_lock:
            self.closed = True
            self.azurite.stop()

    def azurite_healthy(self) -> bool:
        """True while Azurite runs and answers (or is being restarted on purpose)."""
        if self._restart_lock.locked():
            return True
        process = self.azurite.process
        alive = process is not None and process.poll() is None
        return alive and all(port_accepts(self.ports[s]) for s in ("queue", "blob"))

    def _record_azurite_pid(self) -> None:
        """Keep the record's Azurite pid current, so a stale cloud is still cleaned up."""
        record = read_record(self.folder)
        if record is not None and record.pid == os.getpid():
            record.azurite_pid = self.azurite.pid
            write_record(self.folder, record)
