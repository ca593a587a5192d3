"""doctor reports a healthy machine as healthy and a broken one clearly, with fixes."""

from __future__ import annotations

import dataclasses
import os
import re
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


@pytest.fixture
def project(monkeypatch, tmp_path):
    """A project root of its own (its lab.env), and none of the lab's settings set."""
    for name in doctor.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LAB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(doctor, "project_root", lambda: tmp_path)
    monkeypatch.setattr("labsupport.config.project_root", lambda: tmp_path)
    return tmp_path


def test_counts_read_as_sentences():
    problem = doctor.Finding(doctor.FAIL, "x", "broken", "run y")
    note = doctor.Finding(doctor.WARN, "z", "worth knowing")
    fine = doctor.Finding(doctor.OK, "w", "fine")
    assert doctor.verdict([problem, note]) == "1 problem to fix (marked ✘)."
    assert doctor.verdict([problem, problem]) == "2 problems to fix (marked ✘)."
    assert doctor.verdict([fine, note]) == "Ready (1 note marked !)."
    assert doctor.verdict([note, note]) == "Ready (2 notes marked !)."
    assert doctor.verdict([fine]) == "Ready."


def test_a_bad_value_from_lab_env_says_it_came_from_there(project, capsys):
    (project / "lab.env").write_text("LAB_BACKEND=nonsense\n")
    assert doctor.run() == 1
    out = capsys.readouterr().out
    assert "✘ configuration      LAB_BACKEND='nonsense' is not a backend" in out
    assert "    fix: LAB_BACKEND is set in lab.env (edit that line); then run " \
           "`python -m labsupport doctor` again\n" in out
    assert out.endswith("\n1 problem to fix (marked ✘).\n"), out


def test_the_environment_wins_over_lab_env_and_says_so(project, monkeypatch):
    (project / "lab.env").write_text("LAB_PREFIX=ana1\n")
    monkeypatch.setenv("LAB_PREFIX", "X")
    configuration = by_name(doctor.findings())["configuration"]
    assert configuration.fix == "LAB_PREFIX is set in your environment (change it, or " \
        "`unset LAB_PREFIX` for the default); then run `python -m labsupport doctor` again"


def test_each_value_of_a_working_configuration_names_its_source(project, monkeypatch):
    (project / "lab.env").write_text("LAB_PREFIX=ana1\nLAB_LOCATION=westeurope\n")
    monkeypatch.setenv("LAB_LOCATION", "northeurope")
    configuration = by_name(doctor.findings())["configuration"]
    assert configuration.detail == (
        f"backend local (default), state folder {project / 'state'} (environment), "
        f"LAB_PREFIX=ana1 (lab.env), LAB_LOCATION=northeurope (environment)")


def test_a_value_from_lab_env_file_names_that_file(project, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "mine.env"
    elsewhere.write_text("LAB_BACKEND=azure\n")
    monkeypatch.setenv("LAB_ENV_FILE", str(elsewhere))
    configuration = by_name(doctor.findings())["configuration"]
    assert configuration.status == doctor.FAIL, "azure needs a subscription id"
    assert configuration.fix.startswith(f"LAB_BACKEND is set in {elsewhere} (edit that line)")


def test_a_fix_adds_to_its_finding_rather_than_repeating_it(project, monkeypatch):
    """Every fix line names a command to run or a place to change, and none repeats a
    sentence of the line above it (the error sentences already say what a right value is)."""
    cases = {"LAB_BACKEND": "nonsense", "LAB_PREFIX": "X", "LAB_LOCATION": "East US",
             "LAB_QUEUE_PORT": "80", "LAB_ACCOUNT_NAME": "Bad_Name"}
    for name, value in cases.items():
        monkeypatch.setenv(name, value)
        finding = by_name(doctor.findings())["configuration"]
        monkeypatch.delenv(name)
        assert finding.status == doctor.FAIL, name
        assert f"{name} is set in your environment" in finding.fix, finding
        assert "`python -m labsupport doctor`" in finding.fix, finding
        for sentence in re.split(r"[.:;] ", finding.fix):
            assert sentence.strip(" .") not in finding.detail, (name, sentence)


def test_a_stopped_cloud_note_says_the_command_not_the_detail_again(project):
    config = load_config(env_file=False)
    finding = doctor.check_local_cloud(config)
    assert (finding.status, finding.detail, finding.fix) == (
        doctor.WARN, "not running; a notebook's labsupport.connect() starts it",
        "to start it now: `python -m labsupport up`")


def test_the_empty_state_folder_load_config_made_is_no_problem(project):
    """On a fresh checkout the doctor's own load_config creates the state folder with the
    umask's mode (0755): nothing is in it to hide, and the first start makes it 0700."""
    config = load_config(env_file=False)
    assert config.state_dir.is_dir() and not any(config.state_dir.iterdir())
    config.state_dir.chmod(0o755)
    finding = doctor.check_state_privacy(config)
    assert finding.status == doctor.OK, finding
    (config.state_dir / "management.json").write_text("{}")
    assert doctor.check_state_privacy(config).status == doctor.FAIL, "a file in it: checked"
