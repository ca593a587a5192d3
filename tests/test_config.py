"""Configuration: defaults, lab.env parsing, and clear errors for bad values."""

from __future__ import annotations

import os

import pytest

from labsupport.config import LOCAL_SUBSCRIPTION_ID, derived_account_name, load_config
from labsupport.errors import ConfigError

SUB = "12345678-1234-4234-8234-123456789abc"


def test_defaults_are_local_and_offline(tmp_path):
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=False)
    assert config.backend == "local" and config.is_local
    assert config.subscription_id == LOCAL_SUBSCRIPTION_ID
    assert config.resource_group == "rg-qlab"
    assert config.account_name == derived_account_name("qlab", LOCAL_SUBSCRIPTION_ID)
    assert config.state_dir == tmp_path
    assert config.ports == {"queue": None, "blob": None, "table": None, "management": None}


def test_account_name_is_stable_and_valid():
    name = derived_account_name("ana1", SUB)
    assert name == derived_account_name("ana1", SUB)
    assert name.startswith("ana1") and len(name) == 12 and name.isalnum() and name.islower()
    assert name != derived_account_name("ana2", SUB)


def test_lab_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / "lab.env"
    env_file.write_text(
        "# my settings\n\nexport LAB_PREFIX=ana1\nLAB_LOCATION='westeurope'\nLAB_QUEUE_PORT=12001\n"
    )
    config = load_config({"LAB_LOCATION": "northeurope"}, env_file=env_file)
    assert config.prefix == "ana1"
    assert config.location == "northeurope"
    assert config.ports["queue"] == 12001
    assert config.resource_group == "rg-ana1"
    assert config.env_file == env_file


def test_lab_env_file_found_through_lab_env_file(tmp_path):
    env_file = tmp_path / "other.env"
    env_file.write_text("LAB_PREFIX=bob\n")
    assert load_config({"LAB_ENV_FILE": str(env_file)}).prefix == "bob"
    with pytest.raises(ConfigError, match="does not exist"):
        load_config({"LAB_ENV_FILE": str(tmp_path / "missing.env")})


def test_malformed_lab_env_line_names_the_line(tmp_path):
    env_file = tmp_path / "lab.env"
    env_file.write_text("LAB_PREFIX=ok\nthis is not a setting\n")
    with pytest.raises(ConfigError, match=r"lab.env line 2: expected NAME=value"):
        load_config({}, env_file=env_file)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LAB_BACKEND": "nonsense"}, r"LAB_BACKEND='nonsense' is not a backend: use 'local'"),
        ({"LAB_PREFIX": "Bad_Prefix"}, r"LAB_PREFIX='Bad_Prefix' is invalid"),
        ({"LAB_PREFIX": "waytoolongprefix"}, r"2-10 lowercase"),
        ({"LAB_LOCATION": "West Europe"}, r"short form such as 'eastus'"),
        ({"LAB_ACCOUNT_NAME": "My-Account"}, r"3-24 lowercase letters and digits"),
        ({"LAB_RESOURCE_GROUP": "bad/name"}, r"LAB_RESOURCE_GROUP='bad/name' is invalid"),
        ({"LAB_QUEUE_PORT": "http"}, r"LAB_QUEUE_PORT='http' is not a port"),
        ({"LAB_QUEUE_PORT": "80"}, r"1024 to 65535"),
        ({"LAB_QUEUE_PORT": "12000", "LAB_BLOB_PORT": "12000"}, r"repeat a port"),
        ({"LAB_BACKEND": "azure"}, r"needs AZURE_SUBSCRIPTION_ID: run `az account show"),
        ({"LAB_BACKEND": "azure", "AZURE_SUBSCRIPTION_ID": "my-sub"}, r"is not a subscription id"),
    ],
)
def test_invalid_settings_explain_the_fix(settings, message):
    with pytest.raises(ConfigError, match=message):
        load_config(settings, env_file=False)


