"""What the Azure CLI command tests share: the lab's group and account names, and how a
data-plane command is told its endpoint and credential."""

from __future__ import annotations

import base64

GROUP, ACCOUNT = "rg-cli-lab", "clilab0001"
CONTRIBUTOR = "Storage Queue Data Contributor"


def is_account_key(value: str) -> bool:
    return len(base64.b64decode(value, validate=True)) == 64


def credentials(mode: str, endpoint: str, key: str) -> list[str]:
    where = ["--queue-endpoint", endpoint]
    return [*where, "--auth-mode", "login"] if mode == "login" else [*where, "--account-key",
                                                                      key]
