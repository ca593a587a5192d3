"""The local cloud's state folder: file layout, the running record, and the start lock.

The folder holds keys (``management.json``), secrets and Azurite's data: it is private to
its owner (0700) and the key file is 0600. Every start checks and fixes both, so a folder
made by an older version, or by a learner's umask, is private again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from .certs import Certificates, certificate_paths
from .errors import LocalCloudError
from .waits import wait_for

FOLDER_MODE = 0o700
SECRET_FILE_MODE = 0o600


@dataclass(frozen=True)
class StateFolder:
    """Names every file the local cloud keeps under one folder."""

    root: Path

    @property
    def record(self) -> Path:
        return self.root / "localcloud.json"

    @property
    def lock(self) -> Path:
        return self.root / "localcloud.lock"

    @property
    def ports(self) -> Path:
        """The ports the last cloud listened on (kept after it stops)."""
        return self.root / "ports.json"

    @property
    def azurite_data(self) -> Path:
        return self.root / "azurite"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def management_state(self) -> Path:
        return self.root / "management.json"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def certificates(self) -> Certificates:
        return certificate_paths(self.root / "tls")

    def secret(self, name: str, make) -> str:
        """Read a secret file, creating it with ``make()`` the first time (mode 0600)."""
        path = self.secrets / name
        if not path.is_file():
            self.secrets.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
        return path.read_text().strip()

    def secret_files(self) -> list[Path]:
        """The files that hold keys or secrets (each must be readable by its owner only)."""
        files = [self.management_state, self.certificates.server_key]
        if self.secrets.is_dir():
            files += sorted(p for p in self.secrets.iterdir() if p.is_file())
        return [f for f in files if f.is_file()]

    def exposed(self) -> list[tuple[Path, int]]:
        """The folder and secret files that others may read: ``(path, mode)`` pairs."""
        found = []
        for path in [self.root, *self.secret_files()]:
            try:
                mode = path.stat().st_mode & 0o777
            except FileNotFoundError:
                continue
            if mode & 0o077:
                found.append((path, mode))
        return found

    def make_private(self) -> None:
        """Create the folder 0700 (or make an existing one so) and secret files 0600."""
        self.root.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        for path, mode in self.exposed():
            path.chmod(FOLDER_MODE if path == self.root else mode & SECRET_FILE_MODE)

    @contextlib.contextmanager
    def locked(self, timeout: float = 60.0) -> Iterator[None]:
        """Hold the folder's lock so two starters end with one local cloud (and make the
        folder private first: every start and stop passes here)."""
        self.make_private()
        with open(self.lock, "a+") as handle:
            if not wait_for(lambda: _try_lock(handle), timeout, interval=0.05):
                raise LocalCloudError(
                    f"Another process has been starting or stopping the local cloud "
                    f"for {timeout:.0f} s (it holds {self.lock}). Wait for it and try "
                    f"again; `python -m labsupport status` shows whether it runs. A "
                    f"lock is released when its process ends, so if this repeats, "
                    f"stop the hung `python -m labsupport` or restart that kernel."
                )
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle) -> bool:
    """Take the exclusive lock on an open file if nobody holds it (flock: the kernel
    releases it when its process ends, however that ends)."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def state_folder(where: StateFolder | os.PathLike | str) -> StateFolder:
    """``where`` as a StateFolder (a path names the folder's root)."""
    return where if isinstance(where, StateFolder) else StateFolder(Path(where))


@dataclass
class Record:
    """What a running local cloud wrote about itself (no secrets)."""

    pid: int
    azurite_pid: int
    ports: dict[str, int]
    started_at: float
    azurite_version: str
    state_dir: str
    ca_bundle: str
    extra: dict = field(default_factory=dict)

    def endpoints(self) -> dict[str, str]:
        host = "https://127.0.0.1"
        return {
            "management": f"{host}:{self.ports['management']}",
            "identity": f"{host}:{self.ports['management']}/msi/token",
            "queue": f"{host}:{self.ports['queue']}",
            "blob": f"{host}:{self.ports['blob']}",
            "table": f"{host}:{self.ports['table']}",
        }


def read_record(folder: StateFolder) -> Record | None:
    try:
        data = json.loads(folder.record.read_text())
        return Record(**data)
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def write_record(folder: StateFolder, record: Record) -> None:
    tmp = folder.record.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2))
    tmp.replace(folder.record)


def pid_alive(pid: int) -> bool:
    """True if a process with that pid exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: it exists
        return True
