"""``az storage queue …`` offline, with ``--auth-mode login`` and ``--account-key``: the
account's ``--queue-endpoint`` is the one difference from Azure (README, "The Azure CLI")."""

from __future__ import annotations

import pytest

from .support import ACCOUNT, credentials

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(600)]


@pytest.mark.parametrize("mode", ["login", "key"])
def test_queue_commands(shell, endpoint, key, mode):
    auth = credentials(mode, endpoint, key)
    queue = f"cli-queue-{mode}"

    assert shell.run("storage", "queue", "create", "--name", queue, *auth) == {"created": True}
    assert shell.run("storage", "queue", "create", "--name", queue, *auth) == {"created": False}
    assert queue in [q["name"] for q in shell.run("storage", "queue", "list", *auth)]
    assert shell.run("storage", "queue", "exists", "--name", queue, *auth) == {"exists": True}
    updated = shell.run("storage", "queue", "metadata", "update", "--name", queue,
                        "--metadata", "team=orders", "stage=dev", *auth)
    assert "updated" in updated
    assert shell.run("storage", "queue", "metadata", "show", "--name", queue, *auth) == {
        "team": "orders", "stage": "dev"}
    listed = shell.run("storage", "queue", "list", "--include-metadata", "--prefix", queue,
                       *auth)
    assert [(q["name"], q["metadata"]) for q in listed] == [
        (queue, {"team": "orders", "stage": "dev"})]

    assert shell.run("storage", "queue", "delete", "--name", queue, *auth) == {"deleted": True}
    assert shell.run("storage", "queue", "exists", "--name", queue, *auth) == {"exists": False}


def test_a_connection_string_names_the_endpoint_too(shell, endpoint, key):
    connection = (f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT};AccountKey={key};"
                  f"QueueEndpoint={endpoint}")
    queue = "cli-connection-string"
    created = shell.run("storage", "queue", "create", "--name", queue, "--connection-string",
                        connection)
    assert created == {"created": True}
    assert shell.run("storage", "queue", "exists", "--name", queue, "--connection-string",
                     connection) == {"exists": True}
    shell.run("storage", "queue", "delete", "--name", queue, "--connection-string", connection)
