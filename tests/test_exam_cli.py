"""The Exam view's CLI cells: without the CLI they say `make cli` in one sentence and skip."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

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


MANAGEMENT = "https://127.0.0.1:52383"


def prepared_folder(tmp_path, endpoint=MANAGEMENT, identity="MSI", active="LocalCloud"):
    """A CLI folder as `azcli.prepare` leaves it (the files az writes, trimmed)."""
    folder = tmp_path / "azure-cli"
    folder.mkdir()
    (folder / "clouds.config").write_text(
        f"[LocalCloud]\nendpoint_resource_manager = {endpoint}/\n"
        f"suffix_storage_endpoint = core.windows.net\n")
    (folder / "config").write_text(f"[cloud]\nname = {active}\n")
    profile = {"subscriptions": [{"isDefault": True, "environmentName": "LocalCloud",
                                  "user": {"name": "systemAssignedIdentity",
                                           "type": "servicePrincipal",
                                           "assignedIdentityInfo": identity}}]}
    (folder / "azureProfile.json").write_text("\ufeff" + json.dumps(profile), encoding="utf-8")
    return SimpleNamespace(state_dir=tmp_path)


RECORD = SimpleNamespace(endpoints=lambda: {"management": MANAGEMENT})


def test_a_folder_prepared_for_this_cloud_needs_no_second_preparation(tmp_path):
    assert exam_cli.signed_in(prepared_folder(tmp_path), RECORD)


@pytest.mark.parametrize("change", [
    {"endpoint": "https://127.0.0.1:40000"},     # the local cloud moved ports since
    {"identity": "userAssigned"},                 # signed in some other way
    {"active": "AzureCloud"},                     # another cloud is active
])
def test_a_folder_prepared_for_something_else_is_prepared_again(tmp_path, change):
    assert not exam_cli.signed_in(prepared_folder(tmp_path, **change), RECORD)


def test_no_folder_is_prepared(tmp_path):
    assert not exam_cli.signed_in(SimpleNamespace(state_dir=tmp_path), RECORD)
