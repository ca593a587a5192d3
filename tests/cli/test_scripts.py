"""Provisioning and teardown scripts written for Azure run on the local cloud after the one
prepare command. Their management lines are Azure's, unchanged; the queue lines carry the
one documented change, ``--queue-endpoint`` (see scripts/provision.sh and the README)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labsupport.redact import redact
from labsupport.waits import wait_for

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(900)]
SCRIPTS = Path(__file__).parent / "scripts"
NAMES = {"RESOURCE_GROUP": "rg-orders-script", "ACCOUNT": "ordersscript01"}
# What Azure's own quickstarts type for these steps, which must appear in the scripts as is.
AZURE_LINES = [
    'az group create --name "$RESOURCE_GROUP" --location "$LOCATION"',
    "--sku Standard_LRS",
    '--resource-group "$RESOURCE_GROUP" --query "[0].value" -o tsv)',
    'az storage queue create --name orders --account-name "$ACCOUNT" --account-key '
    '"$ACCOUNT_KEY"',
    'az storage queue delete --name orders --account-name "$ACCOUNT" --account-key '
    '"$ACCOUNT_KEY"',
    'az storage account delete --name "$ACCOUNT" --resource-group "$RESOURCE_GROUP" --yes',
    'az group delete --name "$RESOURCE_GROUP" --yes --no-wait',
]


def run_script(shell, name: str) -> str:
    done = shell.script(f"bash {SCRIPTS / name}", timeout=600)
    assert done.returncode == 0, redact(done.stderr)
    assert redact(done.stdout + done.stderr) == done.stdout + done.stderr, "a secret was shown"
    return done.stdout


def test_the_scripts_are_written_as_for_azure():
    text = re.sub(r"\\\n\s*", "", "\n".join(
        (SCRIPTS / name).read_text() for name in ("provision.sh", "teardown.sh")))
    for line in AZURE_LINES:
        assert line in text
    code = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    changes = [line for line in code if "QUEUE_ENDPOINT" in line]
    assert [line.split()[0] for line in changes] == [
        "QUEUE_ENDPOINT=$(az", "az", "QUEUE_ENDPOINT=$(az", "az"], (
        "each script differs from Azure's by the queue endpoint: looked up, then named")
    assert not [line for line in code if "labsupport" in line or "127.0.0.1" in line], (
        "nothing in the commands is local")


def test_provision_then_teardown(shell):
    shell.env.update(NAMES)
    try:
        assert run_script(shell, "provision.sh").strip() == (
            "provisioned ordersscript01 in rg-orders-script")
        endpoint = shell.run("storage", "account", "show", "--name", NAMES["ACCOUNT"],
                             "--query", "primaryEndpoints.queue", "-o", "tsv")
        queues = shell.run("storage", "queue", "list", "--queue-endpoint", endpoint,
                           "--auth-mode", "login")
        assert [q["name"] for q in queues] == ["orders"]

        assert run_script(shell, "teardown.sh").strip() == "deleting rg-orders-script"
        gone = wait_for(lambda: shell.run("group", "exists", "--name",
                                          NAMES["RESOURCE_GROUP"]) is False,
                        what="the resource group to be deleted", timeout=120, interval=0.5)
        assert gone
        accounts = shell.run("storage", "account", "list", "--query", "[].name")
        assert NAMES["ACCOUNT"] not in accounts
    finally:
        for name in NAMES:
            shell.env.pop(name, None)
