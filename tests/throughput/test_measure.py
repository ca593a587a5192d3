"""The harness that times lesson 10's modes (labsupport.throughput.measure), on tiny N: every
message sent is received and deleted, what each mode did on the wire is recorded, queues
are removed, and a simulated round trip is named in the setting.

No assertion here is about speed: the harness measures, it does not judge.
"""

from __future__ import annotations

import asyncio
import math

import pytest
from azure.storage.queue import QueueServiceClient

from labsupport.throughput import measure as harness
from labsupport.throughput.measure import (
    FLOOR_CONSUME,
    FLOOR_SEND,
    MessagesLost,
    Meter,
    Mode,
    Results,
    Sample,
    measure,
)
from labsupport.throughput.modes import (
    consume_concurrently,
    consume_one_by_one,
    consume_pages,
    payloads,
    send_all,
    send_one_at_a_time,
)

COUNT = 70  # two full pages of 32 and a partial one
LESSON = (
    Mode.of("one at a time", send_one_at_a_time),
    Mode.of("64 in flight", send_all, connections=64, role="recommended",
            use_env_settings=False),
    FLOOR_SEND,
    Mode.of("one by one", consume_one_by_one, role="naive"),
    Mode.of("pages", consume_pages),
    Mode.of("concurrently", consume_concurrently, connections=20, role="recommended"),
    FLOOR_CONSUME,
)
BY_LABEL = {mode.key: mode for mode in LESSON}


def test_a_mode_knows_its_kind_and_client_from_the_lessons_function():
    assert [(m.kind, m.client) for m in LESSON] == [
        ("send", "sync"), ("send", "async"), ("send", "raw"), ("consume", "sync"),
        ("consume", "sync"), ("consume", "async"), ("consume", "raw")]
    assert BY_LABEL["64 in flight"].options == {"use_env_settings": False}
    assert BY_LABEL["one at a time"].options == {}


def run_mode(lab, queue, mode, *args, meter: Meter | None = None):
    """Run a mode the way measure() does: its kind of client, opened, timed, closed."""
    async def scenario():
        clients = harness.Clients(lab, lab.account_url, queue.queue_name)
        client = await clients.open(mode.client, mode.connections, mode.options)
        try:
            return (await harness.timed(mode, client, *args)).outcome
        finally:
            await clients.close(client)
            if meter is not None:
                meter.requests, meter.max_in_flight = (clients.meter.requests,
                                                       clients.meter.max_in_flight)

    return asyncio.run(scenario())


# What each mode does on the wire for 70 messages, timed requests only (the warm-up is not
# counted): (fewest, most) requests and (fewest, most) requests in flight at once. One by
# one: 70 receives, the empty one, 70 deletes. Pages of 32: pages of 32, 32 and 6, a receive
# for the rest of the partial page (the SDK's pager asks for up to max_messages), the empty
# page, 70 deletes. The concurrent consumers: 70 deletes, at least 3 pages, and each of the
# 4 receivers ends on an empty page; how the pages split between them depends on timing.
ON_THE_WIRE = {
    "one at a time": ((70, 70), (1, 1)),
    "64 in flight": ((70, 70), (2, 64)),
    "floor-send": ((70, 70), (2, 64)),
    "one by one": ((141, 141), (1, 1)),
    "pages": ((75, 75), (1, 1)),
    "concurrently": ((70 + 3 + 4, 100), (2, 20)),
    "floor-consume": ((70 + 3 + 4, 100), (2, 20)),
}


@pytest.mark.parametrize("key", list(ON_THE_WIRE))
def test_each_mode_sends_the_requests_the_lesson_counts_with_its_concurrency(lab, queue, key):
    mode, meter = BY_LABEL[key], Meter()
    sent = payloads(COUNT, "w")
    if mode.kind == "send":
        run_mode(lab, queue, mode, sent, meter=meter)
        assert sorted(consume_pages(queue)) == sorted(sent)
    else:
        for message in sent:
            queue.send_message(message)
        assert sorted(run_mode(lab, queue, mode, meter=meter)) == sorted(sent)
    (fewest, most), (least_overlap, most_overlap) = ON_THE_WIRE[key]
    assert fewest <= meter.requests <= most
    assert least_overlap <= meter.max_in_flight <= most_overlap


