"""The Exam view's CLI cells: without the CLI they say `make cli` in one sentence and skip."""

from __future__ import annotations

from types import SimpleNamespace

from labsupport import azcli, exam_cli


def test_without_the_cli_a_cell_says_run_make_cli_and_skips(monkeypatch, capsys):
    monkeypatch.setattr(exam_cli, "load_config", lambda: SimpleNamespace(is_local=True))
    monkeypatch.setattr(azcli, "VENV", azcli.VENV.parent / "no-such-venv-az")
    started = []
    monkeypatch.setattr(exam_cli.local, "up", lambda config: started.append(config))
    assert exam_cli.ready() is False
    assert capsys.readouterr().out == exam_cli.HOW + "\n"
    assert "make cli" in exam_cli.HOW and not started, "no local cloud started for nothing"


def test_on_azure_the_learners_own_az_login_is_used(monkeypatch, capsys):
    monkeypatch.setattr(exam_cli, "load_config", lambda: SimpleNamespace(is_local=False))
    monkeypatch.setattr(azcli, "prepare", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    assert exam_cli.ready() is True
    assert capsys.readouterr().out == ""
