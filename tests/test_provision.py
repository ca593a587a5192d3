"""labsupport.provision against the local cloud: idempotent ensure_* calls, the lab's tags,
a clear error when an account name is taken, and what notebook 01 teaches.

Tests work in subscriptions of their own, so the lab's resource group is never touched.
"""

from __future__ import annotations

import secrets
import uuid

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import StorageAccountRegenerateKeyParameters
from azure.storage.queue import QueueClient

from labsupport import provision
from labsupport.errors import LabError
from labsupport.provision import ACCOUNT_TYPE, LAB_TAGS

LOCATION = "eastus"


class Sent:
    """A raw_request_hook that records each request as "METHOD /last/path/segment"."""

    def __init__(self):
        self.requests: list[str] = []

    def __call__(self, request):
        http = request.http_request
        self.requests.append(f"{http.method} {http.url.split('?')[0].rsplit('/', 1)[-1]}")


@pytest.fixture
def subscription(lab):
    """A fresh subscription of the local cloud; its groups are deleted afterwards."""
    subscription = str(uuid.uuid4())
    yield subscription
    resources = ResourceManagementClient(DefaultAzureCredential(), subscription,
                                         base_url=lab.management_url)
    for group in list(resources.resource_groups.list()):
        resources.resource_groups.begin_delete(group.name).result()


def clients(lab, subscription: str, sent: Sent | None = None):
    hooks = {"raw_request_hook": sent} if sent else {}
    credential = DefaultAzureCredential()
    return (ResourceManagementClient(credential, subscription, base_url=lab.management_url,
                                     **hooks),
            StorageManagementClient(credential, subscription, base_url=lab.management_url,
                                    **hooks))


def new_account_name() -> str:
    return f"provtest{secrets.token_hex(6)}"


def test_ensure_resource_group_creates_it_with_the_lab_tags(lab, subscription):
    resources, _ = clients(lab, subscription)

    group = provision.ensure_resource_group(resources, "rg-provision-test", LOCATION)

    assert (group.name, group.location, group.tags) == ("rg-provision-test", LOCATION, LAB_TAGS)
    assert resources.resource_groups.get("rg-provision-test").tags == LAB_TAGS


def test_ensure_resource_group_leaves_an_existing_group_alone(lab, subscription):
    sent = Sent()
    resources, _ = clients(lab, subscription, sent)
    resources.resource_groups.create_or_update("rg-existing", {"location": LOCATION,
                                                               "tags": {"owner": "me"}})
    sent.requests.clear()

    group = provision.ensure_resource_group(resources, "rg-existing", LOCATION)

    assert group.tags == {"owner": "me"}, "an existing group's tags were replaced"
    assert sent.requests == ["HEAD rg-existing", "GET rg-existing"]


def test_ensure_storage_account_creates_once_then_only_reads(lab, subscription):
    sent = Sent()
    resources, storage = clients(lab, subscription, sent)
    provision.ensure_resource_group(resources, "rg-accounts", LOCATION)
    name = new_account_name()

    created = provision.ensure_storage_account(storage, "rg-accounts", name, LOCATION)
    sent.requests.clear()
    again = provision.ensure_storage_account(storage, "rg-accounts", name, LOCATION)

    assert (created.sku.name, created.kind, created.tags) == ("Standard_LRS", "StorageV2",
                                                              LAB_TAGS)
    assert created.minimum_tls_version == "TLS1_2" and created.allow_blob_public_access is False
    assert again.name == name
    assert sent.requests == [f"GET {name}"], "a second ensure must only read the account"


def test_account_name_taken_in_another_subscription_is_a_clear_lab_error(lab, subscription):
    elsewhere = str(uuid.uuid4())
    other_resources, other_storage = clients(lab, elsewhere)
    taken = new_account_name()
    provision.ensure_resource_group(other_resources, "rg-someone-else", LOCATION)
    provision.ensure_storage_account(other_storage, "rg-someone-else", taken, LOCATION)
    resources, storage = clients(lab, subscription)
    provision.ensure_resource_group(resources, "rg-mine", LOCATION)
    try:
        with pytest.raises(LabError) as error:
            provision.ensure_storage_account(storage, "rg-mine", taken, LOCATION)
    finally:
        other_resources.resource_groups.begin_delete("rg-someone-else").result()

    message = str(error.value)
    assert f"The storage account name {taken!r} cannot be used" in message
    assert "AlreadyExists" in message, "names the reason ARM gave"
    assert "LAB_ACCOUNT_NAME" in message and "LAB_PREFIX" in message, "says how to fix it"


