"""The management plane's persistent state: resource groups, storage accounts, role assignments.

Kept as JSON in the state folder so resources survive restarts of the local cloud. A
corrupt file is reported, never silently reset. Queues are not stored here: Azurite
holds them, so the management plane and the data plane always agree.

Layout (``version`` 1; ``roleAssignments`` may be absent in older files)::

    {"version": 1, "subscriptions": {"<sub>": {
        "resourceGroups": {"<name lowercased>": {"name", "location", "tags", ...}},
        "storageAccounts": {"<name>": {"name", "resourceGroup", "keys": {"key1", "key2"}, ...}},
        "roleAssignments": {"<name lowercased>": {"name", "scope", "roleDefinitionId",
                                                  "principalId", ...}}
    }}}
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

VERSION = 1


class StoreError(RuntimeError):
    """The state file cannot be read."""


class ManagementStore:
    """Resource groups and storage accounts by subscription; call :meth:`save` after changes.

    Resource-group names are case-insensitive (keyed lowercased, shown as first given);
    storage-account names are global across subscriptions, as in Azure.
    """

    def __init__(self, path: Path, data: dict | None = None):
        self.path = path
        self.data = data or {"version": VERSION, "subscriptions": {}}
        self.lock = threading.RLock()
        self._settle_interrupted()

    def save(self) -> None:
        """Write the file atomically, readable by its owner only (it holds account keys)."""
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)  # a .tmp left by an older version may be 0644
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(self.data, indent=2, sort_keys=True))
            tmp.replace(self.path)

    def azurite_accounts(self) -> dict[str, tuple[str, str]]:
        """Every storage account as Azurite needs it: name -> (key1, key2)."""
        with self.lock:
            accounts = {}
            for subscription in self.data["subscriptions"].values():
                for account in subscription.get("storageAccounts", {}).values():
                    accounts[account["name"]] = (account["keys"]["key1"], account["keys"]["key2"])
            return accounts

    # Resource groups -------------------------------------------------------------------

    def resource_group(self, subscription: str, name: str) -> dict | None:
        return self._subscription(subscription).get("resourceGroups", {}).get(name.lower())

    def resource_groups(self, subscription: str) -> list[dict]:
        groups = self._subscription(subscription).get("resourceGroups", {})
        return [groups[key] for key in sorted(groups)]

    def put_resource_group(self, subscription: str, group: dict) -> None:
        with self.lock:
            groups = self._subscription(subscription, create=True).setdefault("resourceGroups", {})
            groups[group["name"].lower()] = group

    def remove_resource_group(self, subscription: str, name: str) -> None:
        with self.lock:
            self._subscription(subscription).get("resourceGroups", {}).pop(name.lower(), None)

    # Storage accounts ------------------------------------------------------------------

    def find_account(self, name: str) -> tuple[str, dict] | None:
        """The account with this name in any subscription: ``(subscription, account)``."""
        with self.lock:
            for subscription, content in self.data["subscriptions"].items():
                account = content.get("storageAccounts", {}).get(name)
                if account is not None:
                    return subscription, account
            return None

    def account(self, subscription: str, resource_group: str, name: str) -> dict | None:
        account = self._subscription(subscription).get("storageAccounts", {}).get(name)
        if account is None or account["resourceGroup"].lower() != resource_group.lower():
            return None
        return account

    def accounts(self, subscription: str, resource_group: str | None = None) -> list[dict]:
        accounts = self._subscription(subscription).get("storageAccounts", {})
        return [
            accounts[name] for name in sorted(accounts)
            if resource_group is None
            or accounts[name]["resourceGroup"].lower() == resource_group.lower()
        ]

    def put_account(self, subscription: str, account: dict) -> None:
        with self.lock:
            accounts = self._subscription(subscription, create=True).setdefault(
                "storageAccounts", {})
            accounts[account["name"]] = account

    def remove_account(self, subscription: str, name: str) -> None:
        with self.lock:
            self._subscription(subscription).get("storageAccounts", {}).pop(name, None)

    # Role assignments ------------------------------------------------------------------

    def role_assignment(self, subscription: str, name: str) -> dict | None:
        return self._subscription(subscription).get("roleAssignments", {}).get(name.lower())

    def role_assignments(self, subscription: str) -> list[dict]:
        assignments = self._subscription(subscription).get("roleAssignments", {})
        return [assignments[key] for key in sorted(assignments)]

    def put_role_assignment(self, subscription: str, assignment: dict) -> None:
        with self.lock:
            assignments = self._subscription(subscription, create=True).setdefault(
                "roleAssignments", {})
            assignments[assignment["name"].lower()] = assignment

    def remove_role_assignment(self, subscription: str, name: str) -> None:
        with self.lock:
            self._subscription(subscription).get("roleAssignments", {}).pop(name.lower(), None)

    def remove_role_assignments_under(self, subscription: str, scope: str) -> None:
        """Forget the assignments at ``scope`` or below it, as Azure does when the resource
        at ``scope`` is deleted."""
        prefix = scope.rstrip("/").lower()
        with self.lock:
            assignments = self._subscription(subscription).get("roleAssignments", {})
            for key, assignment in list(assignments.items()):
                held = assignment["scope"].lower()
                if held == prefix or held.startswith(prefix + "/"):
                    del assignments[key]

    # ------------------------------------------------------------------------------------

    def _subscription(self, subscription: str, create: bool = False) -> dict:
        subscriptions = self.data["subscriptions"]
        key = subscription.lower()
        if create:
            return subscriptions.setdefault(key, {"resourceGroups": {}, "storageAccounts": {}})
        return subscriptions.get(key, {})

    def _settle_interrupted(self) -> None:
        """Operations cut short by a stop: accounts being created exist (Azurite gets them
        at start), groups being deleted are back to normal and can be deleted again."""
        for content in self.data["subscriptions"].values():
            for account in content.get("storageAccounts", {}).values():
                if account.get("provisioningState") != "Succeeded":
                    account["provisioningState"] = "Succeeded"
            for group in content.get("resourceGroups", {}).values():
                if group.get("provisioningState") != "Succeeded":
                    group["provisioningState"] = "Succeeded"


def load_store(path: Path) -> ManagementStore:
    """Read the state file (none yet means no resources); raise StoreError if corrupt."""
    if not path.exists():
        return ManagementStore(path)
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not isinstance(data.get("subscriptions"), dict):
            raise ValueError("no 'subscriptions' object at the top")
        for subscription, content in data["subscriptions"].items():
            for account in content.get("storageAccounts", {}).values():
                if not {"key1", "key2"} <= set(account.get("keys", {})):
                    raise ValueError(f"account {account.get('name')!r} in subscription "
                                     f"{subscription} has no key1/key2")
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise StoreError(
            f"The local management plane's state file {path} is corrupt ({exc}). Move it "
            f"aside to start with no resources (`python -m labsupport down`, then rename it), "
            f"or restore it from a copy."
        ) from None
    return ManagementStore(path, data)
