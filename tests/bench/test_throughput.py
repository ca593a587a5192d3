"""The throughput benchmark's plumbing, on tiny N: every message sent is received and deleted,
and what each mode did on the wire (requests, requests in flight) is recorded.

No assertion here is about speed: the benchmark prints figures, it does not judge them.
"""

from __future__ import annotations

import asyncio

import pytest
from azure.storage.queue import QueueClient, QueueServiceClient

from labsupport.bench import throughput
from labsupport.bench.throughput import (
    MODES,
    MODES_BY_KEY,
    MessagesLost,
    Meter,
    Results,
    Sample,
    measure,
    payloads,
)

# 70 = two full pages of 32 and a partial one
COUNT = 70


def drain(queue: QueueClient) -> list[str]:
    return throughput.consume_batched(queue)


def run_mode(lab, queue: QueueClient, mode, *args, meter: Meter | None = None):
    """Run a mode the way measure() does: its kind of client, opened, timed, closed.
    ``meter`` receives the counts of the client's meter."""
    async def scenario():
        clients = throughput._Clients(lab, queue.queue_name)
        client = await clients.open(mode.client, mode.connections)
        try:
            return (await throughput._timed(mode, client, *args)).outcome
        finally:
            await clients.close(client)
            if meter is not None:
                meter.requests, meter.max_in_flight = (clients.meter.requests,
                                                       clients.meter.max_in_flight)

    return asyncio.run(scenario())


def test_payloads_are_distinct_and_exactly_one_kib():
    messages = payloads(300, "t")
    assert len(set(messages)) == 300
    assert {len(m.encode()) for m in messages} == {1024}


@pytest.mark.parametrize("mode", [m for m in MODES if m.kind == "send"], ids=lambda m: m.key)
def test_send_mode_puts_every_message_once(lab, queue, mode):
    sent = payloads(COUNT, mode.key)
    run_mode(lab, queue, mode, sent)
    assert sorted(drain(queue)) == sorted(sent)


@pytest.mark.parametrize("mode", [m for m in MODES if m.kind == "consume"], ids=lambda m: m.key)
def test_consume_mode_deletes_every_message_once_and_empties_the_queue(lab, queue, mode):
    sent = payloads(COUNT, mode.key)
    for message in sent:
        queue.send_message(message)
    done = run_mode(lab, queue, mode)
    assert sorted(done) == sorted(sent)
    assert queue.peek_messages(max_messages=32) == []


def test_measure_runs_every_mode_loses_nothing_and_removes_its_queues(lab):
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    before = {q.name for q in service.list_queues(name_starts_with="bench-")}
    results = asyncio.run(measure(lab, messages=40, runs=2))
    assert sorted((s.round, s.mode) for s in results.samples) == sorted(
        (r, m.key) for r in range(2) for m in MODES)
    assert all(s.messages == 40 and s.seconds > 0 for s in results.samples)
    assert {q.name for q in service.list_queues(name_starts_with="bench-")} == before
    assert results.where == "Azurite on this machine"


# What each mode does on the wire, timed requests only (the warm-up is not counted), for 70
# messages: (fewest, most) requests and (fewest, most) requests in flight at once.
# One by one: 70 receives, the empty one, 70 deletes. Pages of 32: pages of 32, 32 and 6, a
# receive for the rest of the partial page (the SDK's pager asks for up to max_messages), the
# empty page that ends the loop, 70 deletes. The concurrent consumers: 70 deletes, at least
# 3 pages, and each of the 4 receivers ends on an empty page; how the pages split between
# them depends on timing.
CONSUMERS = throughput.RECEIVERS + throughput.DELETES_IN_FLIGHT
ON_THE_WIRE = {
    "send-sync": ((70, 70), (1, 1)),
    "send-async-1": ((70, 70), (1, 1)),
    "send-async-16": ((70, 70), (2, 16)),
    "send-async-64": ((70, 70), (2, 64)),
    "send-raw": ((70, 70), (2, 64)),
    "consume-one-by-one": ((141, 141), (1, 1)),
    "consume-batched": ((75, 75), (1, 1)),
    "consume-async": ((70 + 3 + 4, 100), (2, CONSUMERS)),
    "consume-raw": ((70 + 3 + 4, 100), (2, CONSUMERS)),
}


@pytest.mark.parametrize("key", list(ON_THE_WIRE))
def test_each_mode_sends_the_requests_the_lesson_counts_with_its_concurrency(lab, queue, key):
    mode, meter = MODES_BY_KEY[key], Meter()
    if mode.kind == "send":
        run_mode(lab, queue, mode, payloads(COUNT, key), meter=meter)
    else:
        for message in payloads(COUNT, key):
            queue.send_message(message)
        run_mode(lab, queue, mode, meter=meter)
    (fewest, most), (least_overlap, most_overlap) = ON_THE_WIRE[key]
    assert fewest <= meter.requests <= most
    assert least_overlap <= meter.max_in_flight <= most_overlap


