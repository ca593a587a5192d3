"""Microsoft.Insights on the local plane: metric alerts, diagnostic settings, queue metrics.

The unchanged ``MonitorManagementClient`` (azure-mgmt-monitor 7.0.0) and, for diagnostic
settings (which 7.0.0 has no operations for), ``ResourceManagementClient``'s generic
``*_by_id`` calls send the paths, api-versions and bodies of Microsoft.Insights' REST
specification; bad input gets ARM's error body; QueueMessageCount is the live count.
"""

from __future__ import annotations

import json

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import DefaultAzureCredential
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import (
    MetricAlertResource,
    MetricAlertSingleResourceMultipleMetricCriteria,
    MetricCriteria,
)
from azure.mgmt.resource.resources.models import GenericResource
from azure.storage.queue import QueueServiceClient

from localcloud.management.models import MonitorResource
from localcloud.management.store import ManagementStore, load_store

from .arm_support import NEW_ACCOUNT

GROUP, ACCOUNT = "rg-monitor", "qmonitor01"
SETTINGS_API = "2021-05-01-preview"
LOGS = [{"category": c, "enabled": True} for c in ("StorageRead", "StorageWrite", "StorageDelete")]


@pytest.fixture(scope="module")
def account(local_cloud):
    from .arm_support import point_at, resource_client, storage_client

    with pytest.MonkeyPatch.context() as patch:
        point_at(local_cloud, patch)
        resource_client(local_cloud).resource_groups.create_or_update(GROUP, {"location": "eastus"})
        storage_client(local_cloud).storage_accounts.begin_create(GROUP, ACCOUNT,
                                                                  NEW_ACCOUNT).result()
    return GROUP, ACCOUNT


@pytest.fixture
def monitor(arm_env, recorder) -> MonitorManagementClient:
    return MonitorManagementClient(DefaultAzureCredential(), arm_env.subscription,
                                   base_url=arm_env.management_url, per_call_policies=[recorder])


def account_path(cloud, account: str = ACCOUNT) -> str:
    return (f"/subscriptions/{cloud.subscription}/resourceGroups/{GROUP}/providers/"
            f"Microsoft.Storage/storageAccounts/{account}")


def queue_service(cloud, account: str = ACCOUNT) -> str:
    return account_path(cloud, account) + "/queueServices/default"


def alert(scope: str, **criterion) -> MetricAlertResource:
    return MetricAlertResource(
        location="global", description="Messages are waiting in the account's queues.",
        severity=2, enabled=True, scopes=[scope], evaluation_frequency="PT1H",
        window_size="PT1H", auto_mitigate=True,
        criteria=MetricAlertSingleResourceMultipleMetricCriteria(all_of=[MetricCriteria(
            name="backlog", metric_name="QueueMessageCount",
            metric_namespace="Microsoft.Storage/storageAccounts/queueServices",
            time_aggregation="Average", operator="GreaterThan", threshold=0, **criterion)]))


