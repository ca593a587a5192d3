"""Data roles: the lab gives the signed-in identity its data roles, once, and says clearly
what to ask for when it may not; on Azure it waits until the roles apply."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from offline_http import in_turn, scripted_transport

from labsupport import provision
from labsupport.errors import LabError
from labsupport.provision import LAB_DATA_ROLES, ROLE_IDS, Principal


class TokenOf:
    """A credential whose token carries the given claims (unsigned: only read, never used)."""

    def __init__(self, token: str):
        self.token = token

    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


def token(**claims) -> str:
    return jwt.encode(claims, "not-a-secret-just-a-test-key-of-32b", algorithm="HS256")


def test_the_principal_comes_from_the_tokens_oid_and_idtyp():
    assert provision.signed_in_principal(TokenOf(token(oid="u-1", idtyp="user"))) == (
        Principal("u-1", "User"))
    assert provision.signed_in_principal(TokenOf(token(oid="a-1", idtyp="app"))) == (
        Principal("a-1", "ServicePrincipal"))


@pytest.mark.parametrize("credential, says", [
    (TokenOf(token(sub="someone")), "no object id"),
    (TokenOf("not a token"), "cannot be read"),
], ids=["no-oid", "garbage"])
def test_a_token_without_a_principal_is_one_sentence(credential, says):
    with pytest.raises(LabError, match=says):
        provision.signed_in_principal(credential)


@pytest.fixture
def authorization(lab):
    return provision.authorization_client(lab.credential, lab.subscription_id,
                                          lab.management_url)


@pytest.fixture
def account_scope(lab):
    return (f"/subscriptions/{lab.subscription_id}/resourceGroups/{lab.resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/{lab.account_name}")


@pytest.fixture
def stranger(authorization, account_scope):
    """A principal with no roles yet; its assignments are removed afterwards."""
    principal = Principal(str(uuid.uuid4()), "User")
    yield principal
    for assignment in authorization.role_assignments.list_for_scope(
            account_scope, filter=f"principalId eq '{principal.object_id}'"):
        authorization.role_assignments.delete_by_id(assignment.id)


def test_roles_are_assigned_once(lab, authorization, account_scope, stranger):
    first = provision.ensure_role_assignments(authorization, lab.subscription_id,
                                              account_scope, stranger)
    again = provision.ensure_role_assignments(authorization, lab.subscription_id,
                                              account_scope, stranger)
    assert (first, again) == (list(LAB_DATA_ROLES), [])
    assert provision.assigned_roles(authorization, account_scope, stranger.object_id) == {
        ROLE_IDS[role] for role in LAB_DATA_ROLES}


def test_a_role_assigned_under_another_name_counts_as_in_place(
        lab, authorization, account_scope, stranger, monkeypatch):
    role = "Storage Queue Data Contributor"
    authorization.role_assignments.create(account_scope, str(uuid.uuid4()),
                                          RoleAssignmentCreateParameters(
        role_definition_id=provision.role_definition_id(lab.subscription_id, role),
        principal_id=stranger.object_id, principal_type="User"))
    monkeypatch.setattr(provision, "assigned_roles", lambda *args: set())  # a stale listing
    assert provision.ensure_role_assignments(authorization, lab.subscription_id, account_scope,
                                             stranger, roles=(role,)) == []


def test_a_role_the_lab_does_not_know_is_named():
    with pytest.raises(LabError, match="is not one of the lab's roles"):
        provision.role_definition_id("sub", "Storage Queue Data Owner")


# --- offline: what Azure answers someone who may not assign roles -------------------------

def test_no_right_to_assign_roles_says_what_to_ask_for():
    forbidden = (b'{"error": {"code": "AuthorizationFailed", "message": "The client does not '
                 b'have authorization to perform action Microsoft.Authorization/'
                 b'roleAssignments/write."}}')
    answers = {"GET": (200, b'{"value": []}'), "PUT": (403, forbidden)}
    json = {"Content-Type": "application/json"}
    transport, adapter = scripted_transport(
        lambda request: (*answers[request.method], json))
    authorization = AuthorizationManagementClient(TokenOf("t"), "sub", transport=transport)
    scope = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct"
    with pytest.raises(LabError) as refused:
        provision.ensure_role_assignments(authorization, "sub", scope, Principal("u", "User"))
    message = str(refused.value)
    assert message.startswith("You may not assign roles on acct (403 AuthorizationFailed).")
    assert "Storage Queue Data Contributor and Storage Blob Data Contributor" in message
    assert "owner" in message and [r.method for r in adapter.sent] == ["GET", "PUT"]


def scripted_probe(*statuses):
    """A transport answering the probe's Get Queue Properties with these statuses in turn."""
    codes = {403: "AuthorizationPermissionMismatch", 404: "QueueNotFound"}

    def answer(status):
        body = (f"<?xml version='1.0'?><Error><Code>{codes[status]}</Code>"
                f"<Message>m</Message></Error>").encode()
        return status, body, {"Content-Type": "application/xml", "x-ms-error-code": codes[status]}

    return scripted_transport(in_turn(*(answer(status) for status in statuses)))


def test_waiting_for_roles_ends_when_the_service_stops_refusing():
    transport, probe = scripted_probe(403, 403, 404)
    provision.wait_for_data_access("https://acct.queue.core.windows.net", TokenOf("t"),
                                   timeout=30, interval=0.01, transport=transport)
    assert len(probe.sent) == 3


def test_roles_that_never_apply_are_one_sentence():
    transport, _ = scripted_probe(403)
    with pytest.raises(LabError, match="can take up to 30. Run the cell again"):
        provision.wait_for_data_access("https://acct.queue.core.windows.net", TokenOf("t"),
                                       timeout=0.2, interval=0.01, transport=transport)
