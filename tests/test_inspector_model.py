"""The inspector's state model: rows from recorded traffic and peeks, without network or widgets.

Times: ``at``/``now`` are the inspector's monotonic seconds; the service's own times (``Date``,
``TimeNextVisible``, ``ExpirationTime``) live on another clock, deliberately far from it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from labsupport.inspector.model import GRACE, PEEK_LIMIT, QueueStates, Refresh, replay
from labsupport.wire import Exchange, WireMessage

SERVICE_NOW = datetime(2031, 5, 17, 9, 30, 0, tzinfo=UTC)   # the service's clock at local t=0
WEEK = 7 * 24 * 3600


def service(t: float, skew: float = 0.0) -> datetime:
    """The service's time at local ``t``, whole seconds like every HTTP date."""
    exact = SERVICE_NOW + timedelta(seconds=t + skew)
    return exact.replace(microsecond=0)


def exchange(operation, *, actor="producer", queue="orders", status=200, code="",
             message_id=None, text=None, messages=(), next_visible=None, date=None):
    return Exchange(actor=actor, sent=0.0, answered=0.0, method="GET", path="/", query={},
                    queue=queue, operation=operation, status=status, error_code=code,
                    message_id=message_id, request_text=text, messages=tuple(messages),
                    next_visible_on=next_visible, service_time=date)


def send(t, message_id, text, *, ttl=WEEK, delay=0, actor="producer", queue="orders", skew=0.0):
    now = service(t, skew)
    expires = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) if ttl == -1 else (
        now + timedelta(seconds=ttl))
    item = WireMessage(id=message_id, inserted_on=now, expires_on=expires,
                       next_visible_on=now + timedelta(seconds=delay))
    return t, exchange("send", actor=actor, queue=queue, status=201, text=text,
                       messages=[item], date=now)


def receive(t, message_id, text, *, lease, dequeue=1, actor="consumer-1", sent_at=0.0,
            ttl=WEEK, queue="orders", skew=0.0):
    now = service(t, skew)
    item = WireMessage(id=message_id, text=text, dequeue_count=dequeue,
                       inserted_on=service(sent_at, skew),
                       expires_on=service(sent_at, skew) + timedelta(seconds=ttl),
                       next_visible_on=now + timedelta(seconds=lease))
    return t, exchange("receive", actor=actor, queue=queue, messages=[item], date=now)


def update(t, message_id, *, lease, actor="consumer-1", text=None, skew=0.0):
    now = service(t, skew)
    return t, exchange("update", actor=actor, status=204, message_id=message_id, text=text,
                       next_visible=now + timedelta(seconds=lease), date=now)


def delete(t, message_id, *, actor="consumer-1", status=204, code="", queue="orders"):
    return t, exchange("delete", actor=actor, queue=queue, status=status, code=code,
                       message_id=message_id, date=service(t))


def peeked(message_id, text, *, sent_at=0.0, dequeue=0, ttl=WEEK, skew=0.0):
    return WireMessage(id=message_id, text=text, dequeue_count=dequeue,
                       inserted_on=service(sent_at, skew),
                       expires_on=service(sent_at, skew) + timedelta(seconds=ttl))


def poll(t, *messages, count=None, queue="orders", skew=0.0, took=0.01):
    return Refresh(queue=queue, started=t, answered=t + took,
                approximate_count=len(messages) if count is None else count,
                peeked=tuple(messages), service_time=service(t + took, skew))


def only(rows, queue="orders"):
    assert len(rows[queue]) == 1, rows[queue]
    return rows[queue][0]


# -- what the lab can know -----------------------------------------------------------------

def test_a_message_received_by_an_untraced_client_is_hidden_not_leased():
    facts = [send(0.0, "m1", "A"), poll(1.0, count=1)]           # gone from the peek, still counted
    row = only(replay(facts, ["orders"], now=1.5))
    assert (row.label, row.state, row.source, row.actor) == ("A", "hidden", "service", None)

    traced = [send(0.0, "m1", "A"), receive(0.5, "m1", "A", lease=30), poll(1.0, count=1)]
    row = only(replay(traced, ["orders"], now=1.5))
    assert (row.state, row.source, row.actor) == ("leased", "wire", "consumer-1")