def error_of(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


# ------------------------------------------------------------------ metric alerts
def test_a_metric_alert_round_trip(monitor, recorder, arm_env, account):
    recorder.clear()
    made = monitor.metric_alerts.create_or_update(GROUP, "poison-backlog",
                                                  alert(queue_service(arm_env)))
    got = monitor.metric_alerts.get(GROUP, "poison-backlog")
    listed = list(monitor.metric_alerts.list_by_resource_group(GROUP))
    monitor.metric_alerts.delete(GROUP, "poison-backlog")
    monitor.metric_alerts.delete(GROUP, "poison-backlog")

    path = (f"/subscriptions/{arm_env.subscription}/resourceGroups/{GROUP}/providers/"
            f"Microsoft.Insights/metricAlerts")
    assert [(s.method, s.path, s.query) for s in recorder.sent] == [
        ("PUT", f"{path}/poison-backlog", {"api-version": ["2018-03-01"]}),
        ("GET", f"{path}/poison-backlog", {"api-version": ["2018-03-01"]}),
        ("GET", path, {"api-version": ["2018-03-01"]}),
        ("DELETE", f"{path}/poison-backlog", {"api-version": ["2018-03-01"]}),
        ("DELETE", f"{path}/poison-backlog", {"api-version": ["2018-03-01"]}),
    ]
    assert recorder.statuses == [200, 200, 200, 200, 204]
    sent = json.loads(recorder.sent[0].body)
    assert sent["properties"]["criteria"]["odata.type"] == \
        "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    for each in (made, got, *listed):
        assert (each.id, each.name, each.type) == (f"{path}/poison-backlog", "poison-backlog",
                                                   "Microsoft.Insights/metricAlerts")
        assert each.scopes == [queue_service(arm_env)]
        criterion = each.criteria.all_of[0]
        assert (criterion.metric_name, criterion.operator, criterion.threshold) == (
            "QueueMessageCount", "GreaterThan", 0)
        assert each.last_updated_time is not None
    assert [a.name for a in listed] == ["poison-backlog"]
    with pytest.raises(ResourceNotFoundError) as caught:
        monitor.metric_alerts.get(GROUP, "poison-backlog")
    assert caught.value.error.code == "ResourceNotFound"


def test_queue_message_count_has_no_queue_dimension(monitor, arm_env, account):
    """Azure's table lists no dimension for QueueMessageCount: an alert cannot pick one queue."""
    from azure.mgmt.monitor.models import MetricDimension

    with pytest.raises(HttpResponseError) as caught:
        monitor.metric_alerts.create_or_update(GROUP, "one-queue", alert(
            queue_service(arm_env),
            dimensions=[MetricDimension(name="QueueName", operator="Include",
                                        values=["orders-poison"])]))
    assert (caught.value.status_code, caught.value.error.code) == (400, "BadRequest")
    assert "has no dimension 'QueueName'; its dimensions: none" in caught.value.error.message
    transactions = alert(queue_service(arm_env))
    transactions.criteria.all_of[0].metric_name = "Transactions"
    transactions.criteria.all_of[0].time_aggregation = "Total"
    transactions.criteria.all_of[0].dimensions = [MetricDimension(
        name="ResponseType", operator="Include", values=["ServerBusyError"])]
    made = monitor.metric_alerts.create_or_update(GROUP, "busy", transactions)
    assert made.criteria.all_of[0].dimensions[0].name == "ResponseType"
    monitor.metric_alerts.delete(GROUP, "busy")


@pytest.mark.parametrize(("change", "status", "code", "says"), [
    (lambda p: p.pop("severity"), 400, "InvalidRequestContent",
     "'properties.severity' is required"),
    (lambda p: p.update(severity="high"), 400, "InvalidRequestContent", "must be an integer"),
    (lambda p: p.update(severity=7), 400, "BadRequest", "severity 7 is out of range"),
    (lambda p: p.update(windowSize="PT2M"), 400, "BadRequest", "windowSize 'PT2M'"),
    (lambda p: p["criteria"]["allOf"][0].update(metricName="QueueLength"), 400, "BadRequest",
     "Metric 'QueueLength' is not in namespace"),
    (lambda p: p.update(scopes=[p["scopes"][0].replace("qmonitor01", "qnosuchacct1")]), 404,
     "ResourceNotFound", "qnosuchacct1"),
    (lambda p: p.update(scopes=[p["scopes"][0] + "/queues/orders"]), 400, "BadRequest",
     "monitors a storage account or its queueServices/default only"),
])
def test_a_bad_alert_gets_arms_error(arm_env, account, change, status, code, says):
    body = {"location": "global", "properties": {
        "severity": 2, "enabled": True, "scopes": [queue_service(arm_env)],
        "evaluationFrequency": "PT1H", "windowSize": "PT1H",
        "criteria": {"odata.type": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                     "allOf": [{"criterionType": "StaticThresholdCriterion", "name": "backlog",
                                "metricName": "QueueMessageCount", "operator": "GreaterThan",
                                "timeAggregation": "Average", "threshold": 0}]}}}
    change(body["properties"])
    path = (f"/subscriptions/{arm_env.subscription}/resourceGroups/{GROUP}/providers/"
            f"Microsoft.Insights/metricAlerts/bad?api-version=2018-03-01")
    got = status_code, got_code, message = error_of(arm_env.raw("PUT", path, json=body))
    assert (status_code, got_code) == (status, code), got
    assert says in message
    assert arm_env.raw("GET", path).status_code == 404  # nothing was stored


def test_an_alert_without_a_location_or_body(arm_env, account):
    path = (f"/subscriptions/{arm_env.subscription}/resourceGroups/{GROUP}/providers/"
            f"Microsoft.Insights/metricAlerts/bad?api-version=2018-03-01")
    assert error_of(arm_env.raw("PUT", path, json={"properties": {}}))[:2] == (
        400, "LocationRequired")
    assert error_of(arm_env.raw("PUT", path, data=b"{not json"))[:2] == (
        400, "InvalidRequestContent")
    assert error_of(arm_env.raw("PUT", path.replace("2018-03-01", "2099-01-01"),
                                json={}))[:2] == (400, "NoRegisteredProviderFound")


# ------------------------------------------------------------- diagnostic settings
def test_a_diagnostic_setting_round_trip(resources, recorder, arm_env, account):
    workspace = (f"/subscriptions/{arm_env.subscription}/resourceGroups/{GROUP}/providers/"
                 f"Microsoft.OperationalInsights/workspaces/law-queues")
    setting_id = (f"{queue_service(arm_env)}/providers/Microsoft.Insights/diagnosticSettings/"
                  f"queue-logs")
    recorder.clear()
    made = resources.resources.begin_create_or_update_by_id(
        setting_id, GenericResource(properties={
            "workspaceId": workspace, "logs": LOGS,
            "metrics": [{"category": "Transaction", "enabled": True}]}),
        api_version=SETTINGS_API).result()
    got = resources.resources.get_by_id(setting_id, api_version=SETTINGS_API)
    listed = arm_env.raw("GET", f"{queue_service(arm_env)}/providers/Microsoft.Insights/"
                                f"diagnosticSettings?api-version={SETTINGS_API}").json()
    resources.resources.begin_delete_by_id(setting_id, api_version=SETTINGS_API).result()

    assert [(s.method, s.path) for s in recorder.sent] == [
        ("PUT", setting_id), ("GET", setting_id), ("DELETE", setting_id)]
    assert recorder.statuses == [200, 200, 200]
    for each in (made, got):
        assert (each.id, each.name, each.type) == (setting_id, "queue-logs",
                                                   "Microsoft.Insights/diagnosticSettings")
        assert each.properties["workspaceId"] == workspace
        assert [log["category"] for log in each.properties["logs"]] == [
            "StorageRead", "StorageWrite", "StorageDelete"]
    assert [s["id"] for s in listed["value"]] == [setting_id]
    with pytest.raises(ResourceNotFoundError):
        resources.resources.get_by_id(setting_id, api_version=SETTINGS_API)
    gone = arm_env.raw("DELETE", f"{setting_id}?api-version={SETTINGS_API}")
    assert gone.status_code == 204


@pytest.mark.parametrize(("scope", "properties", "status", "code", "says"), [
    ("service", {"workspaceId": "W", "logs": [{"category": "QueueRead", "enabled": True}]},
     400, "BadRequest", "Category 'QueueRead' is not supported."),
    ("account", {"workspaceId": "W", "logs": LOGS[:1]}, 400, "BadRequest",
     "Category 'StorageRead' is not supported."),
    ("service", {"workspaceId": "W", "metrics": [{"category": "AllMetrics", "enabled": True}]},
     400, "BadRequest", "Metric category 'AllMetrics' is not supported."),
    ("service", {"logs": LOGS}, 400, "BadRequest", "needs a destination"),
    ("service", {"workspaceId": "/subscriptions/x/law", "logs": LOGS}, 400, "BadRequest",
     "is not the resource id of a Log Analytics workspace"),
    ("service", {"workspaceId": "W", "logs": [{"category": "StorageRead"}]}, 400,
     "InvalidRequestContent", "'properties.logs[0].enabled' is required"),
    ("missing", {"workspaceId": "W", "logs": LOGS}, 404, "ResourceNotFound", "qnosuchacct2"),
])
def test_a_bad_diagnostic_setting_gets_arms_error(arm_env, account, scope, properties,
                                                  status, code, says):
    workspace = (f"/subscriptions/{arm_env.subscription}/resourceGroups/{GROUP}/providers/"
                 f"Microsoft.OperationalInsights/workspaces/law-queues")
    if properties.get("workspaceId") == "W":
        properties = {**properties, "workspaceId": workspace}
    target = {"service": queue_service(arm_env), "account": account_path(arm_env),
              "missing": queue_service(arm_env, "qnosuchacct2")}[scope]
    path = (f"{target}/providers/Microsoft.Insights/diagnosticSettings/bad"
            f"?api-version={SETTINGS_API}")
    got = error_of(arm_env.raw("PUT", path, json={"properties": properties}))
    assert got[:2] == (status, code), got
    assert says in got[2]


# ------------------------------------------------------------------------ metrics
def test_queue_metrics_are_the_accounts_live_counts(monitor, storage, recorder, arm_env,
                                                    account):
    key = storage.storage_accounts.list_keys(GROUP, ACCOUNT).keys_property[0].value
    data = QueueServiceClient(f"{arm_env.record.endpoints()['queue']}/{ACCOUNT}",
                              credential=AzureNamedKeyCredential(ACCOUNT, key))
    for name, messages in (("orders", 2), ("orders-poison", 3)):
        queue = data.create_queue(name)
        for index in range(messages):
            queue.send_message(f"message {index}")
    try:
        recorder.clear()
        answer = monitor.metrics.list(queue_service(arm_env),
                                      metricnames="QueueMessageCount,QueueCount",
                                      aggregation="Average", interval="PT1H",
                                      metricnamespace="Microsoft.Storage/storageAccounts/"
                                                      "queueServices")
        values = {m.name.value: m.timeseries[0].data[0].average for m in answer.value}
        assert values == {"QueueMessageCount": 5, "QueueCount": 2}
        assert recorder.sent[0].path == \
            f"{queue_service(arm_env)}/providers/Microsoft.Insights/metrics"
        assert recorder.sent[0].query["api-version"] == ["2024-02-01"]
        with pytest.raises(HttpResponseError) as caught:
            monitor.metrics.list(queue_service(arm_env), metricnames="QueueLength")
        assert (caught.value.status_code, caught.value.error.code) == (400, "BadRequest")
        assert "Valid metrics:" in caught.value.error.message
    finally:
        for name in ("orders", "orders-poison"):
            data.delete_queue(name)


# ----------------------------------------------------------------------- the store
def test_monitor_resources_survive_a_reload(tmp_path):
    store = ManagementStore(tmp_path / "management.json")
    record = MonitorResource("/subscriptions/s/resourceGroups/G/providers/"
                             "Microsoft.Insights/metricAlerts/A", {"name": "A", "tags": {}})
    with store.transaction():
        store.put_monitor_resource("s", record)
    again = load_store(tmp_path / "management.json")
    assert again.monitor_resource("S", record.id.lower()) == record
    with again.transaction():
        again.remove_monitor_resources_under("s", "/subscriptions/s/resourceGroups/g")
    assert again.monitor_resources("s", "/") == []
