"""The queue service of an account (``queueServices/default``): GET, PUT, LIST; its CORS rules.

Microsoft.Storage's QueueServices operations (REST reference:
https://learn.microsoft.com/rest/api/storagerp/queue-services; examples QueueServicesGet,
QueueServicesPut, QueueServicesList in azure-rest-api-specs). The rules are real: they
are the queue service properties Azurite keeps (the data plane's Get/Set Queue Service
Properties), so a rule set here is what the data-plane SDK reads, and the other way round.
A PUT without ``cors`` leaves the rules as they are, as Set Queue Service Properties leaves
an element it is not sent (https://learn.microsoft.com/rest/api/storageservices/set-queue-service-properties).
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from .arm import ACCOUNT_TYPE, STORAGE, account_id
from .errors import InvalidRequestContent
from .models import StorageAccount
from .queues import _azurite, _data
from .routing import ArmRoute, Call, route
from .storage_accounts import ACCOUNT, provisioned

SERVICES = ACCOUNT + "/queueServices"
SERVICE = SERVICES + "/default"
SERVICE_TYPE = f"{ACCOUNT_TYPE}/queueServices"
# CorsRule in the REST specification: the methods its enum allows, and its list fields.
METHODS = ("DELETE", "GET", "HEAD", "MERGE", "POST", "OPTIONS", "PUT", "PATCH", "CONNECT",
           "TRACE")
LISTS = ("allowedOrigins", "allowedMethods", "exposedHeaders", "allowedHeaders")


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def rule_body(rule) -> dict:
    """ARM's CorsRule from the data-plane SDK's (whose lists are comma-joined text)."""
    return {"allowedOrigins": _split(rule.allowed_origins),
            "allowedMethods": _split(rule.allowed_methods),
            "maxAgeInSeconds": rule.max_age_in_seconds,
            "exposedHeaders": _split(rule.exposed_headers),
            "allowedHeaders": _split(rule.allowed_headers)}


def body(call: Call, account: StorageAccount, rules: list) -> dict:
    return {
        "id": f"{account_id(call.subscription, account.resource_group, account.name)}"
              f"/queueServices/default",
        "name": "default",
        "type": SERVICE_TYPE,
        "properties": {"cors": {"corsRules": [rule_body(rule) for rule in rules]}},
    }


def parse_rules(cors: object) -> list[dict]:
    """The rules of a request's ``properties.cors``, their types checked as ARM's
    deserializer checks them (InvalidRequestContent)."""
    if not isinstance(cors, dict):
        raise InvalidRequestContent("'properties.cors' must be an object with a 'corsRules' array.")
    rules = cors.get("corsRules", [])
    if not isinstance(rules, list):
        raise InvalidRequestContent("'properties.cors.corsRules' must be an array.")
    for index, rule in enumerate(rules):
        where = f"'properties.cors.corsRules[{index}]"
        if not isinstance(rule, dict):
            raise InvalidRequestContent(f"{where}' must be an object.")
        for name in (*LISTS, "maxAgeInSeconds"):
            if name not in rule:
                raise InvalidRequestContent(f"{where}.{name}' is required.")
        for name in LISTS:
            if not isinstance(rule[name], list) or not all(isinstance(v, str)
                                                           for v in rule[name]):
                raise InvalidRequestContent(f"{where}.{name}' must be an array of strings.")
        if type(rule["maxAgeInSeconds"]) is not int:
            raise InvalidRequestContent(f"{where}.maxAgeInSeconds' must be an integer.")
        unknown = [m for m in rule["allowedMethods"] if m not in METHODS]
        if unknown:
            raise InvalidRequestContent(f"{where}.allowedMethods' has '{unknown[0]}'; use "
                                        f"{', '.join(METHODS)}.")
    return rules


def _sdk_rules(rules: list[dict]) -> list:
    from azure.storage.queue import CorsRule  # on first use: a faster start

    return [CorsRule(rule["allowedOrigins"], rule["allowedMethods"],
                     max_age_in_seconds=rule["maxAgeInSeconds"],
                     exposed_headers=rule["exposedHeaders"],
                     allowed_headers=rule["allowedHeaders"]) for rule in rules]


async def get(call: Call) -> Response:
    account = await provisioned(call)
    rules = await _azurite(_data(call, account).cors_rules)
    return JSONResponse(body(call, account, rules))


async def list_services(call: Call) -> Response:
    account = await provisioned(call)
    rules = await _azurite(_data(call, account).cors_rules)
    return JSONResponse({"value": [body(call, account, rules)]})


async def put(call: Call) -> Response:
    """PUT: the rules sent replace the service's; no ``cors`` leaves them as they are."""
    account = await provisioned(call)
    request = await call.body()
    properties = request.get("properties", {})
    if not isinstance(properties, dict):
        raise InvalidRequestContent("'properties' must be an object.")
    data = _data(call, account)
    if properties.get("cors") is not None:
        await _azurite(data.set_cors_rules, _sdk_rules(parse_rules(properties["cors"])))
    rules = await _azurite(data.cors_rules)
    return JSONResponse(body(call, account, rules))


ROUTES: list[ArmRoute] = [
    route("GET", SERVICES, list_services, STORAGE, "storageAccounts/queueServices"),
    route("GET", SERVICE, get, STORAGE, "storageAccounts/queueServices"),
    route("PUT", SERVICE, put, STORAGE, "storageAccounts/queueServices"),
]
