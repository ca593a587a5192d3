"""The Azure CLI tests: a local cloud of their own and a shell prepared by the one command.

The shell's variables are what ``python -m labsupport env --az`` prints, in an
environment with nothing of the caller's Azure, identity or lab settings, and a ``HOME``
of its own (so a test sees that the learner's ``~/.azure`` is never touched). Without the
CLI (``make cli``) the tests are skipped, unless ``LAB_REQUIRE_AZCLI`` is set (make test
sets it), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import localcloud
from labsupport import azcli
from labsupport.redact import redact

from .support import ACCOUNT, GROUP

# What the caller's environment must not lend the prepared shell.
FOREIGN = ("AZURE_", "IDENTITY_", "MSI_", "IMDS_", "LAB_")
TRUST = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")
CALL_TIMEOUT = 180  # seconds for one az call on a slow, busy machine


@dataclass
class Shell:
    """A prepared shell: its variables, its state folder and HOME."""

    env: dict[str, str] = field(repr=False)  # IDENTITY_HEADER: never in a test log
    state: Path
    home: Path

    @property
    def az(self) -> str:
        return str(Path(self.env["AZURE_CONFIG_DIR"]) / "bin" / "az")

    def run(self, *args: str, secret_output: bool = False) -> Any:
        """``az ARGS`` as a learner types it; its JSON output (or text for ``-o tsv``).
        A failure shows the CLI's error, redacted; no output may hold a token or key
        unless ``secret_output`` says it is the command's answer (keys list)."""
        words = [self.az, *args, "--only-show-errors"]
        if "-o" not in args and "--output" not in args:
            words += ["-o", "json"]
        done = subprocess.run(words, env=self.env, capture_output=True, text=True,
                              timeout=CALL_TIMEOUT)
        shown = f"az {' '.join(args[:4])}: {redact(done.stderr.strip())}"
        assert done.returncode == 0, shown
        assert redact(done.stderr) == done.stderr, f"secret on stderr of az {args[:3]}"
        if not secret_output:
            assert redact(done.stdout) == done.stdout, f"secret in the output of az {args[:3]}"
        if "tsv" in args:
            return done.stdout.strip()
        return json.loads(done.stdout) if done.stdout.strip() else None

    def script(self, text: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a bash script in the prepared shell."""
        return subprocess.run(["bash", "-c", text], env=self.env, capture_output=True,
                              text=True, timeout=timeout)


def base_environment(state: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(FOREIGN) and k not in TRUST}
    return {**env, "HOME": str(home), "LAB_STATE_DIR": str(state), "LAB_BACKEND": "local",
            "LAB_PROGRESS": "0"}


def exported(lines: str) -> dict[str, str]:
    """The variables of ``export NAME=value`` lines."""
    values = {}
    for line in lines.splitlines():
        word, assignment = shlex.split(line)
        assert word == "export", line
        name, _, value = assignment.partition("=")
        values[name] = value
    return values


@pytest.fixture(scope="session")
def az_installed() -> Path:
    try:
        return azcli.executable()
    except azcli.AzureCliError as error:
        if os.environ.get("LAB_REQUIRE_AZCLI"):
            pytest.fail(f"The Azure CLI is required (LAB_REQUIRE_AZCLI is set): {error}")
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def shell(az_installed, tmp_path_factory) -> Shell:
    state = Path(tmp_path_factory.mktemp("azcli-state"))
    home = Path(tmp_path_factory.mktemp("azcli-home"))
    env = base_environment(state, home)
    done = subprocess.run([sys.executable, "-m", "labsupport", "env", "--az"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, redact(done.stderr)
    yield Shell({**env, **exported(done.stdout)}, state, home)
    localcloud.stop(state)


# The group, account, endpoint and key that the command tests use (tests/cli/test_*commands.py):
# made with the CLI itself, once per test module (the files run on different workers).
@pytest.fixture(scope="module")
def account(shell) -> dict:
    """The group and account the commands below use, made with the CLI itself."""
    group = shell.run("group", "create", "--name", GROUP, "--location", "eastus")
    assert (group["name"], group["location"]) == (GROUP, "eastus")
    assert group["properties"]["provisioningState"] == "Succeeded"
    created = shell.run("storage", "account", "create", "--name", ACCOUNT,
                        "--resource-group", GROUP, "--location", "eastus",
                        "--sku", "Standard_LRS")
    assert (created["name"], created["sku"]["name"], created["kind"]) == (
        ACCOUNT, "Standard_LRS", "StorageV2")
    assert created["provisioningState"] == "Succeeded"
    return created


@pytest.fixture(scope="module")
def endpoint(shell, account) -> str:
    return shell.run("storage", "account", "show", "--name", ACCOUNT, "--resource-group",
                     GROUP, "--query", "primaryEndpoints.queue", "-o", "tsv")


@pytest.fixture(scope="module")
def key(shell, account) -> str:
    return shell.run("storage", "account", "keys", "list", "--account-name", ACCOUNT,
                     "--resource-group", GROUP, "--query", "[0].value", "-o", "tsv",
                     secret_output=True)
