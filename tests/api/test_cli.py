"""``python -m labsupport api``: bad settings fail fast with a sentence that says the fix."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from labsupport.api.settings import default_port, default_queue_name


def run_api(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "labsupport", "api", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_an_invalid_queue_name_is_refused_with_the_rule():
    finished = run_api("--queue", "Bad_Name", "--port", "1")
    assert finished.returncode == 2
    assert "'Bad_Name' is not a valid queue name" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_port_in_use_is_refused_with_the_fix():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = run_api("--port", str(port), "--queue", "anything")
    assert finished.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in finished.stderr
    assert "--port" in finished.stderr


def test_defaults_come_from_settings_or_fall_back():
    assert default_queue_name({}) == "queue-api"
    assert default_queue_name({"LAB_API_QUEUE": "orders"}) == "orders"
    assert default_port({}) == 8000
    assert default_port({"LAB_API_PORT": "9123"}) == 9123


@pytest.mark.parametrize("port", ["-5", "0", "70000", "http"])
def test_a_port_that_is_not_a_port_is_refused_in_one_line(port):
    finished = run_api("--port", port, "--queue", "anything")
    assert finished.returncode == 2
    assert finished.stderr == (
        f"error: --port={port!r} is not a port: use a number from 1 to 65535.\n")
