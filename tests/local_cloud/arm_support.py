"""Helpers for the management-plane tests: the session's cloud, clients, a request recorder."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.identity import DefaultAzureCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

import localcloud
from labsupport import local
from labsupport.config import LabConfig

# Variables that would make DefaultAzureCredential pick another identity than the
# local cloud's managed identity.
OTHER_IDENTITIES = (
    "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "MSI_ENDPOINT",
    "MSI_SECRET", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT",
)
SHARED_GROUP = "rg-Shared"
SHARED_ACCOUNT = "sharedacct01"
NEW_ACCOUNT = {"sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "location": "eastus"}


@dataclass
class LocalCloud:
    """The session's local cloud: where it keeps state and how to reach it."""

    config: LabConfig
    record: localcloud.Record

    @property
    def folder(self) -> localcloud.StateFolder:
        return localcloud.StateFolder(self.config.state_dir)

    @property
    def subscription(self) -> str:
        return self.config.subscription_id

    @property
    def management_url(self) -> str:
        return self.record.endpoints()["management"]

    def environment(self) -> dict[str, str]:
        return localcloud.client_environment(self.folder, self.record)

    def restart(self) -> None:
        """Stop and start again with the same state folder (and, if free, the same ports)."""
        localcloud.stop(self.folder)
        self.record = local.up(self.config)

    def token(self) -> str:
        """A management token from the identity endpoint, as DefaultAzureCredential gets it."""
        env = self.environment()
        response = requests.get(
            env["IDENTITY_ENDPOINT"],
            params={"api-version": "2019-08-01", "resource": "https://management.azure.com"},
            headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
            verify=self.record.ca_bundle, timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def raw(self, method: str, path: str, token: str | None = "valid", **kwargs):
        """A plain HTTPS request to the management plane (for what the SDKs never send)."""
        headers = kwargs.pop("headers", {})
        if token == "valid":
            headers["Authorization"] = f"Bearer {self.token()}"
        elif token is not None:
            headers["Authorization"] = token
        return requests.request(method, self.management_url + path, headers=headers,
                                verify=self.record.ca_bundle, timeout=30, **kwargs)


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes | None


@dataclass
class Recorder(SansIOHTTPPolicy):
    """An azure-core per-call policy that records what the SDK sends and gets back."""

    sent: list[Sent] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def on_request(self, request):
        http = request.http_request
        url = urlparse(http.url)
        body = http.body if isinstance(http.body, bytes | type(None)) else str(http.body).encode()
        self.sent.append(Sent(http.method, url.path, parse_qs(url.query), body))

    def on_response(self, request, response):
        self.statuses.append(response.http_response.status_code)

    def clear(self) -> None:
        self.sent.clear()
        self.statuses.clear()


def resource_client(cloud: LocalCloud, recorder: Recorder | None = None,
                    subscription: str | None = None, **kwargs) -> ResourceManagementClient:
    return ResourceManagementClient(
        DefaultAzureCredential(), subscription or cloud.subscription,
        base_url=cloud.management_url, per_call_policies=[recorder] if recorder else [],
        **kwargs)


def storage_client(cloud: LocalCloud, recorder: Recorder | None = None,
                   subscription: str | None = None, **kwargs) -> StorageManagementClient:
    return StorageManagementClient(
        DefaultAzureCredential(), subscription or cloud.subscription,
        base_url=cloud.management_url, per_call_policies=[recorder] if recorder else [],
        **kwargs)


def authorization_client(cloud: LocalCloud, recorder: Recorder | None = None,
                         subscription: str | None = None,
                         **kwargs) -> AuthorizationManagementClient:
    return AuthorizationManagementClient(
        DefaultAzureCredential(), subscription or cloud.subscription,
        base_url=cloud.management_url, per_call_policies=[recorder] if recorder else [],
        **kwargs)


def is_account_key(value: str) -> bool:
    """64 random bytes, base64 — the shape of an Azure storage account key."""
    return len(base64.b64decode(value, validate=True)) == 64


def point_at(cloud: LocalCloud, patch: pytest.MonkeyPatch) -> None:
    """Set what DefaultAzureCredential and TLS need for the local cloud (``patch`` restores)."""
    for name in OTHER_IDENTITIES:
        patch.delenv(name, raising=False)
    for name, value in cloud.environment().items():
        patch.setenv(name, value)
