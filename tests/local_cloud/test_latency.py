"""The simulated round trip (localcloud.latency): bytes arrive whole, in order, one round trip
late at the least, with bounded memory; and an SDK client over it still verifies TLS.

Timing assertions are lower bounds only (the relay holds each chunk at least half the round
trip each way); nothing here says how fast a busy machine must be.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from localcloud.errors import LocalCloudError
from localcloud.latency import CHUNK, RoundTripProxy, round_trip

ROUND_TRIP_MS = 40


class EchoServer:
    """A TCP server on 127.0.0.1 that sends back what it reads, or (``flood``) sends
    ``flood`` bytes as soon as a client connects and counts what the socket accepted."""

    def __init__(self, flood: int = 0):
        self.flood, self.sent = flood, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            if self.flood:
                block = b"f" * CHUNK
                while self.sent < self.flood:
                    try:
                        self.sent += connection.send(block)
                    except OSError:
                        return
                return
            while data := connection.recv(CHUNK):
                connection.sendall(data)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.close()


def exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as client:
        sender = threading.Thread(target=lambda: (client.sendall(payload),
                                                  client.shutdown(socket.SHUT_WR)))
        sender.start()
        received = bytearray()
        while data := client.recv(CHUNK):
            received += data
        sender.join()
    return bytes(received)


def test_a_request_and_its_answer_arrive_a_round_trip_later_at_the_least(echo):
    with RoundTripProxy(echo.port, ROUND_TRIP_MS) as proxy:
        started = time.monotonic()
        assert exchange(proxy.port, b"ping") == b"ping"
        elapsed = time.monotonic() - started
    assert elapsed >= ROUND_TRIP_MS / 1000
    assert proxy.connections == 1


def test_without_the_relay_the_same_exchange_is_the_control(echo):
    """Control: the echo alone answers; the relay is what adds the wait (no upper bound is
    asserted: the machine may be busy)."""
    assert exchange(echo.port, b"ping") == b"ping"


def test_bytes_arrive_whole_and_in_order(echo):
    payload = os.urandom(3 * 1024 * 1024 + 17)  # many chunks, the last one partial
    with round_trip(echo.port, 2) as port:
        assert exchange(port, payload) == payload


def test_memory_is_bounded_when_nothing_is_released():
    """With a clock that never moves, no chunk is ever due: the relay takes at most its
    buffer, then stops reading, and the sender is held back by TCP."""
    server = EchoServer(flood=64 * 1024 * 1024)
    proxy = RoundTripProxy(server.port, 10, buffer_bytes=4 * CHUNK, clock=lambda: 0.0)
    proxy.start()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=30):
            deadline = time.monotonic() + 60
            while proxy.most_held < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert proxy.most_held == 4
            sent = server.sent
            time.sleep(0.5)  # not a wait for a condition: a window in which nothing may move
            assert proxy.most_held == 4
        assert server.sent < server.flood
        assert sent < server.flood
    finally:
        proxy.close()
        server.close()


def test_a_round_trip_out_of_range_is_a_clear_error():
    with pytest.raises(LocalCloudError, match=r"1001 ms is out of range: choose 0 to 1000 ms"):
        RoundTripProxy(1, 1001)


def test_close_stops_listening_and_is_idempotent(echo):
    proxy = RoundTripProxy(echo.port, 5)
    port = proxy.start()
    proxy.close()
    proxy.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_an_sdk_client_over_the_relay_verifies_tls_and_waits_a_round_trip(lab, queue):
    """The lab's own endpoint through the relay: HTTPS to 127.0.0.1 still verifies, the
    bearer token still works, and each request pays the round trip."""
    from urllib.parse import urlsplit

    from azure.storage.queue import QueueClient

    parts = urlsplit(lab.account_url)
    with round_trip(parts.port, ROUND_TRIP_MS) as port:
        url = f"https://127.0.0.1:{port}{parts.path}"
        with QueueClient(url, queue.queue_name, credential=lab.credential) as far:
            far.get_queue_properties()            # the connection and TLS, before timing
            started = time.monotonic()
            far.send_message("over the relay")
            elapsed = time.monotonic() - started
    assert elapsed >= ROUND_TRIP_MS / 1000
    assert [m.content for m in queue.receive_messages()] == ["over the relay"]


# --- the setting and the lab's door ---------------------------------------------------------

def test_the_setting_defaults_to_thirty_ms_and_takes_zero_to_a_second(tmp_path):
    from labsupport.config import load_config

    def rtt(value=None):
        env = {"LAB_STATE_DIR": str(tmp_path)}
        if value is not None:
            env["LAB_NETWORK_RTT_MS"] = value
        return load_config(env, env_file=False).network_rtt_ms

    assert (rtt(), rtt(""), rtt("0"), rtt("1000")) == (30, 30, 0, 1000)


@pytest.mark.parametrize("value", ["fast", "-5", "2.5", "1001"])
def test_a_bad_round_trip_setting_says_what_to_use(tmp_path, value):
    from labsupport.config import load_config
    from labsupport.errors import ConfigError

    with pytest.raises(ConfigError, match=r"LAB_NETWORK_RTT_MS=.* is not a round trip: use "
                                          r"whole milliseconds from 0 to 1000"):
        load_config({"LAB_STATE_DIR": str(tmp_path), "LAB_NETWORK_RTT_MS": value},
                    env_file=False)


def test_the_lab_gives_an_endpoint_behind_the_round_trip_and_closes_it(lab, queue):
    from azure.storage.queue import QueueClient

    with lab.azure_like_network(ROUND_TRIP_MS) as network:
        assert network.simulated and network.round_trip_ms == ROUND_TRIP_MS
        assert network.account_url != lab.account_url
        assert network.account_url.endswith("/" + lab.account_name)
        far = QueueClient(network.account_url, queue.queue_name, credential=lab.credential)
        far.send_message("far")
        far.close()
        assert "40 ms" in network.describe()
    from azure.core.exceptions import ServiceRequestError

    with pytest.raises(ServiceRequestError):  # the relay is gone with the block
        QueueClient(network.account_url, queue.queue_name, credential=lab.credential,
                    retry_total=0).get_queue_properties()
    assert [m.content for m in queue.receive_messages()] == ["far"]


def test_zero_adds_nothing_and_azure_is_never_behind_the_relay(lab, tmp_path):
    import dataclasses

    from labsupport.config import load_config

    with lab.azure_like_network(0) as network:
        assert (network.account_url, network.simulated) == (lab.account_url, True)
    azure = load_config({"LAB_STATE_DIR": str(tmp_path), "LAB_BACKEND": "azure",
                         "AZURE_SUBSCRIPTION_ID": "12345678-1234-1234-1234-123456789abc"},
                        env_file=False)
    on_azure = dataclasses.replace(lab, config=azure,
                                   account_url="https://example.queue.core.windows.net")
    with on_azure.azure_like_network(50) as network:
        assert network == dataclasses.replace(network, account_url=on_azure.account_url,
                                              round_trip_ms=0, simulated=False)
        assert network.describe().startswith("Azure: the network between you and the region "
                                              "is real")


def test_closing_with_connections_open_ends_them_quietly(caplog):
    """close() ends connections still open (a client's keep-alive pool) without asyncio
    logging an error for each (control: the connections were open and relayed)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(server.accept()[0]) for _ in range(3)],
                     daemon=True).start()
    proxy = RoundTripProxy(server.getsockname()[1], 30)
    proxy.start()
    clients = [socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
               for _ in range(3)]
    try:
        for client in clients:
            client.sendall(b"x")
        deadline = time.monotonic() + 60
        while len(accepted) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [c.recv(1) for c in accepted] == [b"x"] * 3
        with caplog.at_level("DEBUG", logger="asyncio"):
            proxy.close()
        assert not [r for r in caplog.records if r.levelname == "ERROR"]
        assert [c.recv(1) for c in clients] == [b""] * 3   # ended by the relay
    finally:
        for each in (*clients, *accepted, server):
            each.close()
