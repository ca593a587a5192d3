"""Microsoft.Insights on the local plane: metric alerts, diagnostic settings, queue metrics.

Paths, api-versions and shapes as in Microsoft.Insights' REST specification and as
``azure-mgmt-monitor`` 7.0.0 sends them: metric alerts (2018-03-01,
https://learn.microsoft.com/rest/api/monitor/metric-alerts), diagnostic settings
(2021-05-01-preview, https://learn.microsoft.com/rest/api/monitor/diagnostic-settings) and
metrics (2024-02-01, https://learn.microsoft.com/rest/api/monitor/metrics/list).

What is real: an alert's and a setting's body is validated, stored (they survive a restart)
and answered in ARM's shape; their scopes must be a storage account of this cloud or its
``queueServices/default``; metric names and dimensions are checked against Azure's tables
(https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-storage-storageaccounts-queueservices-metrics),
where QueueMessageCount and QueueCount have **no dimension**: an alert cannot name one
queue. ``QueueMessageCount`` and ``QueueCount`` are computed from Azurite at the moment of
the request. What is not: no alert is evaluated or fired, and no log record is sent to a
setting's destination. Azure computes capacity metrics hourly and refreshes them daily
(https://learn.microsoft.com/azure/storage/queues/monitor-queue-storage-reference); the
local value is the current one. Refusals use Microsoft.Insights' ``BadRequest``; their
exact wording on Azure is not recorded here.
"""

from __future__ import annotations

import datetime
import math

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from .arm import ACCOUNT_TYPE, now
from .dataplane import AccountData
from .errors import BadRequest, InvalidRequestContent, ResourceNotFound
from .models import MonitorResource
from .naming import normalise_region
from .resource_groups import existing
from .routing import ArmRoute, Call, Provider, route
from .scopes import Scope, parse

ALERTS_API = Provider("Microsoft.Insights", ("2018-03-01",))
SETTINGS_API = Provider("Microsoft.Insights", ("2021-05-01-preview", "2017-05-01-preview"))
METRICS_API = Provider("Microsoft.Insights", ("2024-02-01", "2023-10-01", "2021-05-01",
                                              "2019-07-01", "2018-01-01"))
ALERT_TYPE = "Microsoft.Insights/metricAlerts"
SETTING_TYPE = "Microsoft.Insights/diagnosticSettings"
QUEUE_SERVICE = f"{ACCOUNT_TYPE}/queueServices"
ALERTS = ("/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Insights/"
          "metricAlerts")
SETTINGS = "/providers/Microsoft.Insights/diagnosticSettings"

# Azure Monitor's supported-metrics tables for the two namespaces: name -> (unit, dimensions).
_TRANSACTION = ("ResponseType", "GeoType", "ApiName", "Authentication")
_TRAFFIC = ("GeoType", "ApiName", "Authentication")
_COMMON = {"Transactions": ("Count", _TRANSACTION), "Ingress": ("Bytes", _TRAFFIC),
           "Egress": ("Bytes", _TRAFFIC), "SuccessServerLatency": ("MilliSeconds", _TRAFFIC),
           "SuccessE2ELatency": ("MilliSeconds", _TRAFFIC), "Availability": ("Percent", _TRAFFIC)}
METRICS = {
    ACCOUNT_TYPE.lower(): {**_COMMON, "UsedCapacity": ("Bytes", ())},
    QUEUE_SERVICE.lower(): {**_COMMON, "QueueCapacity": ("Bytes", ()), "QueueCount": ("Count", ()),
                            "QueueMessageCount": ("Count", ())},
}
COMPUTED = {"QueueMessageCount": "The number of unexpired queue messages in the storage account.",
            "QueueCount": "The number of queues in the storage account."}
# Diagnostic-setting categories (supported-logs table for queueServices; none for the account).
LOG_CATEGORIES = {QUEUE_SERVICE.lower(): ("StorageRead", "StorageWrite", "StorageDelete"),
                  ACCOUNT_TYPE.lower(): ()}
