"""Checks for 04–07: each passes the notebook's solution and a different right one, and
rejects wrong ones — including those the earlier checks let through — naming the mistake."""

from __future__ import annotations

import heapq
from datetime import timedelta

from azure.storage.queue import QueueClient

from labsupport.checks.delivery import (
    HEARTBEAT_STEPS,
    Lease,
    check_heartbeat,
    check_queue,
    check_resequencer,
    check_time_to_live,
    delivery_orders,
    held_throughout,
    held_until,
)

# --- 04 · heartbeat -----------------------------------------------------------------------
# process(queue, message, do_step): the check's do_step does one step of work and notes
# when it ran; the leases come from the wire (the receive and every update).

STEPS = HEARTBEAT_STEPS


def heartbeat_before_each_step(queue, message, do_step):
    """The notebook's solution."""
    for step in STEPS:
        message = queue.update_message(message, visibility_timeout=2)
        do_step(step)
    queue.delete_message(message)


def one_long_lease_up_front(queue, message, do_step):
    """A different right solution: one update that covers the whole job."""
    message = queue.update_message(message, visibility_timeout=10)
    for step in STEPS:
        do_step(step)
    queue.delete_message(message.id, message.pop_receipt)


def update_and_delete_without_work(queue, message, do_step):
    """Passed the old check: a heartbeat and a delete, and no work at all."""
    message = queue.update_message(message, visibility_timeout=2)
    queue.delete_message(message)


def delete_then_work(queue, message, do_step):
    """Passed the old check: heartbeats, but the job is deleted before the work."""
    message = queue.update_message(message, visibility_timeout=2)
    queue.delete_message(message)
    for step in STEPS:
        do_step(step)


def work_without_heartbeat(queue, message, do_step):
    for step in STEPS:
        do_step(step)
    queue.delete_message(message)


def test_heartbeat_passes_the_notebooks_solution(queue, capsys):
    assert check_heartbeat(heartbeat_before_each_step, queue, steps=STEPS)
    assert capsys.readouterr().out == (
        "✅ all 3 steps done while the lease was held; the job deleted after the last one.\n")
    assert queue.get_queue_properties().approximate_message_count == 0


def test_heartbeat_works_on_a_queue_of_its_own_and_leaves_the_notebooks_queue_alone(lab, queue):
    """The inspector watches the notebook's queue: the check's job must never appear there."""
    from azure.storage.queue import QueueServiceClient

    queue.send_message("the learner's own")
    assert check_heartbeat(heartbeat_before_each_step, queue, steps=STEPS)
    assert [m.content for m in queue.peek_messages(max_messages=32)] == ["the learner's own"]
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    assert [q.name for q in service.list_queues(name_starts_with=queue.queue_name)] == [
        queue.queue_name]  # the check's queue is deleted again
    assert check_queue(queue).queue_name == queue.queue_name + "-check"
    service.delete_queue(queue.queue_name + "-check")


def test_the_check_queue_name_fits_the_63_characters_a_queue_name_may_have(lab):
    long = QueueClient(lab.account_url, "q" * 62 + "x", credential=lab.credential)
    name = check_queue(long).queue_name
    assert name == "q" * 57 + "-check" and len(name) == 63
    QueueClient(lab.account_url, name, credential=lab.credential).delete_queue()


def test_heartbeat_passes_a_different_right_solution_one_long_lease(queue):
    result = check_heartbeat(one_long_lease_up_front, queue, steps=STEPS)
    assert result, result.problems


def test_heartbeat_rejects_an_update_and_a_delete_without_the_work(queue):
    assert check_heartbeat(update_and_delete_without_work, queue, steps=STEPS).problems == [
        "no work done: call do_step(step) for each step of the job, then delete it"]


def test_heartbeat_rejects_deleting_before_the_work(queue):
    assert check_heartbeat(delete_then_work, queue, steps=STEPS).problems == [
        "the job was deleted before 'reserve stock', 'charge card', 'book courier' were done: "
        "delete it only after the last step (a worker that crashes after an early delete "
        "loses the job)"]


def test_heartbeat_rejects_work_that_outlives_the_lease(queue):
    problems = check_heartbeat(work_without_heartbeat, queue, steps=STEPS).problems
    assert len(problems) == 1
    assert problems[0].startswith("no heartbeat: the 1-second lease from the receive ran out "
                                  "during ")
    assert "'book courier'" in problems[0]  # 3 × 0.4 s of work cannot fit in a 1 s lease


