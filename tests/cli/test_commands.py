"""The ``az`` management commands of issue 23, offline, as a learner types them.

Management commands are exactly Azure's. Data-plane commands (``az storage queue …``,
``az storage message …``) add ``--queue-endpoint`` (the account's
``primaryEndpoints.queue``): Azurite serves path-style URLs, and the CLI builds
host-style ones from ``--account-name`` (README, "The Azure CLI").
"""

from __future__ import annotations

import re
import subprocess

import pytest

import localcloud
from labsupport.redact import redact

from .support import ACCOUNT, CONTRIBUTOR, GROUP, is_account_key

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(600)]


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


def test_update_makes_an_account_read_access_geo_redundant(shell, account):
    """Lesson 01's Exam view (section 10): update --sku, then show with a --query."""
    shell.run("storage", "account", "create", "--name", "cliredund01", "--resource-group",
              GROUP, "--sku", "Standard_LRS")
    try:
        updated = shell.run("storage", "account", "update", "--name", "cliredund01",
                            "--resource-group", GROUP, "--sku", "Standard_RAGRS")
        assert (updated["sku"]["name"], updated["secondaryLocation"]) == ("Standard_RAGRS",
                                                                          "westus")
        shown = shell.run("storage", "account", "show", "--name", "cliredund01",
                          "--resource-group", GROUP, "--query",
                          "{sku:sku.name,secondary:secondaryLocation}", "--output", "tsv")
        assert shown == "Standard_RAGRS\twestus"
    finally:
        shell.run("storage", "account", "delete", "--name", "cliredund01", "--resource-group",
                  GROUP, "--yes")
