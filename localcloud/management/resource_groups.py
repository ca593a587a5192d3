"""Resource groups (Microsoft.Resources): create/update, get, exists, list, patch, delete.

Deleting a group is long-running (202 + Location, then 200) and deletes its storage
accounts with their data, and the role assignments at or under it, as in Azure.
"""

from __future__ import annotations

import re
from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from . import rendering, validation
from .arm import RESOURCES, account_id, group_id, now
from .dataplane import AccountData
from .errors import (
    InvalidFilterInQueryString,
    InvalidRequestContent,
    InvalidResourceGroupLocation,
    InvalidTopInQueryString,
    ResourceGroupBeingDeleted,
    ResourceGroupNotFound,
)
from .models import ResourceGroup
from .naming import check_resource_group, normalise_region
from .operations import accepted
from .routing import ArmRoute, Call, route

GROUP = "/subscriptions/{subscription}/resourcegroups/{group}"
_TAG_FILTER = re.compile(
    r"^\s*tagName\s+eq\s+'(?P<name>[^']*)'(?:\s+and\s+tagValue\s+eq\s+'(?P<value>[^']*)')?\s*$",
    re.IGNORECASE)


def existing(call: Call) -> ResourceGroup:
    """The group named in the path, or ResourceGroupNotFound."""
    name = call.params["group"]
    check_resource_group(name)
    group = call.store.resource_group(call.subscription, name)
    if group is None:
        raise ResourceGroupNotFound(name)
    return group


def managed_by(body: dict) -> str | None:
    value = body.get("managedBy")
    if value is not None and not isinstance(value, str):
        raise InvalidRequestContent("'managedBy' must be a resource id (a string).")
    return value


def not_deleting(group: ResourceGroup) -> None:
    if group.provisioning_state == "Deleting":
        raise ResourceGroupBeingDeleted(
            f"The resource group '{group.name}' is in deprovisioning state and "
            f"cannot perform this operation.")


async def create_or_update(call: Call) -> Response:
    """PUT: 201 with the new group, 200 when it existed (tags replaced, casing kept)."""
    name = call.params["group"]
    check_resource_group(name)
    body = await call.body()
    location = normalise_region(body.get("location"))
    tags = validation.check_tags(body.get("tags"))
    owner = managed_by(body)
    with call.store.transaction():
        current = call.store.resource_group(call.subscription, name)
        if current is not None:
            not_deleting(current)
            if current.location != location:
                raise InvalidResourceGroupLocation(
                    f"Invalid resource group location '{location}'. The Resource "
                    f"group already exists in location '{current.location}'.")
            group = replace(current, tags=tags, managed_by=owner)
        else:
            group = ResourceGroup(name, location, tags, owner, now())
        call.store.put_resource_group(call.subscription, group)
    return JSONResponse(rendering.resource_group(call.subscription, group),
                        status_code=200 if current is not None else 201)


async def get(call: Call) -> Response:
    return JSONResponse(rendering.resource_group(call.subscription, existing(call)))


async def check_existence(call: Call) -> Response:
    check_resource_group(call.params["group"])
    found = call.store.resource_group(call.subscription, call.params["group"])
    return Response(status_code=204 if found is not None else 404)


async def update(call: Call) -> Response:
    """PATCH: fields sent replace the stored ones (tags as a whole); others are kept."""
    not_deleting(existing(call))
    body = await call.body()
    changes: dict = {}
    if "tags" in body:
        changes["tags"] = validation.check_tags(body["tags"])
    if managed_by(body) is not None:
        changes["managed_by"] = body["managedBy"]
    with call.store.transaction():
        group = existing(call)  # read again: the body was read outside the lock
        not_deleting(group)
        group = replace(group, **changes)
        call.store.put_resource_group(call.subscription, group)
    return JSONResponse(rendering.resource_group(call.subscription, group))


async def list_groups(call: Call) -> Response:
    groups = call.store.resource_groups(call.subscription)
    query = call.request.query_params
    if query.get("$filter"):
        match = _TAG_FILTER.match(query["$filter"])
        if not match:
            raise InvalidFilterInQueryString(
                f"The $filter '{query['$filter']}' is not supported: use "
                f"\"tagName eq 'name'\" optionally followed by \" and tagValue eq "
                f"'value'\".")
        tag, value = match.group("name"), match.group("value")
        groups = [g for g in groups if tag in (g.tags or {})
                  and (value is None or g.tags[tag] == value)]
    if query.get("$top"):
        if not query["$top"].isdigit():
            raise InvalidTopInQueryString(f"The $top '{query['$top']}' is not a positive number.")
        groups = groups[: int(query["$top"])]
    return JSONResponse({"value": [rendering.resource_group(call.subscription, g) for g in groups]})


async def delete(call: Call) -> Response:
    """DELETE: 202 + Location; the operation deletes the accounts (and data), then the group."""
    with call.store.transaction():
        group = existing(call)
        not_deleting(group)
        group = replace(group, provisioning_state="Deleting")
        call.store.put_resource_group(call.subscription, group)
    subscription = call.subscription

    async def work() -> None:
        try:
            for listed in call.store.accounts(subscription, group.name):
                target = account_id(subscription, group.name, listed.name)
                async with call.services.lock(target):  # not while a delete of it runs
                    account = call.store.account(subscription, group.name, listed.name)
                    if account is None:
                        continue
                    data = AccountData(call.cloud, account.name, account.keys["key1"])
                    await run_in_threadpool(data.purge)
                    with call.store.transaction():
                        call.store.remove_account(subscription, account.name)
        except Exception:
            with call.store.transaction():
                call.store.put_resource_group(subscription,
                                              replace(group, provisioning_state="Succeeded"))
            raise
        finally:
            await run_in_threadpool(call.services.sync_accounts)
        with call.store.transaction():
            call.store.remove_resource_group(subscription, group.name)
            call.store.remove_role_assignments_under(subscription,
                                                     group_id(subscription, group.name))
            call.store.remove_monitor_resources_under(subscription,
                                                      group_id(subscription, group.name))

    operation = call.services.operations.start(work, group_id(subscription, group.name))
    return accepted(call.url(f"/subscriptions/{subscription}/operationresults/{operation}",
                             **{"api-version": call.api_version}))


async def operation_result(call: Call) -> Response:
    location = call.url(call.raw_path, **{"api-version": call.api_version})
    return await call.services.operations.poll(call.params["operation"], location)


ROUTES: list[ArmRoute] = [
    route("GET", "/subscriptions/{subscription}/resourcegroups", list_groups, RESOURCES,
          "resourceGroups"),
    route("PUT", GROUP, create_or_update, RESOURCES, "resourceGroups"),
    route("GET", GROUP, get, RESOURCES, "resourceGroups"),
    route("HEAD", GROUP, check_existence, RESOURCES, "resourceGroups"),
    route("PATCH", GROUP, update, RESOURCES, "resourceGroups"),
    route("DELETE", GROUP, delete, RESOURCES, "resourceGroups"),
    route("GET", "/subscriptions/{subscription}/operationresults/{operation}", operation_result,
          RESOURCES, "operationresults"),
]
