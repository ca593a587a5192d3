"""Check for 03: receive a batch in one request of the counted client, then delete each message.

The check reads the counted client's wire log, so each test does what a learner would do
with the notebook's `queue` and `counted` clients.
"""

from __future__ import annotations

import pytest
from azure.storage.queue import QueueClient

from labsupport.checks.messages import check_receive_batch
from labsupport.wire import RequestCounter


@pytest.fixture
def counted(lab, queue):
    """The notebook's set-up: five messages, and a counted client on the same queue."""
    for n in range(1, 6):
        queue.send_message(f"task-{n}")
    counter = RequestCounter()
    client = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential,
                         raw_response_hook=counter)
    return client, counter


def check(received, counter):
    return check_receive_batch(received, expected=5, log=counter)


# --- right: the notebook's solution, and a different one --------------------------------------

def test_the_solution_passes(queue, counted, capsys):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5, messages_per_page=5))
    for message in received:
        client.delete_message(message)
    assert check(received, counter)
    assert capsys.readouterr().out == "✅ 5 messages received in 1 request and deleted.\n"
    assert queue.get_queue_properties().approximate_message_count == 0


def test_a_different_right_solution_deletes_by_id_while_it_iterates_one_page(counted):
    client, counter = counted
    received = []
    page = next(client.receive_messages(max_messages=5, messages_per_page=5).by_page())
    for message in page:
        received.append(message)
        client.delete_message(message.id, message.pop_receipt)
    result = check(received, counter)
    assert result, result.problems


def test_a_different_right_solution_stops_reading_the_pager_after_five(counted):
    """No max_messages, but the loop stops after the first page: one request, as asked."""
    client, counter = counted
    received = []
    for message in client.receive_messages(messages_per_page=5, visibility_timeout=60):
        received.append(message)
        if len(received) == 5:
            break
    for message in reversed(received):
        client.delete_message(message.id, message.pop_receipt)
    result = check(received, counter)
    assert result, result.problems
    assert counter.total == 6  # 1 receive + 5 deletes: the pager never asked again


# --- wrong: what used to pass, and the usual mistakes ------------------------------------------

def test_a_pager_read_to_the_end_without_max_messages_is_rejected(counted):
    """Used to pass: all five came in one response, but the pager asked a second time."""
    client, counter = counted
    received = list(client.receive_messages(messages_per_page=5))
    for message in received:
        client.delete_message(message)
    assert check(received, counter).problems == [
        "`counted` made 2 receive requests (1 answered with no message); the exercise asks for "
        "one: pass max_messages=5 as well as messages_per_page=5 (without max_messages the "
        "pager asks again until a page comes back empty), and re-run the cell that sends the "
        "messages (it resets the count) before yours"]


def test_five_peeked_messages_and_clear_messages_are_rejected(queue, counted):
    _, counter = counted
    received = list(queue.peek_messages(max_messages=5))
    queue.clear_messages()
    assert check(received, counter).problems == [
        "`counted` made no receive request: these messages came through another client, so "
        "the check cannot see how you received them — receive with counted.receive_messages(...)",
        "5 received message(s) not deleted through `counted`: delete each one with "
        "counted.delete_message(message) (its pop receipt proves your lease)"]


def test_receiving_through_the_uncounted_client_says_so_instead_of_counting_zero(queue, counted):
    _, counter = counted
    received = list(queue.receive_messages(max_messages=5, messages_per_page=5))
    for message in received:
        queue.delete_message(message)
    problems = check(received, counter).problems
    assert problems[0].startswith("`counted` made no receive request: these messages came "
                                  "through another client")
    assert "0 request" not in " ".join(problems)


def test_clearing_instead_of_deleting_each_message_is_named(counted):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5, messages_per_page=5))
    client.clear_messages()
    assert check(received, counter).problems == [
        "clear_messages() deletes the whole queue, not the 5 message(s) you processed: delete "
        "each one with counted.delete_message(message)"]


def test_a_receive_without_messages_per_page_is_told_to_add_it(counted):
    client, counter = counted
    received = list(client.receive_messages(max_messages=5))
    for message in received:
        client.delete_message(message)
    assert check(received, counter).problems == [
        "the messages came in 5 receive requests; one is enough (pass messages_per_page=5 as "
        "well as max_messages)"]


def test_messages_mixed_from_another_client_are_named(queue, counted):
    client, counter = counted
    received = list(client.receive_messages(max_messages=3, messages_per_page=3))
    received += list(queue.receive_messages(max_messages=2, messages_per_page=2))
    for message in received:
        client.delete_message(message)
    assert check(received, counter).problems == [
        "2 of the messages in `received` did not come from a receive of `counted`: receive "
        "them all with counted.receive_messages(...)"]


def test_the_unread_pager_is_refused_without_reading_it(counted):
    client, counter = counted
    pager = client.receive_messages(max_messages=5, messages_per_page=5)
    assert check(pager, counter).problems[0].startswith("keep the messages in a list")
    assert counter.total == 0, "the check must not receive on the learner's behalf"


def test_nothing_done_yet_says_what_to_do(counted):
    _, counter = counted
    assert check([], counter).problems == [
        "nothing received yet: call counted.receive_messages(...) and keep the messages in "
        "`received`"]
