"""What Azurite answers at a read-access geo-redundant account's ``-secondary`` endpoint.

On Azure the secondary of an RA-GRS or RA-GZRS account is read-only (a write is refused
with 403 ``InsufficientAccountPermissions``, and so is any request to the secondary of an
account without read access: https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes),
and it trails the primary: replication is asynchronous, and Get Queue Service Stats, served
only by the secondary, reports the Last Sync Time
(https://learn.microsoft.com/rest/api/storageservices/get-queue-service-stats).

Azurite keeps one copy of an account and serves ``<account>-secondary`` as the account
itself. These tests pin that, as lesson 01 (section 10) shows it and
docs/AZURE_DIFFERENCES.md (rows secondary-endpoint, geo-replication-lag) states it; the
clients sign in with Entra ID, as the lesson does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.storage.queue import QueueClient, QueueServiceClient

from .arm_support import NEW_ACCOUNT

GROUP, ACCOUNT, QUEUE = "rg-secondary", "secondary01", "orders"


@pytest.fixture
def geo_account(resources, storage):
    """A StorageV2 account made LRS, then changed to Standard_RAGRS with a PATCH (as the
    lesson does), with one queue; deleted afterwards."""
    resources.resource_groups.create_or_update(GROUP, {"location": "eastus"})
    storage.storage_accounts.begin_create(GROUP, ACCOUNT, NEW_ACCOUNT).result()
    account = storage.storage_accounts.update(GROUP, ACCOUNT,
                                              {"sku": {"name": "Standard_RAGRS"}})
    QueueClient(account.primary_endpoints.queue, QUEUE,
                credential=DefaultAzureCredential()).create_queue()
    yield account
    storage.storage_accounts.delete(GROUP, ACCOUNT)


def queue_at(endpoint: str) -> QueueClient:
    return QueueClient(endpoint, QUEUE, credential=DefaultAzureCredential())


def stats_at(endpoint: str) -> dict:
    """Get Queue Service Stats sent to ``endpoint`` itself: the SDK sends it to the
    client's secondary host, which it cannot derive from a path-style URL."""
    return QueueServiceClient(endpoint, credential=DefaultAzureCredential(),
                              secondary_hostname=urlsplit(endpoint).netloc).get_service_stats()


def contents(client: QueueClient) -> list[str]:
    return [m.content for m in client.peek_messages(max_messages=32)]


def test_azurite_accepts_a_write_on_the_secondary_and_the_primary_sees_it(geo_account):
    primary = queue_at(geo_account.primary_endpoints.queue)
    secondary = queue_at(geo_account.secondary_endpoints.queue)
    assert secondary.url != primary.url

    secondary.send_message("written on the secondary")   # Azure: 403 InsufficientAccountPermissions

    assert contents(primary) == ["written on the secondary"]


def test_azurite_serves_the_secondary_whatever_the_sku(storage, geo_account):
    secondary_endpoint = geo_account.secondary_endpoints.queue
    queue_at(geo_account.primary_endpoints.queue).send_message("order-1")

    local = storage.storage_accounts.update(GROUP, ACCOUNT, {"sku": {"name": "Standard_LRS"}})

    assert local.secondary_endpoints is None, "the management plane: no secondary for LRS"
    assert contents(queue_at(secondary_endpoint)) == ["order-1"], \
        "Azure: 403 InsufficientAccountPermissions (no read access); Azurite still serves it"


def test_a_message_is_on_the_secondary_at_once_and_the_stats_say_live_as_of_now(geo_account):
    sent = queue_at(geo_account.primary_endpoints.queue).send_message("order-1")

    assert contents(queue_at(geo_account.secondary_endpoints.queue)) == ["order-1"]

    replication = stats_at(geo_account.secondary_endpoints.queue)["geo_replication"]
    assert replication["status"] == "live"
    assert sent.inserted_on <= replication["last_sync_time"], "the message counts as copied"
    assert replication["last_sync_time"] <= datetime.now(UTC) + timedelta(seconds=1)


def test_the_stats_are_refused_on_the_primary_endpoint(geo_account):
    with pytest.raises(HttpResponseError) as caught:
        stats_at(geo_account.primary_endpoints.queue)
    assert (caught.value.status_code, caught.value.error_code) == (
        400, "InvalidQueryParameterValue")
