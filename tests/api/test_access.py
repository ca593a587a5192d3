"""The queue API answers only its owner: requests without its bearer token get 401.

The app in this process (TestClient) shows the rule and that a refused request changes
nothing; the real process (``python -m labsupport api`` through ``start_service``) shows
the token handed over, kept 0600 in the state folder while it runs, and removed at the end.
"""

from __future__ import annotations

import stat
import warnings

import httpx
import pytest

from labsupport.api import create_app, start_service
from labsupport.api.access import OPEN_PATHS, read_token, token_path, write_token
from labsupport.errors import ConfigError
from labsupport.redact import looks_secret

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "the-owners-token"


@pytest.fixture
def guarded(settings):
    with TestClient(create_app(settings, access_token=TOKEN),
                    raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Bearer {TOKEN}x",
                                           TOKEN, f"Basic {TOKEN}", "Bearer ", f" {TOKEN}"])
def test_a_request_without_the_token_is_refused_and_changes_nothing(
        guarded, sync_queue, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    attempts = [guarded.post("/queue/messages", json={"planted": True}, headers=headers),
                guarded.get("/queue/messages/peek", headers=headers),
                guarded.get("/queue/messages", headers=headers),
                guarded.delete("/queue/messages", headers=headers),
                guarded.get("/queue", headers=headers),
                guarded.get("/healthz", headers=headers)]
    for answer in attempts:
        assert answer.status_code == 401, (answer.request.url.path, answer.status_code)
        assert answer.json()["error"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert TOKEN not in answer.text and not looks_secret(answer.text)
    assert sync_queue.peek_messages(max_messages=32) == [], "a refused send stored nothing"


def test_the_owner_is_answered(guarded, sync_queue):
    owner = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/healthz", headers=owner).status_code == 200
    assert guarded.get("/healthz", headers={"Authorization": f"bearer {TOKEN}"}).status_code \
        == 200, "the scheme is case-insensitive"
    assert guarded.post("/queue/messages", json={"n": 1}, headers=owner).status_code == 201
    assert [m.content for m in sync_queue.peek_messages()] == ['{"n":1}']


def test_the_description_stays_open(guarded):
    assert guarded.get("/openapi.json").status_code == 200
    assert guarded.get("/docs").status_code == 200
    assert "/docs" in OPEN_PATHS and "/healthz" not in OPEN_PATHS


def test_an_empty_token_is_refused_when_the_app_is_built(settings):
    with pytest.raises(ValueError, match="non-empty access token"):
        TestClient(create_app(settings, access_token=""))


def test_the_token_file_is_private_and_a_missing_one_says_how_to_start(tmp_path):
    path = write_token(tmp_path, 8123, "t1")
    assert path == token_path(tmp_path, 8123)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_token(tmp_path, 8123) == "t1"
    write_token(tmp_path, 8123, "t2")  # a new start replaces a token left behind
    assert read_token(tmp_path, 8123) == "t2"
    with pytest.raises(ConfigError, match=r"python -m labsupport api --port 8124"):
        read_token(tmp_path, 8124)


def test_the_served_process_answers_only_its_token(lab):
    service = start_service(lab, lab.new_queue_name("api-access"), timeout=120)
    try:
        path = service.token_path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert read_token(lab.config.state_dir, service.port) == service.token
        anyone = httpx.get(f"{service.url}/queue/messages/peek", timeout=30)
        assert (anyone.status_code, anyone.json()["error"]) == (401, "unauthorized")
        wrong = httpx.get(f"{service.url}/queue", timeout=30,
                          headers={"Authorization": "Bearer guessed"})
        assert wrong.status_code == 401
        owner = httpx.get(f"{service.url}/queue", headers=service.headers, timeout=30)
        assert owner.status_code == 200
        assert httpx.get(f"{service.url}/openapi.json", timeout=30).status_code == 200
    finally:
        service.stop()
        from azure.storage.queue import QueueServiceClient

        QueueServiceClient(lab.account_url, credential=lab.credential).delete_queue(
            service.queue_name)
    assert not path.exists(), "the token file goes with the service"
    assert service.token not in service.log_path.read_text()
