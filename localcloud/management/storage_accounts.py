"""Storage accounts (Microsoft.Storage): name check, create, get, list, update, delete, keys.

Each account is a real Azurite account with its own keys. Creating one is long-running:
202 + Location, and the poll answers 200 once Azurite serves the account (it restarts
with the new account set), so a connection string from listKeys works at once.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from . import redundancy, rendering, validation
from .arm import STORAGE, account_id, new_account_key, now
from .dataplane import AccountData
from .errors import (
    InvalidRequestContent,
    InvalidResourceLocation,
    InvalidValuesForRequestParameters,
    ResourceGroupNotFound,
    StorageAccountAlreadyTaken,
    StorageAccountInAnotherResourceGroup,
    StorageAccountIsNotProvisioned,
    account_not_found,
    quote,
)
from .models import ResourceGroup, StorageAccount
from .naming import account_name_problem, check_account, normalise_region
from .operations import accepted
from .resource_groups import not_deleting
from .routing import ArmRoute, Call, route

PROVIDER = "/subscriptions/{subscription}/providers/Microsoft.Storage"
ACCOUNTS = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Storage" \
           "/storageAccounts"
ACCOUNT = ACCOUNTS + "/{account}"


def group_of(call: Call) -> ResourceGroup:
    group = call.store.resource_group(call.subscription, call.params["group"])
    if group is None:
        raise ResourceGroupNotFound(call.params["group"])
    return group


def existing(call: Call) -> StorageAccount:
    """The account named in the path (in that group), or Azure's 404."""
    group_of(call)
    account = call.store.account(call.subscription, call.params["group"], call.params["account"])
    if account is None:
        raise account_not_found(call.params["account"], call.params["group"])
    return account


async def provisioned(call: Call) -> StorageAccount:
    """The account once it has finished provisioning (Azurite serves it)."""
    account = existing(call)
    if account.provisioning_state == "Creating":
        await call.services.operations.settle(_target(call))
        account = existing(call)
    if account.provisioning_state != "Succeeded":
        raise StorageAccountIsNotProvisioned()
    return account


def _target(call: Call) -> str:
    return account_id(call.subscription, call.params["group"], call.params["account"])


def body_of(call: Call, account: StorageAccount) -> dict:
    return rendering.storage_account(call.cloud, call.subscription, account)


async def check_name_availability(call: Call) -> Response:
    body = await call.body()
    name = body.get("name")
    if not isinstance(name, str):
        raise InvalidRequestContent("'name' is required (the storage account name to check).")
    problem = account_name_problem(name)
    if problem:
        return JSONResponse({"nameAvailable": False, "reason": "AccountNameInvalid",
                             "message": problem})
    if call.store.find_account(name):
        return JSONResponse({"nameAvailable": False, "reason": "AlreadyExists",
                             "message": f"The storage account named {name} is already taken."})
    return JSONResponse({"nameAvailable": True})


def _taken(call: Call, name: str) -> StorageAccount | None:
    """The account if this name is already ours (same subscription and group), else None;
    Azure's 409 if someone else has it."""
    found = call.store.find_account(name)
    if found is None:
        return None
    subscription, account = found
    if subscription != call.subscription:
        raise StorageAccountAlreadyTaken(f"The storage account named {name} is already taken.")
    if not account.in_group(call.params["group"]):
        raise StorageAccountInAnotherResourceGroup(
            f"The account {name} is already in another resource group in this "
            f"subscription.")
    return account


async def create(call: Call) -> Response:
    """PUT: 202 + Location for a new account; 200 with the account if it exists here."""
    name = call.params["account"]
    group = group_of(call)
    check_account(name)
    not_deleting(group)
    body = await call.body()
    location = normalise_region(body.get("location"), "resource type 'storageAccounts'")
    sku = validation.sku_name(body.get("sku"))
    kind = validation.check_kind(body.get("kind"))
    redundancy.check(sku, kind, location)
    tags = validation.check_tags(body.get("tags"), validation.STORAGE_TAG_NAME_LIMIT)
    properties = validation.writable(body.get("properties"))
    async with call.services.lock(_target(call)):  # not while a delete of it runs
        current = _taken(call, name)
        if current is not None and current.provisioning_state == "Creating":
            await call.services.operations.settle(_target(call))  # two creators at once
            current = _taken(call, name)
        if current is not None:
            if current.location != location:
                raise InvalidResourceLocation(
                    f"The resource '{name}' already exists in location "
                    f"'{current.location}' in resource group '{group.name}'. A "
                    f"resource with the same name cannot be created in location "
                    f"'{location}'. Please select a new resource name.")
            with call.store.transaction():
                account = replace(current, sku=sku, kind=kind,
                                  properties=validation.merge(current.properties, properties),
                                  tags=current.tags if tags is None else tags)
                call.store.put_account(call.subscription, account)
            return JSONResponse(body_of(call, account))

        created = now()
        account = StorageAccount(
            name, group.name, {"key1": new_account_key(), "key2": new_account_key()},
            location=location, sku=sku, kind=kind, tags=tags or {},
            properties=validation.merge(validation.default_properties(kind), properties),
            key_creation_time={"key1": created, "key2": created}, creation_time=created,
            provisioning_state="Creating")
        with call.store.transaction():
            call.store.put_account(call.subscription, account)
        subscription = call.subscription

        async def work() -> dict:
            try:
                await run_in_threadpool(call.services.sync_accounts)
            except Exception:
                with call.store.transaction():
                    call.store.put_account(subscription,
                                           replace(account, provisioning_state="Failed"))
                raise
            with call.store.transaction():
                stored = call.store.account(subscription, group.name, name)
                done = replace(stored or account, provisioning_state="Succeeded")
                if stored is not None:
                    call.store.put_account(subscription, done)
            return rendering.storage_account(call.cloud, subscription, done)

        operation = call.services.operations.start(work, _target(call))
        return accepted(call.url(
            f"/subscriptions/{subscription}/providers/Microsoft.Storage/locations/{location}"
            f"/asyncoperations/{operation}", monitor="true", **{"api-version": call.api_version}))


