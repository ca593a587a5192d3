"""explain(): the sentence for each refusal, made from codes and structured data only.

Every refusal is a real ``HttpResponseError`` from the storage SDK, answered offline by
a scripted transport (see :mod:`.refusals`). The expected sentences are the ones the lab
has always printed; the same refusal whose message is in another language, or worded
differently, gets the same sentence: the diagnosis never reads the service's or the SDK's
English.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.queue import QueueClient, QueueServiceClient

from labsupport.auth import AuthError, explain, explained

from .refusals import (
    AZURE,
    AZURITE,
    MESSAGES,
    NOW,
    SHARED_KEY,
    FixedToken,
    refusal,
    sas,
    token,
)

SOON, PAST = NOW + timedelta(hours=1), NOW - timedelta(minutes=2)
# Azure's detail for a SAS whose signature does not match: a sentence, then the string
# it signed, one field per line.
AZURE_SIGNATURE_DETAIL = ("Signature did not match. String to sign used was p\n\n"
                          "2030-01-15T13:00:00Z\n/queue/acct/orders\n\n\n\n2026-02-06")
ROLE_ADVICE = ("Assign a data role such as 'Storage Queue Data Contributor' (or Message Sender "
               "/ Message Processor) on the queue or account; a new assignment can take up to "
               "30 minutes to apply.")
SIGNATURE = ("A SAS works only for {scope}, only while the key that signed it is unchanged "
             "(regenerating the key revokes it), and only unaltered.")

# name: (status, code, refusal's keyword arguments, explain's keyword arguments, sentence)
CASES = {
    "sas permission": (
        403, "AuthorizationPermissionMismatch", {"credential": sas(sp="a", se=SOON)}, {},
        "403 AuthorizationPermissionMismatch: the SAS allows 'a' but receive needs 'p'. Mint "
        "the SAS with that permission if this client should receive — or keep it refused "
        "(least privilege)."),
    "queue sas cannot clear": (
        403, "AuthorizationPermissionMismatch",
        {"credential": sas(sp="p", se=SOON), "operation": "clear"}, {},
        "403 AuthorizationPermissionMismatch: a queue SAS cannot clear at all; use an account "
        "SAS or Entra ID for that."),
    "account sas permission": (
        403, "AuthorizationPermissionMismatch",
        {"credential": sas(sp="r", se=SOON, ss="q", srt="co"), "operation": "clear"}, {},
        "403 AuthorizationPermissionMismatch: the SAS allows 'r' but clear needs 'd'. Mint the "
        "SAS with that permission if this client should clear — or keep it refused (least "
        "privilege)."),
    "role missing": (
        403, "AuthorizationPermissionMismatch",
        {"credential": FixedToken(token()), "operation": "send"}, {},
        f"403 AuthorizationPermissionMismatch: the identity is signed in, but no role lets it "
        f"send here. {ROLE_ADVICE}"),
    "role missing for a queue operation": (
        403, "AuthorizationPermissionMismatch",
        {"credential": FixedToken(token()), "operation": "create queue"}, {},
        f"403 AuthorizationPermissionMismatch: the identity is signed in, but no role lets it "
        f"PUT orders here. {ROLE_ADVICE}"),
    "shared key permission": (
        403, "AuthorizationPermissionMismatch",
        {"credential": SHARED_KEY, "operation": "peek"}, {},
        "403 AuthorizationPermissionMismatch: this credential may not peek."),
    "resource types": (
        403, "AuthorizationResourceTypeMismatch",
        {"credential": sas(sp="p", se=SOON, ss="q", srt="o"), "operation": "delete"}, {},
        "403 AuthorizationResourceTypeMismatch: the account SAS's resource types 'o' do not "
        "cover delete. Azure needs 'o' (object) for message operations and 'c' (container) "
        "for queue properties; Azurite also wants 'c' for delete, update and clear — mint it "
        "with resource_types='co'."),
    "services": (
        403, "AuthorizationServiceMismatch",
        {"credential": sas(sp="p", se=SOON, ss="b", srt="co")}, {},
        "403 AuthorizationServiceMismatch: the account SAS covers services 'b', not the queue "
        "service: mint it with services='q'."),
    "expired": (
        403, "AuthenticationFailed", {"credential": sas(se=PAST)}, {},
        "403 AuthenticationFailed: the SAS expired at 2030-01-15T11:58:00Z: mint a new one."),
    "expired and not valid yet": (  # the time that stops it now comes first
        403, "AuthenticationFailed",
        {"credential": sas(sp=None, st=NOW + timedelta(minutes=10), se=PAST)}, {},
        "403 AuthenticationFailed: the SAS expired at 2030-01-15T11:58:00Z: mint a new one."),
    "not valid yet": (
        403, "AuthenticationFailed",
        {"credential": sas(st=NOW + timedelta(minutes=10), se=SOON)}, {},
        "403 AuthenticationFailed: the SAS is not valid yet: it starts at 2030-01-15T12:10:00Z, "
        "about 10 minute(s) from now. The clock of the machine that minted it is probably "
        "ahead (clock skew), or `start` was set to the future: leave `start` out (a SAS is "
        "valid as soon as it is made), or set it 15 minutes in the past to absorb clock "
        "differences between machines."),
    "no expiry": (
        403, "AuthenticationFailed", {"credential": sas()}, {},
        "403 AuthenticationFailed: the SAS has no expiry (se=) and no stored access policy "
        "(si=)."),
    "blob-only account sas": (
        403, "AuthenticationFailed", {"credential": sas(se=SOON, ss="b", srt="co")}, {},
        "403 AuthenticationFailed: the SAS is an account SAS for services 'b', without q "
        "(queue): mint it with services='q'."),
    "policy and fields": (
        403, "AuthenticationFailed", {"credential": sas(si="workers", sp="p", se=SOON)}, {},
        "403 AuthenticationFailed: the SAS names stored access policy 'workers' and also sets "
        "its own permissions and expiry. If the policy sets them too, the service refuses the "
        "SAS: set each field in one place only."),
    "policy revoked": (
        403, "AuthenticationFailed",
        {"credential": sas(si="workers", sp=None), "endpoint": AZURITE}, {},
        "403 AuthenticationFailed: the SAS refers to stored access policy 'workers', which "
        "queue 'orders' no longer has (or changed): deleting or changing a policy revokes "
        "every SAS that uses it. Check get_queue_access_policy()."),
    "wrong queue": (
        403, "AuthenticationFailed", {"credential": sas(se=SOON), "queue": "payroll"},
        {"queue": "orders"},
        "403 AuthenticationFailed: this SAS was minted for queue 'orders' but used on queue "
        "'payroll'. A queue SAS is signed for one queue only: mint one for 'payroll' with "
        "generate_queue_sas."),
    "signature on azurite": (
        403, "AuthenticationFailed", {"credential": sas(se=SOON), "endpoint": AZURITE}, {},
        "403 AuthenticationFailed: the SAS signature does not match this request to queue "
        "'orders'. " + SIGNATURE.format(scope="the queue it was signed for")),
    "signature on azure": (
        403, "AuthenticationFailed",
        {"credential": sas(se=SOON), "detail": AZURE_SIGNATURE_DETAIL}, {},
        "403 AuthenticationFailed: the SAS signature does not match this request to queue "
        "'orders'. " + SIGNATURE.format(scope="the queue it was signed for")
        + " Signature did not match."),
    "account sas refused with a detail": (
        403, "AuthenticationFailed",
        {"credential": sas(se=SOON, ss="q", srt="co"),
         "detail": "sp is mandatory. Cannot be empty"}, {},
        "403 AuthenticationFailed: the SAS signature does not match this request to queue "
        "'orders'. " + SIGNATURE.format(scope="the account it names")
        + " sp is mandatory. Cannot be empty"),
    "shared key": (
        403, "AuthenticationFailed", {"credential": SHARED_KEY, "operation": "properties"}, {},
        "403 AuthenticationFailed: the account key does not match: it was regenerated "
        "(rotated) or belongs to another account. Get the current key with list_keys."),
    "audience": (
        401, "InvalidAuthenticationInfo",
        {"credential": FixedToken(token(aud="https://management.azure.com/")),
         "detail": "Audience validation failed. Audience did not match."}, {},
        "401 InvalidAuthenticationInfo: the token's audience is 'https://management.azure.com/"
        "', but Azure Storage only accepts tokens for https://storage.azure.com (or https://"
        "<account>.queue.core.windows.net). Build the client without `audience=` (the SDK "
        "asks for https://storage.azure.com/.default) or with audience="
        "'https://storage.azure.com'."),
    "token expired": (
        403, "AuthenticationFailed",
        {"credential": FixedToken(token(exp=int((NOW - timedelta(minutes=1)).timestamp())))},
        {},
        "403 AuthenticationFailed: the token has expired. Let the credential fetch tokens "
        "(pass DefaultAzureCredential() to the client) instead of a fixed token."),
    "token not valid yet": (
        403, "AuthenticationFailed",
        {"credential": FixedToken(token(nbf=int((NOW + timedelta(minutes=30)).timestamp())))},
        {},
        "403 AuthenticationFailed: the token is not valid yet — this machine's clock and the "
        "token issuer's disagree (clock skew); fix the clock."),
    "token refused": (
        403, "AuthenticationFailed",
        {"credential": FixedToken(token()), "detail": "Issuer validation failed."}, {},
        "403 AuthenticationFailed: the token was refused. Issuer validation failed."),
    "not a jwt": (
        403, "AuthenticationFailed",
        {"credential": FixedToken("opaque-token"), "detail": "The token is malformed."}, {},
        "403 AuthenticationFailed: the bearer token is not a JWT. The token is malformed."),
}


def explained_case(name: str, language: str = "en") -> str:
    status, code, made, asked, _ = CASES[name]
    error = refusal(status, code, language=language, **made)
    assert (error.status_code, error.error_code) == (status, code)  # the script was followed
    return explain(error, now=NOW, **asked)


@pytest.mark.parametrize("name", CASES)
def test_each_refusal_gets_its_sentence(name):
    assert explained_case(name) == CASES[name][-1]


@pytest.mark.parametrize("language", [lang for lang in MESSAGES if lang != "en"])
@pytest.mark.parametrize("name", CASES)
def test_the_sentence_does_not_depend_on_the_services_words(name, language):
    assert explained_case(name, language) == CASES[name][-1]


def test_an_unknown_code_shows_the_services_own_words():
    """Nothing to diagnose: the status, the code and the first line of the message."""
    for language, message in MESSAGES.items():
        error = refusal(404, "QueueNotFound", credential=FixedToken(token()),
                        operation="properties", language=language)
        assert explain(error, now=NOW) == f"404 QueueNotFound: {message}"


def test_an_error_without_a_request_says_what_it_has():
    error = HttpResponseError("Forbidden")
    error.status_code, error.error_code = 403, "AuthenticationFailed"
    assert explain(error, now=NOW) == "403 AuthenticationFailed: Forbidden"


def test_an_error_that_is_not_the_services_is_named():
    assert explain(KeyError("x"), now=NOW) == "KeyError: 'x'"


def test_a_key_that_is_not_base64_is_explained():
    client = QueueClient(AZURE, "orders",
                         credential={"account_name": "acct", "account_key": "abc"})
    with pytest.raises(HttpResponseError) as caught:
        client.peek_messages()
    assert explain(caught.value, now=NOW) == (
        "The account key could not sign the request: it is not valid base64. Copy the whole "
        "key (88 characters ending in '==') from list_keys or the portal.")


CONNECTION_STRING_ADVICE = ("Check it with labsupport.auth.check_connection_string(...) to "
                            "see which part is wrong.")


@pytest.mark.parametrize("make", [
    lambda text: QueueClient.from_connection_string(text, "orders"),
    lambda text: QueueServiceClient.from_connection_string(text),
])
@pytest.mark.parametrize("text", ["AccountName=a;justtext", "hello", "AccountName=a"])
def test_the_sdks_connection_string_errors_are_explained(make, text):
    with pytest.raises(ValueError) as caught:
        make(text)
    assert explain(caught.value, now=NOW) == (
        f"The connection string was refused by the SDK ({caught.value}) "
        f"{CONNECTION_STRING_ADVICE}")


def test_a_connection_string_error_in_other_words_is_still_one(monkeypatch):
    import azure.storage.queue._queue_client as sdk

    def parse(*args, **kwargs):
        raise ValueError("Verbindungszeichenfolge ist ungültig.")

    monkeypatch.setattr(sdk, "parse_connection_str", parse)
    with pytest.raises(ValueError) as caught:
        QueueClient.from_connection_string("AccountName=a", "orders")
    assert explain(caught.value, now=NOW) == (
        f"The connection string was refused by the SDK (Verbindungszeichenfolge ist "
        f"ungültig.) {CONNECTION_STRING_ADVICE}")
    with pytest.raises(AuthError, match="check_connection_string"), explained():
        QueueClient.from_connection_string("AccountName=a", "orders")


def test_other_value_errors_pass_through_explained_untouched():
    with pytest.raises(ValueError, match="^not about credentials$"), explained():
        raise ValueError("not about credentials")
