"""What one learner runs on a shared machine, as that Unix user (tests/hub/test_two_learners.py).

``setup``: start my local cloud with connect(), keep a secret in a queue and a blob, print
my endpoints (never a secret). ``contents``: print everything of mine an attempt could
change. ``attack B.json``: try the other learner's queue, blob, management and identity
endpoints and queue API with my token, a forged token, no token, their account name with
my key (and a SAS signed with it), and read their state files; print what each answered.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient, generate_account_sas
from azure.storage.queue import ResourceTypes as QueueResourceTypes
from urllib3.exceptions import InsecureRequestWarning

import labsupport

QUEUE, CONTAINER, BLOB = "private-work", "private-notes", "note.txt"
STORAGE, MANAGEMENT = "https://storage.azure.com/.default", "https://management.azure.com/.default"


class Bearer:
    """Presents one given token, whatever it is (stolen, forged)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.token, int(datetime.now(UTC).timestamp()) + 3600)


def mine():
    return labsupport.connect("isolation", quiet=True)


def setup() -> dict:
    lab = mine()
    queues = QueueServiceClient(lab.account_url, credential=lab.credential)
    if QUEUE not in [q.name for q in queues.list_queues()]:
        queues.create_queue(QUEUE)
    queues.get_queue_client(QUEUE).send_message(f"{os.environ['USER']}'s private work")
    blobs = BlobServiceClient(lab.blob_url, credential=lab.credential)
    if CONTAINER not in [c.name for c in blobs.list_containers()]:
        blobs.create_container(CONTAINER)
    blobs.get_blob_client(CONTAINER, BLOB).upload_blob(
        f"{os.environ['USER']}'s notes".encode(), overwrite=True)
    return {"queue": lab.account_url, "blob": lab.blob_url, "management": lab.management_url,
            "account": lab.account_name, "group": lab.resource_group,
            "subscription": lab.subscription_id, "identity": os.environ["IDENTITY_ENDPOINT"],
            "state_dir": str(lab.config.state_dir)}


def contents() -> dict:
    lab = mine()
    queues = QueueServiceClient(lab.account_url, credential=lab.credential)
    blobs = BlobServiceClient(lab.blob_url, credential=lab.credential)
    storage = StorageManagementClient(lab.credential, lab.subscription_id,
                                      base_url=lab.management_url)
    return {
        "queues": sorted(q.name for q in queues.list_queues()),
        "messages": [(m.content, m.dequeue_count) for m in
                     queues.get_queue_client(QUEUE).peek_messages(max_messages=32)],
        "containers": sorted(c.name for c in blobs.list_containers()),
        "note": blobs.get_blob_client(CONTAINER, BLOB).download_blob().readall().decode(),
        "keys": [k.value[:6] for k in storage.storage_accounts.list_keys(
            lab.resource_group, lab.account_name).keys_property],  # a prefix: unchanged?
    }


def _status(attempt) -> int | str:
    try:
        attempt()
    except HttpResponseError as exc:
        code = getattr(exc, "error_code", None)
        code = getattr(code, "value", code)  # the storage SDK gives an enum, ARM a str
        return exc.status_code if exc.status_code != 400 else f"400 {code}"
    except requests.RequestException as exc:
        return f"failed: {type(exc).__name__}"
    return "ANSWERED"


def _data_plane(b: dict, queue_credential, blob_credential) -> dict:
    quiet = {"connection_verify": False, "retry_total": 0}
    queues = QueueServiceClient(b["queue"], credential=queue_credential, **quiet)
    blobs = BlobServiceClient(b["blob"], credential=blob_credential, **quiet)
    queue = queues.get_queue_client(QUEUE)
    blob = blobs.get_blob_client(CONTAINER, BLOB)
    return {
        "queue peek": _status(lambda: queue.peek_messages(max_messages=32)),
        "queue receive": _status(lambda: queue.receive_messages(
            max_messages=32, messages_per_page=32).by_page().next()),
        "queue send": _status(lambda: queue.send_message("planted by A")),
        "queue clear": _status(lambda: queue.clear_messages()),
        "queues list": _status(lambda: list(queues.list_queues())),
        "queue create": _status(lambda: queues.create_queue("planted-by-a")),
        "blob read": _status(lambda: blob.download_blob().readall()),
        "blob write": _status(lambda: blob.upload_blob(b"overwritten by A", overwrite=True)),
        "containers list": _status(lambda: list(blobs.list_containers())),
    }