def test_a_message_that_leaves_the_peek_while_a_traced_receive_is_out_waits_for_it():
    # consumer-1's receive left at 0.9 and leased A; the peek (1.0-1.01) no longer shows A;
    # the receive's answer reaches the inspector at 1.2. A goes visible → leased, never
    # "hidden" in between.
    model = QueueStates(["orders"])
    model.exchange(*reversed(send(0.0, "m1", "A")))
    model.poll(replace(poll(1.0, count=1), receiving=True))
    assert only({"orders": model.rows("orders", now=1.1)}).state == "visible"
    model.exchange(*reversed(receive(1.2, "m1", "A", lease=30)))
    row = only({"orders": model.rows("orders", now=1.3)})
    assert (row.state, row.actor) == ("leased", "consumer-1")
    # The control: with no receive out, the same peek says hidden at once.
    control = QueueStates(["orders"])
    control.exchange(*reversed(send(0.0, "m1", "A")))
    control.poll(poll(1.0, count=1))
    assert only({"orders": control.rows("orders", now=1.1)}).state == "hidden"


def test_a_message_sent_by_an_untraced_client_appears_from_the_peek():
    row = only(replay([poll(2.0, peeked("m1", "order-01"))], ["orders"], now=2.5))
    assert (row.label, row.state, row.source, row.dequeue_count) == (
        "order-01", "visible", "service", 0)


@pytest.mark.parametrize("skew", [3600.0, -180.0, 0.0])
def test_lease_time_left_is_counted_on_the_services_clock_whatever_the_skew(skew):
    """The service's clock is an hour ahead, three minutes behind, or in step: same rows."""
    facts = [send(0.0, "m1", "A", skew=skew),
             receive(100.0, "m1", "A", lease=30, skew=skew)]
    row = only(replay(facts, ["orders"], now=110.0))
    assert row.state == "leased"
    assert row.until == pytest.approx(130.0)
    assert row.left == pytest.approx(20.0)
    assert row.span == pytest.approx(30.0)
    assert row.expires_at == pytest.approx(WEEK)                  # exact, from the send

    after = facts + [poll(131.5, peeked("m1", "A", dequeue=1, skew=skew), skew=skew)]
    row = only(replay(after, ["orders"], now=132.0))
    assert (row.state, row.source, row.dequeue_count) == ("visible", "service", 1)


def test_a_lease_that_ran_out_shows_visible_only_once_a_peek_shows_it():
    facts = [send(0.0, "m1", "A"), receive(1.0, "m1", "A", lease=2)]
    ended = facts + [poll(3.5, count=1)]                # over by the clock, not peeked yet
    row = only(replay(ended, ["orders"], now=3.6))
    assert (row.state, row.actor, row.left) == ("leased", "consumer-1", 0.0)

    shown = ended + [poll(3.9, peeked("m1", "A", dequeue=1))]
    assert only(replay(shown, ["orders"], now=4.0)).state == "visible"

    # Still not visible a grace second after the lease: someone the lab does not trace has it.
    taken = ended + [poll(3.0 + GRACE + 0.1, count=1)]
    row = only(replay(taken, ["orders"], now=4.5))
    assert (row.state, row.source, row.actor) == ("hidden", "service", None)


def test_a_refresh_that_began_before_a_traced_receive_does_not_undo_it():
    # The peek left at 1.0 (A visible then); the receive's answer arrived at 1.02, before
    # the peek's answer: the receive is newer news.
    facts = [send(0.0, "m1", "A"), receive(1.02, "m1", "A", lease=30),
             Refresh(queue="orders", started=1.0, answered=1.05, approximate_count=1,
                  peeked=(peeked("m1", "A"),), service_time=service(1.0))]
    row = only(replay(facts, ["orders"], now=1.1))
    assert (row.state, row.actor) == ("leased", "consumer-1")


def test_a_queue_deleted_while_watched_ends_every_open_row():
    facts = [send(0.0, "m1", "A"), send(0.1, "m2", "B"), receive(0.2, "m2", "B", lease=30),
             send(0.3, "m3", "C"), delete(0.4, "m3"),
             Refresh(queue="orders", started=1.0, answered=1.01, missing=True)]
    model = QueueStates(["orders"])
    for fact in facts:
        model.poll(fact) if isinstance(fact, Refresh) else model.exchange(fact[1], fact[0])
    states = {row.label: (row.state, row.note) for row in model.rows("orders", now=1.5)}
    assert states == {"A": ("gone", "the queue was deleted"),
                      "B": ("gone", "the queue was deleted"),
                      "C": ("deleted", "")}
    assert model.missing("orders") and model.counts("orders").missing
    assert model.next_deadline(1.5) is None                       # nothing left to wait for


def test_a_traced_queue_delete_ends_the_rows_at_once():
    facts = [send(0.0, "m1", "A"), (0.5, exchange("delete queue", status=204))]
    row = only(replay(facts, ["orders"], now=0.6))
    assert (row.state, row.source, row.note) == ("gone", "wire", "the queue was deleted")


