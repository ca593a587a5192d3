"""``eval "$(python -m labsupport env --az)"``: one command prepares a shell for ``az``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

import localcloud
from labsupport.redact import redact

pytestmark = [pytest.mark.cloud, pytest.mark.azcli]
PREPARE = f'eval "$({shlex.quote(sys.executable)} -m labsupport env --az)"'


def test_one_command_signs_the_cli_in_to_the_local_cloud(shell):
    done = shell.script(f"""set -e
{PREPARE}
{PREPARE}
az account show --only-show-errors -o tsv \
   --query "join('|', [environmentName, id, tenantId, user.type, user.name])"
az cloud show --only-show-errors -o tsv \
   --query "join('|', [endpoints.resourceManager, suffixes.storageEndpoint])"
echo "config=$AZURE_CONFIG_DIR"
echo "az=$(command -v az)"
echo "python=$(command -v python3)"
""", timeout=300)

    assert done.returncode == 0, redact(done.stderr)
    lines = done.stdout.splitlines()
    assert lines[0].split("|") == [
        "LocalCloud", localcloud.SUBSCRIPTION_ID, localcloud.TENANT_ID, "servicePrincipal",
        "systemAssignedIdentity"]
    management = shell.env["LAB_MANAGEMENT_ENDPOINT"]
    assert lines[1].split("|") == [f"{management}/", "core.windows.net"]
    config = Path(lines[2].removeprefix("config="))
    assert config == shell.state / "azure-cli"
    assert (config / "azureProfile.json").is_file(), "the sign-in is kept in the lab's folder"
    assert Path(lines[3].removeprefix("az=")) == config / "bin" / "az"
    assert not lines[4].startswith(str(config)), "the CLI's venv must not shadow python"
    assert not (shell.home / ".azure").exists(), "the learner's ~/.azure is never touched"


def test_the_printed_lines_keep_the_labs_trust_and_hold_no_token(shell):
    """The SDK code of the shell keeps the lab's CA directory; ``az`` (the wrapper) gets the
    bundle file, since the CLI refuses a directory."""
    assert Path(shell.env["REQUESTS_CA_BUNDLE"]).is_dir()
    assert Path(shell.env["SSL_CERT_FILE"]).is_file()
    assert shell.env["AZURE_CORE_COLLECT_TELEMETRY"] == "false"
    printed = "\n".join(f"{k}={v}" for k, v in shell.env.items() if k != "IDENTITY_HEADER")
    assert redact(printed) == printed
    done = shell.script('az cloud show --query name -o tsv && echo "$REQUESTS_CA_BUNDLE"')
    assert done.stdout.split() == ["LocalCloud", shell.env["REQUESTS_CA_BUNDLE"]], redact(
        done.stderr)


def test_without_the_cli_the_command_says_how_to_install_it(shell, monkeypatch, capsys):
    from labsupport import azcli
    from labsupport.__main__ import main

    monkeypatch.setattr(azcli, "VENV", shell.state / "no-such-venv")
    for name, value in shell.env.items():
        monkeypatch.setenv(name, value)

    assert main(["env", "--az"]) == 2
    assert "run `make cli`" in capsys.readouterr().err


def test_in_a_notebook_prepare_sets_this_processs_variables_for_bang_az(shell, monkeypatch):
    """What a notebook cell does: ``labsupport.azcli.prepare()``, then ``!az …`` (a shell
    that inherits the kernel's environment)."""
    import os
    import subprocess

    from labsupport import azcli
    from labsupport.config import load_config

    for name in {*shell.env, "PATH"}:  # restored after the test, whatever prepare() sets
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    config = load_config({"LAB_STATE_DIR": str(shell.state)}, env_file=False)

    values = azcli.prepare(config)

    assert all(os.environ[name] == value for name, value in values.items())
    assert Path(os.environ["REQUESTS_CA_BUNDLE"]).is_dir(), "the kernel's SDKs keep it"
    done = subprocess.run(["bash", "-c", "az account show --query environmentName -o tsv"],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "LocalCloud"), redact(done.stderr)
