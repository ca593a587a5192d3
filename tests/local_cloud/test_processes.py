"""The local cloud's one helper for child processes (localcloud/processes.py)."""

from __future__ import annotations

import sys

import pytest

from localcloud.processes import ChildExited, keep_previous, log_tail, start_logged, wait_started


def test_a_child_that_ends_before_it_is_ready_says_how(tmp_path):
    log = tmp_path / "logs" / "child.log"
    child = start_logged([sys.executable, "-c", "print('no port for me'); raise SystemExit(3)"],
                         log)
    with pytest.raises(ChildExited) as exited:
        wait_started(child, lambda: None, timeout=120)
    assert exited.value.code == 3
    assert log_tail(log) == "no port for me"


def test_a_ready_child_gives_the_answer(tmp_path):
    flag = tmp_path / "ready"
    child = start_logged([sys.executable, "-c", f"open({str(flag)!r}, 'w').close()\n"
                          "import time; time.sleep(60)"], tmp_path / "child.log")
    try:
        assert wait_started(child, flag.exists, timeout=120) is True
    finally:
        child.kill()
        child.wait()


def test_the_previous_log_is_kept_once(tmp_path):
    log = tmp_path / "a.log"
    log.write_text("last run\n")
    keep_previous(log)
    assert not log.exists() and (tmp_path / "a.log.1").read_text() == "last run\n"
    assert log_tail(log) == "(no log)"
