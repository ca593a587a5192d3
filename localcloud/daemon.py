"""The local cloud process: Azurite plus the HTTPS management plane, until SIGTERM.

Started detached by :func:`localcloud.start`; writes its record to the
state folder once every port answers and removes it when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

import uvicorn

from .azurite import Azurite
from .certs import ensure_certificates, trust_variables
from .cloud import Cloud
from .errors import LocalCloudError, PortTakenError
from .management import StoreError, create_app, load_store
from .ports import HOST, port_taken
from .state import Record, StateFolder, read_record, write_record
from .tokens import SIGNING_KEY_SECRET, TokenService, new_signing_key

log = logging.getLogger("localcloud")


def build_cloud(folder: StateFolder, ports: dict[str, int],
                node_project: Path | None = None) -> tuple[Cloud, object]:
    certs = ensure_certificates(folder.root / "tls")
    os.environ.update(trust_variables(certs))
    store = load_store(folder.management_state)
    tokens = TokenService(folder.secret(SIGNING_KEY_SECRET, new_signing_key))
    header = folder.secret("identity-header", new_signing_key)
    cloud = Cloud(folder, ports, Azurite(folder, ports, node_project), tokens, header)
    return cloud, store


async def serve(cloud: Cloud, store) -> None:
    certs = cloud.folder.certificates
    config = uvicorn.Config(
        create_app(cloud, store), host=HOST, port=cloud.ports["management"],
        ssl_certfile=str(certs.server_cert), ssl_keyfile=str(certs.server_key),
        log_level="warning", access_log=False, lifespan="off",
        # Idle keep-alive TLS connections of live clients never answer close_notify; don't
        # wait for them past this (else `down` waits its 20 s and kills the daemon).
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            raise SystemExit(f"the management plane could not listen on {cloud.management_url}")
        await asyncio.sleep(0.01)
    write_record(cloud.folder, Record(
        pid=os.getpid(), azurite_pid=cloud.azurite.pid, ports=cloud.ports,
        started_at=time.time(), azurite_version=cloud.azurite.version,
        state_dir=str(cloud.folder.root), ca_bundle=str(certs.bundle),
    ))
    log.info("local cloud ready: %s", json.dumps(cloud.ports))
    await task


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--ports", required=True, type=json.loads)
    parser.add_argument("--node-project", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("azure").setLevel(logging.WARNING)
    folder = StateFolder(args.state_dir)
    try:
        cloud, store = build_cloud(folder, args.ports, args.node_project)
    except (LocalCloudError, StoreError) as exc:
        log.error("%s", exc)
        return 1
    # uvicorn re-raises the SIGTERM it handled once it has stopped serving; this handler
    # turns that into a normal return, so the clean-up below stops Azurite gracefully.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        cloud.azurite.start(store.azurite_accounts())
        cloud.accounts = store.azurite_accounts()
        asyncio.run(serve(cloud, store))
    except PortTakenError as exc:
        log.error("%s", exc)
        return PortTakenError.EXIT_CODE
    except SystemExit:  # uvicorn exits when it cannot listen
        if not port_taken(cloud.ports["management"]):
            raise
        log.error("%s", PortTakenError("management", cloud.ports["management"]))
        return PortTakenError.EXIT_CODE
    except LocalCloudError as exc:
        log.error("%s", exc)
        return 1
    finally:
        cloud.close()
        record = read_record(folder)
        if record and record.pid == os.getpid():
            folder.record.unlink(missing_ok=True)
        log.info("local cloud stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
