"""Fault injection: kill idempotent consumers with SIGKILL mid-batch, then count what survived.

    python -m labsupport.bench fault-injection [--messages 200] [--poison 2] [--kills 5]
                                               [--workers 3]

Sends N orders (plus a few "poison" orders that always fail) to a fresh queue and starts
worker *processes* that consume them with the lab's patterns: the SQLite dedup store
(labsupport.patterns.idempotent; the effect — a row in ``effects`` — commits in the same
transaction as the "processed" record) and poison handling (labsupport.patterns.poison).
Whenever a worker reports that it is in the middle of a batch (an effect committed, its
message not yet deleted), the script kills it with ``kill -9`` and starts a replacement,
K times. The leases of the dead worker's messages run out and the messages come back.

At the end it prints: messages sent, effects applied, duplicate deliveries suppressed,
messages poisoned, and messages lost. The target: lost = 0 and effects = N exactly.
These are figures, not a test; tests/bench/test_fault_injection.py runs a tiny version.

Uses the local cloud (or Azure) through ``labsupport.connect()``, like the notebooks.
"""

from __future__ import annotations

import argparse
import json
import os
import queue as queues
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from azure.identity import DefaultAzureCredential
from azure.storage.queue import QueueClient, QueueServiceClient

from ..patterns.idempotent import DedupStore
from ..patterns.poison import poison_queue_name, process_or_poison

ACCOUNT_URL_ENV = "FAULT_INJECTION_ACCOUNT_URL"  # workers sign in with DefaultAzureCredential
WORKER_MODULE = "labsupport.bench.fault_injection"  # a worker is `python -m` this, --worker
MID_BATCH = "mid-batch"


@dataclass
class Report:
    sent: int
    orders: int
    effects: int
    distinct_effects: int
    duplicates_suppressed: int
    poisoned: int
    lost: int
    kills: int
    workers: int
    seconds: float

    def lines(self) -> list[str]:
        return [
            f"sent                   {self.sent:>6}  ({self.orders} orders + "
            f"{self.sent - self.orders} poison)",
            f"effects applied        {self.effects:>6}  (distinct orders {self.distinct_effects})",
            f"duplicates suppressed  {self.duplicates_suppressed:>6}",
            f"poisoned               {self.poisoned:>6}",
            f"lost                   {self.lost:>6}",
            f"kill -9 mid-batch      {self.kills:>6}  ({self.workers} worker processes, "
            f"each replaced when killed; {self.seconds:.1f} s)",
        ]


# --- the worker process -------------------------------------------------------------------

def apply_effect(db, order_id: str) -> None:
    """The business effect: one row per order. Same transaction as the dedup record."""
    db.execute("INSERT INTO effects (order_id) VALUES (?)", (order_id,))


def worker(queue_name: str, db_path: str, lease: int, batch: int) -> None:
    """Consume forever (the supervisor kills us): idempotent effects, poison handling."""
    account_url, credential = os.environ[ACCOUNT_URL_ENV], DefaultAzureCredential()
    queue = QueueClient(account_url, queue_name, credential=credential)
    poison = QueueClient(account_url, poison_queue_name(queue_name), credential=credential)
    store = DedupStore(db_path)
    first_in_batch = False

    def handle(message) -> None:
        nonlocal first_in_batch
        order = json.loads(message.content)
        if order.get("poison"):
            raise ValueError("this order cannot be processed")
        store.process_once(order["order_id"], lambda db: apply_effect(db, order["order_id"]))
        if first_in_batch:  # committed, not yet deleted: the moment to be killed
            first_in_batch = False
            print(MID_BATCH, flush=True)
            time.sleep(0.05)  # stands for more work on this message

    while True:
        messages = list(queue.receive_messages(max_messages=batch, messages_per_page=batch,
                                               visibility_timeout=lease))
        if not messages:
            time.sleep(0.1)  # polling interval of an idle consumer
            continue
        first_in_batch = True
        for message in messages:
            process_or_poison(queue, message, handle, poison_queue=poison)


# --- the supervisor -----------------------------------------------------------------------

