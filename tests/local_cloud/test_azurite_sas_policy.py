"""A SAS and its stored access policy share the fields, as on Azure (patches/azurite+3.35.0.patch).

Microsoft Learn, "Define a stored access policy"
(https://learn.microsoft.com/rest/api/storageservices/define-stored-access-policy): start,
expiry and permissions may each be in the SAS token or in the policy, "but you can't
specify a given parameter on both"; together they must hold the required ones (expiry and
permissions). Unpatched, Azurite 3.35.0 refused every SAS with ``si`` that also carried
``st``, ``se`` or ``sp``, so a policy with the permissions and a token with the expiry failed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import AccessPolicy, QueueClient, generate_queue_sas

from labsupport.patterns.error_codes import error_code


def soon(minutes: float = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture
def worker(lab, queue, key, key_queue):
    """Set policy "workers" on the test's queue (Set Queue ACL needs the key), and return a
    client whose SAS names it and carries the ``token`` fields."""

    def make(policy: AccessPolicy, **token) -> QueueClient:
        key_queue.set_queue_access_policy({"workers": policy})
        sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers",
                                 **token)
        return QueueClient(lab.account_url, queue.queue_name, credential=sas, retry_total=0)

    return make


def refusal(call) -> tuple[int, str]:
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value.status_code, error_code(caught.value)


@pytest.mark.parametrize("policy, token", [
    (dict(permission="p"), dict(expiry=soon(60))),
    (dict(expiry=soon(60)), dict(permission="p")),
    (dict(start=soon(-15)), dict(permission="p", expiry=soon(60))),
    (dict(permission="p", expiry=soon(60)), {}),
], ids=["permission in policy, expiry in token", "expiry in policy, permission in token",
        "start in policy, the rest in token", "all in policy"])
def test_fields_split_between_the_token_and_the_policy_are_accepted(worker, queue, policy,
                                                                    token):
    client = worker(AccessPolicy(**policy), **token)
    queue.send_message("job")
    message = client.receive_message()
    assert message.content == "job"
    client.delete_message(message)
    assert queue.peek_messages() == []


@pytest.mark.parametrize("policy, token, field", [
    (dict(permission="p", expiry=soon(60)), dict(permission="p"), "permission"),
    (dict(permission="p", expiry=soon(60)), dict(expiry=soon()), "expiry"),
    (dict(permission="p", start=soon(-15)), dict(start=soon(-15), expiry=soon()), "start"),
], ids=["permission", "expiry", "start"])
def test_a_field_in_both_is_refused(worker, policy, token, field):
    """Azure documents 400 (Bad Request) for this, with no error code; Azurite answers
    403 AuthenticationFailed, as for every SAS it refuses."""
    client = worker(AccessPolicy(**policy), **token)
    assert refusal(client.receive_message) == (403, "AuthenticationFailed"), field


@pytest.mark.parametrize("policy, token", [
    (dict(permission="p"), {}),
    (dict(expiry=soon(60)), {}),
    (dict(start=soon(-15)), dict(permission="p")),
], ids=["no expiry anywhere", "no permission anywhere", "no expiry, start in policy"])
def test_a_required_field_in_neither_is_refused(worker, policy, token):
    client = worker(AccessPolicy(**policy), **token)
    assert refusal(client.receive_message) == (403, "AuthenticationFailed")


def test_the_policys_permission_rules_a_token_with_only_the_expiry(worker, queue):
    """The merged SAS grants what the policy says: a (add) sends, and may not receive."""
    client = worker(AccessPolicy(permission="a"), expiry=soon())
    client.send_message("from the worker")
    assert refusal(client.receive_message) == (403, "AuthorizationPermissionMismatch")
    assert [m.content for m in queue.peek_messages()] == ["from the worker"]


def test_the_tokens_expiry_rules_when_the_policy_has_none(worker):
    client = worker(AccessPolicy(permission="p"), expiry=soon(-1))
    assert refusal(client.receive_message) == (403, "AuthenticationFailed")