def test_invalid_account_name_is_a_clear_lab_error(lab, subscription):
    resources, storage = clients(lab, subscription)
    provision.ensure_resource_group(resources, "rg-invalid", LOCATION)

    with pytest.raises(LabError) as error:
        provision.ensure_storage_account(storage, "rg-invalid", "Not_Valid", LOCATION)

    assert "AccountNameInvalid" in str(error.value)
    assert "3 and 24 characters" in str(error.value)


@pytest.fixture
def account(lab, subscription):
    """A resource group and storage account in the test's subscription."""
    resources, storage = clients(lab, subscription)
    provision.ensure_resource_group(resources, "rg-queues", LOCATION)
    name = new_account_name()
    provision.ensure_storage_account(storage, "rg-queues", name, LOCATION)
    return storage, "rg-queues", name


def data_queue(storage, group: str, account: str, queue: str, key: str | None = None):
    endpoint = storage.storage_accounts.get_properties(group, account).primary_endpoints.queue
    key = key or provision.account_key(storage, group, account)
    connection = (f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
                  f"QueueEndpoint={endpoint}")
    return QueueClient.from_connection_string(connection, queue)


def test_ensure_queue_creates_it_through_management_and_the_data_plane_sees_it(account):
    storage, group, name = account

    made = provision.ensure_queue(storage, group, name, "orders", {"lesson": "01"})
    again = provision.ensure_queue(storage, group, name, "orders", {"lesson": "other"})

    assert (made.name, made.metadata) == ("orders", {"lesson": "01"})
    assert again.metadata == {"lesson": "01"}, "ensure_queue changed an existing queue"
    assert data_queue(storage, group, name, "orders").get_queue_properties().metadata == {
        "lesson": "01"}


def test_management_lists_data_plane_queues_and_counts_messages(account):
    """01 §7: the management plane lists a data-plane queue and its message count."""
    storage, group, name = account
    provision.ensure_queue(storage, group, name, "orders", {"lesson": "01"})
    data_queue(storage, group, name, "invoices").create_queue()
    data_queue(storage, group, name, "orders").send_message("order-1")

    listed = {q.name: dict(q.metadata or {}) for q in storage.queue.list(group, name)}

    assert listed == {"invoices": {}, "orders": {"lesson": "01"}}
    assert storage.queue.get(group, name, "orders").approximate_message_count == 1


def test_update_replaces_tags_and_keeps_the_rest(account):
    """01 §8: PATCH with tags only replaces the tags; sku, kind and TLS stay."""
    storage, group, name = account

    updated = storage.storage_accounts.update(group, name, {"tags": {"stage": "demo"}})

    assert updated.tags == {"stage": "demo"}
    assert (updated.sku.name, updated.kind, updated.minimum_tls_version) == (
        "Standard_LRS", "StorageV2", "TLS1_2")


def test_old_key_is_refused_after_regenerate(account):
    """01 §9: the old key1 is refused at once; Azurite answers 400 InvalidAuthenticationInfo
    where Azure answers 403 AuthenticationFailed — both are ClientAuthenticationError."""
    storage, group, name = account
    provision.ensure_queue(storage, group, name, "orders")
    old = data_queue(storage, group, name, "orders")

    storage.storage_accounts.regenerate_key(
        group, name, StorageAccountRegenerateKeyParameters(key_name="key1"))

    with pytest.raises(ClientAuthenticationError) as refused:
        old.get_queue_properties()
    assert (refused.value.status_code, refused.value.error_code) == (
        400, "InvalidAuthenticationInfo")
    data_queue(storage, group, name, "orders").get_queue_properties()  # the new key1 works


def test_deleted_account_name_is_free_again(account):
    """01 §10."""
    storage, group, name = account

    storage.storage_accounts.delete(group, name)

    answer = storage.storage_accounts.check_name_availability({"name": name,
                                                               "type": ACCOUNT_TYPE})
    assert answer.name_available is True
    assert name not in [a.name for a in storage.storage_accounts.list_by_resource_group(group)]