def test_azure_backend_uses_the_subscription():
    config = load_config(
        {"LAB_BACKEND": "AZURE", "AZURE_SUBSCRIPTION_ID": SUB, "LAB_PREFIX": "ana1"}, env_file=False
    )
    assert config.backend == "azure" and not config.is_local
    assert config.subscription_id == SUB
    assert config.account_name == derived_account_name("ana1", SUB)


def test_first_line_of_an_error_never_fails():
    from labsupport.errors import first_line

    assert first_line(ValueError("bad thing\nmore detail")) == "bad thing"
    assert first_line(ValueError("")) == "ValueError"
    assert first_line(RuntimeError()) == "RuntimeError"


def test_lab_env_that_is_not_utf8_names_the_file_and_line(tmp_path):
    env_file = tmp_path / "lab.env"
    env_file.write_bytes(b"LAB_PREFIX=ok\n# comment\nLAB_LOCATION=caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config({}, env_file=env_file)
    message = str(caught.value)
    assert message.startswith("lab.env line 3 is not UTF-8 text (byte 0xE9): ")
    assert "save it as UTF-8" in message
    assert "caf" not in message  # the content of a line may be a secret
    assert len(message.splitlines()) == 1


def test_lab_env_with_a_utf8_bom_is_read_like_any_other(tmp_path):
    """Windows editors may start a UTF-8 file with a byte order mark; line 1 is still valid."""
    env_file = tmp_path / "lab.env"
    env_file.write_bytes("\ufeffLAB_PREFIX=ana1\nLAB_LOCATION=westeurope\n".encode())
    config = load_config({"LAB_STATE_DIR": str(tmp_path)}, env_file=env_file)
    assert (config.prefix, config.location) == ("ana1", "westeurope")


def test_lab_env_that_cannot_be_read_names_the_file(tmp_path):
    folder = tmp_path / "lab.env"
    folder.mkdir()
    with pytest.raises(ConfigError, match=rf"^{folder} cannot be read \("):
        load_config({}, env_file=folder)


def test_state_dir_that_is_a_file_names_the_setting(tmp_path):
    a_file = tmp_path / "state"
    a_file.write_text("not a folder")
    with pytest.raises(ConfigError, match=rf"^LAB_STATE_DIR points at {a_file}, which is a file"):
        load_config({"LAB_STATE_DIR": str(a_file)}, env_file=False)


@pytest.mark.parametrize("inside", ["a-file/state", "/proc/queue-lab-state"])
def test_state_dir_that_cannot_be_created_names_the_setting(tmp_path, inside):
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / inside
    with pytest.raises(ConfigError) as caught:
        load_config({"LAB_STATE_DIR": str(target)}, env_file=False)
    assert str(caught.value).startswith(f"LAB_STATE_DIR points at {target}, which cannot be ")
    assert "unset LAB_STATE_DIR" in str(caught.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_state_dir_that_cannot_be_written_names_the_setting(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ConfigError, match=rf"^LAB_STATE_DIR points at {locked}, which "
                                              r"cannot be written: "):
            load_config({"LAB_STATE_DIR": str(locked)}, env_file=False)
    finally:
        locked.chmod(0o700)


def test_lab_env_file_that_is_a_folder_is_not_called_missing(tmp_path):
    with pytest.raises(ConfigError, match="which is not a file"):
        load_config({"LAB_ENV_FILE": str(tmp_path)})


def test_a_state_dir_that_does_not_exist_yet_is_created(tmp_path):
    config = load_config({"LAB_STATE_DIR": str(tmp_path / "new" / "state")}, env_file=False)
    assert config.state_dir.is_dir()


def test_the_cli_reports_a_state_dir_mistake_in_one_line(tmp_path):
    import subprocess
    import sys

    a_file = tmp_path / "state"
    a_file.write_text("")
    finished = subprocess.run([sys.executable, "-m", "labsupport", "status"],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "LAB_STATE_DIR": str(a_file)})
    assert finished.returncode == 2
    assert finished.stderr.startswith(f"error: LAB_STATE_DIR points at {a_file}, which is a file")
    assert len(finished.stderr.splitlines()) == 1
