"""The throughput benchmark (labsupport.bench.throughput): its catalogue is lesson 10's modes
and their variants, its report judges the ratios against their targets and says how busy
the machine was, its CSV holds the table and every sample.

The harness itself is tested in tests/throughput/; no assertion here is about speed.
"""

from __future__ import annotations

import asyncio

import pytest

from labsupport.bench import throughput as bench
from labsupport.throughput import modes as lesson
from labsupport.throughput.measure import Results, Sample


def test_the_catalogue_is_the_lessons_functions_and_the_floor():
    runs = {key: getattr(mode.run, "func", mode.run) for key, mode in bench.MODES_BY_KEY.items()}
    assert runs["send-sync"] is lesson.send_one_at_a_time
    assert {runs[k] for k in ("send-async-1", "send-async-16", "send-async-64",
                              "send-async-64-env")} == {lesson.send_all}
    assert [bench.MODES_BY_KEY[k].run.keywords["concurrency"]
            for k in ("send-async-1", "send-async-16", "send-async-64")] == [1, 16, 64]
    assert runs["consume-async"] is lesson.consume_concurrently
    assert [m.key for m in bench.MODES if m.role == "recommended"] == ["send-async-64",
                                                                       "consume-async"]
    assert all(m.options == {"use_env_settings": False}
               for m in bench.MODES if m.role == "recommended")


def test_an_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="'fast' is not a mode; choose from send-sync"):
        bench.mode("fast")


def fabricated(service_cpu: float | None = None) -> Results:
    rates = {"send-sync": 300, "send-async-1": 250, "send-async-16": 600,
             "send-async-64-env": 700, "send-async-64": 920, "send-raw": 1000,
             "consume-one-by-one": 100, "consume-batched": 250, "consume-async-env": 300,
             "consume-async": 350, "consume-raw": 700}
    results = Results(messages=1000, runs=3, modes=bench.MODES,
                      where="Azurite on this machine", cpus=2)
    for mode in bench.MODES:
        for r, factor in enumerate((0.9, 1.0, 1.2)):
            results.samples.append(Sample(r, mode.key, mode.kind, 1000,
                                          1000 / (rates[mode.key] * factor), 1000, 1, 1.0,
                                          service_cpu))
    return results


def test_the_report_names_the_floor_and_the_machine_and_judges_the_targets():
    machine = bench.Machine((1.5, 1.0, 0.5), (2.25, 1.25, 0.75), 12.34)
    text = bench.report(fabricated(), machine)
    lines = text.splitlines()
    assert "Azurite on this machine, 2 CPUs shared by client and service" in lines[0]
    assert lines[1].startswith("floor = raw HTTP: aiohttp with keep-alive and a bearer token")
    assert lines[2] == ("load average (1, 5, 15 min) before 1.50 1.00 0.50, after 2.25 1.25 "
                        "0.75; this process used 12.3 CPU s")
    ratios = {line.split("  ")[1].strip(): line for line in lines if "target" in line}
    assert ratios["recommended send (async, 64) / floor"].endswith("0.92x   target >= 0.9: met")
    assert ratios["recommended consume (async) / floor"].endswith(
        "0.50x   target >= 0.9: NOT met")
    assert ratios["recommended consume (async) / naive (one by one)"].endswith(
        "3.50x   target >= 3: met")


def test_the_report_gives_azurites_cpu_per_request_when_it_was_measured():
    lines = bench.report(fabricated(service_cpu=2.5)).splitlines()
    assert lines[2].startswith("CPU ms/req: this process (the client); Azurite ms/req:")
    assert lines[4].endswith("CPU ms/req  Azurite ms/req")
    assert next(line for line in lines if "[floor]" in line).endswith("1.00            2.50")
    assert not any("Azurite ms/req" in line for line in bench.report(fabricated()).splitlines())


def test_the_azurite_cpu_clock_advances_while_azurite_serves_requests(lab, queue):
    from labsupport.waits import wait_for

    clock = bench.azurite_cpu_clock(lab)
    before = clock()

    def served() -> bool:
        for _ in range(10):
            queue.send_message("tick")
        return clock() > before

    wait_for(served, what="Azurite's CPU clock to advance while it serves requests",
             timeout=120)


def test_csv_files_hold_the_table_and_every_sample(tmp_path):
    summary = bench.save_csv(fabricated(), tmp_path)
    lines = summary.read_text().splitlines()
    assert lines[0] == ("key,messages,runs,kind,mode,role,msg/s,min,max,x floor,requests/msg,"
                        "max in flight,cpu ms/request,service cpu ms/request")
    assert len(lines) == 1 + len(bench.MODES)
    samples = next(tmp_path.glob("*-samples.csv")).read_text().splitlines()
    assert len(samples) == 1 + 3 * len(bench.MODES)


def test_a_run_behind_a_round_trip_says_so_and_records_the_machine(lab):
    results, machine = asyncio.run(bench.run(lab, 4, 1, ["send-sync", "consume-batched"],
                                             rtt=10))
    assert "behind a simulated 10 ms round trip" in results.setting
    assert [s.mode for s in results.samples] == ["send-sync", "consume-batched"]
    assert machine.cpu_seconds > 0 and len(machine.load_after) == 3
