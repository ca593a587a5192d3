"""The state folder holds account keys: it is 0700, management.json 0600, fixed on start."""

from __future__ import annotations

import json
import stat

import pytest

import localcloud
from labsupport import doctor, local
from labsupport.config import load_config

from .arm_support import resource_client


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.cloud
def test_a_start_makes_an_existing_folder_and_key_file_private(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o755)  # as an older version (or a umask of 022) left it
    folder = localcloud.StateFolder(state)
    folder.management_state.write_text(json.dumps({"version": 1, "subscriptions": {}}))
    folder.management_state.chmod(0o644)
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    local.up(config)
    try:
        assert mode(state) == 0o700, f"state folder is {mode(state):04o}"
        assert mode(folder.management_state) == 0o600
        assert folder.exposed() == []
    finally:
        localcloud.stop(folder)


def test_management_json_is_written_private(arm_env, shared_account):
    resource_client(arm_env).resource_groups.create_or_update("rg-Private", {
        "location": "eastus"})
    path = arm_env.folder.management_state
    assert "rg-private" in path.read_text(), "the group was saved"
    assert mode(path) == 0o600, f"{path} is {mode(path):04o}: others could read account keys"


def test_doctor_reports_a_readable_state_folder_with_the_fix(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    folder = localcloud.StateFolder(state)
    folder.management_state.write_text("{}")
    folder.management_state.chmod(0o600)
    state.chmod(0o700)
    assert doctor.check_state_privacy(config).status == doctor.OK

    state.chmod(0o755)
    folder.management_state.chmod(0o644)
    finding = doctor.check_state_privacy(config)
    assert finding.status == doctor.FAIL
    assert f"{state} is 0755" in finding.detail and f"{folder.management_state} is 0644" \
        in finding.detail
    assert f"chmod 700 {state}" in finding.fix and f"chmod 600 {folder.management_state}" \
        in finding.fix
