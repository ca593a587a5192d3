"""What notebook 02 teaches about keys, SAS and Entra ID, measured against Azurite.

Where Azurite differs from Azure the test pins Azurite's behaviour and says so; the
notebook carries the same callout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.mgmt.storage import StorageManagementClient
from azure.mgmt.storage.models import StorageAccountRegenerateKeyParameters
from azure.storage.queue import (
    AccessPolicy,
    QueueClient,
    QueueSasPermissions,
    QueueServiceClient,
    generate_account_sas,
    generate_queue_sas,
)

from labsupport.auth import error_code, probe_queue_access, token_claims
from labsupport.redact import Secret

DENIED = "AuthorizationPermissionMismatch"


def soon(minutes: float = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def sas_client(lab, queue, sas) -> QueueClient:
    return QueueClient(lab.account_url, queue.queue_name, credential=sas)


def refusal(call) -> tuple[int, str]:
    """Run ``call``, which must be refused; return (status, x-ms-error-code)."""
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value.status_code, error_code(caught.value)


# --------------------------------------------------------------------------- queue SAS


@pytest.mark.parametrize("permission, allowed", [
    ("a", {"send"}),
    ("p", {"receive", "delete"}),
    ("r", {"peek"}),
    ("u", {"update"}),  # given a pop receipt; to receive the message itself it needs p too
    ("up", {"receive", "update", "delete"}),
    ("raup", {"send", "peek", "receive", "update", "delete"}),
])
def test_queue_sas_permission_letters_map_to_operations(lab, queue, key, permission, allowed):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission=permission,
                             expiry=soon())
    results = probe_queue_access(sas_client(lab, queue, sas), queue)
    assert {op for op, code in results.items() if code is None} == allowed, results
    assert {code for code in results.values() if code} <= {DENIED}, results


def test_producer_sas_can_send_but_not_receive(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key,
                             permission=QueueSasPermissions(add=True), expiry=soon())
    producer = sas_client(lab, queue, sas)
    producer.send_message("order-1")
    assert refusal(lambda: producer.receive_message()) == (403, DENIED)
    assert queue.peek_messages()[0].content == "order-1"


def test_consumer_sas_can_receive_and_delete_but_not_send(lab, queue, key):
    queue.send_message("order-1")
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key,
                             permission=QueueSasPermissions(process=True), expiry=soon())
    consumer = sas_client(lab, queue, sas)
    message = consumer.receive_message()
    consumer.delete_message(message)
    assert refusal(lambda: consumer.send_message("forged")) == (403, DENIED)
    assert queue.get_queue_properties().approximate_message_count == 0


def test_expired_sas_is_refused(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                             expiry=soon(-1))
    assert refusal(lambda: sas_client(lab, queue, sas).receive_message()) == (
        403, "AuthenticationFailed")


def test_sas_starting_in_the_future_is_refused(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                             start=soon(10), expiry=soon(20))
    assert refusal(lambda: sas_client(lab, queue, sas).receive_message()) == (
        403, "AuthenticationFailed")


def test_queue_sas_does_not_work_on_another_queue(lab, queue, service, key):
    other = service.create_queue(lab.new_queue_name("auth-other"))
    try:
        sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                                 expiry=soon())
        assert refusal(lambda: sas_client(lab, other, sas).receive_message()) == (
            403, "AuthenticationFailed")
    finally:
        other.delete_queue()


def test_an_edited_sas_is_refused(lab, queue, key):
    """Every field is signed: widening sp=a to sp=ap by hand breaks the signature."""
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="a",
                             expiry=soon())
    widened = sas.replace("sp=a", "sp=ap")
    assert widened != sas
    assert refusal(lambda: sas_client(lab, queue, widened).receive_message()) == (
        403, "AuthenticationFailed")


def test_sas_url_works_with_from_queue_url_and_client_url_carries_the_signature(
        lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="r",
                             expiry=soon())
    client = QueueClient.from_queue_url(f"{lab.account_url}/{queue.queue_name}?{sas}")
    assert client.peek_messages() == []
    assert "sig=" in client.url  # why the notebook redacts before printing it


# ------------------------------------------------------------------ stored access policy


def test_stored_policy_grants_and_deleting_it_revokes_at_once(lab, queue, key, key_queue):
    """Azure applies a policy change within 30 s; Azurite applies it immediately."""
    queue.send_message("job")
    key_queue.set_queue_access_policy({"workers": AccessPolicy(permission="p", expiry=soon(60))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers")
    worker = sas_client(lab, queue, sas)
    assert worker.receive_message(visibility_timeout=1).content == "job"
    key_queue.set_queue_access_policy({})
    assert refusal(lambda: worker.receive_message()) == (403, "AuthenticationFailed")


def test_policy_holds_the_permission_and_each_sas_its_own_expiry(lab, queue, key, key_queue):
    """02 teaches the split Azure documents: a field in the policy or in the SAS. Azurite
    3.35.0 refused it; the lab's patched Azurite accepts it (patches/README.md)."""
    queue.send_message("job")
    key_queue.set_queue_access_policy({"workers": AccessPolicy(permission="p")})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers",
                             expiry=soon())
    worker = sas_client(lab, queue, sas)
    worker.delete_message(worker.receive_message())
    assert refusal(lambda: worker.send_message("forged")) == (403, DENIED)
    key_queue.set_queue_access_policy({})
    assert refusal(lambda: worker.receive_message()) == (403, "AuthenticationFailed")