def test_the_clients_connections_are_open_before_the_clock_starts(lab, queue):
    """A timed send with as many requests in flight as connections opened opens none: TLS
    handshakes are not what the harness measures. The SDK client's first request fetches
    the token (the others would wait for it, then reuse the first connections freed)."""
    import aiohttp
    from azure.core.pipeline.transport import AioHttpTransport

    from labsupport.throughput.rawqueue import ssl_context

    async def scenario() -> tuple[int, int]:
        opened = []

        async def count(*_) -> None:
            opened.append(1)

        tracing = aiohttp.TraceConfig()
        tracing.on_connection_create_end.append(count)
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context()),
                                        trace_configs=[tracing])
        mode = Mode.of("16 in flight, traced", send_all, connections=16,
                       transport=AioHttpTransport(session=session, session_owner=False),
                       use_env_settings=False)
        async with session:
            clients = harness.Clients(lab, lab.account_url, queue.queue_name)
            client = await clients.open(mode.client, mode.connections, mode.options)
            before = len(opened)
            try:
                await harness.timed(mode, client, payloads(16, "c"))
            finally:
                await clients.close(client)
        return before, len(opened) - before

    warmed, while_timed = asyncio.run(scenario())
    assert (warmed, while_timed) == (16, 0)


def test_measure_runs_every_mode_loses_nothing_and_removes_its_queues(lab):
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    before = {q.name for q in service.list_queues(name_starts_with="measure-")}
    results = asyncio.run(measure(lab, LESSON, messages=40, runs=2))
    assert sorted((s.round, s.mode) for s in results.samples) == sorted(
        (r, m.key) for r in range(2) for m in LESSON)
    assert all(s.messages == 40 and s.seconds > 0 and s.requests >= 40
               for s in results.samples)
    assert {q.name for q in service.list_queues(name_starts_with="measure-")} == before
    assert results.where == "Azurite on this machine"


def test_behind_a_round_trip_the_setting_says_so_and_nothing_is_lost(lab):
    modes = [Mode.of("one at a time", send_one_at_a_time),
             Mode.of("one by one", consume_one_by_one)]
    with lab.azure_like_network(20) as network:
        results = asyncio.run(measure(lab, modes, messages=5, runs=1, network=network))
    assert results.setting.startswith("Azurite on this machine behind a simulated 20 ms round "
                                      "trip, ")
    assert results.requests_per_message("one by one") == pytest.approx(11 / 5)


def test_a_service_cpu_clock_is_read_around_each_timed_run(lab):
    """The clock is read right before and right after each timed run (a counter here: each
    sample spans one tick); without a clock the samples say it was not measured."""
    ticks = iter(range(1000))
    results = asyncio.run(measure(lab, [BY_LABEL["64 in flight"], BY_LABEL["pages"]],
                                  messages=8, runs=2, service_cpu=lambda: next(ticks)))
    assert [s.service_cpu_seconds for s in results.samples] == [1, 1, 1, 1]
    assert results.service_cpu_per_request("pages") == pytest.approx(
        2 / sum(s.requests for s in results.samples if s.mode == "pages"))
    unmeasured = asyncio.run(measure(lab, [BY_LABEL["pages"]], messages=2, runs=1))
    assert unmeasured.samples[0].service_cpu_seconds is None
    assert unmeasured.service_cpu_per_request("pages") is None


def test_measure_fills_queues_itself_when_only_consume_modes_run(lab):
    results = asyncio.run(measure(lab, [BY_LABEL["pages"]], messages=10, runs=1))
    assert [s.mode for s in results.samples] == ["pages"]


