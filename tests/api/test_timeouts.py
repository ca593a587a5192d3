"""Every call to storage is bounded: a request never waits minutes for a storage service
that is down, hangs, or keeps failing (the SDK's defaults made that 77–88 s).

The stand-in storage services below count what reaches them, so the tests judge what the
service did (how many attempts) rather than how fast the machine is; only the closed-port
case, which takes milliseconds once bounded, checks the 2-second promise of ``/healthz``.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from labsupport.api import QueueClientSettings, create_app
from labsupport.api.routes import HEALTH_TIMEOUT
from labsupport.ports import free_port

from .conftest import TestClient
from .test_errors import assert_error


class StandInStorage:
    """A TCP server on a free port: ``silent`` accepts and never answers, ``failing``
    answers every request with HTTP 500. ``attempts`` counts requests (silent: connections)."""

    def __init__(self, mode: str) -> None:
        self.mode, self.attempts, self.held = mode, 0, []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:  # closed
                return
            if self.mode == "silent":
                self.attempts += 1
                self.held.append(connection)
                continue
            threading.Thread(target=self._fail, args=(connection,), daemon=True).start()

    def _fail(self, connection: socket.socket) -> None:
        with connection:
            data = b""
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                data += chunk
                while b"\r\n\r\n" in data:  # one request (these carry no body)
                    _, data = data.split(b"\r\n\r\n", 1)
                    self.attempts += 1
                    connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\n"
                                       b"Content-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


STAND_IN_SAS = "sv=2026-02-06&ss=q&srt=sco&sp=rwdlaup&" + "sig=" + "c3RhbmQtaW4="


@pytest.fixture
def stand_in(request):
    storage = StandInStorage(request.param)
    yield storage
    storage.close()


def app_on(url: str, lab) -> TestClient:
    # A SAS, not a token: the stand-ins speak plain HTTP, where bearer tokens are refused.
    settings = QueueClientSettings(account_url=f"{url}/{lab.account_name}", queue_name="bounded",
                             credential=STAND_IN_SAS)
    return TestClient(create_app(settings, create_queue=False), raise_server_exceptions=False)


def test_health_and_queue_answer_within_2_seconds_when_storage_is_down(lab):
    """Nothing listens (Azurite killed): the default settings answer 503 at once."""
    with app_on(f"http://127.0.0.1:{free_port()}", lab) as client:
        started = time.monotonic()
        health = client.get("/healthz")
        health_took = time.monotonic() - started
        started = time.monotonic()
        queue = client.get("/queue")
        queue_took = time.monotonic() - started
    assert_error(health, 503, "storage_unavailable")
    assert_error(queue, 503, "storage_unavailable")
    assert health_took <= 2.0 and queue_took <= 2.0, (health_took, queue_took)


@pytest.mark.parametrize("stand_in", ["silent"], indirect=True)
def test_storage_that_never_answers_gets_one_retry_then_503(lab, stand_in):
    with app_on(f"http://127.0.0.1:{stand_in.port}", lab) as client:
        health = client.get("/healthz")
        after_health = stand_in.attempts
        queue = client.get("/queue")
    body = assert_error(health, 503, "storage_unavailable")
    assert f"did not answer within {HEALTH_TIMEOUT} s" in body["detail"]
    assert after_health == 1, "/healthz does not retry"
    assert_error(queue, 503, "storage_unavailable")
    assert stand_in.attempts - after_health == 2, "one attempt and one retry"


@pytest.mark.parametrize("stand_in", ["failing"], indirect=True)
def test_storage_that_keeps_failing_gets_one_retry_then_503(lab, stand_in):
    """Azurite with a message it cannot serialize answers 500 to every read of the queue."""
    with app_on(f"http://127.0.0.1:{stand_in.port}", lab) as client:
        answer = client.get("/queue/messages/peek")
    assert_error(answer, 503, "storage_unavailable")
    assert answer.headers["retry-after"] == "5"
    assert stand_in.attempts == 2, "one attempt and one retry"
