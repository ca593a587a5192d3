"""Every route against the local cloud, in-process (the app's lifespan runs for real)."""

from __future__ import annotations

from labsupport.wire import RequestCounter


def send(client, content, **params):
    answer = client.post("/queue/messages", json=content, params=params)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_healthz_answers_ok_with_the_queue_name(client, queue_name):
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "queue": queue_name})


def test_start_up_creates_the_queue_and_get_queue_describes_it(client, queue_name):
    answer = client.get("/queue")
    assert answer.status_code == 200
    assert answer.json() == {"name": queue_name, "approximate_message_count": 0,
                             "metadata": {"created-by": "queue-api"}}


def test_send_returns_201_with_id_times_and_pop_receipt(client, sync_queue):
    body = send(client, {"order": 1, "items": ["book"]})
    assert set(body) == {"id", "inserted_on", "expires_on", "next_visible_on", "pop_receipt"}
    stored = sync_queue.peek_messages(max_messages=1)[0]
    assert (stored.id, stored.content) == (body["id"], '{"order":1,"items":["book"]}')


def test_send_honours_visibility_timeout_and_time_to_live(client, sync_queue):
    body = send(client, {"later": True}, visibility_timeout=60, time_to_live=120)
    assert body["next_visible_on"] > body["inserted_on"]
    assert sync_queue.peek_messages(max_messages=32) == []  # delayed: nobody sees it yet


def test_send_with_time_to_live_minus_one_never_expires(client):
    body = send(client, {"forever": True}, time_to_live=-1)
    assert body["expires_on"].startswith("9999-12-31")


def test_peek_shows_content_without_leasing(client):
    for n in range(3):
        send(client, {"n": n})
    answer = client.get("/queue/messages/peek", params={"max_messages": 32})
    assert answer.status_code == 200
    peeked = answer.json()
    assert sorted(m["content"]["n"] for m in peeked) == [0, 1, 2]
    assert {m["dequeue_count"] for m in peeked} == {0}
    assert all("pop_receipt" not in m for m in peeked)


def test_receive_leases_up_to_max_messages_with_pop_receipts(client, sync_queue):
    for n in range(5):
        send(client, {"n": n})
    answer = client.get("/queue/messages", params={"max_messages": 3, "visibility_timeout": 60})
    assert answer.status_code == 200
    received = answer.json()
    assert len(received) == 3
    assert {m["dequeue_count"] for m in received} == {1}
    assert all(m["pop_receipt"] and m["next_visible_on"] for m in received)
    assert len(sync_queue.peek_messages(max_messages=32)) == 2  # the 3 leased are hidden


def test_receive_on_an_empty_queue_returns_an_empty_list(client):
    answer = client.get("/queue/messages")
    assert (answer.status_code, answer.json()) == (200, [])


def test_receive_page_makes_one_request_even_when_fewer_are_visible(lab, queue_name, client):
    """The route reads only the first page: max_messages alone (or iterating the pager)
    would cost one request per message, or an extra empty request."""
    import asyncio

    from azure.storage.queue.aio import QueueClient

    from labsupport.api.routes import receive_page

    for n in range(3):
        send(client, {"n": n})

    async def lease(counter):
        async with lab.async_credential() as credential, QueueClient(
                lab.account_url, queue_name, credential=credential,
                raw_response_hook=counter) as queue:
            return await receive_page(queue, 10, 60)

    counter = RequestCounter()
    assert len(asyncio.run(lease(counter))) == 3
    assert counter.total == 1


def test_update_changes_content_and_returns_a_new_pop_receipt(client, sync_queue):
    send(client, {"order": 7})
    leased = client.get("/queue/messages", params={"visibility_timeout": 60}).json()[0]
    answer = client.put(f"/queue/messages/{leased['id']}", json={
        "pop_receipt": leased["pop_receipt"], "content": {"order": 7, "paid": True},
        "visibility_timeout": 0})
    assert answer.status_code == 200, answer.text
    updated = answer.json()
    assert updated["id"] == leased["id"]
    assert updated["pop_receipt"] != leased["pop_receipt"]
    assert sync_queue.peek_messages()[0].content == '{"order":7,"paid":true}'