# -- time to live, delays, leases ----------------------------------------------------------

def test_a_message_expires_by_the_time_to_live_the_service_gave_it():
    facts = [send(10.0, "m1", "flash-sale", ttl=2), send(10.0, "m2", "newsletter")]
    before = {r.label: r for r in replay(facts, ["orders"], now=11.0)["orders"]}
    assert before["flash-sale"].state == "visible"
    assert (before["flash-sale"].left, before["flash-sale"].span) == (1.0, 2.0)

    after = {r.label: r for r in replay(facts, ["orders"], now=12.01)["orders"]}
    assert (after["flash-sale"].state, after["flash-sale"].source) == ("expired", "clock")
    assert after["newsletter"].state == "visible"


def test_a_message_expires_while_it_is_leased():
    facts = [send(0.0, "m1", "nightly-report", ttl=2),
             receive(0.1, "m1", "nightly-report", lease=10, ttl=2)]
    assert only(replay(facts, ["orders"], now=1.0)).state == "leased"
    row = only(replay(facts, ["orders"], now=2.1))
    assert (row.state, row.source, row.actor) == ("expired", "clock", None)


def test_a_message_that_never_expires_has_no_ttl_bar():
    row = only(replay([send(0.0, "m1", "audit trail", ttl=-1)], ["orders"], now=1e9))
    assert (row.state, row.expires_at, row.left) == ("visible", None, None)


def test_a_delayed_send_is_delayed_until_the_service_shows_it():
    facts = [send(0.0, "m1", "D", delay=5)]
    row = only(replay(facts, ["orders"], now=1.0))
    assert (row.state, row.source, row.until, row.left, row.span) == (
        "delayed", "wire", 5.0, 4.0, 5.0)
    waiting = facts + [poll(5.2, count=1)]                # over by the clock, within the grace
    assert only(replay(waiting, ["orders"], now=5.3)).state == "delayed"
    shown = waiting + [poll(5.5, peeked("m1", "D"))]
    row = only(replay(shown, ["orders"], now=5.6))
    assert (row.state, row.source, row.until) == ("visible", "service", None)


def test_a_lease_extended_by_an_update_runs_from_the_update():
    facts = [send(0.0, "m1", "C"), receive(0.0, "m1", "C", lease=2),
             update(1.0, "m1", lease=10), poll(3.5, count=1)]     # past the first lease
    row = only(replay(facts, ["orders"], now=5.0))
    assert (row.state, row.actor, row.until, row.left, row.span) == (
        "leased", "consumer-1", 11.0, 6.0, 10.0)
    given_back = facts + [update(6.0, "m1", lease=0)]
    row = only(replay(given_back, ["orders"], now=6.1))
    assert (row.state, row.source, row.note) == ("visible", "wire", "lease given back")


def test_an_update_with_new_content_renames_the_row():
    facts = [send(0.0, "m1", "order-01"), receive(0.1, "m1", "order-01", lease=30),
             update(0.2, "m1", lease=0, text="order-01 (paid)")]
    assert only(replay(facts, ["orders"], now=0.3)).label == "order-01 (paid)"


def test_a_delete_with_a_stale_receipt_leaves_the_row_leased_by_the_other_actor():
    facts = [send(0.0, "m1", "A"),
             receive(0.1, "m1", "A", lease=2, actor="consumer-1"),
             poll(3.2, peeked("m1", "A", dequeue=1)),
             receive(3.3, "m1", "A", lease=30, dequeue=2, actor="consumer-2")]
    for status, code in [(400, "PopReceiptMismatch"), (404, "MessageNotFound")]:
        stale = facts + [delete(3.4, "m1", actor="consumer-1", status=status, code=code)]
        row = only(replay(stale, ["orders"], now=3.5))
        assert (row.state, row.actor, row.dequeue_count) == ("leased", "consumer-2", 2), code

    done = facts + [delete(3.4, "m1", actor="consumer-2")]
    row = only(replay(done, ["orders"], now=3.5))
    assert (row.state, row.actor, row.source) == ("deleted", "consumer-2", "wire")


def test_a_delete_whose_answer_comes_after_a_refresh_that_saw_count_0_still_names_who():
    """The service deleted A before the refresh began, but the delete's answer reached the
    client after the refresh's: the refresh says gone (count 0), the wire says by whom."""
    facts = [send(0.0, "m1", "A"),
             receive(0.1, "m1", "A", lease=30, actor="consumer-2"),
             poll(0.3, count=0),
             delete(0.4, "m1", actor="consumer-2")]
    row = only(replay(facts, ["orders"], now=0.5))
    assert (row.state, row.actor, row.source) == ("deleted", "consumer-2", "wire")
    without_delete = only(replay(facts[:-1], ["orders"], now=0.5))
    assert (without_delete.state, without_delete.source) == ("gone", "service")


