"""The routes are plain module-level functions; the queue client reaches them through one
FastAPI dependency (``routes.queue_client``), so a test can hand them any queue."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from labsupport.api import QueueClientSettings, create_app, routes
from labsupport.api.routes import build_router

from .conftest import TestClient

ROUTES = {routes.healthz, routes.get_queue, routes.send_message, routes.peek_messages,
          routes.receive_messages, routes.pop_message, routes.update_message,
          routes.delete_message, routes.clear_messages}
SETTINGS = QueueClientSettings(account_url="https://127.0.0.1/unused", queue_name="queue-api")


def test_every_route_is_a_module_level_function():
    assert {route.endpoint for route in build_router().routes} == ROUTES


def test_a_typed_send_is_the_same_function_with_a_typed_body():
    class Order(BaseModel):
        order: int

    endpoints = {route.endpoint for route in build_router(Order).routes}
    (typed,) = endpoints - ROUTES
    assert typed.__wrapped__ is routes.send_message and typed.__name__ == "send_message"
    assert endpoints - {typed} == ROUTES - {routes.send_message}


class Properties:
    approximate_message_count, metadata = 3, {"team": "orders"}


class Sent:
    id, pop_receipt = "0f8fad5b-d9cb-469f-a165-70867728950e", "AgAAAAMAAAAAAAAAIWY/9Hl91QE="
    inserted_on = expires_on = next_visible_on = datetime(2030, 1, 1, tzinfo=UTC)


class FakeQueue:
    """Stands in for the app's QueueClient: answers and remembers what it was asked."""

    queue_name = "fake"

    def __init__(self):
        self.sent: list[tuple] = []

    async def get_queue_properties(self, **kwargs):
        return Properties()

    async def send_message(self, text, **kwargs):
        self.sent.append((text, kwargs))
        return Sent()


def test_the_queue_dependency_is_the_one_way_in():
    app = create_app(SETTINGS, create_queue=False)
    fake = FakeQueue()
    app.dependency_overrides[routes.queue_client] = lambda: fake
    with TestClient(app) as client:
        health = client.get("/healthz")
        queue = client.get("/queue")
        sent = client.post("/queue/messages?visibility_timeout=5", json={"order": 1})
    assert health.json() == {"status": "ok", "queue": "fake"}
    assert queue.json() == {"name": "fake", "approximate_message_count": 3,
                            "metadata": {"team": "orders"}}
    assert sent.status_code == 201 and sent.json()["id"] == Sent.id
    assert fake.sent == [('{"order":1}', {"visibility_timeout": 5, "time_to_live": None})]