def test_sas_may_not_repeat_what_its_policy_sets(lab, queue, key, key_queue):
    key_queue.set_queue_access_policy({"workers": AccessPolicy(permission="p", expiry=soon(60))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers",
                             permission="p")
    assert refusal(lambda: sas_client(lab, queue, sas).receive_message()) == (
        403, "AuthenticationFailed")


# --------------------------------------------------------------------------- account SAS


def test_account_sas_consumer_needs_container_resource_type_in_azurite(lab, queue, key):
    """Azurite quirk: delete/update/clear of messages are checked as container-level (c);
    on Azure an account SAS with resource type o (object) suffices for them."""
    only_object = generate_account_sas(lab.account_name, key, "o", "p", soon())
    results = probe_queue_access(sas_client(lab, queue, only_object), queue)
    assert results["receive"] is None
    assert results["delete"] == "AuthorizationResourceTypeMismatch"

    with_container = generate_account_sas(lab.account_name, key, "co", "p", soon())
    results = probe_queue_access(sas_client(lab, queue, with_container), queue)
    assert results["receive"] is None and results["delete"] is None
    assert results["send"] == DENIED


@pytest.mark.parametrize("resource_types, permission, code", [
    ("o", "u", "AuthorizationResourceTypeMismatch"),
    ("co", "u", None),
])
def test_account_sas_update_needs_container_in_azurite(lab, queue, key, resource_types,
                                                       permission, code):
    sas = generate_account_sas(lab.account_name, key, resource_types, permission + "p", soon())
    assert probe_queue_access(sas_client(lab, queue, sas), queue)["update"] == code


def test_account_sas_clear_needs_container_and_delete_in_azurite(lab, queue, key):
    for resource_types, expected in (("o", "AuthorizationResourceTypeMismatch"), ("co", None)):
        sas = generate_account_sas(lab.account_name, key, resource_types, "d", soon())
        client = sas_client(lab, queue, sas)
        if expected:
            assert refusal(client.clear_messages) == (403, expected)
        else:
            client.clear_messages()


def test_account_sas_reaches_every_queue(lab, queue, service, key):
    other = service.create_queue(lab.new_queue_name("auth-other"))
    try:
        other.send_message("not yours")
        sas = generate_account_sas(lab.account_name, key, "co", "p", soon())
        assert sas_client(lab, other, sas).receive_message().content == "not yours"
    finally:
        other.delete_queue()


def test_account_sas_for_another_service_is_refused(lab, queue, key):
    sas = generate_account_sas(lab.account_name, key, "co", "p", soon(), services="b")
    assert refusal(lambda: sas_client(lab, queue, sas).receive_message()) == (
        403, "AuthorizationServiceMismatch")


# ------------------------------------------------------------------------- account keys


def test_list_keys_returns_two_full_keys(lab):
    storage = StorageManagementClient(lab.management_credential, lab.subscription_id,
                                      base_url=lab.management_url)
    keys = storage.storage_accounts.list_keys(lab.resource_group, lab.account_name).keys_property
    assert [(k.key_name, k.permissions, len(k.value)) for k in keys] == [
        ("key1", "FULL", 88), ("key2", "FULL", 88)]


def test_regenerating_a_key_revokes_the_sas_it_signed(lab, queue):
    storage = StorageManagementClient(lab.management_credential, lab.subscription_id,
                                      base_url=lab.management_url)
    key2 = Secret(storage.storage_accounts.list_keys(lab.resource_group,
                                                     lab.account_name).keys_property[1].value)
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key2, permission="a",
                             expiry=soon())
    producer = sas_client(lab, queue, sas)
    producer.send_message("before rotation")
    rotate = StorageAccountRegenerateKeyParameters(key_name="key2")
    storage.storage_accounts.regenerate_key(lab.resource_group, lab.account_name, rotate)
    assert refusal(lambda: producer.send_message("after rotation")) == (
        403, "AuthenticationFailed")
    key1_client = QueueClient(lab.account_url, queue.queue_name,
                              credential=AzureNamedKeyCredential(lab.account_name,
                                                                 lab.account_key()))
    key1_client.send_message("key1 still works")


