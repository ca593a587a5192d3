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
    require_readable_project()


def require_readable_project() -> None:
    """The hub's config refuses to start where learners cannot read the project."""
    if not open_to_everyone(PROJECT / "labsupport" / "__init__.py", 0o004):
        pytest.skip(f"the project {PROJECT} is not readable by other users: install it "
                    "where learners can read it (docs/CLASSROOM.md)")


def make_learner_python(folder: Path) -> Path | str:
    """The .venv's Python if every user can run it, else a small venv in ``folder`` with the
    machine's own Python of the same version and the .venv's site-packages; or why not."""
    venv_python = PROJECT / ".venv" / "bin" / "python"
    if open_to_everyone(venv_python):
        return venv_python
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = next((Path(p) for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}")
                   if Path(p).exists() and open_to_everyone(Path(p))), None)
    if system is None:
        return (f"the .venv's Python is not open to other users and there is no {version} "
                "they can run: install the lab as docs/CLASSROOM.md says")
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(folder)], check=True)
    os.chmod(folder, 0o755)
    site = folder / "lib" / version / "site-packages"
    (site / "queue_lab_install.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_path('purelib')!r})\n")
    return folder / "bin" / "python"


@pytest.fixture(scope="session")
def learner_python() -> Path:
    """A Python every learner can run, with the lab's packages."""
    require_root()
    folder = Path(f"/tmp/queue-lab-learner-python-{os.getpid()}")
    python = make_learner_python(folder)
    if isinstance(python, str):
        pytest.skip(python)
    yield python
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
    """Names no other run uses at the same time (pid): 'ql' + tag + pid + a, b, … z, aa, ab, …"""
    def letters(i: int) -> str:
        return letters(i // 26 - 1) + chr(ord("a") + i % 26) if i >= 26 else chr(ord("a") + i)
    return [f"ql{tag}{os.getpid()}{letters(i)}" for i in range(count)]


class Hub:
    """A JupyterHub started from classroom/jupyterhub_config.py on free loopback ports."""

    def __init__(self, folder: Path, python: Path, idle_timeout: int = 3600,
                 cull_every: int = 60):
        import secrets
        import socket

        def free() -> int:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                return probe.getsockname()[1]

        self.folder = folder
        self.token = secrets.token_hex(32)
        token_file = folder / "tools.token"
        token_file.write_text(self.token)
        token_file.chmod(0o600)
        self.port, api = free(), free()
        while api + 1 == self.port or not _free(api + 1):
            api = free()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "hub.log"
        env = {**os.environ, "QUEUE_LAB_HUB_PORT": str(self.port),
               "QUEUE_LAB_HUB_API_PORT": str(api), "QUEUE_LAB_HUB_DIR": str(folder / "state"),
               "QUEUE_LAB_HUB_PYTHON": str(python), "QUEUE_LAB_TOOLS_TOKEN_FILE": str(token_file),
               "QUEUE_LAB_IDLE_TIMEOUT": str(idle_timeout), "QUEUE_LAB_INSTRUCTOR": "root",
               "QUEUE_LAB_CULL_EVERY": str(cull_every)}
        env.pop("LAB_STATE_DIR", None)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("jupyterhub")), "-f",
                 str(PROJECT / "classroom" / "jupyterhub_config.py")],
                cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.wait(lambda: self.api_get("/").status_code == 200, 120, "the hub to answer")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait(self, condition, timeout: float, what: str) -> None:
        import time

        import requests

        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"the hub stopped:\n{self.log_tail()}"
            try:
                if condition():
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"waited {timeout} s for {what}:\n" \
                f"{self.log_tail()}"
            time.sleep(0.5)

    def api(self, method: str, path: str, **kwargs):
        import requests

        return requests.request(method, f"{self.base}/hub/api{path}", timeout=120,
                                headers={"Authorization": f"token {self.token}"}, **kwargs)

    def api_get(self, path: str):
        return self.api("GET", path)

    def user(self, name: str) -> dict:
        return self.api_get(f"/users/{name}").json()

    def start_server(self, name: str, timeout: float = 240) -> None:
        answer = self.api("POST", f"/users/{name}/server")
        assert answer.status_code in (201, 202), f"{answer.status_code} {answer.text}"
        self.wait(lambda: (self.user(name)["servers"].get("", {}).get("ready")), timeout,
                  f"{name}'s server")

    def stop_server(self, name: str, timeout: float = 120) -> None:
        answer = self.api("DELETE", f"/users/{name}/server")
        assert answer.status_code in (202, 204), f"{answer.status_code} {answer.text}"
        self.wait(lambda: not self.user(name)["servers"], timeout, f"{name}'s server to stop")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def _free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def hub_learners(learner_python, tmp_path_factory):
    """Two learners (name → password) and a hub that lets them in."""
    require_root()
    names = learner_names("h", 2)
    passwords = add_learners(*names)
    folder = tmp_path_factory.mktemp("hub")
    try:
        hub = Hub(folder, learner_python)
    except BaseException:
        remove_learners(*names)
        raise
    try:
        hub.api("POST", "/users", json={"usernames": names})
        yield hub, passwords
    finally:
        for name in names:
            if hub.process.poll() is None and hub.user(name).get("servers"):
                hub.stop_server(name)
        hub.stop()
        remove_learners(*names)
