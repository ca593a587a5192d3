"""The lab CA is trusted by sync (requests) and async (aiohttp) SDK clients in local mode.

Each case runs in a fresh interpreter so import order is real: aiohttp builds its default
SSL context when it is imported, so the lab must also extend a context built earlier.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import certifi
import pytest
import requests

import localcloud
from labsupport import local

SYNC = """
    import labsupport
    from azure.storage.queue import QueueServiceClient
    lab = labsupport.connect("trust", quiet=True)
    QueueServiceClient(lab.account_url, credential=lab.credential).get_service_properties()
    print("sync ok")
"""
ASYNC_IMPORTED_FIRST = """
    import asyncio, aiohttp, aiohttp.connector   # aiohttp's SSL context exists before the lab
    import labsupport
    from azure.storage.queue.aio import QueueServiceClient
    lab = labsupport.connect("trust", quiet=True)
    async def main():
        async with QueueServiceClient(lab.account_url, credential=lab.credential) as service:
            await service.get_service_properties()
    asyncio.run(main())
    print("async ok")
"""
PLAIN_REQUESTS = """
    import os, sys, requests
    url = sys.argv[1]
    verify = requests.Session().merge_environment_settings(url, {}, None, None, None)["verify"]
    print("verify:", verify, os.path.isdir(verify))
    try:
        print("status:", requests.get(url, timeout=30).status_code)
    except requests.exceptions.SSLError as error:
        print("refused:", "CERTIFICATE_VERIFY_FAILED" in str(error))
"""
WITHOUT_LAB_TRUST = """
    import json, os
    from azure.core.credentials import AzureNamedKeyCredential
    from azure.core.exceptions import ServiceRequestError
    from azure.storage.queue import QueueServiceClient
    record = json.load(open(os.path.join(os.environ["LAB_STATE_DIR"], "localcloud.json")))
    url = f"https://127.0.0.1:{record['ports']['queue']}/devstoreaccount1"
    client = QueueServiceClient(url, credential=AzureNamedKeyCredential("a", "a2V5"),
                                retry_total=0)
    try:
        client.get_service_properties()
    except ServiceRequestError as error:
        print("refused:", "CERTIFICATE_VERIFY_FAILED" in str(error))
"""


def run(script: str, state_dir, *args: str, **variables: str) -> str:
    trust = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER")
    env = {k: v for k, v in os.environ.items() if k not in trust}
    env.update(LAB_STATE_DIR=str(state_dir), **variables)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script), *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize(("script", "expected"), [(SYNC, "sync ok"),
                                                   (ASYNC_IMPORTED_FIRST, "async ok")])
def test_sdk_clients_trust_the_local_cloud(lab, script, expected):
    assert expected in run(script, lab.config.state_dir)


def test_without_the_lab_the_certificate_is_refused(cloud, lab_config):
    # Control: proves the two tests above would fail if the lab did not install trust.
    assert "refused: True" in run(WITHOUT_LAB_TRUST, lab_config.state_dir)


def test_bundle_keeps_public_roots_so_azure_stays_verifiable(cloud):
    bundle = Path(cloud.ca_bundle).read_text()
    assert Path(certifi.where()).read_text().strip() in bundle
    assert bundle.count("BEGIN CERTIFICATE") > 100


def without_lab_ca(certificates, destination: Path) -> Path:
    """A copy of the hashed directory without the lab CA's file: certifi's roots only."""
    lab_ca = certificates.ca.read_text().strip()
    destination.mkdir()
    for file in certificates.ca_dir.iterdir():
        if file.read_text().strip() != lab_ca:
            (destination / file.name).write_bytes(file.read_bytes())
    assert len(list(destination.iterdir())) == len(list(certificates.ca_dir.iterdir())) - 1
    return destination


def test_requests_verifies_the_local_cloud_with_the_hashed_directory(cloud, lab_config,
                                                                    tmp_path):
    certificates = local.folder(lab_config).certificates
    url = cloud.endpoints()["queue"] + "/"

    # Any HTTP answer means TLS verified (Azurite answers 400 to a bare URL).
    assert requests.get(url, verify=str(certificates.ca_dir), timeout=30).status_code
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        requests.get(url, verify=str(without_lab_ca(certificates, tmp_path / "roots")),
                     timeout=30)


def test_the_client_environment_makes_requests_trust_the_directory(cloud, lab_config,
                                                                   tmp_path):
    """REQUESTS_CA_BUNDLE names the directory, which requests uses (not SSL_CERT_FILE, the
    bundle): the same environment with the lab CA's file left out of it is refused."""
    certificates = local.folder(lab_config).certificates
    env = localcloud.client_environment(lab_config.state_dir, cloud)
    assert env["REQUESTS_CA_BUNDLE"] == str(certificates.ca_dir)
    assert env["SSL_CERT_FILE"] == str(certificates.bundle) == cloud.ca_bundle
    url = cloud.endpoints()["queue"] + "/"

    trusted = run(PLAIN_REQUESTS, lab_config.state_dir, url, **env)
    roots = str(without_lab_ca(certificates, tmp_path / "roots"))
    refused = run(PLAIN_REQUESTS, lab_config.state_dir, url,
                  **{**env, "REQUESTS_CA_BUNDLE": roots})

    assert f"verify: {certificates.ca_dir} True" in trusted and "status: " in trusted
    assert "refused: True" in refused, refused
