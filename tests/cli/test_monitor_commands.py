"""``az monitor`` commands of lesson 07 (issue 23 §3), offline, as a learner types them.

Metrics of the queue service, a metric alert on QueueMessageCount and a diagnostic setting
that sends the queue logs to a workspace: the unchanged CLI against the local plane
(localcloud/management/monitor.py), which answers in ARM's shape.
"""

from __future__ import annotations

import subprocess

import pytest

from .support import GROUP

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(600)]
LOGS = ('[{"category":"StorageRead","enabled":true},{"category":"StorageWrite","enabled":true},'
        '{"category":"StorageDelete","enabled":true}]')


def test_metrics_alert_and_diagnostic_settings(shell, account):
    service = account["id"] + "/queueServices/default"
    metrics = shell.run("monitor", "metrics", "list", "--resource", service, "--metrics",
                        "QueueMessageCount", "QueueCount", "--interval", "PT1H",
                        "--aggregation", "Average")
    assert [m["name"]["value"] for m in metrics["value"]] == ["QueueMessageCount", "QueueCount"]
    assert all(isinstance(m["timeseries"][0]["data"][0]["average"], int | float)
               for m in metrics["value"])

    made = shell.run("monitor", "metrics", "alert", "create", "--name", "queue-backlog",
                     "--resource-group", GROUP, "--scopes", service,
                     "--condition", "avg QueueMessageCount > 1000", "--window-size", "1h",
                     "--evaluation-frequency", "1h", "--severity", "2")
    criterion = made["criteria"]["allOf"][0]
    assert (made["type"], made["scopes"], made["windowSize"]) == (
        "Microsoft.Insights/metricAlerts", [service], "PT1H")
    assert (criterion["metricName"], criterion["operator"], criterion["threshold"],
            criterion["timeAggregation"]) == ("QueueMessageCount", "GreaterThan", 1000.0,
                                              "Average")
    shown = shell.run("monitor", "metrics", "alert", "show", "--name", "queue-backlog",
                      "--resource-group", GROUP)
    assert shown["id"] == made["id"]
    shell.run("monitor", "metrics", "alert", "delete", "--name", "queue-backlog",
              "--resource-group", GROUP)
    assert shell.run("monitor", "metrics", "alert", "list", "--resource-group", GROUP) == []

    workspace = (f"{account['id'].split('/providers/')[0]}/providers/"
                 f"Microsoft.OperationalInsights/workspaces/law-queue-lab")
    setting = shell.run("monitor", "diagnostic-settings", "create", "--name", "queue-logs",
                        "--resource", service, "--workspace", workspace, "--logs", LOGS,
                        "--metrics", '[{"category":"Transaction","enabled":true}]')
    assert setting["type"] == "Microsoft.Insights/diagnosticSettings"
    assert [log["category"] for log in setting["logs"]] == [
        "StorageRead", "StorageWrite", "StorageDelete"]
    assert setting["workspaceId"] == workspace
    shell.run("monitor", "diagnostic-settings", "delete", "--name", "queue-logs",
              "--resource", service)
    listed = shell.run("monitor", "diagnostic-settings", "list", "--resource", service)
    assert (listed["value"] if isinstance(listed, dict) else listed) == []


def test_a_category_the_queue_service_has_not_is_refused(shell, account):
    service = account["id"] + "/queueServices/default"
    workspace = (f"{account['id'].split('/providers/')[0]}/providers/"
                 f"Microsoft.OperationalInsights/workspaces/law-queue-lab")
    done = subprocess.run(
        [shell.az, "monitor", "diagnostic-settings", "create", "--name", "bad",
         "--resource", service, "--workspace", workspace,
         "--logs", '[{"category":"QueueRead","enabled":true}]', "--only-show-errors"],
        env=shell.env, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    assert "Category 'QueueRead' is not supported." in done.stderr
