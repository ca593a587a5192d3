"""What the management plane may use of the running local cloud: endpoints and accounts.

The management plane talks to Azurite only through this object (and the public
storage SDKs), so it never depends on how Azurite is started.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .azurite import Azurite, port_accepts
from .errors import LocalCloudError
from .state import StateFolder
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
    _accounts_lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoint(self, service: str, account: str) -> str:
        """Path-style URL of an account's service, as Azurite serves it (trailing slash)."""
        return f"https://127.0.0.1:{self.ports[service]}/{account}/"

    @property
    def management_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['management']}"

    def apply_accounts(self, accounts: dict[str, tuple[str, str]]) -> None:
        """Make Azurite serve exactly these accounts (name -> (key1, key2)).

        Azurite changes them in place (see ``azurite_entry.js``): no restart, so requests
        of other notebooks in flight are not disturbed. Returns once Azurite has confirmed.
        """
        with self._accounts_lock:
            if self.closed:
                raise LocalCloudError("The local cloud is shutting down; start it again "
                                      "with `python -m labsupport up`.")
            if accounts == self.accounts:
                return
            self.azurite.set_accounts(accounts)
            self.accounts = dict(accounts)

    def close(self) -> None:
        """Stop Azurite for good, waiting for an account change in progress to finish first."""
        with self._accounts_lock:
            self.closed = True
            self.azurite.stop()

    def azurite_problem(self) -> str | None:
        """What is wrong with Azurite, in a few words, or None if it runs and answers."""
        process = self.azurite.process
        if process is None:
            return "Azurite was not started"
        code = process.poll()
        if code is not None:
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            return f"Azurite (pid {process.pid}) {how}"
        silent = [s for s in ("queue", "blob") if not port_accepts(self.ports[s])]
        if silent:
            return (f"Azurite (pid {process.pid}) runs but does not answer on its "
                    f"{' and '.join(silent)} port{'s' if len(silent) > 1 else ''}")
        return None
