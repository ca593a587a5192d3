"""``python -m labsupport.bench startup``: what --nbval runs, and how a figure is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from labsupport.bench import startup
from labsupport.bench.__main__ import main


def test_the_lab_is_timed_as_make_test_runs_it(tmp_path):
    command = startup.nbval_command([Path("notebooks/03_x.ipynb")], 4, tmp_path / "r.xml")
    assert command[command.index("-n") + 1] == "4"
    assert command[command.index("--dist") + 1] == "loadscope", "a notebook on one worker"
    assert {"--nbval", "--nbval-current-env", "--nbval-sanitize-with"} <= set(command)
    assert command[-1] == "notebooks/03_x.ipynb"


def test_the_suite_is_make_test_on_a_state_folder_of_its_own(tmp_path):
    assert startup.suite_command(3, tmp_path) == [
        "make", "--no-print-directory", "test", f"TEST_STATE={tmp_path}", "TEST_WORKERS=3"]


def test_the_makefile_takes_the_variables_the_benchmark_sets():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert f"TEST_WORKERS ?= {startup.WORKERS}" in makefile, "the same default as make test"
    assert "TEST_STATE :=" in makefile
    assert "-n $(TEST_WORKERS) --dist loadscope" in makefile


def test_a_figure_says_its_target_and_the_load_around_it():
    assert startup.verdict(24.04, 30, True) == "   24.0 s  passed (target ≤ 30 s: met)"
    assert startup.verdict(31.0, 30, False) == "   31.0 s  FAILED (target ≤ 30 s: NOT met)"
    line = startup.load_line((1.5, 1.0, 1.0), (2.25, 1.0, 1.0))
    assert line.startswith("load average 1.50 → 2.25 on ") and line.endswith(" cores")


def test_bad_arguments_are_refused_before_anything_starts(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["startup", "--workers", "0"])
    assert exit_.value.code == 2
    assert "--runs and --workers must be at least 1" in capsys.readouterr().err


def test_cpu_is_reported_machine_wide_and_attached():
    machine, attached = startup.cpu_counters()
    assert machine > 0 and attached >= 0
    line = startup.cpu_line((100.0, 10.0), (340.0, 190.0), 120.0)
    assert line == ("CPU 240 s machine-wide (2.00 cores busy on average), "
                    "180 s in the run's own processes")


def test_cpu_is_also_given_in_units_of_the_machines_reference_work():
    line = startup.cpu_line((100.0, 10.0), (340.0, 190.0), 120.0, reference=0.02)
    assert line == ("CPU 240 s machine-wide (2.00 cores busy on average) = 12,000 × the "
                    "reference work, 180 s in the run's own processes")


def test_the_machine_speed_is_the_cpu_time_of_the_reference_work():
    few, many = startup.reference_seconds(rounds=1), startup.reference_seconds(rounds=5)
    assert 0 < few < 5 and 0 < many < 5
    assert startup.speed_line(0.0174, 0.0201) == (
        "machine speed: the reference work took 17.4 ms of CPU before, 20.1 ms after (best of 9 "
        "each; lower is faster)")


def test_a_run_is_reported_with_the_machine_around_it():
    around = startup.Around()
    around.stop()
    label, cpu, speed = around.lines("whole lab", 30, True)
    assert label.startswith("whole lab") and "passed (target ≤ 30 s: met)" in label
    assert "load average" in label
    assert cpu.strip().startswith("CPU ") and "× the reference work" in cpu
    assert speed.strip().startswith("machine speed: the reference work took ")
