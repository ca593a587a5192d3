"""Learners as real Unix users: ``python -m labsupport class add-learners ana ben``.

Each learner gets a home folder only they can read (0700), membership of the class group
(the hub lets that group in) and a random password, printed once to the instructor's
terminal and kept nowhere else. JupyterHub's PAM authenticator checks it like any login.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import secrets
import subprocess
from dataclasses import dataclass

from ..errors import ConfigError

#: The Unix group whose members the hub lets in (classroom/jupyterhub_config.py).
GROUP = "queue-lab-learners"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")


@dataclass(frozen=True)
class NewLearner:
    name: str
    home: str
    password: str = ""  # empty when the account already existed and was left alone


def need_root(action: str) -> None:
    if os.geteuid() != 0:
        raise ConfigError(f"{action} creates or removes Unix users, which needs root: run it "
                          "with sudo (or as root) on the hub's machine.")


def check_names(names: list[str]) -> list[str]:
    for name in names:
        if not _NAME.match(name):
            raise ConfigError(
                f"{name!r} is not a usable learner name: use 1-31 lowercase letters, digits, "
                "'-' or '_', starting with a letter (e.g. ana, ben2).")
    if len(set(names)) != len(names):
        raise ConfigError("a learner name is given twice: give each learner once.")
    return names


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _ensure_group() -> None:
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--force", GROUP], check=True)


@contextlib.contextmanager
def _one_at_a_time():
    """Two instructors' commands (or parallel tests) change /etc/passwd one after the other:
    useradd fails rather than wait when another holds its lock."""
    import fcntl

    with open("/run/queue-lab-accounts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add_learners(names: list[str]) -> list[NewLearner]:
    """Create each learner (home 0700, in :data:`GROUP`) with a new random password.

    A name that is already a Unix user in the class group is left alone (no new password);
    one that exists outside the group is refused: the hub would let a staff account in.
    """
    need_root("add-learners")
    check_names(names)
    with _one_at_a_time():
        return _add(names)


def _add(names: list[str]) -> list[NewLearner]:
    _ensure_group()
    members = set(grp.getgrnam(GROUP).gr_mem)
    for name in names:
        if _exists(name) and name not in members:
            raise ConfigError(
                f"{name} is already a user of this machine but not a learner (not in group "
                f"{GROUP}): pick another name, or add them with `usermod -aG {GROUP} {name}`.")
    made = []
    for name in names:
        if _exists(name):
            made.append(NewLearner(name, pwd.getpwnam(name).pw_dir))
            continue
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--gid", GROUP,
                        name], check=True)
        home = pwd.getpwnam(name).pw_dir
        os.chmod(home, 0o700)
        password = secrets.token_urlsafe(12)
        # chpasswd reads "name:password" on stdin: the password is on no command line.
        subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)
        made.append(NewLearner(name, home, password))
    return made


def _stop_processes(uid: int) -> None:
    """Kill the learner's own processes (by id; userdel refuses a user who still runs any)."""
    import psutil

    theirs = [p for p in psutil.process_iter(["uids"])
              if p.info["uids"] and p.info["uids"].real == uid]
    for process in theirs:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(theirs, timeout=10)


def remove_learners(names: list[str]) -> list[str]:
    """Delete learners of the class group and their homes (``userdel -r``); others refused."""
    need_root("remove-learners")
    check_names(names)
    with _one_at_a_time():
        return _remove(names)


def _remove(names: list[str]) -> list[str]:
    removed = []
    for name in names:
        if not _exists(name):
            continue
        if pwd.getpwnam(name).pw_gid != grp.getgrnam(GROUP).gr_gid:
            raise ConfigError(f"{name} is not a learner of this class (group {GROUP}): "
                              "remove other users with userdel yourself.")
        _stop_processes(pwd.getpwnam(name).pw_uid)
        subprocess.run(["userdel", "--remove", name], check=True,
                       stderr=subprocess.DEVNULL)
        removed.append(name)
    return removed
