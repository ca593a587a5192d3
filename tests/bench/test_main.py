"""``python -m labsupport.bench``: the dispatcher and the throughput command's output."""

from __future__ import annotations

import pytest

import labsupport
from labsupport.bench import throughput
from labsupport.bench.__main__ import main


def test_without_a_name_it_lists_the_benchmarks(capsys):
    assert main([]) == 2
    assert "  throughput       messages/s per way of calling the SDK" in capsys.readouterr().out


def test_an_unknown_benchmark_is_named_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fastest"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m labsupport.bench")
    assert "invalid choice: 'fastest'" in err and "fault-injection" in err


def test_a_benchmark_gets_its_own_options_and_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["throughput", "--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m labsupport.bench throughput")


def test_throughput_prints_the_table_and_ratios_and_saves_csv(lab, monkeypatch, capsys,
                                                              tmp_path):
    monkeypatch.setattr(labsupport, "connect", lambda topic, quiet: lab)
    monkeypatch.setattr(throughput, "results_folder", lambda: tmp_path / "results")
    assert main(["throughput", "--messages", "20", "--runs", "1", "--modes", "send-sync",
                 "send-async-64", "send-raw", "consume-one-by-one", "consume-async"]) == 0
    out = capsys.readouterr().out
    assert "20 messages of 1 KiB per mode, median of 1 run(s)" in out
    assert "load average (1, 5, 15 min) before " in out
    assert "  async send_all, 64 in flight, use_env_settings=False  [recommended]" in out
    assert "  recommended send (async, 64) / floor" in out
    assert "  recommended consume (async) / naive (one by one)" in out
    assert out.rstrip().endswith(".csv")
    assert len(list((tmp_path / "results").glob("throughput-*.csv"))) == 2


def test_bad_arguments_are_refused_before_connecting(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["throughput", "--runs", "0"])
    assert exit_.value.code == 2
    assert "--messages and --runs must be at least 1" in capsys.readouterr().err
