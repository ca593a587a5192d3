"""Fidelity: every delivery behaviour notebooks 04–07 teach, proven against Azurite.

Where Azurite differs from Azure the test pins what Azurite does (and says so); the
notebooks carry the matching "Azurite vs Azure" callout.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from azure.core.exceptions import HttpResponseError

from labsupport.patterns.leases import error_code, is_stale_lease
from labsupport.waits import wait_for, wait_until_expired, wait_until_gone, wait_until_visible

SEVEN_DAYS = 7 * 24 * 3600


def failure(call) -> tuple[int, str]:
    """(status, error code) of a call that must fail."""
    with pytest.raises(HttpResponseError) as caught:
        call()
    return caught.value.status_code, error_code(caught.value)


def count(queue) -> int:
    return queue.get_queue_properties().approximate_message_count


# --- 04 · visibility timeout -------------------------------------------------------------

def test_a_received_message_is_hidden_but_still_counted(queue):
    queue.send_message("A")
    message = queue.receive_message(visibility_timeout=10)
    assert message.dequeue_count == 1
    assert queue.peek_messages(max_messages=32) == []
    assert count(queue) == 1


def test_an_undeleted_message_reappears_with_dequeue_count_2_and_a_new_pop_receipt(queue):
    queue.send_message("A")
    first = queue.receive_message(visibility_timeout=1)
    wait_until_visible(queue, "A")
    second = queue.receive_message(visibility_timeout=10)
    assert (second.content, second.dequeue_count) == ("A", 2)
    assert second.pop_receipt != first.pop_receipt


def test_a_stale_pop_receipt_is_rejected_with_400_pop_receipt_mismatch_on_azurite(queue):
    # Azure's reference documents 404 MessageNotFound for a receipt that is no longer
    # valid; Azurite 3.35 answers 400 PopReceiptMismatch. is_stale_lease accepts both.
    queue.send_message("A")
    first = queue.receive_message(visibility_timeout=1)
    wait_until_visible(queue, "A")
    queue.receive_message(visibility_timeout=10)
    with pytest.raises(HttpResponseError) as caught:
        queue.delete_message(first)
    assert (caught.value.status_code, error_code(caught.value)) == (400, "PopReceiptMismatch")
    assert is_stale_lease(caught.value)
    assert failure(lambda: queue.update_message(first, visibility_timeout=0)) == (
        400, "PopReceiptMismatch")


def test_deleting_a_message_someone_else_deleted_is_404_message_not_found(queue):
    queue.send_message("A")
    first = queue.receive_message(visibility_timeout=1)
    wait_until_visible(queue, "A")
    queue.delete_message(queue.receive_message(visibility_timeout=10))
    assert failure(lambda: queue.delete_message(first)) == (404, "MessageNotFound")


def test_the_original_pop_receipt_still_deletes_after_the_lease_ran_out_if_nobody_received_it(
        queue):
    queue.send_message("A")
    message = queue.receive_message(visibility_timeout=1)
    wait_until_visible(queue, "A")  # lease over, message visible again, not re-received
    queue.delete_message(message)
    assert queue.peek_messages(max_messages=32) == []
    assert count(queue) == 0


def test_update_message_returns_a_new_pop_receipt_and_the_old_one_goes_stale(queue):
    queue.send_message("A")
    message = queue.receive_message(visibility_timeout=10)
    updated = queue.update_message(message, visibility_timeout=10)
    assert updated.pop_receipt != message.pop_receipt
    assert failure(lambda: queue.delete_message(message)) == (400, "PopReceiptMismatch")
    queue.delete_message(updated)
    assert count(queue) == 0


def test_update_message_extends_the_lease_past_its_original_end(queue):
    queue.send_message("A")
    message = queue.receive_message(visibility_timeout=1)
    queue.update_message(message, visibility_timeout=10)
    # wait (by the clock only) until well after the original 1 s lease
    original_end = message.next_visible_on + timedelta(seconds=1.5)
    wait_for(lambda: datetime.now(UTC) >= original_end, what="the original lease to pass")
    assert queue.peek_messages(max_messages=32) == []


def test_visibility_timeout_on_send_delays_delivery(queue):
    sent = queue.send_message("later", visibility_timeout=2)
    assert sent.next_visible_on - sent.inserted_on == timedelta(seconds=2)
    assert queue.peek_messages(max_messages=32) == []
    assert queue.receive_message() is None
    assert count(queue) == 1
    assert wait_until_visible(queue, "later").dequeue_count == 0


def test_a_visibility_timeout_over_seven_days_is_out_of_range(queue):
    too_long = SEVEN_DAYS + 1
    expected = (400, "OutOfRangeQueryParameterValue")
    assert failure(lambda: queue.send_message("x", visibility_timeout=too_long,
                                              time_to_live=-1)) == expected
    assert failure(lambda: queue.receive_message(visibility_timeout=too_long)) == expected
    queue.send_message("A")
    message = queue.receive_message(visibility_timeout=10)
    assert failure(lambda: queue.update_message(message, visibility_timeout=too_long)) == expected
    assert queue.send_message("x", visibility_timeout=SEVEN_DAYS, time_to_live=-1).id


def test_receive_needs_a_visibility_timeout_of_at_least_one_second(queue):
    queue.send_message("A")
    assert failure(lambda: queue.receive_message(visibility_timeout=0)) == (
        400, "OutOfRangeQueryParameterValue")


# --- 05 · time to live -------------------------------------------------------------------

def test_the_default_time_to_live_is_seven_days(queue):
    sent = queue.send_message("A")
    assert sent.expires_on - sent.inserted_on == timedelta(days=7)


def test_a_message_disappears_from_peek_and_receive_when_its_time_to_live_runs_out(queue):
    queue.send_message("flash", time_to_live=1)
    queue.send_message("keep")
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["flash", "keep"]
    wait_until_gone(queue, "flash")
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["keep"]
    assert [m.content for m in queue.receive_messages(max_messages=32, messages_per_page=32)] == [
        "keep"]


def test_time_to_live_minus_one_never_expires(queue):
    sent = queue.send_message("forever", time_to_live=-1)
    assert sent.expires_on.year == 9999


def test_time_to_live_may_exceed_seven_days(queue):
    sent = queue.send_message("long", time_to_live=30 * 24 * 3600)
    assert sent.expires_on - sent.inserted_on == timedelta(days=30)


def test_approximate_count_keeps_expired_messages_until_a_peek_or_receive(queue):
    # Measured on Azurite 3.35: expired messages are purged when something reads messages
    # (peek or receive); get_queue_properties and send do not purge them.
    for n in range(3):
        queue.send_message(f"short-{n}", time_to_live=1)
    queue.send_message("keep")
    assert count(queue) == 4
    wait_until_expired(queue.peek_messages(max_messages=1)[0])
    assert count(queue) == 4
    queue.send_message("another")
    assert count(queue) == 5
    queue.peek_messages(max_messages=1)
    assert count(queue) == 2


def test_a_receive_purges_expired_messages_from_the_count_too(queue):
    for n in range(3):
        queue.send_message(f"short-{n}", time_to_live=1)
    queue.send_message("keep")
    wait_until_expired(queue.peek_messages(max_messages=1)[0])
    assert count(queue) == 4
    assert queue.receive_message(visibility_timeout=10).content == "keep"
    assert count(queue) == 1


def test_a_message_can_expire_while_leased_and_then_delete_is_404(queue):
    # Get Messages accepts a lease that outlives the message (Azure documents this too).
    sent = queue.send_message("report", time_to_live=2)
    message = queue.receive_message(visibility_timeout=10)
    assert message.next_visible_on > message.expires_on
    wait_until_expired(sent)
    assert failure(lambda: queue.delete_message(message)) == (404, "MessageNotFound")


def test_a_message_that_expired_while_leased_does_not_come_back_when_the_lease_ends(queue):
    # What notebook 05's timeline draws: the lease bar ends at the expiry, because the
    # service deleted the message there; a control message with a long life does come back.
    short = queue.send_message("short", time_to_live=1)
    queue.send_message("control")
    leased = list(queue.receive_messages(max_messages=2, messages_per_page=2,
                                         visibility_timeout=2))
    assert sorted(m.content for m in leased) == ["control", "short"]
    lease_end = max(m.next_visible_on for m in leased) + timedelta(seconds=1)  # whole seconds
    assert lease_end > short.expires_on
    wait_for(lambda: datetime.now(UTC) >= lease_end, what="both leases to run out")
    assert wait_until_visible(queue, "control").content == "control"
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["control"]
    again = queue.receive_message(visibility_timeout=30)
    assert (again.content, queue.receive_message(visibility_timeout=30)) == ("control", None)


def test_send_refuses_a_visibility_timeout_that_is_not_before_expiry(queue):
    expected = (400, "InvalidQueryParameterValue")
    assert failure(lambda: queue.send_message("x", visibility_timeout=10,
                                              time_to_live=5)) == expected
    assert failure(lambda: queue.send_message("x", visibility_timeout=5,
                                              time_to_live=5)) == expected
    assert queue.send_message("x", visibility_timeout=4, time_to_live=5).id


def test_update_accepts_a_visibility_beyond_expiry_and_the_message_still_expires_on_time(queue):
    # Not an Azurite difference: Azure answered 204 to such an update too (a recorded
    # exchange, Azure/azure-sdk-for-java#105) and the REST spec says the visibility "can be
    # set to a value later than the expiry time" (the Update Message page says "can't").
    # Notebook 05 shows it; the message is gone at its expiry, lease or not.
    sent = queue.send_message("x", time_to_live=2)
    message = queue.receive_message(visibility_timeout=1)
    updated = queue.update_message(message, visibility_timeout=10)
    assert updated.next_visible_on > sent.expires_on
    wait_until_expired(sent)
    assert failure(lambda: queue.delete_message(updated)) == (404, "MessageNotFound")


# --- 06 · out-of-order redelivery --------------------------------------------------------

def test_a_crashed_consumers_message_comes_back_last_b_c_a(queue):
    for label in "ABC":
        queue.send_message(label)
    queue.receive_message(visibility_timeout=1)  # consumer-1 takes A and crashes
    order = []
    for _ in range(2):
        message = queue.receive_message(visibility_timeout=10)
        order.append(message.content)
        queue.delete_message(message)
    assert queue.receive_message(visibility_timeout=10) is None  # A is still leased
    wait_until_visible(queue, "A")
    message = queue.receive_message(visibility_timeout=10)
    order.append(message.content)
    queue.delete_message(message)
    assert order == ["B", "C", "A"]
    assert message.dequeue_count == 2


def test_clear_messages_also_removes_leased_messages(queue):
    queue.send_message("A")
    queue.receive_message(visibility_timeout=30)
    queue.clear_messages()
    assert count(queue) == 0
