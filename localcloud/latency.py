"""A simulated network round trip: a TCP relay on 127.0.0.1 that holds traffic for a while.

On this machine a request to Azurite comes back in about a millisecond; a client talking to
Azure waits tens of milliseconds for the network. :class:`RoundTripProxy` puts that wait
back, for the code that asks for it (lesson 10): it listens on a free port of 127.0.0.1,
relays every connection to a port of 127.0.0.1 (Azurite's queue port), and holds each
chunk of bytes for half the round trip in each direction, so a request and its answer
arrive one round trip later than they would.

* Bytes pass untouched (TLS included): certificates still verify for 127.0.0.1, and
  the relay sees no token or message.
* Order is kept per connection and per direction (one FIFO each); the delay is a
  propagation delay, not a bandwidth limit: chunks read close together leave close
  together.
* Memory is bounded: each direction holds at most ``buffer_bytes`` in flight; past that
  the relay stops reading until the other side has taken some (TCP back-pressure).
* Opening a connection adds no delay of its own (no simulated SYN); a TLS handshake,
  being data, pays its round trips.

It runs its own event loop in a daemon thread, so synchronous and asynchronous clients of
the calling process both go through it. It is off unless started; Azure is never behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator

from .errors import LocalCloudError
from .ports import HOST

CHUNK = 64 * 1024
MAX_ROUND_TRIP_MS = 1000


class RoundTripProxy:
    """Relays ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>``, adding ``round_trip_ms``.

    Use as a context manager (``with RoundTripProxy(port, 30) as proxy: proxy.port``) or
    call :meth:`start` and :meth:`close`. ``connections`` counts the connections it took;
    ``most_held`` is the most chunks one direction held at once (at most
    ``buffer_bytes // 64 KiB``).
    """

    def __init__(self, target_port: int, round_trip_ms: float, *,
                 buffer_bytes: int = 1024 * 1024, clock=time.monotonic):
        if not 0 <= round_trip_ms <= MAX_ROUND_TRIP_MS:
            raise LocalCloudError(f"A simulated round trip of {round_trip_ms} ms is out of "
                                  f"range: choose 0 to {MAX_ROUND_TRIP_MS} ms.")
        if buffer_bytes < CHUNK:
            raise ValueError(f"buffer_bytes must be at least {CHUNK}, got {buffer_bytes}")
        self.target_port = target_port
        self.round_trip_ms = round_trip_ms
        self.buffer_bytes = buffer_bytes
        self.port: int | None = None
        self.connections = 0
        self.most_held = 0  # the most chunks held at once in one direction of a connection
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    @property
    def one_way(self) -> float:
        """Seconds each chunk is held: half the round trip."""
        return self.round_trip_ms / 2000

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> int:
        """Listen on a free port of 127.0.0.1 and return it (once it accepts connections)."""
        if self._thread is not None:
            raise LocalCloudError("This round-trip proxy is already started.")
        ready: asyncio.Future | None = None
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            nonlocal ready
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._relay, HOST, 0, limit=CHUNK))
                self.port = self._server.sockets[0].getsockname()[1]
            except OSError as error:
                failure.append(error)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"round-trip-{self.round_trip_ms}ms",
                                        daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread = None
            raise LocalCloudError(f"The round-trip proxy could not listen on {HOST}: "
                                  f"{failure[0]}.") from failure[0]
        return self.port

    def close(self) -> None:
        """Stop listening, end every relayed connection and the thread; idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shut() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

        with contextlib.suppress(RuntimeError):  # the loop already stopped
            asyncio.run_coroutine_threadsafe(shut(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> RoundTripProxy:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- relaying --------------------------------------------------------------------------
    async def _relay(self, client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self.connections += 1
        upstream_writer, pipes = None, []
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                HOST, self.target_port, limit=CHUNK)
            pipes = [asyncio.ensure_future(self._pipe(client_reader, upstream_writer)),
                     asyncio.ensure_future(self._pipe(upstream_reader, client_writer))]
            await asyncio.gather(*pipes)
        except (OSError, asyncio.IncompleteReadError):
            pass  # a side went away: close both
        except asyncio.CancelledError:
            pass  # close() ends every connection; asyncio's server asks how each ended
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer`` in order, each chunk ``one_way`` seconds later."""
        held: asyncio.Queue = asyncio.Queue(maxsize=max(1, self.buffer_bytes // CHUNK))

        async def read() -> None:
            while chunk := await reader.read(CHUNK):
                await held.put((self._clock() + self.one_way, chunk))  # waits when full
                self.most_held = max(self.most_held, held.qsize())
            await held.put((self._clock() + self.one_way, b""))        # end of stream

        async def write() -> None:
            while True:
                due, chunk = await held.get()
                while (wait := due - self._clock()) > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()

        reading = asyncio.ensure_future(read())
        try:
            await write()
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await reading


@contextlib.contextmanager
def round_trip(target_port: int, round_trip_ms: float) -> Iterator[int]:
    """A :class:`RoundTripProxy` to ``target_port`` for the ``with`` block; yields its port."""
    with RoundTripProxy(target_port, round_trip_ms) as proxy:
        yield proxy.port
