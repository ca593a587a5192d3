"""No learner reaches another's queues: two local clouds on one machine, A tries B's.

Learners on one machine (a JupyterHub, or two users of one laptop) share its loopback, so
learner A can find learner B's ports. Here a second local cloud, in its own state folder,
stands for B. Its data plane (Azurite) and management plane must refuse every credential
that is not B's: A's own valid tokens, a forged token (right claims, wrong signature), an
unsigned token, no credential, B's account name with A's account key, a SAS signed with
A's key; its identity endpoint must refuse A's identity header. Each attempt reads or
writes; afterwards B's queue, blob, queues, containers and resource groups are exactly as
B left them. Positive controls (A's credentials work on A, B's on B) show the clients are
right, so a refusal is the cloud's doing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient, generate_blob_sas
from azure.storage.queue import QueueServiceClient, generate_queue_sas

import localcloud
from labsupport import local
from labsupport.config import load_config
from labsupport.redact import AZURITE_DEV_KEY
from localcloud.tokens import TokenService, new_signing_key

pytestmark = pytest.mark.cloud

GROUP = "rg-learner"
ACCOUNT = "stlearner01"  # the same name in both clouds: "B's account name with A's key"
QUEUE = "private-work"
CONTAINER = "private-notes"
BLOB = "note.txt"
STORAGE = "https://storage.azure.com"
MANAGEMENT = "https://management.azure.com"


class Bearer:
    """A credential that always presents one given token (valid, stolen or forged)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@dataclass
class Learner:
    """One learner's running local cloud and what they keep in it."""

    name: str
    record: localcloud.Record
    folder: localcloud.StateFolder
    subscription: str
    key: str = ""
    secret: str = ""

    @property
    def environment(self) -> dict[str, str]:
        return localcloud.client_environment(self.folder, self.record)

    @property
    def ca(self) -> str:
        return self.record.ca_bundle

    def token(self, resource: str, identity_header: str | None = None) -> str:
        """A token from this learner's identity endpoint (as DefaultAzureCredential asks)."""
        answer = self.ask_identity(resource, identity_header or self.environment[
            "IDENTITY_HEADER"])
        answer.raise_for_status()
        return answer.json()["access_token"]

    def ask_identity(self, resource: str, identity_header: str | None) -> requests.Response:
        headers = {} if identity_header is None else {"X-IDENTITY-HEADER": identity_header}
        return requests.get(self.environment["IDENTITY_ENDPOINT"], headers=headers,
                            params={"api-version": "2019-08-01", "resource": resource},
                            verify=self.ca, timeout=30)

    def queue_url(self, account: str = ACCOUNT) -> str:
        return f"{self.record.endpoints()['queue']}/{account}"

    def blob_url(self, account: str = ACCOUNT) -> str:
        return f"{self.record.endpoints()['blob']}/{account}"

    def queues(self, credential) -> QueueServiceClient:
        return QueueServiceClient(self.queue_url(), credential=credential,
                                  connection_verify=self.ca, retry_total=0)

    def blobs(self, credential) -> BlobServiceClient:
        return BlobServiceClient(self.blob_url(), credential=credential,
                                 connection_verify=self.ca, retry_total=0)

    def storage(self, credential) -> StorageManagementClient:
        return StorageManagementClient(credential, self.subscription,
                                       base_url=self.record.endpoints()["management"],
                                       connection_verify=self.ca, retry_total=0)

    def resources(self, credential) -> ResourceManagementClient:
        return ResourceManagementClient(credential, self.subscription,
                                        base_url=self.record.endpoints()["management"],
                                        connection_verify=self.ca, retry_total=0)

    def own(self, resource: str = STORAGE) -> Bearer:
        return Bearer(self.token(resource))

    def contents(self) -> dict:
        """Everything the attempts could have changed, read with this learner's own token."""
        queues = self.queues(self.own())
        blobs = self.blobs(self.own())
        return {
            "queues": sorted(q.name for q in queues.list_queues()),
            "messages": [(m.content, m.dequeue_count) for m in
                         queues.get_queue_client(QUEUE).peek_messages(max_messages=32)],
            "containers": sorted(c.name for c in blobs.list_containers()),
            "blobs": sorted(b.name for b in blobs.get_container_client(CONTAINER).list_blobs()),
            "note": blobs.get_blob_client(CONTAINER, BLOB).download_blob().readall(),
            "groups": sorted(g.name for g in self.resources(self.own(MANAGEMENT))
                             .resource_groups.list()),
        }