def _management(b: dict, credential) -> dict:
    storage = StorageManagementClient(credential, b["subscription"], base_url=b["management"],
                                      connection_verify=False, retry_total=0)
    resources = ResourceManagementClient(credential, b["subscription"],
                                         base_url=b["management"], connection_verify=False,
                                         retry_total=0)
    return {
        "keys list": _status(lambda: storage.storage_accounts.list_keys(b["group"],
                                                                         b["account"])),
        "key regenerate": _status(lambda: storage.storage_accounts.regenerate_key(
            b["group"], b["account"], {"key_name": "key1"})),
        "groups list": _status(lambda: list(resources.resource_groups.list())),
        "group create": _status(lambda: resources.resource_groups.create_or_update(
            "rg-planted", {"location": "eastus"})),
    }


def _forged(resource: str) -> str:
    from localcloud.tokens import TokenService, new_signing_key

    return TokenService(new_signing_key()).mint(resource)[0]


def _file(path: str) -> str:
    try:
        Path(path).read_bytes() if Path(path).is_file() else os.listdir(path)
    except PermissionError:
        return "PermissionError"
    return "READ"


def attack(b: dict) -> dict:
    warnings.simplefilter("ignore", InsecureRequestWarning)
    lab = mine()
    results = {}
    own = Bearer(lab.credential.get_token(STORAGE).token)
    own_management = Bearer(lab.credential.get_token(MANAGEMENT).token)
    for how, storage, management in [
            ("A's token", own, own_management),
            ("forged token", Bearer(_forged("https://storage.azure.com")),
             Bearer(_forged("https://management.azure.com")))]:
        for what, status in {**_data_plane(b, storage, storage),
                             **_management(b, management)}.items():
            results[f"{how}: {what}"] = status
    key = {"account_name": b["account"], "account_key": lab.account_key()}
    for what, status in _data_plane(b, key, key).items():
        results[f"B's account with A's key: {what}"] = status
    sas = generate_account_sas(b["account"], lab.account_key(),
                               QueueResourceTypes(service=True, container=True, object=True),
                               "rwdlacup", datetime.now(UTC) + timedelta(hours=1))
    for what, status in _data_plane(b, sas, sas).items():
        if what.startswith("queue"):
            results[f"SAS signed with A's key: {what}"] = status
    plain = {"queue peek": f"{b['queue']}/{QUEUE}/messages?peekonly=true",
             "blob read": f"{b['blob']}/{CONTAINER}/{BLOB}",
             "groups list": f"{b['management']}/subscriptions/{b['subscription']}"
                            "/resourcegroups?api-version=2022-09-01"}
    for what, url in plain.items():
        results[f"no token: {what}"] = requests.get(
            url, verify=False, timeout=30, headers={"x-ms-version": "2021-12-02"}).status_code
    identity = requests.get(b["identity"], verify=False, timeout=30,
                            params={"api-version": "2019-08-01", "resource": STORAGE},
                            headers={"X-IDENTITY-HEADER": os.environ["IDENTITY_HEADER"]})
    results["B's identity endpoint with A's header"] = identity.status_code
    results["B's identity endpoint, no header"] = requests.get(
        b["identity"], verify=False, timeout=30,
        params={"api-version": "2019-08-01", "resource": STORAGE}).status_code
    if b.get("api"):
        for how, headers in [("no token", {}),
                             ("A's token", {"Authorization": f"Bearer {own.token}"}),
                             ("a guessed token", {"Authorization": "Bearer " + "0" * 43})]:
            for path in ("/queue", "/queue/messages/peek"):
                results[f"B's queue API {path}, {how}"] = requests.get(
                    f"{b['api']}{path}", headers=headers, timeout=30).status_code
    state = Path(b["state_dir"])
    for what, path in [("B's state folder", state),
                       ("B's token signing key", state / "secrets" / "token-signing-key"),
                       ("B's management.json", state / "management.json"),
                       ("B's home", state.parent.parent)]:
        results[f"read {what}"] = _file(str(path))
    return results


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "attack":
        answer = attack(json.loads(Path(sys.argv[2]).read_text()))
    else:
        answer = {"setup": setup, "contents": contents}[command]()
    print("RESULT " + json.dumps(answer))
