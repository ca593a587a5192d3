"""Provision the lab's resources with the Azure management SDK — production code.

Resource group → storage account → queue, idempotently. It talks only to the Azure
SDKs, so the same calls run against real Azure and against the local cloud; the
caller chooses the endpoint (``base_url``) and the credential.
"""

from __future__ import annotations

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.resources.models import ResourceGroup
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import (
    Kind,
    Sku,
    StorageAccount,
    StorageAccountCreateParameters,
    StorageAccountPropertiesCreateParameters,
    StorageQueue,
)

from .errors import LabError

# Tags that mark a resource group as the lab's; teardown refuses groups without them.
LAB_TAGS = {"purpose": "queue-lab", "managed-by": "labsupport"}
ACCOUNT_TYPE = "Microsoft.Storage/storageAccounts"


def management_clients(
    credential: TokenCredential, subscription_id: str, base_url: str
) -> tuple[ResourceManagementClient, StorageManagementClient]:
    """The two management clients, pointed at Azure or at the local cloud."""
    return (
        ResourceManagementClient(credential, subscription_id, base_url=base_url),
        StorageManagementClient(credential, subscription_id, base_url=base_url),
    )


def ensure_resource_group(
    resources: ResourceManagementClient, name: str, location: str, tags: dict | None = None
) -> ResourceGroup:
    """Return the resource group, creating it (with the lab's tags) if it is missing."""
    if resources.resource_groups.check_existence(name):
        return resources.resource_groups.get(name)
    return resources.resource_groups.create_or_update(
        name, {"location": location, "tags": tags or LAB_TAGS}
    )


def ensure_storage_account(
    storage: StorageManagementClient,
    resource_group: str,
    name: str,
    location: str,
    tags: dict | None = None,
) -> StorageAccount:
    """Return the storage account, creating a StorageV2 / Standard_LRS one if missing."""
    try:
        return storage.storage_accounts.get_properties(resource_group, name)
    except ResourceNotFoundError:
        pass
    availability = storage.storage_accounts.check_name_availability(
        {"name": name, "type": ACCOUNT_TYPE}
    )
    if not availability.name_available:
        reason = getattr(availability.reason, "value", availability.reason)  # enum -> str
        raise LabError(
            f"The storage account name {name!r} cannot be used ({reason}: "
            f"{availability.message}). Account names are global across Azure: set "
            f"LAB_ACCOUNT_NAME or another LAB_PREFIX in lab.env."
        )
    parameters = StorageAccountCreateParameters(
        sku=Sku(name="Standard_LRS"),
        kind=Kind.STORAGE_V2,
        location=location,
        tags=tags or LAB_TAGS,
        properties=StorageAccountPropertiesCreateParameters(
            minimum_tls_version="TLS1_2", allow_blob_public_access=False
        ),
    )
    return storage.storage_accounts.begin_create(resource_group, name, parameters).result()


def account_key(storage: StorageManagementClient, resource_group: str, name: str) -> str:
    """The account's first key (a secret: never print it)."""
    keys = storage.storage_accounts.list_keys(resource_group, name)
    return keys.keys_property[0].value


def ensure_queue(
    storage: StorageManagementClient,
    resource_group: str,
    account: str,
    queue: str,
    metadata: dict[str, str] | None = None,
) -> StorageQueue:
    """Create (or return) a queue through the management plane."""
    try:
        return storage.queue.get(resource_group, account, queue)
    except ResourceNotFoundError:
        return storage.queue.create(
            resource_group, account, queue, StorageQueue(metadata=metadata or {})
        )