def test_a_copy_to_the_poison_queue_then_a_delete_is_a_move_to_poison():
    text = '{"order_id": "order-4", "amount": "lots"}'
    facts = [send(0.0, "m1", text),
             receive(0.5, "m1", text, lease=30, dequeue=5, actor="consumer"),
             send(0.6, "p1", text, ttl=-1, actor="consumer", queue="orders-poison"),
             delete(0.7, "m1", actor="consumer")]
    rows = replay(facts, ["orders", "orders-poison"], now=1.0,
                  label=lambda content: content.split('"')[3])
    moved, copy = only(rows), only(rows, "orders-poison")
    assert (moved.label, moved.state, moved.actor) == ("order-4", "moved to poison", "consumer")
    assert (copy.label, copy.state, copy.expires_at) == ("order-4", "visible", None)

    # Watching only the work queue still tells a move from a plain delete.
    assert only(replay(facts, ["orders"], now=1.0)).state == "moved to poison"
    other = facts[:2] + [send(0.6, "p1", "something else", queue="orders-poison"), facts[3]]
    assert only(replay(other, ["orders"], now=1.0)).state == "deleted"


def test_a_traced_clear_deletes_every_row_it_knew():
    facts = [send(0.0, "m1", "A"), send(0.1, "m2", "B"),
             (0.2, exchange("clear", actor="admin", status=204))]
    rows = replay(facts, ["orders"], now=0.3)["orders"]
    assert [(r.state, r.actor, r.note) for r in rows] == [("deleted", "admin", "cleared")] * 2


# -- what a refresh tells -----------------------------------------------------------------

def test_a_count_of_zero_says_every_earlier_message_is_gone():
    facts = [poll(1.0, peeked("m1", "A"), peeked("m2", "B")),
             poll(2.0, peeked("m2", "B"), count=2)]           # A received (or deleted) elsewhere
    rows = {r.label: r.state for r in replay(facts, ["orders"], now=2.1)["orders"]}
    assert rows == {"A": "hidden", "B": "visible"}
    cleared = facts + [poll(3.0, count=0)]
    rows = replay(cleared, ["orders"], now=3.1)["orders"]
    assert [(r.state, r.source, r.note) for r in rows] == [
        ("gone", "service", "no longer in the queue (count 0)")] * 2


def test_a_full_peek_says_nothing_about_the_messages_after_it():
    many = [peeked(f"x{n}", f"order-{n:02d}") for n in range(PEEK_LIMIT)]
    facts = [poll(1.0, peeked("m1", "late")), poll(2.0, *many, count=40)]
    model = QueueStates(["orders"])
    for fact in facts:
        model.poll(fact)
    rows = {r.label: r for r in model.rows("orders", now=2.1)}
    assert rows["late"].state == "unseen"
    assert model.counts("orders").hidden is None and model.counts("orders").more_visible


def test_counts_come_from_the_latest_refresh():
    model = QueueStates(["orders"])
    model.poll(poll(1.0, peeked("m1", "A"), count=3))
    counts = model.counts("orders")
    assert (counts.visible, counts.total, counts.hidden, counts.refreshed) == (1, 3, 2, 1.01)
    assert model.poll(poll(2.0, peeked("m1", "A"), count=3)) is False   # nothing changed
    assert model.poll(Refresh(queue="orders", started=3.0, answered=3.1, error="timed out")) is True


def test_traffic_on_other_queues_is_ignored():
    facts = [send(0.0, "m1", "A", queue="elsewhere"), poll(1.0, queue="elsewhere")]
    assert replay(facts, ["orders"], now=1.0) == {"orders": []}


def test_the_next_deadline_is_the_next_lease_end_then_its_grace_then_the_expiry():
    model = QueueStates(["orders"])
    for at, fact in [send(0.0, "m1", "A", ttl=60), receive(1.0, "m1", "A", lease=2, ttl=60)]:
        model.exchange(fact, at)
    assert model.next_deadline(0.0) == 3.0
    assert model.next_deadline(3.0) == 3.0 + GRACE
    assert model.next_deadline(3.0 + GRACE) == 60.0


def test_a_label_function_that_fails_falls_back_to_the_text():
    row = only(replay([send(0.0, "m1", "not json at all, and quite long too")], ["orders"],
                      now=0.1, label=lambda content: content["order_id"]))
    assert row.label == "not json at all, and quite…"
