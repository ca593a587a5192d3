"""Check for 03: receive a batch in one request, then delete every message."""

from __future__ import annotations

import pytest
from azure.storage.queue import QueueClient

from labsupport.checks.messages import check_receive_batch
from labsupport.trace import RequestCounter


@pytest.fixture
def counted(lab, queue):
    """The notebook's set-up: five messages, and a counted client on the same queue."""
    for n in range(1, 6):
        queue.send_message(f"task-{n}")
    counter = RequestCounter()
    client = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                         raw_response_hook=counter)
    return client, counter


def test_the_solution_passes(queue, counted, capsys):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5, messages_per_page=5))
    for message in received:
        queue.delete_message(message)
    assert check_receive_batch(received, queue, expected=5, requests=counter)
    assert capsys.readouterr().out == "✅ 5 messages received in 1 request and deleted.\n"


def test_deleting_through_the_counted_client_is_not_counted_as_receiving(queue, counted):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5, messages_per_page=5))
    for message in received:
        client.delete_message(message)
    result = check_receive_batch(received, queue, expected=5, requests=counter)
    assert result, result.problems


def test_a_receive_without_messages_per_page_is_told_to_add_it(queue, counted):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5))
    for message in received:
        client.delete_message(message)
    assert check_receive_batch(received, queue, expected=5, requests=counter).problems == [
        "the receive made 5 requests; one is enough (pass messages_per_page=5 as well)"]


def test_nothing_done_yet_says_what_to_do(queue, counted):
    _, counter = counted
    assert check_receive_batch([], queue, expected=5, requests=counter).problems == [
        "nothing received yet: call receive_messages on the `counted` client and keep the "
        "messages in `received`",
        "5 message(s) still in the queue: delete each message you received with "
        "queue.delete_message(message)"]
