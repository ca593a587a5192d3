"""Provision the lab's resources with the Azure management SDK — production code.

Resource group → storage account → queue, idempotently. It talks only to the Azure
SDKs, so the same calls run against real Azure and against the local cloud; the
caller chooses the endpoint (``base_url``) and the credential.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def authorization_client(credential: TokenCredential, subscription_id: str, base_url: str):
    """An ``AuthorizationManagementClient`` (role assignments), pointed at Azure or the local
    cloud."""
    from azure.mgmt.authorization import AuthorizationManagementClient

    return AuthorizationManagementClient(credential, subscription_id, base_url=base_url)


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


# --- Data roles: who may use the queues and blobs with Microsoft Entra ID ---------------------

#: Built-in role definition ids (the same GUIDs in every tenant). Source: "Azure built-in
#: roles for Storage", learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage
ROLE_IDS = {
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Queue Data Reader": "19e7f393-937e-4f77-808e-94535e297925",
    "Storage Queue Data Message Sender": "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a",
    "Storage Queue Data Message Processor": "8a0f0c08-91a1-4084-bc3d-661d67233fed",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
}
#: The roles the lab's signed-in identity needs on its storage account (08 uses blobs).
LAB_DATA_ROLES = ("Storage Queue Data Contributor", "Storage Blob Data Contributor")


def role_definition_id(subscription_id: str, role: str) -> str:
    """The full id of a built-in role, e.g. for ``RoleAssignmentCreateParameters``."""
    try:
        guid = ROLE_IDS[role]
    except KeyError:
        raise LabError(f"{role!r} is not one of the lab's roles: use one of "
                       f"{', '.join(sorted(ROLE_IDS))}.") from None
    return (f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{guid}")


@dataclass(frozen=True)
class Principal:
    """Who a token was issued to: its object id and the kind ARM wants for assignments."""

    object_id: str
    principal_type: str  # "User" or "ServicePrincipal"


def signed_in_principal(credential: TokenCredential) -> Principal:
    """The principal behind ``credential``, from the ``oid`` and ``idtyp`` claims of its
    Azure Resource Manager token (read, not verified: Azure verifies it on every call)."""
    import jwt

    token = credential.get_token("https://management.azure.com/.default").token
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LabError("The signed-in identity's token cannot be read, so the lab cannot tell "
                       "who to give its data roles to. Sign in again (`az login`).") from None
    object_id = claims.get("oid")
    if not object_id:
        raise LabError("The signed-in identity's token has no object id (oid claim): sign in "
                       "as a user, a service principal or a managed identity.")
    kind = "ServicePrincipal" if claims.get("idtyp") == "app" else "User"
    return Principal(str(object_id), kind)


def assigned_roles(authorization, scope: str, principal_id: str) -> set[str]:
    """The role definition GUIDs assigned to ``principal_id`` at ``scope`` or above it."""
    found = authorization.role_assignments.list_for_scope(
        scope, filter=f"principalId eq '{principal_id}'")
    target = scope.rstrip("/").lower() + "/"
    return {a.role_definition_id.rsplit("/", 1)[-1].lower() for a in found
            if target.startswith(a.scope.rstrip("/").lower() + "/")}


def ensure_role_assignments(authorization, subscription_id: str, scope: str,
                            principal: Principal, roles=LAB_DATA_ROLES) -> list[str]:
    """Assign each of ``roles`` to ``principal`` at ``scope`` unless it already has it.

    Returns the roles that were assigned now (empty when all were in place). A role that
    already exists under another assignment name (409 ``RoleAssignmentExists``) counts as
    in place. Without the right to assign roles, raises a :class:`LabError` that says what
    to ask the subscription's owner for.
    """
    import uuid

    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

    present = assigned_roles(authorization, scope, principal.object_id)
    created = []
    for role in roles:
        if ROLE_IDS[role] in present:
            continue
        parameters = RoleAssignmentCreateParameters(
            role_definition_id=role_definition_id(subscription_id, role),
            principal_id=principal.object_id, principal_type=principal.principal_type)
        try:
            authorization.role_assignments.create(scope, str(uuid.uuid4()), parameters)
        except HttpResponseError as error:
            code = getattr(error.error, "code", None) or ""
            if code == "RoleAssignmentExists":
                continue
            if error.status_code == 403:
                raise LabError(
                    f"You may not assign roles on {scope.rsplit('/', 1)[-1]} ({error.status_code}"
                    f" {code}). Ask the subscription's owner to give your account "
                    f"{' and '.join(roles)} on that storage account (or its resource group)."
                ) from None
            raise
        created.append(role)
    return created


def wait_for_data_access(queue_endpoint: str, credential: TokenCredential, *,
                         timeout: float, interval: float = 10, **client_options) -> None:
    """Wait until the queue service accepts ``credential``'s token for data operations.

    Azure applies a new role assignment after a while ("up to 30 minutes", says Microsoft
    Learn); until then the service answers 403 ``AuthorizationPermissionMismatch``. The
    probe reads the properties of a queue that need not exist: 404 means access works.
    """
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
    from azure.storage.queue import QueueClient

    from .waits import WaitTimeout, wait_for

    probe = QueueClient(queue_endpoint, "lab-access-probe", credential=credential,
                        **client_options)

    def allowed() -> bool:
        try:
            probe.get_queue_properties()
        except ResourceNotFoundError:
            return True
        except HttpResponseError as error:
            if error.status_code == 403:
                return False
            raise
        return True

    try:
        wait_for(allowed, what="your data roles to apply", timeout=timeout, interval=interval)
    except WaitTimeout:
        raise LabError(
            f"Your identity has the lab's data roles ({' and '.join(LAB_DATA_ROLES)}), but "
            f"Azure has not applied them after {timeout / 60:g} minutes; it can take up to 30. "
            "Run the cell again in a few minutes.") from None
