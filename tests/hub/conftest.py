"""Real learner accounts for the hub's tests: root only (CI here runs as root).

Elsewhere these tests are skipped, saying why. Learners run the lab's one installation:
its project folder must be open to every user. If the .venv's Python is not (here it links
into /root, mode 0700), the tests make a small virtual environment under /tmp with the
machine's own Python of the same version whose site-packages is the .venv's (a .pth file):
what docs/CLASSROOM.md tells an instructor to do with QUEUE_LAB_HUB_PYTHON.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def open_to_everyone(path: Path, mode: int = 0o005) -> bool:
    real = path.resolve()
    return all(folder.stat().st_mode & 0o001 for folder in real.parents) and \
        real.stat().st_mode & mode == mode


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates real Unix users for learners (CI here runs as "
                    "root); run it with sudo to check the hub")
    for tool in ("useradd", "userdel", "chpasswd", "runuser"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} to make learner accounts (the passwd package)")
    if not open_to_everyone(PROJECT / "labsupport" / "__init__.py", 0o004):
        pytest.skip(f"the project {PROJECT} is not readable by other users: install it "
                    "where learners can read it (docs/CLASSROOM.md)")


@pytest.fixture(scope="session")
def learner_python(tmp_path_factory) -> Path:
    """A Python every learner can run, with the lab's packages."""
    require_root()
    venv_python = PROJECT / ".venv" / "bin" / "python"
    if open_to_everyone(venv_python):
        yield venv_python
        return
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = next((Path(p) for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}")
                   if Path(p).exists() and open_to_everyone(Path(p))), None)
    if system is None:
        pytest.skip(f"the .venv's Python is not open to other users and there is no {version} "
                    "they can run: install the lab as docs/CLASSROOM.md says")
    folder = Path(f"/tmp/queue-lab-learner-python-{os.getpid()}")
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(folder)], check=True)
    os.chmod(folder, 0o755)
    site = folder / "lib" / version / "site-packages"
    (site / "queue_lab_install.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n")
    yield folder / "bin" / "python"
    shutil.rmtree(folder, ignore_errors=True)


def run_as(user: str, *command: str, env: dict | None = None, timeout: float = 300,
           check: bool = True) -> subprocess.CompletedProcess:
    """``command`` as the Unix user ``user`` in their home, with a clean environment."""
    home = pwd.getpwnam(user).pw_dir
    base = {"HOME": home, "USER": user, "LOGNAME": user, "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1", "LAB_PROGRESS": "0",
            "LAB_STATE_DIR": f"{home}/queue-lab/.lab"}
    done = subprocess.run(["runuser", "-u", user, "--", "env", "-i",
                           *(f"{k}={v}" for k, v in {**base, **(env or {})}.items()),
                           *command], cwd=home, capture_output=True, text=True,
                          timeout=timeout)
    if check and done.returncode:
        raise AssertionError(f"{' '.join(command)} as {user} failed ({done.returncode}):\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def learner_result(done: subprocess.CompletedProcess) -> dict:
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def add_learners(*names: str) -> dict[str, str]:
    """``class add-learners`` as an instructor runs it; returns each one's password."""
    done = subprocess.run([sys.executable, "-m", "labsupport", "class", "add-learners",
                           *names], capture_output=True, text=True, check=True)
    passwords = dict(re.findall(r"^\s+(\S+)\s+(\S+)$", done.stdout, re.MULTILINE))
    assert set(passwords) == set(names), done.stdout
    return passwords


def remove_learners(*names: str) -> None:
    subprocess.run([sys.executable, "-m", "labsupport", "class", "remove-learners", *names],
                   capture_output=True, check=True)


def learner_names(tag: str, count: int) -> list[str]:
    """Names no other run uses at the same time (pid), 'ql' + tag + letter."""
    return [f"ql{tag}{os.getpid()}{chr(ord('a') + i)}" for i in range(count)]