async def operation_status(call: Call) -> Response:
    location = call.url(call.raw_path, monitor="true",
                        **{"api-version": call.api_version})
    return await call.services.operations.poll(call.params["operation"], location)


async def get_properties(call: Call) -> Response:
    return JSONResponse(body_of(call, existing(call)))


async def list_by_group(call: Call) -> Response:
    group_of(call)
    accounts = call.store.accounts(call.subscription, call.params["group"])
    return JSONResponse({"value": [body_of(call, a) for a in accounts]})


async def list_all(call: Call) -> Response:
    accounts = call.store.accounts(call.subscription)
    return JSONResponse({"value": [body_of(call, a) for a in accounts]})


async def update(call: Call) -> Response:
    """PATCH: tags replace, properties merge (networkAcls, encryption, minimumTlsVersion...)."""
    existing(call)
    body = await call.body()
    changes: dict = {}
    if body.get("sku") is not None:
        changes["sku"] = validation.sku_name(body["sku"])
    if body.get("kind") is not None:
        changes["kind"] = validation.check_kind(body["kind"])
    if "tags" in body:
        changes["tags"] = validation.check_tags(body["tags"],
                                                validation.STORAGE_TAG_NAME_LIMIT) or {}
    properties = validation.writable(body.get("properties"))
    async with call.services.lock(_target(call)):
        with call.store.transaction():
            account = existing(call)  # read again: a delete may have won the race
            account = replace(account, **changes,
                              properties=validation.merge(account.properties, properties))
            redundancy.check(account.sku, account.kind, account.location)
            call.store.put_account(call.subscription, account)
    return JSONResponse(body_of(call, account))


async def delete(call: Call) -> Response:
    """DELETE: 200 once the account, its data and its role assignments are gone; 204 if
    there was none. Parallel deletes take turns: one 200, then 204s."""
    group_of(call)
    async with call.services.lock(_target(call)):
        account = call.store.account(call.subscription, call.params["group"],
                                     call.params["account"])
        if account is None:
            return Response(status_code=204)
        account = await provisioned(call)
        data = AccountData(call.cloud, account.name, account.keys["key1"])
        await run_in_threadpool(data.purge)
        with call.store.transaction():
            call.store.remove_account(call.subscription, account.name)
            call.store.remove_role_assignments_under(call.subscription, _target(call))
        await run_in_threadpool(call.services.sync_accounts)
    return Response(status_code=200)


async def list_keys(call: Call) -> Response:
    expand = call.request.query_params.get("$expand")
    if expand not in (None, "kerb"):
        raise InvalidValuesForRequestParameters(f"$expand '{expand}' (only "
                                                f"'kerb' is supported).")
    return JSONResponse(rendering.account_keys(existing(call)))


async def regenerate_key(call: Call) -> Response:
    """POST {"keyName": "key1"}: a new key; Azurite refuses the old one before we answer."""
    await provisioned(call)
    body = await call.body()
    key_name = body.get("keyName")
    if not isinstance(key_name, str) or key_name.lower() not in ("key1", "key2"):
        raise InvalidValuesForRequestParameters(f"keyName "
                                                f"'{quote(key_name)}'. Use 'key1' or 'key2'.")
    key_name = key_name.lower()
    async with call.services.lock(_target(call)):
        await provisioned(call)  # again: a delete may have won the race
        with call.store.transaction():
            account = existing(call)
            account = replace(account, keys={**account.keys, key_name: new_account_key()},
                              key_creation_time={**account.key_creation_time, key_name: now()})
            call.store.put_account(call.subscription, account)
        await run_in_threadpool(call.services.sync_accounts)
    return JSONResponse(rendering.account_keys(account))


ROUTES: list[ArmRoute] = [
    route("POST", PROVIDER + "/checkNameAvailability", check_name_availability, STORAGE,
          "checkNameAvailability"),
    route("GET", PROVIDER + "/storageAccounts", list_all, STORAGE, "storageAccounts"),
    route("GET", PROVIDER + "/locations/{location}/asyncoperations/{operation}",
          operation_status, STORAGE, "locations/asyncoperations"),
    route("GET", ACCOUNTS, list_by_group, STORAGE, "storageAccounts"),
    route("PUT", ACCOUNT, create, STORAGE, "storageAccounts"),
    route("GET", ACCOUNT, get_properties, STORAGE, "storageAccounts"),
    route("PATCH", ACCOUNT, update, STORAGE, "storageAccounts"),
    route("DELETE", ACCOUNT, delete, STORAGE, "storageAccounts"),
    route("POST", ACCOUNT + "/listKeys", list_keys, STORAGE, "storageAccounts"),
    route("POST", ACCOUNT + "/regenerateKey", regenerate_key, STORAGE, "storageAccounts"),
]
