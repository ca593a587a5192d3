"""Secrets stay where they belong: out of git, notebook outputs, reprs and logs.

The secret scan (test_secret_scan.py) checks what is committed; these tests check the
paths by which a secret could get there: a lab.env, a notebook run, a repr, an SDK log.
"""

from __future__ import annotations

import base64
import logging
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from test_secret_scan import ROOT, findings, tracked_text_files

from labsupport.config import load_config
from labsupport.errors import ConfigError
from labsupport.logsetup import configure_logging

# A fake key shaped like a real one (64 random-looking bytes, base64), and a connection
# string built from it, as a learner might keep them in lab.env.
FAKE_KEY = base64.b64encode(bytes((n * 37 + 11) % 256 for n in range(64))).decode()
FAKE_CONNECTION_STRING = (f"DefaultEndpointsProtocol=https;AccountName=fakeaccount;"
                          f"AccountKey={FAKE_KEY};EndpointSuffix=core.windows.net")


def fragments(secret: str, size: int = 16) -> list[str]:
    """Every ``size``-character piece of a secret: a partial leak is still a leak."""
    return [secret[i:i + size] for i in range(len(secret) - size + 1)]


def leaks(text: str, secret: str) -> bool:
    return any(piece in text for piece in fragments(secret))


# ---------------------------------------------------------------------------- git


@pytest.mark.parametrize("path", ["lab.env", "azure.env", "notebooks/lab.env", ".env"])
def test_env_files_are_git_ignored(path):
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
    assert result.returncode == 0, f"{path} is not git-ignored: it may hold a key"


def test_the_example_env_file_is_not_ignored():
    result = subprocess.run(["git", "check-ignore", "-q", "example.lab.env"], cwd=ROOT)
    assert result.returncode == 1, "example.lab.env must stay committable"


