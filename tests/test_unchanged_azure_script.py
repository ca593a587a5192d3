"""The issue's "done when": a management-SDK script written for real Azure provisions and
tears down against the local cloud unchanged.

The script below knows nothing of the lab: it uses ``DefaultAzureCredential``, reads
``AZURE_SUBSCRIPTION_ID`` and takes the management endpoint as an option whose default is
Azure's. The test gives it only what ``eval "$(python -m labsupport env)"`` exports (the
identity endpoint, CA trust, the subscription) and the local endpoint as that option.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

SCRIPT = '''
"""Provision a resource group, a storage account and a queue; use the queue; delete it all.

Needs AZURE_SUBSCRIPTION_ID and a credential DefaultAzureCredential can find (az login, a
service principal in the environment, a managed identity).
"""
import argparse
import os
import secrets

from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.queue import QueueClient

parser = argparse.ArgumentParser()
parser.add_argument("--management-endpoint", default="https://management.azure.com")
parser.add_argument("--location", default="eastus")
args = parser.parse_args()

credential = DefaultAzureCredential()
subscription = os.environ["AZURE_SUBSCRIPTION_ID"]
resources = ResourceManagementClient(credential, subscription,
                                     base_url=args.management_endpoint)
storage = StorageManagementClient(credential, subscription, base_url=args.management_endpoint)

group = f"rg-script-{secrets.token_hex(4)}"
account = f"script{secrets.token_hex(8)}"
resources.resource_groups.create_or_update(
    group, {"location": args.location, "tags": {"purpose": "script-test"}})
print("group created:", resources.resource_groups.check_existence(group))

if not storage.storage_accounts.check_name_availability(
        {"name": account, "type": "Microsoft.Storage/storageAccounts"}).name_available:
    raise SystemExit(f"account name {account} is taken")
created = storage.storage_accounts.begin_create(group, account, {
    "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "location": args.location,
}).result()
print("account:", created.provisioning_state == "Succeeded")

storage.queue.create(group, account, "jobs", {"properties": {"metadata": {"from": "arm"}}})
key = storage.storage_accounts.list_keys(group, account).keys_property[0].value
connection = (f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
              f"QueueEndpoint={created.primary_endpoints.queue}")
jobs = QueueClient.from_connection_string(connection, "jobs")
print("metadata:", jobs.get_queue_properties().metadata)
jobs.send_message("job-1")
message = next(jobs.receive_messages(max_messages=1, messages_per_page=1))
jobs.delete_message(message)
print("message:", message.content)

storage.queue.delete(group, account, "jobs")
storage.storage_accounts.delete(group, account)
resources.resource_groups.begin_delete(group).result()
print("group deleted:", not resources.resource_groups.check_existence(group))
print("account name free:", storage.storage_accounts.check_name_availability(
    {"name": account, "type": "Microsoft.Storage/storageAccounts"}).name_available)
'''

EXPECTED = """group created: True
account: True
metadata: {'from': 'arm'}
message: job-1
group deleted: True
account name free: True
"""


def clean_environment(state_dir) -> dict[str, str]:
    """This process's environment without anything that points at the lab or an identity."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("IDENTITY_", "AZURE_", "MSI_", "IMDS_", "LAB_"))
           and name not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    return {**env, "LAB_STATE_DIR": str(state_dir), "LAB_BACKEND": "local"}


def test_script_knows_nothing_of_the_lab():
    assert "labsupport" not in SCRIPT and "127.0.0.1" not in SCRIPT and "LAB_" not in SCRIPT


def test_azure_script_provisions_and_tears_down_against_the_local_cloud(lab_config, cloud,
                                                                       tmp_path):
    script = tmp_path / "provision_and_teardown.py"
    script.write_text(SCRIPT, encoding="utf-8")
    python = shlex.quote(sys.executable)
    command = (f'eval "$({python} -m labsupport env)" && '
               f'{python} {shlex.quote(str(script))} '
               f'--management-endpoint "$LAB_MANAGEMENT_ENDPOINT"')

    done = subprocess.run(["bash", "-c", command], env=clean_environment(lab_config.state_dir),
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == EXPECTED