# ---------------------------------------------------------------------------- Entra ID


def test_default_azure_credential_works_offline(lab, queue):
    client = QueueClient(lab.account_url, queue.queue_name, credential=DefaultAzureCredential())
    client.send_message("via Entra ID")
    assert client.receive_message().content == "via Entra ID"


@pytest.mark.usefixtures("lab")  # DefaultAzureCredential finds the identity connect() set up
def test_token_is_for_storage_audience():
    token = DefaultAzureCredential().get_token("https://storage.azure.com/.default").token
    assert token_claims(token)["aud"] == "https://storage.azure.com"


def test_token_for_the_wrong_audience_is_refused(lab, queue):
    client = QueueClient(lab.account_url, queue.queue_name, credential=DefaultAzureCredential(),
                         audience="https://management.azure.com")
    with pytest.raises(HttpResponseError) as caught:
        client.peek_messages()
    assert (caught.value.status_code, error_code(caught.value)) == (403, "AuthenticationFailed")
    assert "Invalid token audience" in caught.value.response.text()


def test_azurite_does_not_check_roles(lab, service):
    """On Azure an identity without a data role gets 403 AuthorizationPermissionMismatch;
    Azurite lets any valid token do anything, even create and delete queues."""
    entra = QueueServiceClient(lab.account_url, credential=DefaultAzureCredential())
    queue = entra.create_queue(lab.new_queue_name("auth-norole"))
    queue.delete_queue()


def test_user_delegation_key_is_not_emulated(lab):
    entra = QueueServiceClient(lab.account_url, credential=DefaultAzureCredential())
    with pytest.raises(HttpResponseError) as caught:
        entra.get_user_delegation_key(start=soon(0), expiry=soon(60))
    assert caught.value.status_code == 400


def test_wrong_account_key_gets_400_invalid_authentication_info_in_azurite(lab):
    """Azure answers 403 AuthenticationFailed ("The MAC signature … is not the same as any
    computed signature"); Azurite answers 400 InvalidAuthenticationInfo."""
    key = lab.account_key()
    cut_short = lab.connection_string.replace(key, key[:60])
    client = QueueServiceClient.from_connection_string(cut_short)
    assert refusal(lambda: list(client.list_queues())) == (400, "InvalidAuthenticationInfo")