def test_secret_scan_covers_readme_and_every_notebook():
    scanned = {str(p.relative_to(ROOT)) for p in tracked_text_files()}
    tracked = subprocess.run(["git", "ls-files", "notebooks/*.ipynb", "README.md"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert "README.md" in tracked
    assert set(tracked) <= scanned, "a notebook or the README escapes the secret scan"


# ----------------------------------------------------------------------- lab.env


@pytest.fixture()
def lab_env(tmp_path):
    path = tmp_path / "lab.env"
    path.write_text(f"# a learner's lab.env with secrets in it\n"
                    f"AZURE_STORAGE_KEY={FAKE_KEY}\n"
                    f"AZURE_STORAGE_CONNECTION_STRING=\"{FAKE_CONNECTION_STRING}\"\n",
                    encoding="utf-8")
    return path


NOTEBOOK_CELLS = [
    'import labsupport\nlab = labsupport.connect("hygiene")',
    "lab",
    "lab.config",
    "print(lab.summary())\nlabsupport.load_config()",
    'labsupport.connect("Not A Topic")',  # an error, shown with its traceback
    # the learner uses the secrets from lab.env: checks and explanations must not echo them
    "from labsupport.config import default_env_file, parse_env_file\n"
    "import os\n"
    "secrets = parse_env_file(default_env_file(dict(os.environ)))\n"
    "from labsupport.auth import check_connection_string\n"
    'check_connection_string(secrets["AZURE_STORAGE_CONNECTION_STRING"])\n'
    'check_connection_string(secrets["AZURE_STORAGE_CONNECTION_STRING"]'
    '.replace("AccountKey=", "Key="))',
    "from datetime import UTC, datetime, timedelta\n"
    "from azure.core.exceptions import HttpResponseError\n"
    "from azure.storage.queue import QueueClient, generate_queue_sas\n"
    "from labsupport.auth import explain\n"
    "sas = generate_queue_sas(lab.account_name, lab.queue_name, secrets['AZURE_STORAGE_KEY'],\n"
    "                         permission='p', expiry=datetime.now(UTC) + timedelta(minutes=5))\n"
    "try:\n"
    "    QueueClient(lab.account_url, lab.queue_name, credential=sas).receive_message()\n"
    "except HttpResponseError as error:\n"
    "    print(explain(error))\n"
    "    raise",
]


def output_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
            parts.extend(output.get("traceback", []))
            parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def test_a_key_in_lab_env_never_appears_in_notebook_output(lab, lab_env, tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv("LAB_ENV_FILE", str(lab_env))
    monkeypatch.setenv("LAB_STATE_DIR", str(lab.config.state_dir))
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = output_text(notebook)
    assert "Backend: local cloud" in text, "the notebook ran and connected"
    assert "is not a setting" in text and "cannot start a queue name" in text, \
        "the error cells produced their errors"
    assert "AuthenticationFailed" in text, "the SAS made with the fake key was refused"
    assert not leaks(text, FAKE_KEY), "a piece of the key from lab.env is in the outputs"
    assert FAKE_CONNECTION_STRING not in text
    assert findings(text) == [], "the outputs hold a secret"


def test_lab_env_with_secrets_still_loads(lab_env):
    config = load_config({"LAB_ENV_FILE": str(lab_env)})
    assert not leaks(repr(config), FAKE_KEY)


def test_a_malformed_lab_env_line_does_not_echo_a_key(tmp_path):
    path = tmp_path / "lab.env"
    path.write_text(f"AZURE_STORAGE_KEY {FAKE_KEY}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config({"LAB_ENV_FILE": str(path)})
    assert not leaks(str(caught.value), FAKE_KEY)


# ----------------------------------------------------------------- reprs and logs


def test_lab_shows_no_key_in_any_form(lab):
    key = lab.account_key()
    for text in (repr(lab), str(lab), lab.summary(), repr(lab.config), lab.masked_key,
                 repr(lab.credential)):
        assert not leaks(text, key)


def test_sdk_log_records_are_redacted(lab):
    # As connect() does (another test's connect may have pointed the SDK log elsewhere since).
    log = configure_logging(Path(lab.config.state_dir) / "logs")
    # built at run time, so this file itself passes the secret scan
    sas_url = "https://a.queue.core.windows.net/q?sp=p&se=2030-01-01&" + "sig=" + "c2ln" * 6
    jwt = ".".join(["eyJ" + "hbGciOiJIUzI1NiJ9", "eyJ" + "hdWQiOiJodHRwczovL3N0b3JhZ2Ui", "c2ln"])
    logging.getLogger("azure.storage.queue").warning(
        "request failed: %s | %s | Authorization: Bearer %s", FAKE_CONNECTION_STRING, sas_url, jwt)
    for handler in logging.getLogger("azure").handlers:
        handler.flush()
    text = log.read_text(encoding="utf-8")
    assert "request failed" in text, "the record reached sdk.log"
    assert findings(sas_url + jwt) == ["SAS sig=", "JWT"], "the samples are secrets"
    assert not leaks(text, FAKE_KEY) and findings(text) == []


def test_sdk_logs_follow_the_state_folder_of_the_latest_connect(tmp_path):
    logger, sdk = logging.getLogger("azure"), logging.getLogger("azure.storage.queue")
    saved = list(logger.handlers)
    try:
        first = configure_logging(tmp_path / "one")
        assert configure_logging(tmp_path / "one") == first
        sdk.warning("to the first folder")
        second = configure_logging(tmp_path / "two")
        sdk.warning("to the second folder")
        lab_handlers = [h for h in logger.handlers if getattr(h, "_lab", False)]
        assert len(lab_handlers) == 1, "one file at a time, never both"
        for handler in lab_handlers:
            handler.flush()
        assert "to the first folder" in first.read_text(encoding="utf-8")
        assert "to the second folder" not in first.read_text(encoding="utf-8")
        assert "to the second folder" in second.read_text(encoding="utf-8")
    finally:
        for handler in logger.handlers:
            if handler not in saved:
                handler.close()
        logger.handlers[:] = saved
