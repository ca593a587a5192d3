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
import select
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
FORKSERVER = Path(__file__).with_name("az_forkserver.py")


@dataclass
class Shell:
    """A prepared shell: its variables, its state folder and HOME."""

    env: dict[str, str] = field(repr=False)  # IDENTITY_HEADER: never in a test log
    state: Path
    home: Path
    az_program: str = ""  # the CLI's own az script (.venv-az/bin/az)
    _server: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def az(self) -> str:
        return str(Path(self.env["AZURE_CONFIG_DIR"]) / "bin" / "az")

    def run(self, *args: str, secret_output: bool = False) -> Any:
        """``az ARGS`` as a learner types it; its JSON output (or text for ``-o tsv``).
        A failure shows the CLI's error, redacted; no output may hold a token or key
        unless ``secret_output`` says it is the command's answer (keys list)."""
        words = [*args, "--only-show-errors"]
        if "-o" not in args and "--output" not in args:
            words += ["-o", "json"]
        returncode, stdout, stderr = self._az(words)
        shown = f"az {' '.join(args[:4])}: {redact(stderr.strip())}"
        assert returncode == 0, shown
        assert redact(stderr) == stderr, f"secret on stderr of az {args[:3]}"
        if not secret_output:
            assert redact(stdout) == stdout, f"secret in the output of az {args[:3]}"
        if "tsv" in args:
            return stdout.strip()
        return json.loads(stdout) if stdout.strip() else None

    def _az(self, words: list[str]) -> tuple[int, str, str]:
        """Run ``az WORDS`` in a fork of the warmed-up CLI (az_forkserver.py): the same
        command, without re-importing the CLI for each (about 0.8 s of CPU a call)."""
        if self._server is None:
            self._server = subprocess.Popen(
                [str(Path(self.az_program).with_name("python")), str(FORKSERVER)],
                env=forkserver_environment(self.env, Path(self.az_program)),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        out, err = self.home / "az.stdout", self.home / "az.stderr"
        self._server.stdin.write(json.dumps(
            {"argv": words, "stdout": str(out), "stderr": str(err)}) + "\n")
        self._server.stdin.flush()
        ready, _, _ = select.select([self._server.stdout], [], [], CALL_TIMEOUT)
        assert ready, f"az {' '.join(words[:3])} did not end within {CALL_TIMEOUT} s"
        answer = self._server.stdout.readline()
        assert answer, f"the az fork server ended: exit code {self._server.wait()}"
        return (json.loads(answer)["returncode"], out.read_text(encoding="utf-8"),
                err.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self._server is not None:
            self._server.stdin.close()
            self._server.wait(timeout=60)
            self._server = None

    def script(self, text: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a bash script in the prepared shell."""
        return subprocess.run(["bash", "-c", text], env=self.env, capture_output=True,
                              text=True, timeout=timeout)


def forkserver_environment(env: dict[str, str], program: Path) -> dict[str, str]:
    """What ``az`` runs in: the shell's variables as the wrapper (labsupport.azcli) and the
    CLI's own script (.venv-az/bin/az) change them."""
    env = dict(env)
    if Path(env.get("REQUESTS_CA_BUNDLE", "")).is_dir() and Path(
            env.get("SSL_CERT_FILE", "")).is_file():
        env["REQUESTS_CA_BUNDLE"] = env["SSL_CERT_FILE"]
    source = str(program.resolve().parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env.setdefault("AZ_INSTALLER", "PIP")
    return env


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
    prepared = Shell({**env, **exported(done.stdout)}, state, home, str(az_installed))
    yield prepared
    prepared.close()
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
