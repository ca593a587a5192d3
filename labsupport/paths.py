"""Where the lab lives on disk: the project root and the local cloud's state folder."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The repository root when installed editable, else the current directory."""
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def state_dir(environ: dict[str, str] | None = None) -> Path:
    """The lab's state folder: ``LAB_STATE_DIR`` or ``<project>/.lab``."""
    env = os.environ if environ is None else environ
    configured = env.get("LAB_STATE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return project_root() / ".lab"
