"""examples/functions is a function app that deploys unchanged, keyless."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from labsupport.functions import queue_settings
from labsupport.functions.hostjson import QueueSettings

from .conftest import APP_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_has_what_func_publish_needs():
    for name in ("function_app.py", "host.json", "requirements.txt", ".funcignore", "README.md",
                 "local.settings.json.example"):
        assert (APP_DIR / name).is_file(), name


def test_requirements_pin_the_same_azure_functions_as_the_lab():
    pins = [d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
            ["dependencies"] if d.startswith("azure-functions==")]
    requirements = [line.strip() for line in (APP_DIR / "requirements.txt").read_text()
                    .splitlines() if line.strip() and not line.startswith("#")]
    assert pins and requirements == pins


def test_host_json_is_valid_and_states_the_documented_defaults():
    assert queue_settings(APP_DIR / "host.json") == QueueSettings(threshold_is_default=False)
    host = json.loads((APP_DIR / "host.json").read_text())
    assert host["extensionBundle"]["version"].startswith("[4."), "messageEncoding needs 4.x"


def test_local_settings_use_an_identity_based_connection_and_no_key():
    text = (APP_DIR / "local.settings.json.example").read_text()
    values = json.loads(text)["Values"]
    assert "QueueStorage__queueServiceUri" in values
    assert "AzureWebJobsStorage__accountName" in values
    assert not re.search(r"AccountKey|SharedAccessSignature|ConnectionString|sig=", text)


def test_both_bindings_use_the_identity_based_connection(function_app):
    bindings = {b.type: b for b in function_app.process_order.build().get_bindings()}
    assert bindings["queueTrigger"].get_dict_repr()["connection"] == "QueueStorage"
    assert bindings["queue"].get_dict_repr()["connection"] == "QueueStorage"
    assert bindings["queueTrigger"].get_dict_repr()["queueName"] == "orders"
    assert bindings["queue"].get_dict_repr()["queueName"] == "shipments"


def test_local_settings_are_git_ignored():
    import subprocess

    path = "examples/functions/local.settings.json"
    assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0
