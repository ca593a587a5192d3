"""labsupport.auth: bad credentials get a clear explanation, and no secret leaks through it.

The explanations are tested on real refusals from Azurite (which answers most of them
with a bare ``AuthenticationFailed``) and on hand-made inputs.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.storage.queue import (
    AccessPolicy,
    QueueClient,
    generate_account_sas,
    generate_queue_sas,
)

from labsupport.auth import (
    AuthError,
    access_table,
    audience_problem,
    check_connection_string,
    explain,
    explained,
    printable,
    sas_info,
    sas_table,
    token_claims,
)
from labsupport.redact import looks_secret

KEY = base64.b64encode(bytes(range(64))).decode()


def soon(minutes: float = 5) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def refused(call) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value


def assert_clean(text: str) -> None:
    assert not looks_secret(text), "the explanation shows a secret"


# ----------------------------------------------------------------- connection strings


@pytest.mark.parametrize("text, says", [
    ("", "is empty"),
    ("   ", "is empty"),
    (f'"AccountName=a;AccountKey={KEY}"', "quote"),
    (f"AccountName=a;{KEY}", "Part 2 of the connection string is not a setting"),
    ("AccountName=a;AcountKey=x", "Part 2 of the connection string ('AcountKey') is not"),
    ("AccountName=a;justtext", "every part is Name=value"),
    ("AccountName=a;AccountKey=not-base64!", "AccountKey is not valid base64"),
    ("AccountName=a;AccountKey=" + KEY[:41], "AccountKey is not valid base64"),
    ("AccountName=a;AccountKey=" + base64.b64encode(b"x" * 30).decode(), "decodes to 30 bytes"),
    ("AccountName=a;EndpointSuffix=core.windows.net", "neither AccountKey nor"),
    (f"DefaultEndpointsProtocol=https;AccountKey={KEY}", "has no AccountName"),
])
def test_malformed_connection_string_is_named_without_its_key(text, says):
    with pytest.raises(AuthError) as caught:
        check_connection_string(text)
    assert says in str(caught.value)
    assert KEY not in str(caught.value) and KEY[:20] not in str(caught.value)


def test_valid_connection_strings_pass(lab):
    check_connection_string(lab.connection_string)
    check_connection_string("UseDevelopmentStorage=true")
    sas_only = "QueueEndpoint=https://a.queue.core.windows.net;SharedAccessSignature="
    check_connection_string(sas_only + "sv=2020&sig=x")


@pytest.mark.parametrize("text", [f"AccountName=a;{KEY}", "hello", "AccountName=a"])
def test_sdk_connection_string_errors_are_explained(text):
    with pytest.raises(ValueError) as caught:
        QueueClient.from_connection_string(text, "q")
    assert "check_connection_string" in explain(caught.value)
    with pytest.raises(AuthError, match="check_connection_string"), explained():
        QueueClient.from_connection_string(text, "q")


def test_damaged_key_in_connection_string_is_explained(lab):
    text = f"DefaultEndpointsProtocol=https;AccountName={lab.account_name};" \
           f"AccountKey=abc;QueueEndpoint={lab.account_url}"
    error = refused(lambda: QueueClient.from_connection_string(text, "q").peek_messages())
    assert "not valid base64" in explain(error)


def test_wrong_account_key_is_explained(lab, queue):
    client = QueueClient(lab.account_url, queue.queue_name,
                         credential={"account_name": lab.account_name, "account_key": KEY})
    message = explain(refused(client.peek_messages))
    assert "account key does not match" in message
    assert_clean(message)


# ------------------------------------------------------------------------------- SAS


def test_sas_for_the_wrong_queue_is_explained(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, "some-other-queue", key, permission="p",
                             expiry=soon())
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    precise = explain(error, queue="some-other-queue")
    assert "minted for queue 'some-other-queue' but used on queue" in precise
    assert queue.queue_name in precise
    assert "does not match this request" in explain(error)
    assert_clean(precise)


def test_clock_skewed_start_is_explained(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                             start=soon(10), expiry=soon(20))
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    message = explain(error)
    assert "not valid yet" in message and "clock skew" in message
    assert "about 10 minute(s)" in message and "leave `start` out" in message


def test_expired_sas_is_explained(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                             expiry=soon(-2))
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    assert "the SAS expired at" in explain(error)


def test_missing_permission_is_named(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="a",
                             expiry=soon())
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    assert "the SAS allows 'a' but receive needs 'p'" in explain(error)


def test_revoked_policy_is_explained(lab, queue, key, key_queue):
    key_queue.set_queue_access_policy({"workers": AccessPolicy(permission="p", expiry=soon(60))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers")
    key_queue.set_queue_access_policy({})
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    assert "stored access policy 'workers'" in explain(error)


def test_a_field_in_the_sas_and_in_its_policy_is_explained(lab, queue, key, key_queue):
    """Azure refuses a field set in both (Define a stored access policy, Microsoft Learn)."""
    key_queue.set_queue_access_policy({"workers": AccessPolicy(permission="p",
                                                               start=soon(-15))})
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, policy_id="workers",
                             start=soon(-15), expiry=soon())
    error = refused(QueueClient(lab.account_url, queue.queue_name, credential=sas).receive_message)
    assert "also sets its own expiry and start" in explain(error)
    assert "set each field in one place only" in explain(error)


def test_account_sas_resource_type_and_service_are_explained(lab, queue, key):
    queue.send_message("m")
    leased = queue.receive_message()
    only_object = generate_account_sas(lab.account_name, key, "o", "p", soon())
    client = QueueClient(lab.account_url, queue.queue_name, credential=only_object)
    assert "resource_types='co'" in explain(refused(lambda: client.delete_message(leased)))
    blob_only = generate_account_sas(lab.account_name, key, "co", "p", soon(), services="b")
    client = QueueClient(lab.account_url, queue.queue_name, credential=blob_only)
    assert "services='q'" in explain(refused(client.receive_message))


def test_explained_raises_a_lab_error_with_the_explanation(lab, queue, key):
    sas = generate_queue_sas(lab.account_name, queue.queue_name, key, permission="p",
                             expiry=soon(-1))
    client = QueueClient(lab.account_url, queue.queue_name, credential=sas)
    with pytest.raises(AuthError, match="expired"), explained():
        client.receive_message()
    with pytest.raises(KeyError), explained():  # other errors pass through untouched
        raise KeyError("x")


def test_sas_info_reads_fields_but_never_the_signature(lab, key):
    sas = generate_queue_sas(lab.account_name, "q", key, permission="p", expiry=soon())
    info = sas_info(f"https://host/acct/q?{sas}")
    assert (info.kind, info.permissions, info.signed) == ("queue", "p", True)
    assert "sig=" not in repr(info) and "sig=" not in str(info)
    account = sas_info(generate_account_sas(lab.account_name, key, "co", "p", soon()))
    assert (account.kind, account.resource_types, account.services) == ("account", "co", "q")


def test_sas_table_and_printable_mask_the_signature(lab, key):
    sas = generate_queue_sas(lab.account_name, "q", key, permission="p", expiry=soon())
    signature = sas.split("sig=")[1]
    for text in (sas_table(sas), printable(sas), printable(f"https://h/a/q?{sas}")):
        assert signature not in text and "sig" in text
        assert "%3A" not in text  # times are readable


@pytest.mark.parametrize("sas, says", [
    ("", "There is no SAS"),
    ("hello", "This is not a SAS"),
    ("sv=2020-01-01&se=tomorrow&sig=abc", "not an ISO 8601"),
])
def test_sas_info_refuses_what_is_not_a_sas(sas, says):
    with pytest.raises(AuthError, match=says):
        sas_info(sas)


def test_sas_problems_found_before_any_request():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    unsigned = sas_info("sv=2020-01-01&sp=p&se=2030-01-01T00:05:00Z")
    assert any("no signature" in p for p in unsigned.problems(now))
    backwards = sas_info("sv=2020-01-01&sp=p&st=2030-01-01T00:10:00Z"
                         "&se=2030-01-01T00:05:00Z&sig=x")
    assert any("starts after it expires" in p for p in backwards.problems(now))
    assert sas_info("sv=2020-01-01&si=workers&sig=x").problems(now) == []


# ----------------------------------------------------------------------------- tokens


def test_token_for_the_wrong_audience_is_explained(lab, queue):
    client = QueueClient(lab.account_url, queue.queue_name, credential=DefaultAzureCredential(),
                         audience="https://management.azure.com")
    message = explain(refused(client.peek_messages))
    assert "audience is 'https://management.azure.com/'" in message
    assert "https://storage.azure.com" in message
    assert_clean(message)


@pytest.mark.parametrize("audience, fine", [
    ("https://storage.azure.com", True),
    ("https://storage.azure.com/", True),
    ("https://qlab1.queue.core.windows.net", True),
    ("https://management.azure.com/", False),
    ("https://qlab1.blob.core.windows.net", False),
    (None, False),
])
def test_audience_problem(audience, fine):
    assert (audience_problem(audience) is None) is fine


def test_audience_for_another_account_is_named():
    assert "not 'qlab2'" in audience_problem("https://qlab1.queue.core.windows.net", "qlab2")


def test_token_claims_refuses_a_non_jwt():
    with pytest.raises(AuthError, match="not a JWT"):
        token_claims("opaque")


def test_access_table_marks_allowed_and_refused():
    assert access_table({"send": None, "peek": "X"}) == "send ✓ · peek ✗"
