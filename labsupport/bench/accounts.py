"""Account-change figures: how long until Azurite serves a new account or key, no restart.

    python -m labsupport.bench accounts [--runs 5]

On a private local cloud (a temporary state folder), for each run: Azurite's own round trip
for an account change (the entry point's control channel), a storage-account create through
the management plane until the first queue call with its key succeeds, and the slowest
send of a notebook's queue while that create runs. Target (issue 14): an account appears in
well under a second and a send never waits on it. Prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from azure.core.credentials import AzureNamedKeyCredential
from azure.storage.queue import QueueClient

import localcloud
from localcloud import Azurite, ensure_certificates

from .. import connect
from ..config import load_config
from ..local import choose_ports


def control_round_trips(state: Path, runs: int) -> list[float]:
    """Seconds for Azurite to confirm an account change, on an Azurite of its own."""
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    folder = localcloud.StateFolder(config.state_dir)
    ensure_certificates(folder.root / "tls")
    azurite = Azurite(folder, choose_ports(config, localcloud.last_ports(folder)))
    azurite.start({})
    key = "a2V5" * 22  # any base64 will do: nothing signs with it
    try:
        times = []
        for run in range(runs):
            accounts = {f"bench{n:02d}": (key, key) for n in range(run + 1)}
            started = time.perf_counter()
            azurite.set_accounts(accounts)
            times.append(time.perf_counter() - started)
        return times
    finally:
        azurite.stop()


def creates(state: Path, runs: int) -> tuple[list[float], list[float]]:
    """Per run: seconds from create to a working queue call with the new account's key,
    and the slowest send to another account's queue meanwhile."""
    config = load_config({"LAB_STATE_DIR": str(state)}, env_file=False)
    lab = connect("bench-accounts", quiet=True, config=config)
    from azure.mgmt.storage import StorageManagementClient

    storage = StorageManagementClient(lab.management_credential, lab.subscription_id,
                                      base_url=lab.management_url)
    busy = QueueClient(lab.account_url, lab.queue_name, credential=lab.credential)
    busy.create_queue()
    appear, slowest = [], []
    try:
        for run in range(runs):
            name = f"benchacct{run:02d}"
            sends: list[float] = []
            done = threading.Event()

            def send_meanwhile(sends=sends, done=done) -> None:
                while not done.is_set():
                    started = time.perf_counter()
                    busy.send_message("meanwhile")
                    sends.append(time.perf_counter() - started)

            sender = threading.Thread(target=send_meanwhile)
            sender.start()
            started = time.perf_counter()
            account = storage.storage_accounts.begin_create(
                lab.resource_group, name,
                {"sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
                 "location": lab.config.location}).result()
            key = storage.storage_accounts.list_keys(lab.resource_group, name) \
                .keys_property[0].value
            QueueClient(account.primary_endpoints.queue, "appeared",
                        credential=AzureNamedKeyCredential(name, key)).create_queue()
            appear.append(time.perf_counter() - started)
            done.set()
            sender.join()
            slowest.append(max(sends, default=0.0))
            storage.storage_accounts.delete(lab.resource_group, name)
    finally:
        busy.delete_queue()
    return appear, slowest


def _line(label: str, values: list[float]) -> str:
    return (f"  {label:<44} median {statistics.median(values) * 1000:7.1f} ms   "
            f"max {max(values) * 1000:7.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.bench accounts",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="account changes to measure")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    os.environ["LAB_PROGRESS"] = "0"
    with tempfile.TemporaryDirectory(prefix="queuelab-bench-") as owned:
        state = Path(owned)
        try:
            round_trips = control_round_trips(state / "azurite", args.runs)
            appear, slowest = creates(state / "cloud", args.runs)
        finally:
            localcloud.stop(state / "cloud")
    print(f"Account changes without an Azurite restart, {args.runs} run(s):")
    print(_line("Azurite confirms an account change", round_trips))
    print(_line("create through ARM until its key works", appear))
    print(_line("slowest send to another queue meanwhile", slowest))
    return 0
