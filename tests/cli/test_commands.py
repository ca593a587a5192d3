"""The ``az`` commands of issue 23, offline, as a learner types them after the prepare command.

Management commands are exactly Azure's. Data-plane commands (``az storage queue …``,
``az storage message …``) add ``--queue-endpoint`` (the account's
``primaryEndpoints.queue``): Azurite serves path-style URLs, and the CLI builds
host-style ones from ``--account-name`` (README, "The Azure CLI").
"""

from __future__ import annotations

import base64
import re
import subprocess

import pytest

import localcloud
from labsupport.redact import redact

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(600)]
GROUP, ACCOUNT = "rg-cli-lab", "clilab0001"
CONTRIBUTOR = "Storage Queue Data Contributor"


@pytest.fixture(scope="module")
def account(shell) -> dict:
    """The group and account the commands below use, made with the CLI itself."""
    group = shell.run("group", "create", "--name", GROUP, "--location", "eastus")
    assert (group["name"], group["location"]) == (GROUP, "eastus")
    assert group["properties"]["provisioningState"] == "Succeeded"
    created = shell.run("storage", "account", "create", "--name", ACCOUNT,
                        "--resource-group", GROUP, "--location", "eastus",
                        "--sku", "Standard_LRS")
    assert (created["name"], created["sku"]["name"], created["kind"]) == (
        ACCOUNT, "Standard_LRS", "StorageV2")
    assert created["provisioningState"] == "Succeeded"
    return created


def is_account_key(value: str) -> bool:
    return len(base64.b64decode(value, validate=True)) == 64


def test_account_show_and_keys_list(shell, account):
    shown = shell.run("storage", "account", "show", "--name", ACCOUNT,
                      "--resource-group", GROUP)
    assert shown["id"] == account["id"]
    assert shown["primaryEndpoints"]["queue"].endswith(f"/{ACCOUNT}/")
    assert shown["primaryLocation"] == "eastus"
    without_group = shell.run("storage", "account", "show", "--name", ACCOUNT)
    assert without_group["id"] == account["id"], "found by listing the subscription's accounts"

    keys = shell.run("storage", "account", "keys", "list", "--account-name", ACCOUNT,
                     "--resource-group", GROUP, secret_output=True)
    assert [k["keyName"] for k in keys] == ["key1", "key2"]
    assert all(k["permissions"] == "FULL" for k in keys)
    assert all(is_account_key(k["value"]) for k in keys)
    first = shell.run("storage", "account", "keys", "list", "--account-name", ACCOUNT,
                      "--resource-group", GROUP, "--query", "[0].value", "-o", "tsv",
                      secret_output=True)
    assert first == keys[0]["value"]


def test_a_data_role_on_the_account(shell, account):
    principal = localcloud.PRINCIPAL_ID
    made = shell.run("role", "assignment", "create", "--assignee-object-id", principal,
                     "--assignee-principal-type", "ServicePrincipal", "--role", CONTRIBUTOR,
                     "--scope", account["id"])
    assert (made["principalId"], made["principalType"], made["scope"]) == (
        principal, "ServicePrincipal", account["id"])
    assert made["roleDefinitionId"].endswith("/974c5e8b-45b9-4653-ba55-5f855dd0fb88")

    # --assignee asks Microsoft Graph, which refuses the identity (as on Azure, where a
    # managed identity has no directory rights): the CLI takes the GUID as an object id.
    again = shell.run("role", "assignment", "create", "--assignee", principal,
                      "--role", CONTRIBUTOR, "--scope", account["id"])
    assert again["id"] == made["id"], "the same grant again is the same assignment"
    assert again["roleDefinitionName"] == CONTRIBUTOR
    listed = shell.run("role", "assignment", "list", "--scope", account["id"])
    assert [a["id"] for a in listed] == [made["id"]]


@pytest.fixture(scope="module")
def endpoint(shell, account) -> str:
    return shell.run("storage", "account", "show", "--name", ACCOUNT, "--resource-group",
                     GROUP, "--query", "primaryEndpoints.queue", "-o", "tsv")


@pytest.fixture(scope="module")
def key(shell, account) -> str:
    return shell.run("storage", "account", "keys", "list", "--account-name", ACCOUNT,
                     "--resource-group", GROUP, "--query", "[0].value", "-o", "tsv",
                     secret_output=True)


def credentials(mode: str, endpoint: str, key: str) -> list[str]:
    where = ["--queue-endpoint", endpoint]
    return [*where, "--auth-mode", "login"] if mode == "login" else [*where, "--account-key",
                                                                      key]


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


