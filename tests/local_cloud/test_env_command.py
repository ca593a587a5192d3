"""``python -m labsupport env``: export lines that let any shell use the local cloud."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import localcloud
from labsupport.__main__ import main

EXPECTED = ["AZURE_SUBSCRIPTION_ID", "LAB_MANAGEMENT_ENDPOINT", "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"]
LIST_GROUPS = """
import os
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.resources import ResourceManagementClient
client = ResourceManagementClient(DefaultAzureCredential(), os.environ["AZURE_SUBSCRIPTION_ID"],
                                  base_url=os.environ["LAB_MANAGEMENT_ENDPOINT"])
print(sorted(g.name for g in client.resource_groups.list()))
"""


def lab_environment(cloud) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IDENTITY_", "AZURE_", "LAB_"))
           and k not in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    return {**env, "LAB_STATE_DIR": str(cloud.config.state_dir), "LAB_BACKEND": "local"}


def test_env_prints_one_quoted_export_per_variable(local_cloud, monkeypatch, capsys):
    for name, value in lab_environment(local_cloud).items():
        monkeypatch.setenv(name, value)

    assert main(["env"]) == 0

    lines = capsys.readouterr().out.splitlines()
    parsed = dict(shlex.split(line)[1].split("=", 1) for line in lines)
    assert all(line.startswith("export ") for line in lines)
    assert list(parsed) == EXPECTED
    assert parsed == localcloud.client_environment(local_cloud.folder, local_cloud.record)
    assert parsed["IDENTITY_ENDPOINT"] == f"{local_cloud.management_url}/msi/token"


def test_a_shell_that_evals_env_reaches_the_local_cloud(local_cloud, shared_account):
    group, _ = shared_account
    script = (f'eval "$({shlex.quote(sys.executable)} -m labsupport env)" && '
              f'{shlex.quote(sys.executable)} -c {shlex.quote(LIST_GROUPS)}')

    done = subprocess.run(["bash", "-c", script], env=lab_environment(local_cloud),
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert group in done.stdout
