"""bench/fault_injection.py, tiny: killed workers lose nothing and apply each effect once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "fault_injection.py"


@pytest.fixture(scope="module")
def fault_injection():
    spec = importlib.util.spec_from_file_location("fault_injection", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_kill_9_mid_batch_loses_nothing_and_duplicates_nothing(lab, fault_injection):
    report = fault_injection.run(lab, messages=12, poison=1, kills=1, workers=2, batch=4)
    assert report.kills == 1, "no worker was killed: the run injected no fault"
    assert (report.lost, report.effects, report.distinct_effects, report.poisoned) == (
        0, 12, 12, 1)


def test_bad_arguments_are_refused(lab, fault_injection):
    with pytest.raises(ValueError, match="messages ≥ 1"):
        fault_injection.run(lab, messages=0)