def test_the_meter_counts_attempts_and_the_most_in_flight():
    meter = Meter()
    meter.started()
    meter.started()
    meter.finished()
    meter.started()
    meter.finished()
    meter.finished()
    assert (meter.requests, meter.max_in_flight) == (3, 2)
    meter.reset()
    assert (meter.requests, meter.max_in_flight) == (0, 0)


def test_measure_fills_queues_itself_when_only_consume_modes_run(lab):
    results = asyncio.run(measure(lab, messages=10, runs=1, modes=["consume-batched"]))
    assert [s.mode for s in results.samples] == ["consume-batched"]


def test_an_unknown_mode_or_bad_count_is_a_clear_error(lab):
    with pytest.raises(ValueError, match="'fast' is not a mode; choose from send-sync"):
        asyncio.run(measure(lab, messages=10, runs=1, modes=["fast"]))
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(measure(lab, messages=0))


def test_a_consumer_that_skips_a_message_is_caught(queue):
    sent = payloads(3)
    for message in sent:
        queue.send_message(message)
    with pytest.raises(MessagesLost, match=r"1 never deleted, 3 still in the queue \(of 3\)"):
        throughput._check_consumed(MODES[5], sent, sent[:2], queue)
    with pytest.raises(MessagesLost, match="1 deleted more than once or not sent"):
        throughput._check_consumed(MODES[5], sent[:2], [*sent[:2], sent[0]], queue)


def fabricated() -> Results:
    """Samples with known rates (messages / seconds), requests and CPU time, to test the
    table and ratios."""
    rates = {"send-sync": 300, "send-async-1": 250, "send-async-16": 600,
             "send-async-64": 800, "send-raw": 1000, "consume-one-by-one": 100,
             "consume-batched": 250, "consume-async": 350, "consume-raw": 700}
    requests = {"consume-one-by-one": 2001, "consume-batched": 1033, "consume-async": 1036,
                "consume-raw": 1036}
    results = Results(messages=1000, runs=3, modes=MODES, where="Azurite on this machine",
                      cpus=2)
    for mode in MODES:
        for r, factor in enumerate((0.9, 1.0, 1.2)):
            sent = requests.get(mode.key, 1000)
            results.samples.append(Sample(r, mode.key, mode.kind, 1000,
                                          1000 / (rates[mode.key] * factor), sent,
                                          1 if mode.connections == 1 else 16,
                                          sent * (0.0004 if mode.client == "raw" else 0.001)))
    return results


def test_requests_in_flight_and_cpu_per_request_come_from_the_samples():
    results = fabricated()
    assert results.requests_per_message("consume-one-by-one") == pytest.approx(2.001)
    assert results.requests_per_message("send-sync") == 1
    assert results.max_in_flight("consume-async") == 16
    assert results.cpu_per_request("send-raw", "consume-raw") == pytest.approx(0.0004)
    assert results.cpu_per_request("send-sync", "consume-batched") == pytest.approx(0.001)


def test_the_table_gives_medians_spreads_and_the_floor_ratio():
    table = fabricated().table()
    row = table.loc["send-async-64"]
    assert (round(row["msg/s"]), round(row["min"]), round(row["max"])) == (800, 720, 960)
    assert row["x floor"] == pytest.approx(0.8)
    assert table.loc["consume-async", "x floor"] == pytest.approx(0.5)


def test_the_report_shows_the_floor_method_and_judges_the_targets():
    text = fabricated().report()
    assert ("floor = raw HTTP: aiohttp with keep-alive and a bearer token from the same Entra "
            "ID credential") in text
    assert "Azurite on this machine, 2 CPUs shared by client and service" in text.splitlines()[0]
    ratios = {line.split("  ")[1].strip(): line for line in text.splitlines()
              if "target" in line}
    assert ratios["recommended send (async, 64) / floor"].endswith("target >= 0.8: met")
    assert ratios["recommended consume (async) / naive (one by one)"].endswith(
        "3.50x   target >= 3: met")


def test_csv_files_hold_the_table_and_every_sample(tmp_path):
    summary = fabricated().save_csv(tmp_path)
    assert summary.parent == tmp_path
    lines = summary.read_text().splitlines()
    assert lines[0] == ("key,messages,runs,kind,mode,role,msg/s,min,max,x floor,requests/msg,"
                        "max in flight,cpu ms/request")
    assert len(lines) == 1 + len(MODES)
    samples = next(tmp_path.glob("*-samples.csv")).read_text().splitlines()
    assert len(samples) == 1 + 3 * len(MODES)


def test_the_figure_has_a_bar_per_mode_and_hatches_the_two_floors():
    axes = throughput.rate_figure(fabricated()).axes[0]
    assert len(axes.patches) == len(MODES)
    assert [t.get_text() for t in axes.get_yticklabels() if "[floor]" in t.get_text()] == [
        "raw HTTP, 64 in flight  [floor]", "raw HTTP, 4 receivers x 32, 16 deletes  [floor]"]
    assert sum(1 for bar in axes.patches if bar.get_hatch()) == 2


def test_the_figure_says_it_is_azurite_on_this_machine_and_how_many_cpus():
    title = throughput.rate_figure(fabricated()).axes[0].get_title()
    assert title == "Measured now: Azurite on this machine, 2 CPUs shared by client and service"
