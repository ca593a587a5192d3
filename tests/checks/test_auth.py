"""check_worker_sas (02 · Your turn): it tests the SAS for real and names what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.queue import (
    AccessPolicy,
    generate_account_sas,
    generate_queue_sas,
)

from labsupport.checks.auth import check_worker_sas


def soon(minutes: float = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.fixture
def service(key_service):
    """The owner's client, as notebook 02's ``admin``: signed with the account key."""
    return key_service


def run(capsys, sas, service, queue):
    result = check_worker_sas(sas, service, queue.queue_name)
    return result, capsys.readouterr().out


def queue_sas(lab, queue, key, **options):
    options.setdefault("expiry", soon())
    return generate_queue_sas(lab.account_name, queue.queue_name, key, **options)


def test_process_only_for_five_minutes_passes_and_leaves_no_trace(
        capsys, lab, service, queue, key):
    result, out = run(capsys, queue_sas(lab, queue, key, permission="p"), service, queue)
    assert result and out.startswith("✅")
    assert queue.get_queue_properties().approximate_message_count == 0
    assert [q.name for q in service.list_queues(name_starts_with=queue.queue_name)] == [
        queue.queue_name], "the scratch queue is deleted"


def test_a_sas_url_is_accepted(capsys, lab, service, queue, key):
    sas = queue_sas(lab, queue, key, permission="p")
    result, _ = run(capsys, f"{queue.url}?{sas}", service, queue)
    assert result


def test_a_stored_policy_with_the_right_rights_passes(capsys, lab, service, queue, key,
                                                      key_queue):
    key_queue.set_queue_access_policy({"worker": AccessPolicy(permission="p", expiry=soon())})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker")
    result, _ = run(capsys, sas, service, queue)
    assert result


def test_permission_in_the_policy_and_expiry_in_the_token_passes(capsys, lab, service, queue,
                                                                  key, key_queue):
    """A different right solution: Azure takes each field from the SAS or from the policy.
    (Azurite 3.35.0 refused this SAS; the lab's patched Azurite accepts it, as Azure does.)"""
    key_queue.set_queue_access_policy({"worker": AccessPolicy(permission="p")})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker",
                             expiry=soon())
    result, out = run(capsys, sas, service, queue)
    assert result and out.startswith("✅"), out


@pytest.mark.parametrize("policy, token, says", [
    (dict(permission="p", expiry=soon(60)), dict(permission="p"), "both set permissions (sp)"),
    (dict(permission="p", expiry=soon(5)), dict(expiry=soon()), "both set expiry (se)"),
    (dict(permission="p", expiry=soon(5)), dict(permission="p", expiry=soon()),
     "both set expiry (se) and permissions (sp)"),
], ids=["permission", "expiry", "both"])
def test_a_field_in_the_sas_and_in_its_policy_is_named_and_not_probed(
        capsys, lab, service, queue, key, key_queue, policy, token, says):
    key_queue.set_queue_access_policy({"worker": AccessPolicy(**policy)})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker",
                             **token)
    result, out = run(capsys, sas, service, queue)
    assert not result and says in out and "Azure refuses a field given in both" in out, out
    assert "AuthenticationFailed" not in out, "the check explains instead of probing"


def test_permissions_in_neither_the_sas_nor_its_policy_are_named(capsys, lab, service, queue,
                                                                 key, key_queue):
    key_queue.set_queue_access_policy({"worker": AccessPolicy(expiry=soon())})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker")
    result, out = run(capsys, sas, service, queue)
    assert not result and "neither the SAS nor policy 'worker' sets permissions (sp)" in out


def test_an_expired_policy_is_named(capsys, lab, service, queue, key, key_queue):
    key_queue.set_queue_access_policy({"worker": AccessPolicy(permission="p",
                                                              expiry=soon(-1))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker")
    result, out = run(capsys, sas, service, queue)
    assert not result and "policy 'worker' expired at" in out, out


def test_too_long_a_policy_lifetime_points_at_the_policy(capsys, lab, service, queue, key,
                                                         key_queue):
    key_queue.set_queue_access_policy({"worker": AccessPolicy(permission="p",
                                                              expiry=soon(60))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="worker")
    result, out = run(capsys, sas, service, queue)
    assert not result and "stays valid for about 60 minutes" in out
    assert "in policy 'worker'" in out


@pytest.mark.parametrize("sas", [None, ""])
def test_nothing_yet(capsys, service, queue, sas):
    result, out = run(capsys, sas, service, queue)
    assert not result and "no SAS yet" in out


def test_not_a_string(capsys, service, queue):
    result, out = run(capsys, 42, service, queue)
    assert not result and "not a int" in out


@pytest.mark.parametrize("permission, says", [
    ("rp", "peek at messages and read the queue's properties (r)"),
    ("ap", "can also send messages (a)"),
    ("up", "can also update messages (u)"),
])
def test_extra_permission_is_named(capsys, lab, service, queue, key, permission, says):
    result, out = run(capsys, queue_sas(lab, queue, key, permission=permission), service, queue)
    assert not result and says in out
    assert out.count("•") == 1, out


def test_missing_process_is_named(capsys, lab, service, queue, key):
    result, out = run(capsys, queue_sas(lab, queue, key, permission="a"), service, queue)
    assert "cannot receive messages" in out and "cannot delete" in out
    assert "can also send" in out and not result


def test_too_long_a_lifetime_is_named(capsys, lab, service, queue, key):
    result, out = run(capsys, queue_sas(lab, queue, key, permission="p", expiry=soon(60)),
                      service, queue)
    assert not result and "stays valid for about 60 minutes" in out


def test_expired_sas_is_named_and_not_probed(capsys, lab, service, queue, key):
    result, out = run(capsys, queue_sas(lab, queue, key, permission="p", expiry=soon(-1)),
                      service, queue)
    assert not result and "expired" in out
    assert queue.get_queue_properties().approximate_message_count == 0


def test_clock_skewed_start_is_named(capsys, lab, service, queue, key):
    sas = queue_sas(lab, queue, key, permission="p", start=soon(10), expiry=soon(15))
    result, out = run(capsys, sas, service, queue)
    assert not result and "clock skew" in out


def test_sas_for_another_queue_is_named(capsys, lab, service, queue, key):
    sas = generate_queue_sas(lab.account_name, "another-queue", key, permission="p",
                             expiry=soon())
    result, out = run(capsys, sas, service, queue)
    assert not result and "refused the SAS (AuthenticationFailed)" in out


def test_account_sas_is_named_for_its_reach(capsys, lab, service, queue, key):
    sas = generate_account_sas(lab.account_name, key, "co", "p", soon())
    result, out = run(capsys, sas, service, queue)
    assert not result and "reaches every queue in the account" in out


def test_missing_policy_is_named(capsys, lab, service, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="nope")
    result, out = run(capsys, sas, service, queue)
    assert not result and "stored access policy 'nope'" in out


def test_output_never_shows_the_signature(capsys, lab, service, queue, key):
    sas = queue_sas(lab, queue, key, permission="raup", expiry=soon(60))
    _, out = run(capsys, sas, service, queue)
    assert sas.split("sig=")[1][:12] not in out
