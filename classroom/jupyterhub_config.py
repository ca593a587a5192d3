"""JupyterHub for a class of the queue lab on one machine (`make hub`; docs/CLASSROOM.md).

Learners are real Unix users in the group ``queue-lab-learners`` (made by
``python -m labsupport class add-learners ana ben``), who log in with their Unix password
(PAM). Each learner's server runs as them, from the lab's one read-only installation, with
their own copy of the notebooks and their own local cloud under their home; both stop when
the server stops, and the idle culler stops servers nobody used for an hour.

Settings from the environment (all optional):
  QUEUE_LAB_HUB_PORT        the hub's port on 127.0.0.1 (default 8800)
  QUEUE_LAB_HUB_API_PORT    the hub's internal API port (default 8801; the proxy's API: +2)
  QUEUE_LAB_HUB_DIR         the hub's own state: database, cookie secret (default .lab/hub)
  QUEUE_LAB_INSTRUCTOR      the hub's admin (default: the user who ran sudo, else root)
  QUEUE_LAB_HUB_PYTHON      the Python learners' servers run (default: the project's .venv;
                            it and the project must be readable by every user)
  QUEUE_LAB_IDLE_TIMEOUT    seconds before an idle server is stopped (default 3600)
  QUEUE_LAB_CULL_EVERY      how often the culler looks, in seconds (default 60)
  QUEUE_LAB_TOOLS_TOKEN_FILE  a file (0600) holding an API token for the instructor's
                            scripts (service "class-tools": start/stop servers, list users;
                            the room test uses it); no such service without it
"""

import os
import shutil
import sys
from pathlib import Path

# The lab's installation: this file's project (its .venv runs the hub and the learners).
PROJECT = Path(__file__).resolve().parent.parent
# The Python the learners' servers and kernels run: the project's .venv, unless the hub is
# told otherwise. Learners must be able to run it (see _usable_by_learners).
PYTHON = Path(os.environ.get("QUEUE_LAB_HUB_PYTHON") or PROJECT / ".venv" / "bin" / "python")
PROXY = PROJECT / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
LEARNERS = "queue-lab-learners"  # labsupport.classroom.accounts.GROUP

port = int(os.environ.get("QUEUE_LAB_HUB_PORT", "8800"))
api_port = int(os.environ.get("QUEUE_LAB_HUB_API_PORT", "8801"))
state = Path(os.environ.get("QUEUE_LAB_HUB_DIR", PROJECT / ".lab" / "hub"))
state.mkdir(parents=True, exist_ok=True, mode=0o700)
instructor = os.environ.get("QUEUE_LAB_INSTRUCTOR") or os.environ.get("SUDO_USER") or "root"
idle_timeout = int(os.environ.get("QUEUE_LAB_IDLE_TIMEOUT", "3600"))
cull_every = int(os.environ.get("QUEUE_LAB_CULL_EVERY", "60"))



def _usable_by_learners(path: Path, mode: int) -> str:
    """'' if any user can reach ``path`` (every folder on the way o+x) and has ``mode`` on
    it (0o4 read, 0o5 read and run), else why."""
    real = path.resolve()
    for folder in [*reversed(real.parents)]:
        if not folder.stat().st_mode & 0o001:
            return f"{folder} is not open to other users (mode {folder.stat().st_mode & 0o777:o})"
    if real.stat().st_mode & mode != mode:
        return f"{real} is not {'readable' if mode == 0o004 else 'runnable'} by other users"
    return ""


for needed, mode in ((PYTHON, 0o005), (PROJECT / "labsupport" / "__init__.py", 0o004)):
    problem = _usable_by_learners(needed, mode)
    if problem:
        raise SystemExit(
            f"Learners could not run the lab: {problem}. Install the lab where every user can "
            "read it (e.g. /opt/queue-lab, with a Python outside /root: "
            "make hub PYTHON=/usr/bin/python3), or point QUEUE_LAB_HUB_PYTHON at such a "
            "Python (docs/CLASSROOM.md, 'A class on one hub').")

c = get_config()  # noqa: F821 (JupyterHub provides it)

# Loopback only: put an HTTPS reverse proxy (or an SSH tunnel) in front to open it to a room.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = api_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{api_port + 1}"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

# Real Unix users, with their Unix password (PAM). For an institution's accounts use an
# OAuthenticator (docs/CLASSROOM.md); for a self-run class without Unix passwords,
# NativeAuthenticator. Never a shared password in the repository.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {LEARNERS}
c.Authenticator.admin_users = {instructor}
c.PAMAuthenticator.admin_groups = set()


def _systemd_runs() -> bool:
    """systemd is PID 1 (sd_booted's test) and SystemdSpawner is installed."""
    if not Path("/run/systemd/system").is_dir():
        return False
    try:
        import systemdspawner  # noqa: F401
    except ImportError:
        return False
    return True


if _systemd_runs():
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.dynamic_users = False  # learners are real users, with real homes
    c.SystemdSpawner.isolate_tmp = True
else:
    # Stopping a server: SIGINT, then SIGTERM, 30 s apart (JupyterHub's defaults), which
    # leaves the single-user command time to stop the learner's local cloud.
    c.JupyterHub.spawner_class = "localprocess"

# The single-user command: syncs the learner's notebooks, runs jupyterhub-singleuser, and
# stops the learner's local cloud when it exits (labsupport/classroom/singleuser.py).
c.Spawner.cmd = [str(PYTHON), "-m", "labsupport.classroom.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120  # a busy machine: the first start also copies the notebooks
c.Spawner.start_timeout = 180
c.Spawner.environment = {
    # The learner's local cloud keeps its state under their home, only theirs (0700).
    "LAB_STATE_DIR": lambda spawner: str(
        Path(os.path.expanduser(f"~{spawner.user.name}")) / "queue-lab" / ".lab"),
    "LAB_PROGRESS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",  # the installation is read-only to learners
}

# Idle servers (and so their local clouds) stop: jupyterhub-idle-culler (pinned, hub extra).
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={idle_timeout}", f"--cull-every={cull_every}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
tools_token_file = os.environ.get("QUEUE_LAB_TOOLS_TOKEN_FILE")
if tools_token_file:
    c.JupyterHub.services.append({
        "name": "class-tools", "api_token": Path(tools_token_file).read_text().strip()})
    c.JupyterHub.load_roles.append({
        "name": "class-tools",
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users",
                   "access:servers"],
        "services": ["class-tools"],
    })
if shutil.which("node") is None:
    raise SystemExit("make hub needs Node.js 20+ for configurable-http-proxy: install it from "
                     "https://nodejs.org, then run make hub again.")