def test_heartbeat_rejects_a_heartbeat_shorter_than_a_step(queue):
    def too_short(queue, message, do_step):
        for step in STEPS:
            message = queue.update_message(message, visibility_timeout=0)  # gives it back
            do_step(step)
        queue.delete_message(message)

    assert check_heartbeat(too_short, queue, steps=STEPS).problems == [
        "the lease ran out during 'reserve stock', 'charge card', 'book courier' (other "
        "consumers could have received the job): extend it before each step, for longer "
        "than a step takes"]


def test_heartbeat_names_a_skipped_step_a_missing_delete_and_a_crash(queue):
    def skips_and_keeps(queue, message, do_step):
        message = queue.update_message(message, visibility_timeout=5)
        do_step("reserve stock")

    assert check_heartbeat(skips_and_keeps, queue, steps=STEPS).problems == [
        "never did 'charge card', 'book courier': call do_step(step) for each step",
        "the message was not deleted: when all steps are done, call "
        "queue.delete_message(message) with the message returned by your last update_message"]
    result = check_heartbeat(lambda q, m, do_step: q.delete_message(m.id, "stale-receipt"),
                             queue, steps=STEPS)
    assert result.problems[0] == (
        "your code raised HttpResponseError: stale pop receipt (400 PopReceiptMismatch)")
    assert queue.get_queue_properties().approximate_message_count == 0


# The lease arithmetic, on made-up times: a lease surely holds from its answer until
# its request time plus its seconds; the one the service applied last is in force.

def test_a_lease_holds_from_its_answer_until_its_request_plus_its_seconds():
    lease = Lease(sent=1.0, answered=1.2, seconds=2)
    assert held_throughout(1.2, 3.0, [lease])
    assert not held_throughout(1.1, 2.0, [lease])   # before the service answered
    assert not held_throughout(1.3, 3.1, [lease])   # past sent + 2 s


def test_a_later_update_replaces_the_lease_even_when_it_is_shorter():
    receive = Lease(sent=0.0, answered=0.1, seconds=30)
    give_back = Lease(sent=1.0, answered=1.1, seconds=0)
    assert held_throughout(0.2, 0.9, [receive, give_back])
    assert not held_throughout(1.2, 1.5, [receive, give_back])
    assert held_until([receive, give_back], 1.05) == 1.0  # in flight: the earlier end counts


def test_a_heartbeat_from_another_thread_during_a_step_keeps_the_lease():
    receive = Lease(sent=0.0, answered=0.1, seconds=1)
    beat = Lease(sent=0.8, answered=0.9, seconds=2)
    assert held_throughout(0.2, 2.5, [receive, beat])
    assert not held_throughout(0.2, 2.9, [receive, beat])


# --- 05 · time to live --------------------------------------------------------------------

def test_time_to_live_passes_the_notebooks_solution(queue):
    price = queue.send_message("price-update", time_to_live=3)
    audit = queue.send_message("audit-record", time_to_live=-1)
    assert check_time_to_live(price, audit, queue)


def test_time_to_live_passes_a_different_right_solution(lab, queue):
    other = QueueClient(lab.account_url, queue.queue_name, credential=lab.credential)
    audit = other.send_message("audit-record", time_to_live=-1)
    price = other.send_message("price-update",
                               time_to_live=int(timedelta(seconds=3).total_seconds()),
                               visibility_timeout=0)
    result = check_time_to_live(price, audit, queue)
    assert result, result.problems


def test_time_to_live_rejects_a_delay_for_a_lifetime_and_a_week_for_ever(queue):
    # Common mix-ups: hiding the price for 3 s does not make it expire after 3 s, and a
    # week is not "never".
    price = queue.send_message("price-update", visibility_timeout=3)
    audit = queue.send_message("audit-record", time_to_live=7 * 24 * 3600)
    assert [p.split(";")[0] for p in check_time_to_live(price, audit, queue).problems] == [
        "the price update lives 7 days, 0:00:00", "the audit record expires after 7 days, 0:00:00"]