def test_bad_counts_and_repeated_keys_are_clear_errors(lab):
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(measure(lab, LESSON, messages=0))
    with pytest.raises(ValueError, match="each mode needs its own key"):
        asyncio.run(measure(lab, [FLOOR_SEND, FLOOR_SEND], messages=1))


def test_a_consumer_that_skips_a_message_or_returns_nothing_is_caught(queue):
    sent = payloads(3)
    for message in sent:
        queue.send_message(message)
    mode = BY_LABEL["one by one"]
    with pytest.raises(MessagesLost, match=r"1 never deleted, 3 still in the queue \(of 3\)"):
        harness.check_consumed(mode, sent, sent[:2], queue)
    with pytest.raises(MessagesLost, match="1 deleted more than once or not sent"):
        harness.check_consumed(mode, sent[:2], [*sent[:2], sent[0]], queue)
    with pytest.raises(MessagesLost, match="3 never deleted"):
        harness.check_consumed(mode, sent, None, queue)


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


def fabricated(modes=LESSON) -> Results:
    """Samples with known rates (messages / seconds), requests and CPU time."""
    rates = dict(zip([m.key for m in LESSON], (300, 800, 1000, 100, 250, 350, 700), strict=True))
    results = Results(messages=1000, runs=3, modes=modes, where="Azurite on this machine",
                      cpus=2)
    for mode in modes:
        for r, factor in enumerate((0.9, 1.0, 1.2)):
            sent = 2001 if mode.key == "one by one" else 1000
            results.samples.append(Sample(r, mode.key, mode.kind, 1000,
                                          1000 / (rates[mode.key] * factor), sent,
                                          1 if mode.connections == 1 else 16,
                                          sent * (0.0004 if mode.client == "raw" else 0.001),
                                          None if mode.client == "sync" else sent * 0.002))
    return results


def test_rates_ratios_requests_and_cpu_come_from_the_samples():
    results = fabricated()
    assert results.rate("64 in flight") == pytest.approx(800)
    assert results.ratio("64 in flight", "floor-send") == pytest.approx(0.8)
    assert results.requests_per_message("one by one") == pytest.approx(2.001)
    assert results.max_in_flight("concurrently") == 16
    assert results.cpu_per_request("floor-send", "floor-consume") == pytest.approx(0.0004)
    assert results.service_cpu_per_request("floor-send") == pytest.approx(0.002)
    assert results.service_cpu_per_request("one at a time") is None
    assert results.floor("consume") is FLOOR_CONSUME


def test_the_table_gives_medians_spreads_and_the_floor_ratio():
    table = fabricated().table()
    row = table.loc["64 in flight"]
    assert (round(row["msg/s"]), round(row["min"]), round(row["max"])) == (800, 720, 960)
    assert row["x floor"] == pytest.approx(0.8)
    assert table.loc["concurrently", "x floor"] == pytest.approx(0.5)
    assert table.loc["concurrently", "service cpu ms/request"] == pytest.approx(2)
    assert math.isnan(table.loc["pages", "service cpu ms/request"])


def test_the_figure_has_a_bar_per_mode_hatches_the_floors_and_names_the_setting():
    axes = harness.rate_figure(fabricated()).axes[0]
    assert len(axes.patches) == len(LESSON)
    assert [t.get_text() for t in axes.get_yticklabels() if "[floor]" in t.get_text()] == [
        "raw HTTP, 64 in flight  [floor]", "raw HTTP, 4 receivers x 32, 16 deletes  [floor]"]
    assert sum(1 for bar in axes.patches if bar.get_hatch()) == 2
    assert axes.get_title() == ("Measured now: Azurite on this machine, 2 CPUs shared by "
                                "client and service")
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["send", "receive + delete", "floor: raw HTTP, no SDK"]


def test_without_a_floor_the_figure_has_no_floor_in_its_legend():
    modes = tuple(m for m in LESSON if m.role != "floor")
    axes = harness.rate_figure(fabricated(modes)).axes[0]
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["send",
                                                                     "receive + delete"]