LOG_GROUPS = {QUEUE_SERVICE.lower(): ("audit", "allLogs"), ACCOUNT_TYPE.lower(): ()}
METRIC_CATEGORIES = ("Transaction", "Capacity")
# What `az monitor metrics alert create` offers for --evaluation-frequency and --window-size.
FREQUENCIES = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H")
WINDOWS = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")
OPERATORS = ("Equals", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual")
AGGREGATIONS = ("Average", "Count", "Minimum", "Maximum", "Total")
SINGLE = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
MULTIPLE = "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria"


# ----------------------------------------------------------------- reading bodies
def _need(data: dict, name: str, kind: type | tuple, where: str):
    value = data.get(name)
    if value is None:
        raise InvalidRequestContent(f"'{where}{name}' is required.")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        expected = {bool: "true or false", int: "an integer", str: "a string",
                    list: "an array", dict: "an object"}.get(kind, "a number")
        raise InvalidRequestContent(f"'{where}{name}' must be {expected}.")
    return value


def _optional(data: dict, name: str, kind: type | tuple, where: str):
    return None if data.get(name) is None else _need(data, name, kind, where)


def _one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise BadRequest(f"{what} '{value}' is not supported; use one of {', '.join(allowed)}.")


def _properties(body: dict) -> dict:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise InvalidRequestContent("'properties' is required and must be an object.")
    return properties


def _monitored(call: Call, resource_id: str) -> tuple[Scope, str]:
    """A storage account or its queue service in this cloud, and its metric namespace;
    ARM's 404 if the group or account is missing, BadRequest for any other resource."""
    scope = parse(resource_id.rstrip("/"), call.store)
    below = [p.lower() for p in resource_id.strip("/").split("/")[8:]] if scope else []
    if scope is None or scope.account is None or below not in ([], ["queueservices", "default"]):
        raise BadRequest(f"The local cloud monitors a storage account or its "
                         f"queueServices/default only, not '{resource_id}'.")
    if scope.subscription != call.subscription:
        raise BadRequest(f"'{resource_id}' is not in subscription {call.subscription}.")
    return scope, QUEUE_SERVICE if below else ACCOUNT_TYPE


# ----------------------------------------------------------------- metric alerts
def _criterion(item: object, index: int, namespace: str) -> dict:
    where = f"properties.criteria.allOf[{index}]."
    if not isinstance(item, dict):
        raise InvalidRequestContent(f"'{where[:-1]}' must be an object.")
    if _need(item, "criterionType", str, where) != "StaticThresholdCriterion":
        raise BadRequest(f"criterionType '{item['criterionType']}' is not supported by the "
                         f"local cloud; use StaticThresholdCriterion.")
    _need(item, "name", str, where)
    metric = _need(item, "metricName", str, where)
    sent_namespace = _optional(item, "metricNamespace", str, where)
    if sent_namespace and sent_namespace.lower() != namespace.lower():
        raise BadRequest(f"metricNamespace '{sent_namespace}' does not match the scope, whose "
                         f"namespace is '{namespace}'.")
    _one_of(_need(item, "operator", str, where), OPERATORS, "operator")
    _one_of(_need(item, "timeAggregation", str, where), AGGREGATIONS, "timeAggregation")
    threshold = _need(item, "threshold", (int, float), where)
    if isinstance(threshold, bool) or not math.isfinite(threshold):
        raise InvalidRequestContent(f"'{where}threshold' must be a number.")
    known = METRICS[namespace.lower()]
    if metric not in known:
        raise BadRequest(f"Metric '{metric}' is not in namespace {namespace}. Valid metrics: "
                         f"{', '.join(sorted(known))}.")
    dimensions = _optional(item, "dimensions", list, where) or []
    for dimension in dimensions:
        name = dimension.get("name") if isinstance(dimension, dict) else None
        if not isinstance(name, str):
            raise InvalidRequestContent(f"'{where}dimensions' must be objects with a 'name'.")
        if name.lower() not in {d.lower() for d in known[metric][1]}:
            listed = ", ".join(known[metric][1]) or "none"
            raise BadRequest(f"Metric '{metric}' has no dimension '{name}'; its dimensions: "
                             f"{listed}.")
    return item


def _alert_properties(call: Call, body: dict) -> dict:
    normalise_region(body.get("location"), "resource")
    properties = _properties(body)
    where = "properties."
    severity = _need(properties, "severity", int, where)
    if not 0 <= severity <= 4:
        raise BadRequest(f"severity {severity} is out of range; use 0 (critical) to 4 (verbose).")
    _need(properties, "enabled", bool, where)
    scopes = _need(properties, "scopes", list, where)
    if not scopes or not all(isinstance(s, str) for s in scopes):
        raise InvalidRequestContent("'properties.scopes' must be a non-empty array of "
                                    "resource ids.")
    _one_of(_need(properties, "evaluationFrequency", str, where), FREQUENCIES,
            "evaluationFrequency")
    _one_of(_need(properties, "windowSize", str, where), WINDOWS, "windowSize")
    criteria = _need(properties, "criteria", dict, where)
    kind = _need(criteria, "odata.type", str, "properties.criteria.")
    if kind not in (SINGLE, MULTIPLE):
        raise BadRequest(f"criteria odata.type '{kind}' is not supported by the local cloud; "
                         f"use {SINGLE}.")
    if kind == SINGLE and len(scopes) != 1:
        raise BadRequest("A SingleResourceMultipleMetricCriteria alert watches exactly one "
                         "resource: give one scope.")
    namespaces = {_monitored(call, scope)[1] for scope in scopes}
    if len(namespaces) != 1:
        raise BadRequest("All scopes of one alert must be the same kind of resource.")
    namespace = namespaces.pop()
    items = _need(criteria, "allOf", list, "properties.criteria.")
    if not items:
        raise InvalidRequestContent("'properties.criteria.allOf' needs at least one criterion.")
    for index, item in enumerate(items):
        _criterion(item, index, namespace)
    for name in ("description", "targetResourceType", "targetResourceRegion"):
        _optional(properties, name, str, where)
    _optional(properties, "autoMitigate", bool, where)
    _optional(properties, "actions", list, where)
    return {**properties, "lastUpdatedTime": now(), "isMigrated": False}


def _alerts_prefix(call: Call) -> str:
    return (f"/subscriptions/{call.params['subscription']}/resourceGroups/"
            f"{call.params['group']}/providers/{ALERT_TYPE}/")


def _alert_id(call: Call) -> str:
    return _alerts_prefix(call) + call.params["name"]


def _alert(call: Call) -> MonitorResource:
    existing(call)
    found = call.store.monitor_resource(call.subscription, _alert_id(call))
    if found is None:
        raise ResourceNotFound(ALERT_TYPE, call.params["name"], call.params["group"])
    return found


async def put_alert(call: Call) -> Response:
    existing(call)
    body = await call.body()
    properties = _alert_properties(call, body)
    tags = body.get("tags") or {}
    if not isinstance(tags, dict):
        raise InvalidRequestContent("'tags' must be an object.")
    resource_id = _alert_id(call)
    answer = {"id": resource_id, "name": call.params["name"], "type": ALERT_TYPE,
              "location": body["location"], "tags": tags, "properties": properties}
    with call.store.transaction():
        call.store.put_monitor_resource(call.subscription, MonitorResource(resource_id, answer))
    return JSONResponse(answer)


async def get_alert(call: Call) -> Response:
    return JSONResponse(_alert(call).body)


async def list_alerts(call: Call) -> Response:
    existing(call)
    return JSONResponse({"value": [r.body for r in call.store.monitor_resources(
        call.subscription, _alerts_prefix(call))]})


async def delete_alert(call: Call) -> Response:
    existing(call)
    with call.store.transaction():
        if call.store.monitor_resource(call.subscription, _alert_id(call)) is None:
            return Response(status_code=204)
        call.store.remove_monitor_resource(call.subscription, _alert_id(call))
    return Response(status_code=200)


# ----------------------------------------------------------- diagnostic settings
def _entries(properties: dict, name: str, categories: tuple[str, ...],
             groups: tuple[str, ...]) -> list[dict]:
    entries = _optional(properties, name, list, "properties.") or []
    kind = "Category" if name == "logs" else "Metric category"
    for index, entry in enumerate(entries):
        where = f"properties.{name}[{index}]."
        if not isinstance(entry, dict):
            raise InvalidRequestContent(f"'{where[:-1]}' must be an object.")
        _need(entry, "enabled", bool, where)
        category = _optional(entry, "category", str, where)
        group = _optional(entry, "categoryGroup", str, where) if name == "logs" else None
        if (category is None) == (group is None) and name == "logs":
            raise BadRequest(f"'{where[:-1]}' needs a category or a categoryGroup, not both.")
        if category is None and name == "metrics":
            raise InvalidRequestContent(f"'{where}category' is required.")
        if category is not None and category not in categories:
            raise BadRequest(f"{kind} '{category}' is not supported.")
        if group is not None and group not in groups:
            raise BadRequest(f"Category group '{group}' is not supported.")
    return entries


def _destination(call: Call, properties: dict) -> None:
    workspace = _optional(properties, "workspaceId", str, "properties.")
    account = _optional(properties, "storageAccountId", str, "properties.")
    event_hub = _optional(properties, "eventHubAuthorizationRuleId", str, "properties.")
    partner = _optional(properties, "marketplacePartnerId", str, "properties.")
    if not any((workspace, account, event_hub, partner)):
        raise BadRequest("A diagnostic setting needs a destination: set workspaceId, "
                         "storageAccountId, eventHubAuthorizationRuleId or "
                         "marketplacePartnerId.")
    parts = (workspace or "").strip("/").split("/")
    if workspace and (len(parts) != 8 or [p.lower() for p in parts[::2]] != [
            "subscriptions", "resourcegroups", "providers", "workspaces"]
            or parts[5].lower() != "microsoft.operationalinsights"):
        raise BadRequest(f"workspaceId '{workspace}' is not the resource id of a Log "
                         f"Analytics workspace (…/providers/Microsoft.OperationalInsights/"
                         f"workspaces/<name>).")
    if account:
        _monitored(call, account)  # an account of this cloud, else 404 or BadRequest


def _setting_id(call: Call) -> str:
    return f"{call.params['scope']}{SETTINGS}/{call.params['name']}"


async def put_setting(call: Call) -> Response:
    _, namespace = _monitored(call, call.params["scope"])
    properties = _properties(await call.body())
    key = namespace.lower()
    logs = _entries(properties, "logs", LOG_CATEGORIES[key], LOG_GROUPS[key])
    metrics = _entries(properties, "metrics", METRIC_CATEGORIES, ())
    if not any(entry["enabled"] for entry in (*logs, *metrics)):
        raise BadRequest("A diagnostic setting needs at least one enabled log or metric "
                         "category.")
    _destination(call, properties)
    answer = {"id": _setting_id(call), "name": call.params["name"], "type": SETTING_TYPE,
              "properties": {**properties, "logs": logs, "metrics": metrics}}
    with call.store.transaction():
        call.store.put_monitor_resource(call.subscription,
                                        MonitorResource(answer["id"], answer))
    return JSONResponse(answer)


async def get_setting(call: Call) -> Response:
    scope, _ = _monitored(call, call.params["scope"])
    found = call.store.monitor_resource(call.subscription, _setting_id(call))
    if found is None:
        raise ResourceNotFound(SETTING_TYPE, call.params["name"], scope.group or "")
    return JSONResponse(found.body)


async def list_settings(call: Call) -> Response:
    _monitored(call, call.params["scope"])
    prefix = f"{call.params['scope']}{SETTINGS}/"
    return JSONResponse({"value": [r.body for r in
                                   call.store.monitor_resources(call.subscription, prefix)]})


async def delete_setting(call: Call) -> Response:
    _monitored(call, call.params["scope"])
    with call.store.transaction():
        if call.store.monitor_resource(call.subscription, _setting_id(call)) is None:
            return Response(status_code=204)
        call.store.remove_monitor_resource(call.subscription, _setting_id(call))
    return Response(status_code=200)


# ---------------------------------------------------------------------- metrics
async def list_metrics(call: Call) -> Response:
    """GET …/providers/Microsoft.Insights/metrics: QueueMessageCount and QueueCount of the
    queue service, one value at the current hour, computed from Azurite now."""
    scope, namespace = _monitored(call, call.params["scope"])
    query = call.request.query_params
    sent_namespace = query.get("metricnamespace")
    if sent_namespace and sent_namespace.lower() != namespace.lower():
        raise BadRequest(f"metricnamespace '{sent_namespace}' does not match the resource, "
                         f"whose namespace is '{namespace}'.")
    names = [n.strip() for n in (query.get("metricnames") or "").split(",") if n.strip()]
    if not names:
        raise BadRequest("Name the metrics to read with metricnames, e.g. "
                         "metricnames=QueueMessageCount.")
    known = METRICS[namespace.lower()]
    for name in names:
        if name not in known:
            raise BadRequest(f"Failed to find metric configuration for provider: "
                             f"Microsoft.Storage, resource Type: {namespace}, metric: {name}, "
                             f"Valid metrics: {', '.join(sorted(known))}")
        if name not in COMPUTED:
            raise BadRequest(f"The local cloud computes {' and '.join(COMPUTED)} only; "
                             f"'{name}' exists on Azure but not here.")
    aggregations = [_one_of(a.strip(), AGGREGATIONS, "aggregation").lower()
                    for a in (query.get("aggregation") or "Average").split(",")]
    account = call.store.account(call.subscription, scope.group, scope.account)
    counts = await run_in_threadpool(
        AccountData(call.cloud, account.name, account.keys["key1"]).message_counts)
    values = {"QueueMessageCount": sum(counts.values()), "QueueCount": len(counts)}
    hour = datetime.datetime.now(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    start = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (hour + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def point(value: int) -> dict:
        sample = {"average": value, "minimum": value, "maximum": value, "total": value,
                  "count": 1}
        return {"timeStamp": start, **{a: sample[a] for a in aggregations}}

    return JSONResponse({
        "cost": 0, "timespan": query.get("timespan") or f"{start}/{end}",
        "interval": query.get("interval") or "PT1H", "namespace": namespace,
        "resourceregion": account.location,
        "value": [{"id": f"{call.params['scope']}/providers/Microsoft.Insights/metrics/{name}",
                   "type": "Microsoft.Insights/metrics",
                   "name": {"value": name, "localizedValue": name},
                   "displayDescription": COMPUTED[name], "unit": known[name][0],
                   "errorCode": "Success",
                   "timeseries": [{"metadatavalues": [], "data": [point(values[name])]}]}
                  for name in names],
    })


ROUTES: list[ArmRoute] = [
    route("GET", ALERTS, list_alerts, ALERTS_API, "metricAlerts"),
    route("PUT", ALERTS + "/{name}", put_alert, ALERTS_API, "metricAlerts"),
    route("GET", ALERTS + "/{name}", get_alert, ALERTS_API, "metricAlerts"),
    route("DELETE", ALERTS + "/{name}", delete_alert, ALERTS_API, "metricAlerts"),
    route("GET", SETTINGS, list_settings, SETTINGS_API, "diagnosticSettings", scoped=True),
    route("PUT", SETTINGS + "/{name}", put_setting, SETTINGS_API, "diagnosticSettings",
          scoped=True),
    route("GET", SETTINGS + "/{name}", get_setting, SETTINGS_API, "diagnosticSettings",
          scoped=True),
    route("DELETE", SETTINGS + "/{name}", delete_setting, SETTINGS_API, "diagnosticSettings",
          scoped=True),
    route("GET", "/providers/Microsoft.Insights/metrics", list_metrics, METRICS_API, "metrics",
          scoped=True),
]