def test_update_without_content_keeps_it_and_extends_the_lease(client, sync_queue):
    send(client, {"order": 8})
    leased = client.get("/queue/messages", params={"visibility_timeout": 60}).json()[0]
    answer = client.put(f"/queue/messages/{leased['id']}", json={
        "pop_receipt": leased["pop_receipt"], "visibility_timeout": 120})
    assert answer.status_code == 200
    assert answer.json()["next_visible_on"] > leased["next_visible_on"]
    assert sync_queue.peek_messages() == []  # still hidden
    again = client.put(f"/queue/messages/{leased['id']}", json={
        "pop_receipt": answer.json()["pop_receipt"], "visibility_timeout": 0})
    assert again.status_code == 200
    assert sync_queue.peek_messages()[0].content == '{"order":8}'


def test_delete_with_the_current_pop_receipt_removes_the_message(client, sync_queue):
    send(client, {"order": 9})
    leased = client.get("/queue/messages").json()[0]
    answer = client.delete(f"/queue/messages/{leased['id']}",
                           params={"pop_receipt": leased["pop_receipt"]})
    assert (answer.status_code, answer.content) == (204, b"")
    assert sync_queue.get_queue_properties().approximate_message_count == 0


def test_delete_repairs_a_pop_receipt_whose_plus_was_not_url_encoded(client):
    """Azure's pop receipts are base64 and may hold '+'; sent unencoded it arrives as a space.
    (Azurite's receipts rarely hold one, so a stand-in queue records what the SDK would get.)"""

    class Recorder:
        async def delete_message(self, message_id, pop_receipt):
            self.got = (message_id, pop_receipt)

    recorder = Recorder()
    real, client.app.state.queue = client.app.state.queue, recorder
    try:
        answer = client.delete("/queue/messages/0f8fad5b-d9cb-469f-a165-70867728950e"
                               "?pop_receipt=AgAAAAMAAAAAAAAAIWY+9Hl91QE=")
    finally:
        client.app.state.queue = real
    assert answer.status_code == 204
    assert recorder.got == ("0f8fad5b-d9cb-469f-a165-70867728950e",
                            "AgAAAAMAAAAAAAAAIWY+9Hl91QE=")


def test_pop_returns_one_message_and_deletes_it(client, sync_queue):
    send(client, {"only": 1})
    answer = client.get("/queue/messages/pop")
    assert answer.status_code == 200
    popped = answer.json()
    assert (popped["content"], popped["dequeue_count"]) == ({"only": 1}, 1)
    assert sync_queue.get_queue_properties().approximate_message_count == 0


def test_pop_on_an_empty_queue_answers_204_without_body(client):
    answer = client.get("/queue/messages/pop")
    assert (answer.status_code, answer.content) == (204, b"")


def test_clear_deletes_every_message_leased_or_not(client, sync_queue):
    for n in range(4):
        send(client, {"n": n})
    client.get("/queue/messages", params={"max_messages": 2, "visibility_timeout": 60})
    answer = client.delete("/queue/messages")
    assert (answer.status_code, answer.content) == (204, b"")
    assert sync_queue.get_queue_properties().approximate_message_count == 0


def test_content_that_is_not_json_comes_back_as_text(client, sync_queue):
    sync_queue.send_message("plain text from another producer")
    answer = client.get("/queue/messages/peek")
    assert answer.json()[0]["content"] == "plain text from another producer"


def test_a_typed_message_model_validates_what_is_sent(settings):
    from pydantic import BaseModel

    from labsupport.api import create_app

    from .conftest import TestClient

    class Order(BaseModel):
        order: int
        item: str

    with TestClient(create_app(settings, message_model=Order)) as typed:
        good = typed.post("/queue/messages", json={"order": 1, "item": "book"})
        bad = typed.post("/queue/messages", json={"order": "one"})
        peeked = typed.get("/queue/messages/peek").json()
    assert good.status_code == 201
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"body.order", "body.item"}
    assert [m["content"] for m in peeked] == [{"order": 1, "item": "book"}]
