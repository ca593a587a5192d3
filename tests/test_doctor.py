"""doctor reports a healthy machine as healthy and a broken one clearly, with fixes."""

from __future__ import annotations

import dataclasses
import os
import signal

import pytest

import localcloud
from labsupport import doctor, local
from labsupport.config import load_config
from labsupport.waits import wait_for
from localcloud.azurite import azurite_patched, azurite_script, azurite_version
from localcloud.state import pid_alive


def by_name(results):
    return {r.name: r for r in results}


def test_healthy_machine(cloud, lab_config):
    results = by_name(doctor.findings(lambda: lab_config))
    assert results["local cloud"].status == doctor.OK
    assert results["CA trust"].status == doctor.OK
    assert results["node_modules"].status == doctor.OK
    assert all(r.status != doctor.FAIL for r in results.values()), results


@pytest.mark.cloud
def test_stopped_azurite_is_reported_with_a_fix(tmp_path):
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    record = local.up(config)
    try:
        os.kill(record.azurite_pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(record.azurite_pid), what="the killed Azurite to end",
                 timeout=30)
        results = by_name(doctor.findings(lambda: config))
        assert results["local cloud"].status == doctor.FAIL
        assert f"Azurite (pid {record.azurite_pid}) was killed by signal 9" \
            in results["local cloud"].detail, "says what is wrong"
        assert "python -m labsupport up" in results["local cloud"].fix
        assert str(tmp_path / "logs") in results["local cloud"].fix, "names the real folder"
    finally:
        localcloud.stop(tmp_path)


def test_missing_node_modules_is_reported_with_npm_ci(lab_config, monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "azurite_script", lambda: tmp_path / "missing" / "azurite.js")
    results = by_name(doctor.findings(lambda: lab_config))
    assert results["node_modules"].status == doctor.FAIL
    assert "npm ci" in results["node_modules"].fix


def test_invalid_configuration_fails_and_exit_code_is_1(monkeypatch, capsys):
    monkeypatch.setenv("LAB_BACKEND", "nonsense")
    assert doctor.run() == 1
    out = capsys.readouterr().out
    assert "✘ configuration" in out and "LAB_BACKEND='nonsense'" in out


def test_missing_node_is_reported(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    finding = doctor.check_node()
    assert finding.status == doctor.FAIL and "Node.js 20" in finding.fix


def test_unreadable_ca_bundle_is_a_finding_with_this_state_folder(cloud, lab_config,
                                                                  monkeypatch, tmp_path):
    running = localcloud.status(lab_config.state_dir)
    broken = dataclasses.replace(running.record, ca_bundle=str(tmp_path / "gone.pem"))
    monkeypatch.setattr(doctor.local, "status",
                        lambda config: localcloud.Status("running", broken, running.folder))
    finding = doctor.check_trust(lab_config)
    assert finding.status == doctor.FAIL
    assert str(lab_config.state_dir / "tls") in finding.fix, "the fix names the real folder"


def test_azurite_pin_comes_from_package_json(monkeypatch, tmp_path):
    """doctor compares the installed Azurite with package.json, the pin `npm ci` installs."""
    package = tmp_path / "node_modules" / "azurite"
    (package / "dist" / "src").mkdir(parents=True)
    (package / "dist" / "src" / "azurite.js").write_text("")
    (package / "package.json").write_text('{"version": "9.9.9"}')
    (tmp_path / "package.json").write_text('{"dependencies": {"azurite": "9.9.9"}}')
    monkeypatch.setattr(doctor, "project_root", lambda: tmp_path)
    monkeypatch.setattr(doctor, "azurite_script", lambda: azurite_script(tmp_path))
    monkeypatch.setattr(doctor, "azurite_version", lambda: azurite_version(tmp_path))
    finding = doctor.check_azurite_installed()
    assert (finding.status, finding.detail) == (doctor.OK, "Azurite 9.9.9")


def test_an_unpatched_azurite_is_reported_with_npm_ci(monkeypatch, tmp_path):
    """`npm install --ignore-scripts` installs Azurite without patches/: TTL would break."""
    package = tmp_path / "node_modules" / "azurite"
    (package / "dist" / "src" / "queue" / "persistence").mkdir(parents=True)
    (package / "dist" / "src" / "azurite.js").write_text("")
    (package / "dist" / "src" / "queue" / "persistence" / "LokiQueueMetadataStore.js") \
        .write_text("// as published, without the lab's fix\n")
    (package / "package.json").write_text('{"version": "9.9.9"}')
    (tmp_path / "package.json").write_text('{"dependencies": {"azurite": "9.9.9"}}')
    monkeypatch.setattr(doctor, "project_root", lambda: tmp_path)
    monkeypatch.setattr(doctor, "azurite_script", lambda: azurite_script(tmp_path))
    monkeypatch.setattr(doctor, "azurite_version", lambda: azurite_version(tmp_path))
    monkeypatch.setattr(doctor, "azurite_patched", lambda: azurite_patched(tmp_path))
    finding = doctor.check_azurite_installed()
    assert finding.status == doctor.FAIL and "without the lab's patch" in finding.detail
    assert "npm ci" in finding.fix