def start_learner(name: str, state) -> Learner:
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    learner = Learner(name, local.up(config), localcloud.StateFolder(state),
                      config.subscription_id, secret=f"{name}'s private work")
    management = Bearer(learner.token(MANAGEMENT))
    learner.resources(management).resource_groups.create_or_update(
        GROUP, {"location": "eastus"})
    learner.storage(management).storage_accounts.begin_create(GROUP, ACCOUNT, {
        "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "location": "eastus"}).result()
    learner.key = learner.storage(management).storage_accounts.list_keys(
        GROUP, ACCOUNT).keys_property[0].value
    learner.queues(learner.own()).create_queue(QUEUE).send_message(learner.secret)
    learner.blobs(learner.own()).create_container(CONTAINER).upload_blob(
        BLOB, learner.secret.encode())
    return learner


@pytest.fixture(scope="module")
def learners(tmp_path_factory):
    a = start_learner("ana", tmp_path_factory.mktemp("learner-a"))
    try:
        b = start_learner("ben", tmp_path_factory.mktemp("learner-b"))
    except BaseException:
        localcloud.stop(a.folder)
        raise
    yield a, b
    localcloud.stop(a.folder)
    localcloud.stop(b.folder)


def forged(learner: Learner, resource: str) -> str:
    """A well-formed token with the claims ``learner``'s cloud issues, signed with another
    key: what anyone could make who knows the format but not the key."""
    return TokenService(new_signing_key()).mint(resource)[0]


def unsigned(resource: str) -> str:
    """The same claims with ``alg: none``: no signature at all."""
    token = TokenService(new_signing_key()).mint(resource)[0]
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, None, algorithm="none")


def refused(attempt) -> int:
    """Run a request that must be refused; return its status: 401 or 403, or Azurite's
    400 InvalidAuthenticationInfo for a request signed with a wrong account key (Azure:
    403, docs/AZURE_DIFFERENCES.md#wrong-account-key)."""
    with pytest.raises(HttpResponseError) as refusal:
        attempt()
    status, code = refusal.value.status_code, getattr(refusal.value, "error_code", None)
    assert status in (401, 403) or (status, code) == (400, "InvalidAuthenticationInfo"), (
        f"expected a refusal, got {status} {code}")
    return status


def data_plane_attempts(b: Learner, credential) -> list:
    """Reads and writes on B's queue and blob services with ``credential``."""
    queues, blobs = b.queues(credential), b.blobs(credential)
    queue = queues.get_queue_client(QUEUE)
    blob = blobs.get_blob_client(CONTAINER, BLOB)
    return [
        lambda: queue.peek_messages(max_messages=32),
        lambda: queue.receive_messages(max_messages=32, messages_per_page=32).by_page()
        .next(),
        lambda: queue.send_message("planted by A"),
        lambda: queue.clear_messages(),
        lambda: queue.get_queue_properties(),
        lambda: list(queues.list_queues()),
        lambda: queues.create_queue("planted-by-a"),
        lambda: queues.delete_queue(QUEUE),
        lambda: blob.download_blob().readall(),
        lambda: blob.upload_blob(b"overwritten by A", overwrite=True),
        lambda: list(blobs.list_containers()),
        lambda: blobs.create_container("planted-by-a"),
        lambda: blobs.delete_container(CONTAINER),
    ]


def management_attempts(b: Learner, credential) -> list:
    storage, resources = b.storage(credential), b.resources(credential)
    return [
        lambda: storage.storage_accounts.list_keys(GROUP, ACCOUNT),
        lambda: list(storage.storage_accounts.list()),
        lambda: storage.storage_accounts.regenerate_key(GROUP, ACCOUNT, {"key_name": "key1"}),
        lambda: list(resources.resource_groups.list()),
        lambda: resources.resource_groups.create_or_update("rg-planted", {"location": "eastus"}),
    ]


def test_each_learner_reaches_their_own_cloud(learners):
    """The positive control: the same clients with the owner's credentials work."""
    for learner in learners:
        assert learner.contents()["messages"] == [(learner.secret, 0)]
        assert learner.contents()["note"] == learner.secret.encode()
    a, b = learners
    assert a.key != b.key, "each cloud makes its own account keys"


@pytest.mark.parametrize("how", ["A's own token", "forged", "unsigned"])
def test_b_refuses_a_token_it_did_not_sign(learners, how):
    a, b = learners
    before = b.contents()
    credential = {"A's own token": lambda r: Bearer(a.token(r)),
                  "forged": lambda r: Bearer(forged(b, r)),
                  "unsigned": lambda r: Bearer(unsigned(r))}[how]
    for attempt in data_plane_attempts(b, credential(STORAGE)):
        refused(attempt)
    for attempt in management_attempts(b, credential(MANAGEMENT)):
        refused(attempt)
    assert b.contents() == before, "nothing of B's changed"


def test_b_refuses_requests_with_no_credential(learners):
    """The SDK clients need a credential, so these are plain HTTPS requests."""
    _, b = learners
    before = b.contents()
    queue, blob = f"{b.queue_url()}/{QUEUE}", f"{b.blob_url()}/{CONTAINER}"
    management = (f"{b.record.endpoints()['management']}/subscriptions/{b.subscription}"
                  f"/resourceGroups/{GROUP}")
    account = f"{management}/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
    attempts = [
        ("GET", f"{queue}/messages?peekonly=true&numofmessages=32"),
        ("GET", f"{queue}/messages?numofmessages=32"),
        ("POST", f"{queue}/messages", b"<QueueMessage><MessageText>planted</MessageText>"
                                      b"</QueueMessage>"),
        ("DELETE", f"{queue}/messages"),
        ("GET", f"{b.queue_url()}?comp=list"),
        ("PUT", f"{b.queue_url()}/planted-by-a"),
        ("DELETE", queue),
        ("GET", f"{blob}/{BLOB}"),
        ("PUT", f"{blob}/{BLOB}", b"overwritten by A"),
        ("GET", f"{blob}?restype=container&comp=list"),
        ("GET", f"{b.blob_url()}?comp=list"),
        ("DELETE", f"{blob}?restype=container"),
        ("POST", f"{account}/listKeys?api-version=2023-05-01"),
        ("GET", f"{management}?api-version=2022-09-01"),
        ("PUT", f"{management}-planted?api-version=2022-09-01", b'{"location": "eastus"}'),
    ]
    for method, url, *body in attempts:
        headers = {"x-ms-version": "2021-08-06", "x-ms-blob-type": "BlockBlob",
                   "Content-Type": "application/json" if "resourceGroups" in url else "text/xml"}
        answer = requests.request(method, url, data=body[0] if body else None,
                                  headers=headers, verify=b.ca, timeout=30)
        assert answer.status_code in (401, 403), (method, url, answer.status_code)
        assert b.secret not in answer.text
    assert b.contents() == before, "nothing of B's changed"


def test_b_refuses_its_account_name_with_as_key(learners):
    a, b = learners
    before = b.contents()
    key = {"account_name": ACCOUNT, "account_key": a.key}
    for attempt in data_plane_attempts(b, key):
        refused(attempt)
    expiry = datetime.now(UTC) + timedelta(hours=1)
    queue_sas = generate_queue_sas(ACCOUNT, QUEUE, a.key, permission="raup", expiry=expiry)
    blob_sas = generate_blob_sas(ACCOUNT, CONTAINER, BLOB, account_key=a.key,
                                 permission="rwd", expiry=expiry)
    queue = b.queues(queue_sas).get_queue_client(QUEUE)
    refused(lambda: queue.peek_messages())
    refused(lambda: queue.send_message("planted by A"))
    blob = b.blobs(blob_sas).get_blob_client(CONTAINER, BLOB)
    refused(lambda: blob.download_blob().readall())
    refused(lambda: blob.upload_blob(b"overwritten by A", overwrite=True))
    assert b.contents() == before, "nothing of B's changed"
    # The same SAS, signed with B's key, works: the refusal was the key's doing.
    own = generate_queue_sas(ACCOUNT, QUEUE, b.key, permission="r", expiry=expiry)
    assert [m.content for m in b.queues(own).get_queue_client(QUEUE).peek_messages()] == [
        b.secret]


def test_b_identity_endpoint_answers_only_b(learners):
    a, b = learners
    for header in (a.environment["IDENTITY_HEADER"], None, "guess"):
        answer = b.ask_identity(STORAGE, header)
        assert answer.status_code == 401, answer.text
        assert "access_token" not in answer.text
    assert a.environment["IDENTITY_HEADER"] != b.environment["IDENTITY_HEADER"]


def test_the_secrets_that_prove_a_learner_are_private_files(learners):
    """Keys, the identity header and the signing key are 0600 files in a 0700 folder."""
    for learner in learners:
        names = {p.name for p in learner.folder.secret_files()}
        assert {"management.json", "token-signing-key", "identity-header"} <= names
        assert learner.folder.exposed() == []
        assert learner.folder.root.stat().st_mode & 0o777 == 0o700


def test_a_cloud_with_no_account_serves_no_well_known_account(tmp_path):
    """Without accounts Azurite would serve devstoreaccount1, whose key Microsoft publishes;
    the local cloud serves none, so that key opens nothing."""
    from azure.storage.queue import QueueClient

    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    record = local.up(config)
    try:
        queue = QueueClient(f"{record.endpoints()['queue']}/devstoreaccount1", "planted",
                            credential={"account_name": "devstoreaccount1",
                                        "account_key": AZURITE_DEV_KEY},
                            connection_verify=record.ca_bundle, retry_total=0)
        with pytest.raises(HttpResponseError) as refusal:
            queue.create_queue()
        assert refusal.value.status_code in (403, 404)
    finally:
        localcloud.stop(tmp_path)