class Workers:
    """Worker processes in numbered slots; their stdout lines arrive on one queue."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args, self.env = args, env
        self.lines: queues.Queue[tuple[int, subprocess.Popen, str]] = queues.Queue()
        self.slots: list[subprocess.Popen] = []

    def _start(self) -> subprocess.Popen:
        process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(process,), daemon=True).start()
        return process

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.put((process.pid, process, line.strip()))

    def start(self, count: int) -> None:
        self.slots = [self._start() for _ in range(count)]

    def kill_and_replace(self, process: subprocess.Popen) -> bool:
        """SIGKILL ``process`` (one of ours, by pid) and start a replacement in its slot."""
        if process not in self.slots or process.poll() is not None:
            return False
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.slots[self.slots.index(process)] = self._start()
        return True

    def stop(self) -> None:
        for process in self.slots:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
            process.wait()
            if process.stdout:
                process.stdout.close()


def _poisoned_contents(poison: QueueClient) -> list[str]:
    return [m.content for m in poison.receive_messages(max_messages=5000, messages_per_page=32,
                                                        visibility_timeout=300)]


def run(lab, *, messages: int = 200, poison: int = 2, kills: int = 5, workers: int = 3,
        lease: int = 2, batch: int = 8, timeout: float = 180.0) -> Report:
    """Run the experiment against ``lab`` (a connected Lab) and return the figures."""
    if messages < 1 or poison < 0 or kills < 0 or workers < 1:
        raise ValueError("need messages ≥ 1, poison ≥ 0, kills ≥ 0 and workers ≥ 1")
    started = time.monotonic()
    service = QueueServiceClient(lab.account_url, credential=lab.credential)
    name = lab.new_queue_name("fault-injection")
    queue = service.create_queue(name)
    poison_queue = service.create_queue(poison_queue_name(name))
    pool = None
    try:
        with tempfile.TemporaryDirectory(prefix="fault-injection-") as folder:
            db_path = str(Path(folder) / "consumer.db")
            store = DedupStore(db_path)
            store.db.execute("CREATE TABLE effects (order_id TEXT NOT NULL)")
            good = [f"order-{n:05d}" for n in range(1, messages + 1)]
            bad = [f"poison-{n:03d}" for n in range(1, poison + 1)]
            every = max(1, messages // (poison + 1))
            bodies = []
            for n, order_id in enumerate(good):
                bodies.append({"order_id": order_id})
                if bad and (n + 1) % every == 0:
                    bodies.append({"order_id": bad.pop(0), "poison": True})
            bodies += [{"order_id": b, "poison": True} for b in bad]
            for body in bodies:
                queue.send_message(json.dumps(body))

            env = dict(os.environ, **{ACCOUNT_URL_ENV: lab.account_url})
            pool = Workers([sys.executable, "-m", WORKER_MODULE, "--worker",
                            "--queue", name, "--db", db_path, "--lease", str(lease),
                            "--batch", str(batch)], env)
            pool.start(workers)

            killed, deadline = 0, started + timeout

            def finished() -> bool:
                distinct = store.db.execute(
                    "SELECT COUNT(DISTINCT order_id) FROM effects").fetchone()[0]
                return (distinct == messages
                        and queue.get_queue_properties().approximate_message_count == 0)

            while time.monotonic() < deadline:
                try:
                    _, process, line = pool.lines.get(timeout=0.2)
                except queues.Empty:
                    if finished():
                        break
                    continue
                if line == MID_BATCH and killed < kills and pool.kill_and_replace(process):
                    killed += 1
            else:
                raise TimeoutError(f"the consumers did not finish within {timeout:g} s")
            pool.stop()
            pool = None

            effects, distinct = store.db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT order_id) FROM effects").fetchone()
            applied = {row[0] for row in store.db.execute("SELECT order_id FROM effects")}
            poisoned = {json.loads(c)["order_id"] for c in _poisoned_contents(poison_queue)}
            expected = {b["order_id"] for b in bodies}
            report = Report(
                sent=len(bodies), orders=messages, effects=effects, distinct_effects=distinct,
                duplicates_suppressed=store.duplicates_suppressed, poisoned=len(poisoned),
                lost=len(expected - applied - poisoned), kills=killed, workers=workers,
                seconds=time.monotonic() - started,
            )
            store.close()
            return report
    finally:
        if pool is not None:
            pool.stop()
        service.delete_queue(poison_queue_name(name))
        service.delete_queue(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench fault-injection",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="orders to send (N)")
    parser.add_argument("--poison", type=int, default=2, help="orders that always fail")
    parser.add_argument("--kills", type=int, default=5, help="workers to kill -9 (K)")
    parser.add_argument("--workers", type=int, default=3, help="worker processes")
    parser.add_argument("--lease", type=int, default=2, help="visibility timeout, seconds")
    parser.add_argument("--batch", type=int, default=8, help="messages per receive")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.queue, args.db, args.lease, args.batch)
        return 0

    from .. import connect

    lab = connect("fault-injection", quiet=True)
    print(f"fault injection: {args.messages} orders + {args.poison} poison, {args.workers} "
          f"worker processes, {args.kills} × kill -9 mid-batch, {args.lease} s lease", flush=True)
    report = run(lab, messages=args.messages, poison=args.poison, kills=args.kills,
                 workers=args.workers, lease=args.lease, batch=args.batch)
    for line in report.lines():
        print(line)
    ok = report.lost == 0 and report.effects == args.messages
    print("target met: lost = 0 and effects = N" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
