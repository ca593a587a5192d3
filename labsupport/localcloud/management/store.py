"""The management plane's persistent state: resource groups and storage accounts.

Kept as JSON in the state folder so resources survive restarts of the local cloud. A
corrupt file is reported, never silently reset.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path


class StoreError(RuntimeError):
    """The state file cannot be read."""


class ManagementStore:
    """Resource groups and storage accounts by subscription, saved on every change."""

    def __init__(self, path: Path, data: dict | None = None):
        self.path = path
        self.data = data or {"version": 1, "subscriptions": {}}
        self.lock = threading.RLock()

    def save(self) -> None:
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True))
            tmp.replace(self.path)

    def azurite_accounts(self) -> dict[str, tuple[str, str]]:
        """Every storage account as Azurite needs it: name -> (key1, key2)."""
        accounts = {}
        for subscription in self.data["subscriptions"].values():
            for account in subscription.get("storageAccounts", {}).values():
                accounts[account["name"]] = (account["keys"]["key1"], account["keys"]["key2"])
        return accounts


def load_store(path: Path) -> ManagementStore:
    if not path.exists():
        return ManagementStore(path)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "subscriptions" not in data:
            raise ValueError("no 'subscriptions' object at the top")
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"The local management plane's state file {path} is corrupt ({exc}). Move it "
            f"aside to start with no resources (`python -m labsupport down`, then rename it), "
            f"or restore it from a copy."
        ) from None
    return ManagementStore(path, data)
