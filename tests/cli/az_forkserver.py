"""Runs ``az`` commands for the CLI tests in forks of one warmed-up Python: the same code as
``az ARGS`` (``python -m azure.cli``), without paying for its imports every time.

    <.venv-az python> az_forkserver.py            # in the prepared shell's environment

Reads one JSON request per line on stdin, ``{"argv": [...], "stdout": path, "stderr":
path}``, forks, and in the child runs ``azure.cli`` as ``__main__`` with that argv, its
output in the two files; answers ``{"returncode": n}`` on stdout when the child has ended.
The parent imports modules and never runs a command, so no command sees another's state:
each is a fresh process, as from a shell; only the interpreter start and the imports are
shared (the Azure CLI's own tests go further and run commands in one process). Runs with
the CLI's Python (``.venv-az``), so it imports nothing of the lab.
"""

import contextlib
import json
import os
import runpy
import sys

# What every az command loads before it looks at its arguments (measured with
# python -X importtime -m azure.cli ...). Imported once here, then shared by the forks.
WARM = ("azure.cli.core", "azure.cli.core.commands", "azure.cli.core.commands.parameters",
        "azure.cli.core.parser", "azure.cli.core._profile", "azure.cli.core.telemetry",
        "azure.cli.core.intercept_survey", "knack.completion", "knack.log", "msal",
        "requests", "azure.core.pipeline", "azure.mgmt.core", "azure.cli.core.aaz",
        "azure.cli.command_modules.storage", "azure.cli.command_modules.resource",
        "azure.storage.queue", "azure.storage.blob", "azure.data.tables",
        "azure.mgmt.storage", "azure.mgmt.resource", "azure.mgmt.monitor", "yaml")


def _warm() -> None:
    for name in WARM:  # one the CLI no longer has costs only time, never a result
        with contextlib.suppress(ImportError):
            __import__(name)


def _child(request: dict) -> None:
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.argv = ["az", *request["argv"]]
    code = 0
    try:
        runpy.run_module("azure.cli", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported like the interpreter would
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def main() -> None:
    _warm()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        sys.stdout.write(json.dumps({"returncode": code}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
