"""What each entry point loads, seen in a fresh interpreter's ``sys.modules``.

``import labsupport`` loads no Azure SDK (the first ``labsupport.connect`` does); the local
cloud's daemon loads no management SDK, no azure-identity and nothing of labsupport; the
code learners run against Azure (provisioning, patterns, the API) loads no local-cloud
module. Each case has a control that loads what the case must not, so a check that could
not see a module cannot pass.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MANAGEMENT_SDKS = ("azure.mgmt",)
IDENTITY = ("azure.identity", "msal")
ANY_AZURE_SDK = ("azure", "msal")
LOCAL_CLOUD = ("localcloud", "labsupport.local")


def loaded_after(code: str) -> set[str]:
    """The modules in ``sys.modules`` after running ``code`` in a new interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def among(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


def test_import_labsupport_loads_no_azure_sdk():
    modules = loaded_after("import labsupport; labsupport.redact('x'); labsupport.LabError")
    assert among(modules, ANY_AZURE_SDK) == []
    assert among(modules, LOCAL_CLOUD) == []


def test_the_first_connect_name_loads_the_sdks():
    """The control: the lazy name really loads the lab, and with it the SDKs."""
    modules = loaded_after("import labsupport; labsupport.connect")
    assert among(modules, MANAGEMENT_SDKS) and among(modules, IDENTITY)


@pytest.mark.cloud
def test_the_local_cloud_daemon_loads_no_management_sdk_identity_or_labsupport():
    # What `python -m localcloud.daemon` imports before it serves.
    modules = loaded_after("import localcloud.daemon")
    assert among(modules, MANAGEMENT_SDKS) == []
    assert among(modules, IDENTITY) == []
    assert among(modules, ("labsupport",)) == []
    assert among(modules, ("azure.storage",)) == [], "the data-plane SDKs load on first use"
    used = loaded_after("import types\n"
                        "from localcloud.management.dataplane import AccountData\n"
                        "cloud = types.SimpleNamespace(endpoint=lambda s, a: 'https://h/a')\n"
                        "AccountData(cloud, 'a', 'a2V5').queues_client()\n"
                        "AccountData(cloud, 'a', 'a2V5').blobs_client()")
    assert among(used, ("azure.storage.queue",)) and among(used, ("azure.storage.blob",)), \
        "control: the first client loads its SDK"


@pytest.mark.parametrize("module", ["labsupport.provision", "labsupport.api",
                                    "labsupport.patterns.poison",
                                    "labsupport.patterns.claim_check"])
def test_code_that_runs_against_azure_loads_no_local_cloud(module):
    assert among(loaded_after(f"import {module}"), LOCAL_CLOUD) == []


def test_the_lab_does_load_the_local_cloud():
    """The control for the case above: the lab (connect) reaches the local cloud."""
    assert among(loaded_after("import labsupport.lab"), LOCAL_CLOUD)