@pytest.mark.parametrize("mode", ["login", "key"])
def test_message_commands(shell, endpoint, key, mode):
    auth = credentials(mode, endpoint, key)
    queue = f"cli-messages-{mode}"
    shell.run("storage", "queue", "create", "--name", queue, *auth)

    put = shell.run("storage", "message", "put", "--queue-name", queue, "--content", "hello",
                    *auth)
    shell.run("storage", "message", "put", "--queue-name", queue, "--content", "second",
              *auth)
    assert put["content"] == "hello" and put["popReceipt"]
    peeked = shell.run("storage", "message", "peek", "--queue-name", queue,
                       "--num-messages", "32", *auth)
    assert sorted((m["content"], m["dequeueCount"]) for m in peeked) == [
        ("hello", 0), ("second", 0)]

    [got] = shell.run("storage", "message", "get", "--queue-name", queue,
                      "--visibility-timeout", "600", *auth)
    assert got["dequeueCount"] == 1
    other = ({"hello", "second"} - {got["content"]}).pop()
    updated = shell.run("storage", "message", "update", "--queue-name", queue, "--id",
                        got["id"], "--pop-receipt", got["popReceipt"], "--content", "changed",
                        "--visibility-timeout", "0", *auth)
    assert updated["popReceipt"] != got["popReceipt"]
    peeked = shell.run("storage", "message", "peek", "--queue-name", queue,
                       "--num-messages", "32", *auth)
    assert sorted(m["content"] for m in peeked) == sorted(["changed", other])

    got_all = shell.run("storage", "message", "get", "--queue-name", queue,
                        "--num-messages", "32", "--visibility-timeout", "600", *auth)
    by_id = {m["id"]: m for m in got_all}
    again = by_id.pop(got["id"])
    assert (again["content"], again["dequeueCount"]) == ("changed", 2)
    [second] = by_id.values()
    shell.run("storage", "message", "delete", "--queue-name", queue, "--id", again["id"],
              "--pop-receipt", again["popReceipt"], *auth)
    shell.run("storage", "message", "update", "--queue-name", queue, "--id", second["id"],
              "--pop-receipt", second["popReceipt"], "--visibility-timeout", "0", *auth)
    left = shell.run("storage", "message", "peek", "--queue-name", queue,
                     "--num-messages", "32", *auth)
    assert [m["content"] for m in left] == [other]

    shell.run("storage", "message", "clear", "--queue-name", queue, *auth)
    assert shell.run("storage", "message", "peek", "--queue-name", queue, *auth) == []
    shell.run("storage", "queue", "delete", "--name", queue, *auth)


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


def requests_made(debug_log: str) -> list[tuple[str, str, int]]:
    """(method, path with query, status) of each management request in ``az --debug``'s log
    (the token requests to the identity endpoint left out)."""
    found = re.findall(r'"([A-Z]+) (/\S*) HTTP/1\.1" (\d{3})', debug_log)
    return [(method, path, int(status)) for method, path, status in found
            if not path.startswith("/msi/token")]


def test_account_create_makes_the_requests_azure_answers(shell, account):
    done = subprocess.run([shell.az, "storage", "account", "create", "--name", "clilab0002",
                           "--resource-group", GROUP, "--sku", "Standard_LRS", "--debug",
                           "-o", "none"], env=shell.env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, redact(done.stderr)
    sub = f"/subscriptions/{localcloud.SUBSCRIPTION_ID}"
    made = requests_made(done.stderr)
    assert made[:3] == [
        ("GET", f"{sub}/resourcegroups/{GROUP}?api-version=2024-11-01", 200),
        ("POST", f"{sub}/providers/Microsoft.Storage/checkNameAvailability"
                 f"?api-version=2025-08-01", 200),
        ("PUT", f"{sub}/resourceGroups/{GROUP}/providers/Microsoft.Storage/storageAccounts/"
                f"clilab0002?api-version=2025-08-01", 202),
    ]
    polls = made[3:]
    assert polls and all(re.fullmatch(
        rf"{sub}/providers/Microsoft\.Storage/locations/eastus/asyncoperations/[0-9a-f-]+"
        r"\?monitor=true&api-version=2025-08-01", path) for _, path, _ in polls)
    assert [status for *_, status in polls][-1] == 200

    deleted = shell.run("storage", "account", "delete", "--name", "clilab0002",
                        "--resource-group", GROUP, "--yes")
    assert deleted is None


def test_bad_input_gets_arms_error_through_the_cli(shell, account):
    done = subprocess.run([shell.az, "storage", "account", "create", "--name", "Bad_Name",
                           "--resource-group", GROUP, "--sku", "Standard_LRS"],
                          env=shell.env, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    assert "(AccountNameInvalid) Bad_Name is not a valid storage account name." in done.stderr

    missing = subprocess.run([shell.az, "group", "delete", "--name", "rg-never-made", "--yes"],
                             env=shell.env, capture_output=True, text=True, timeout=180)
    assert missing.returncode != 0
    assert "(ResourceGroupNotFound) Resource group 'rg-never-made' could not be found." in (
        missing.stderr)


def test_a_read_access_geo_redundant_account_shows_its_secondary(shell, account):
    created = shell.run("storage", "account", "create", "--name", "cliragrs01",
                        "--resource-group", GROUP, "--sku", "Standard_RAGRS")
    try:
        assert (created["primaryLocation"], created["secondaryLocation"]) == ("eastus",
                                                                              "westus")
        assert (created["statusOfPrimary"], created["statusOfSecondary"]) == ("available",
                                                                              "available")
        secondary = shell.run("storage", "account", "show", "--name", "cliragrs01",
                              "--query", "secondaryEndpoints.queue", "-o", "tsv")
        assert secondary == created["primaryEndpoints"]["queue"].replace(
            "/cliragrs01/", "/cliragrs01-secondary/")
    finally:
        shell.run("storage", "account", "delete", "--name", "cliragrs01", "--resource-group",
                  GROUP, "--yes")
