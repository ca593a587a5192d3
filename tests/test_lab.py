"""connect()'s clear errors on the Azure backend: not logged in, subscription not found,
account name taken.

Azure is never reached: the credential is a fake (DefaultAzureCredential could probe
169.254.169.254 for a managed identity) and the management clients get a transport that
answers from canned ARM responses, so no request leaves the process. The taken account
name is tested for real against the local cloud.
"""

from __future__ import annotations

import io
import json
import secrets
import time
import uuid

import pytest
import requests
import urllib3
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import CredentialUnavailableError, DefaultAzureCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient

import labsupport.lab
from labsupport import provision
from labsupport.config import load_config
from labsupport.errors import AzureLoginError, ConfigError, LabError

SUBSCRIPTION = "12345678-1234-4234-8234-123456789abc"


class CannedArm(requests.adapters.HTTPAdapter):
    """A requests adapter that answers every request with ``answer(request)`` — offline."""

    def __init__(self, answer):
        super().__init__()
        self.answer = answer
        self.sent: list[str] = []

    def send(self, request, **kwargs):
        self.sent.append(f"{request.method} {request.url.split('?')[0]}")
        status, body = self.answer(request)
        content = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json", "Content-Length": str(len(content))}
        raw = urllib3.HTTPResponse(body=io.BytesIO(content), headers=headers, status=status,
                                   preload_content=False)
        return self.build_response(request, raw)


class FakeCredential:
    """Stands in for DefaultAzureCredential: a token, or the error it was given."""

    def __init__(self, error: Exception | None = None):
        self.error = error

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        if self.error:
            raise self.error
        return AccessToken("not-a-real-token", int(time.time()) + 3600)


@pytest.fixture
def azure_config(lab_config):
    return load_config({"LAB_BACKEND": "azure", "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
                        "LAB_STATE_DIR": str(lab_config.state_dir)}, env_file=False)


def offline_azure(monkeypatch, credential: FakeCredential, answer) -> CannedArm:
    """Point connect() at a fake credential and canned ARM answers; return the adapter."""
    adapter = CannedArm(answer)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)

    def clients(credential, subscription_id, base_url):
        transport = RequestsTransport(session=session, session_owner=False)
        return (ResourceManagementClient(credential, subscription_id, base_url=base_url,
                                         transport=transport),
                StorageManagementClient(credential, subscription_id, base_url=base_url,
                                        transport=transport))

    monkeypatch.setattr(labsupport.lab, "DefaultAzureCredential", lambda: credential)
    monkeypatch.setattr(provision, "management_clients", clients)
    return adapter


def never(request):
    raise AssertionError(f"nothing should be sent, but {request.method} {request.url} was")


@pytest.mark.parametrize("error", [
    CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token from the "
                               "included credentials."),
    ClientAuthenticationError("AADSTS700082: The refresh token has expired due to inactivity."),
], ids=["no-credential", "expired-login"])
def test_not_logged_in_is_an_azure_login_error(monkeypatch, azure_config, error):
    adapter = offline_azure(monkeypatch, FakeCredential(error), never)

    with pytest.raises(AzureLoginError) as raised:
        labsupport.lab.connect("login-test", quiet=True, config=azure_config)

    message = str(raised.value)
    assert "az login" in message and f"--subscription {SUBSCRIPTION}" in message
    assert str(error).splitlines()[0] in message, "keeps the credential's own reason"
    assert adapter.sent == []


def subscription_not_found(request):
    if request.method == "HEAD":  # check_existence: ARM answers 404 without a body
        return 404, None
    return 404, {"error": {"code": "SubscriptionNotFound",
                           "message": f"The subscription '{SUBSCRIPTION}' could not be found."}}


def test_subscription_not_found_is_a_config_error(monkeypatch, azure_config):
    adapter = offline_azure(monkeypatch, FakeCredential(), subscription_not_found)

    with pytest.raises(ConfigError) as raised:
        labsupport.lab.connect("subscription-test", quiet=True, config=azure_config)

    message = str(raised.value)
    assert f"no subscription {SUBSCRIPTION}" in message
    assert "AZURE_SUBSCRIPTION_ID" in message and "az account list" in message
    group = f"https://management.azure.com/subscriptions/{SUBSCRIPTION}/resourcegroups/rg-qlab"
    assert adapter.sent == [f"HEAD {group}", f"PUT {group}"], "the requests Azure would get"


def test_other_arm_errors_are_not_disguised(monkeypatch, azure_config):
    def forbidden(request):
        return 403, {"error": {"code": "AuthorizationFailed",
                               "message": "The client does not have authorization."}}

    offline_azure(monkeypatch, FakeCredential(), forbidden)

    with pytest.raises(HttpResponseError) as raised:
        labsupport.lab.connect("forbidden-test", quiet=True, config=azure_config)

    assert not isinstance(raised.value, LabError)
    assert raised.value.error.code == "AuthorizationFailed"


def test_account_name_taken_elsewhere_is_a_lab_error(lab, lab_config):
    """For real, on the local cloud: the name belongs to an account in another subscription."""
    elsewhere = str(uuid.uuid4())
    resources, storage = provision.management_clients(DefaultAzureCredential(), elsewhere,
                                                      lab.management_url)
    taken = f"takentest{secrets.token_hex(6)}"
    provision.ensure_resource_group(resources, "rg-owner", "eastus")
    provision.ensure_storage_account(storage, "rg-owner", taken, "eastus")
    group = f"rg-taken-test-{secrets.token_hex(3)}"
    config = load_config({"LAB_STATE_DIR": str(lab_config.state_dir), "LAB_ACCOUNT_NAME": taken,
                          "LAB_RESOURCE_GROUP": group}, env_file=False)
    mine, _ = provision.management_clients(DefaultAzureCredential(), config.subscription_id,
                                           lab.management_url)
    try:
        with pytest.raises(LabError) as raised:
            labsupport.lab.connect("taken-test", quiet=True, config=config)
    finally:
        resources.resource_groups.begin_delete("rg-owner").result()
        if mine.resource_groups.check_existence(group):
            mine.resource_groups.begin_delete(group).result()

    message = str(raised.value)
    assert f"The storage account name {taken!r} cannot be used (AlreadyExists" in message
    assert "LAB_ACCOUNT_NAME" in message, "says which setting to change"


def test_connect_uses_the_running_cloud_without_node_on_path(lab_config, cloud, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    lab = labsupport.lab.connect("no-node", quiet=True, config=lab_config)
    assert lab.account_url == cloud.endpoints()["queue"] + f"/{lab_config.account_name}"
