"""fault-injection, tiny: killed workers lose nothing and apply each effect once."""

from __future__ import annotations

import pytest

from labsupport.bench import fault_injection
from labsupport.bench.__main__ import main


def test_kill_9_mid_batch_loses_nothing_and_duplicates_nothing(lab):
    report = fault_injection.run(lab, messages=12, poison=1, kills=1, workers=2, batch=4,
                                 timeout=60)
    assert report.kills == 1, "no worker was killed: the run injected no fault"
    assert (report.lost, report.effects, report.distinct_effects, report.poisoned) == (
        0, 12, 12, 1)


def test_bad_arguments_are_refused_before_any_call():
    with pytest.raises(ValueError, match="messages ≥ 1"):
        fault_injection.run(None, messages=0)


def test_the_dispatcher_runs_it(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fault-injection", "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(
        "usage: python -m labsupport.bench fault-injection [-h] [--messages MESSAGES]")
