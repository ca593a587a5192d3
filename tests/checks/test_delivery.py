"""Checks for 04–07: each passes a correct solution and names what a naive one gets wrong."""

from __future__ import annotations

import json
import time

from labsupport.checks.delivery import (
    check_heartbeat,
    check_idempotent_consumer,
    check_resequencer,
    check_time_to_live,
)
from labsupport.patterns.idempotent import DedupStore

# --- 04 · heartbeat -----------------------------------------------------------------------

def three_steps(queue, message, heartbeat: bool):
    for _ in range(3):
        if heartbeat:
            message = queue.update_message(message, visibility_timeout=2)
        time.sleep(0.5)  # a step of work
    queue.delete_message(message)


def test_heartbeat_passes_when_the_lease_is_extended_before_each_step(queue, capsys):
    assert check_heartbeat(lambda q, m: three_steps(q, m, heartbeat=True), queue)
    assert capsys.readouterr().out.startswith("✅")
    assert queue.get_queue_properties().approximate_message_count == 0


def test_heartbeat_fails_when_the_work_outlives_the_lease(queue, capsys):
    result = check_heartbeat(lambda q, m: three_steps(q, m, heartbeat=False), queue)
    assert not result
    assert [p.split(":")[0] for p in result.problems] == [
        "no heartbeat", "the lease ran out while you were still working (other consumers "
        "could have received the job)"]


def test_heartbeat_fails_when_the_message_is_not_deleted_or_the_code_raises(queue):
    assert check_heartbeat(lambda q, m: None, queue).problems[0].startswith(
        "the message was not deleted")
    result = check_heartbeat(lambda q, m: q.delete_message(m.id, "stale-receipt"), queue)
    assert result.problems[0] == (
        "your code raised HttpResponseError: stale pop receipt (400 PopReceiptMismatch)")
    assert queue.get_queue_properties().approximate_message_count == 0


# --- 05 · time to live --------------------------------------------------------------------

def test_time_to_live_passes_for_3_seconds_and_never(queue):
    price = queue.send_message("price-update", time_to_live=3)
    audit = queue.send_message("audit-record", time_to_live=-1)
    assert check_time_to_live(price, audit, queue)


def test_time_to_live_names_each_mistake(queue):
    assert check_time_to_live(None, None, queue).problems == [
        "send the price update and keep what send_message returns in `price`",
        "send the audit record and keep what send_message returns in `audit`"]
    price = queue.send_message("price-update", time_to_live=30)
    audit = queue.send_message("audit-record")
    queue.receive_message(visibility_timeout=30)  # leases the price update
    queue.receive_message(visibility_timeout=30)  # leases the audit record: not visible
    assert [p.split(";")[0] for p in check_time_to_live(price, audit, queue).problems] == [
        "the price update lives 0:00:30", "the audit record expires after 7 days, 0:00:00",
        "the audit record is not visible in the queue: send it without a visibility timeout, "
        "and do not receive it"]


# --- 06 · resequencer ---------------------------------------------------------------------

class Resequencer:
    def __init__(self):
        self.next_seq, self.waiting = 1, {}

    def accept(self, seq, event):
        if seq < self.next_seq:
            return []
        self.waiting[seq] = event
        ready = []
        while self.next_seq in self.waiting:
            ready.append(self.waiting.pop(self.next_seq))
            self.next_seq += 1
        return ready


class ArrivalOrder:
    def accept(self, seq, event):
        return [event]


class NoDuplicateCheck(Resequencer):
    def accept(self, seq, event):
        return [event] if seq < self.next_seq else super().accept(seq, event)


def test_resequencer_passes_when_events_come_out_in_producer_order(queue):
    assert check_resequencer(Resequencer, queue)
    assert queue.get_queue_properties().approximate_message_count == 0


def test_resequencer_names_out_of_order_and_duplicate_application(queue):
    assert check_resequencer(ArrivalOrder, queue).problems == [
        "applied B more than once: ignore a sequence number that was already applied",
        "applied in the order B, C, A, D; the producer's order is A, B, C, D: hold an event "
        "back until every earlier sequence number has been applied"]
    assert check_resequencer(NoDuplicateCheck, queue).problems == [
        "applied B more than once: ignore a sequence number that was already applied"]


def test_resequencer_reports_a_missing_release_and_a_crash(queue):
    class NeverReleases:
        def accept(self, seq, event):
            return [event] if seq == 1 else []

    assert check_resequencer(NeverReleases, queue).problems[0].startswith("never applied B, C, D")

    class Broken:
        def accept(self, seq, event):
            raise KeyError(seq)

    assert check_resequencer(Broken, queue).problems[0] == "your code raised KeyError: 2"


# --- 07 · idempotent consumer -------------------------------------------------------------

def test_idempotent_consumer_passes_when_each_order_ships_once(queue):
    shipments, store = [], DedupStore()

    def handle(message):
        order_id = json.loads(message.content)["order_id"]
        store.process_once(order_id, lambda db: shipments.append(order_id))

    assert check_idempotent_consumer(handle, shipments, queue)
    assert len(shipments) == 2
    assert check_idempotent_consumer(handle, shipments, queue)  # can be run again


def test_idempotent_consumer_names_each_kind_of_duplicate(queue):
    shipments = []

    def naive(message):
        shipments.append(json.loads(message.content)["order_id"])

    assert [p.split(":")[0] for p in check_idempotent_consumer(naive, shipments, queue).problems
            ] == ["the order sent twice by the producer was shipped 2 times",
                  "the order redelivered after a crash was shipped 2 times"]
    seen_ids = set()

    def keyed_on_message_id(message):
        if message.id not in seen_ids:
            seen_ids.add(message.id)
            shipments.append(json.loads(message.content)["order_id"])

    problems = check_idempotent_consumer(keyed_on_message_id, shipments, queue).problems
    assert problems == ["the order sent twice by the producer was shipped 2 times: the two "
                        "messages have different ids, so remember the order id, not the "
                        "message id"]
