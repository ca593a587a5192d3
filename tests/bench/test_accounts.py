"""``python -m labsupport.bench accounts`` prints its three figures on a private cloud."""

from __future__ import annotations

import re

import pytest

from labsupport.bench.__main__ import main


@pytest.mark.cloud
def test_accounts_prints_the_three_figures(capsys, private_connect):
    assert main(["accounts", "--runs", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Account changes without an Azurite restart, 1 run(s):"
    labels = [re.split(r"\s{2,}median", line)[0].strip() for line in out[1:]]
    assert labels == ["Azurite confirms an account change",
                      "create through ARM until its key works",
                      "slowest send to another queue meanwhile"]
    assert all(re.search(r"median +\d+\.\d ms +max +\d+\.\d ms$", line) for line in out[1:])


def test_accounts_refuses_zero_runs(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["accounts", "--runs", "0"])
    assert exit_.value.code == 2
