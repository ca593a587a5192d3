"""redact() and mask(): secrets never survive into text a learner or a log sees."""

from __future__ import annotations

import base64

from labsupport.redact import AZURITE_DEV_KEY, Secret, looks_secret, mask, redact

KEY = base64.b64encode(bytes(range(64))).decode()


def test_connection_string_key_is_masked():
    text = f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={KEY};QueueEndpoint=x"
    assert KEY not in redact(text)
    assert "AccountKey=***;" in redact(text)


def test_bare_key_and_azurite_dev_key_are_masked():
    assert KEY not in redact(f"key: {KEY}")
    assert AZURITE_DEV_KEY not in redact(f"the dev key is {AZURITE_DEV_KEY}")


def test_sas_signature_is_masked_but_permissions_stay_readable():
    url = "https://a.queue.core.windows.net/q?sv=2021-08-06&sp=ap&se=2030-01-01&sig=abc%2Bdef%3D123456"
    cleaned = redact(url)
    assert "abc%2Bdef" not in cleaned
    assert "sp=ap" in cleaned and "sig=***" in cleaned


def test_jwt_and_authorization_header_are_masked():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJl"
    assert token not in redact(f"token={token}")
    assert "Bearer ***" in redact("Authorization: Bearer abc.def.ghi")
    assert "SharedKey ***" in redact("Authorization: SharedKey acct:c2lnbmF0dXJl")


def test_plain_text_is_untouched():
    text = "send-peek-receive-3fa2c1 has 3 messages; sig is short for signature"
    assert redact(text) == text and not looks_secret(text)


def test_mask_keeps_only_a_prefix_and_the_length():
    assert mask(KEY) == f"{KEY[:4]}…(88 chars)"


def test_secret_hides_in_repr_but_still_works_as_the_string():
    secret = Secret(KEY)
    assert KEY not in repr(secret) and KEY not in repr([secret]) and KEY not in repr({"k": secret})
    assert secret == KEY and base64.b64decode(secret) == bytes(range(64))


def test_mask_can_keep_nothing_but_the_length():
    assert mask(KEY, keep=0) == "…(88 chars)"


def test_describe_connection_string_shows_parts_but_not_the_key():
    from labsupport.redact import describe_connection_string

    text = describe_connection_string(
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={KEY};"
        "QueueEndpoint=https://127.0.0.1:1/acct;"
    )
    assert KEY not in text and KEY[:8] not in text
    assert text.splitlines() == [
        "DefaultEndpointsProtocol  https",
        "AccountName               acct",
        "AccountKey                …(88 chars, hidden)",
        "QueueEndpoint             https://127.0.0.1:1/acct",
    ]