def test_time_to_live_rejects_the_right_lifetimes_on_the_wrong_contents(queue):
    """Used to pass: the check looked at the lifetimes only, not at which message got which."""
    price = queue.send_message("audit-record", time_to_live=3)
    audit = queue.send_message("price-update", time_to_live=-1)
    assert check_time_to_live(price, audit, queue).problems == [
        "`price` holds the message 'audit-record': keep what send_message('price-update', ...) "
        "returns in `price`",
        "`audit` holds the message 'price-update': keep what send_message('audit-record', ...) "
        "returns in `audit`"]


def test_time_to_live_reads_the_contents_from_the_queue_not_from_the_returned_object(queue):
    """A right solution whose returned object was relabelled afterwards is judged by what
    the service holds (the audit record: the price update may expire before the peek)."""
    price = queue.send_message("price-update", time_to_live=3)
    audit = queue.send_message("audit-record", time_to_live=-1)
    audit.content = "relabelled"
    result = check_time_to_live(price, audit, queue)
    assert result, result.problems


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
    """The notebook's solution."""

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


class HeapResequencer:
    """A different right solution: a heap of early events and a set of numbers seen."""

    def __init__(self):
        self.heap, self.seen, self.applied = [], set(), 0

    def accept(self, seq, event):
        if seq in self.seen:
            return []
        self.seen.add(seq)
        heapq.heappush(self.heap, (seq, event))
        ready = []
        while self.heap and self.heap[0][0] == self.applied + 1:
            ready.append(heapq.heappop(self.heap)[1])
            self.applied += 1
        return ready


class Scripted:
    """Passed the old check, which relied on the queue delivering 2, 3, 1, 2, 4 in FIFO order."""

    def accept(self, seq, event):
        return {1: ["A", "B", "C"], 4: ["D"]}.get(seq, [])


class ArrivalOrder:
    def accept(self, seq, event):
        return [event]


class NoDuplicateCheck(Resequencer):
    def accept(self, seq, event):
        return [event] if seq < self.next_seq else super().accept(seq, event)


class SortsWhenAllArrived:
    """Right order, each once — but holds everything back until the last event arrives."""

    def __init__(self):
        self.waiting = {}

    def accept(self, seq, event):
        self.waiting[seq] = event
        return [self.waiting[s] for s in sorted(self.waiting)] if len(self.waiting) == 4 else []


def test_the_delivery_orders_are_not_fifo_and_include_duplicates_and_the_first_one_last():
    orders = delivery_orders()
    assert [1, 2, 3, 4] not in orders
    assert all(sorted(set(order)) == [1, 2, 3, 4] for order in orders)
    assert sum(len(order) > 4 for order in orders) >= 6           # duplicates
    assert sum(order[-1] == 1 for order in orders) >= 2           # the first one last
    assert orders == delivery_orders()                            # the same every run


def test_resequencer_passes_the_notebooks_solution(capsys):
    assert check_resequencer(Resequencer)
    assert capsys.readouterr().out == (
        "✅ 8 delivery orders (out of order, duplicated, the first event last): each applied "
        "A, B, C, D once, in order.\n")


def test_resequencer_passes_a_different_right_solution():
    result = check_resequencer(HeapResequencer)
    assert result, result.problems


def test_resequencer_rejects_a_script_for_the_fifo_order():
    assert check_resequencer(Scripted, orders=[[2, 3, 1, 2, 4]])  # what the old check fed it
    assert check_resequencer(Scripted).problems == [
        "applied D before A (delivered D, C, B, A): hold an event back until every earlier "
        "sequence number has been applied"]


def test_resequencer_names_out_of_order_and_duplicate_application():
    assert check_resequencer(ArrivalOrder).problems == [
        "applied B before A (delivered B, C, A, B, D): hold an event back until every earlier "
        "sequence number has been applied",
        "applied A more than once (delivered A, B, A, C, B, D, D): ignore a sequence number "
        "that was already applied"]
    assert check_resequencer(NoDuplicateCheck).problems == [
        "applied B more than once (delivered B, C, A, B, D): ignore a sequence number that was "
        "already applied"]


def test_resequencer_rejects_holding_back_what_could_be_applied():
    assert check_resequencer(SortsWhenAllArrived).problems == [
        "held back A, B, C after B, C, A had been delivered: when the missing sequence number "
        "arrives, release every waiting event that can follow it"]
