"""``az storage message put/peek/get/update/delete/clear`` offline, with ``--auth-mode login``
and ``--account-key``, on the account's ``--queue-endpoint``."""

from __future__ import annotations

import pytest

from .support import credentials

pytestmark = [pytest.mark.cloud, pytest.mark.azcli, pytest.mark.timeout(600)]


@pytest.mark.parametrize("mode", ["login", "key"])
def test_message_commands(shell, endpoint, key, mode):
    auth = credentials(mode, endpoint, key)
    queue = f"cli-messages-{mode}"
    shell.run("storage", "queue", "create", "--name", queue, *auth)

    put = shell.run("storage", "message", "put", "--queue-name", queue, "--content", "hello",
                    *auth)
    shell.run("storage", "message", "put", "--queue-name", queue, "--content", "second",
              *auth)
    assert put["content"] == "hello" and put["popReceipt"]
    peeked = shell.run("storage", "message", "peek", "--queue-name", queue,
                       "--num-messages", "32", *auth)
    assert sorted((m["content"], m["dequeueCount"]) for m in peeked) == [
        ("hello", 0), ("second", 0)]

    [got] = shell.run("storage", "message", "get", "--queue-name", queue,
                      "--visibility-timeout", "600", *auth)
    assert got["dequeueCount"] == 1
    other = ({"hello", "second"} - {got["content"]}).pop()
    updated = shell.run("storage", "message", "update", "--queue-name", queue, "--id",
                        got["id"], "--pop-receipt", got["popReceipt"], "--content", "changed",
                        "--visibility-timeout", "0", *auth)
    assert updated["popReceipt"] != got["popReceipt"]
    peeked = shell.run("storage", "message", "peek", "--queue-name", queue,
                       "--num-messages", "32", *auth)
    assert sorted(m["content"] for m in peeked) == sorted(["changed", other])

    got_all = shell.run("storage", "message", "get", "--queue-name", queue,
                        "--num-messages", "32", "--visibility-timeout", "600", *auth)
    by_id = {m["id"]: m for m in got_all}
    again = by_id.pop(got["id"])
    assert (again["content"], again["dequeueCount"]) == ("changed", 2)
    [second] = by_id.values()
    shell.run("storage", "message", "delete", "--queue-name", queue, "--id", again["id"],
              "--pop-receipt", again["popReceipt"], *auth)
    shell.run("storage", "message", "update", "--queue-name", queue, "--id", second["id"],
              "--pop-receipt", second["popReceipt"], "--visibility-timeout", "0", *auth)
    left = shell.run("storage", "message", "peek", "--queue-name", queue,
                     "--num-messages", "32", *auth)
    assert [m["content"] for m in left] == [other]

    shell.run("storage", "message", "clear", "--queue-name", queue, *auth)
    assert shell.run("storage", "message", "peek", "--queue-name", queue, *auth) == []
    shell.run("storage", "queue", "delete", "--name", queue, *auth)
